// Short decimals without Ryu; see short_decimal.hpp.
#include "outputs/kafka/short_decimal.hpp"

#include <cmath>
#include <cstdint>

namespace sluice::kafka {

namespace {

constexpr double kPow10[] = {1, 10, 100, 1e3, 1e4, 1e5, 1e6};
constexpr int kMaxFraction = 6;

int digits(uint64_t n) {
  int d = 1;
  while (n >= 10) {
    n /= 10;
    ++d;
  }
  return d;
}

}  // namespace

bool append_short_decimal(std::string& out, double v) {
  // Within ±1e9 a double's spacing is below 1e-6, so at most one decimal of
  // up to 6 fractional digits reads back as v: the one found is the shortest.
  if (!(v > -1e9 && v < 1e9) || v == 0) return false;  // also NaN; to_chars writes zeros ("-0")
  const double a = std::fabs(v);
  for (int k = 0; k <= kMaxFraction; ++k) {
    double m = std::nearbyint(a * kPow10[k]);
    // m and 10^k are exact, so the quotient is the double nearest m/10^k:
    // what reading the decimal gives.
    if (m / kPow10[k] != a) continue;
    auto n = static_cast<uint64_t>(m);
    uint64_t int_part = n / static_cast<uint64_t>(kPow10[k]);
    uint64_t fraction = n % static_cast<uint64_t>(kPow10[k]);
    // Fixed: "123.45", "0.002", "1000". Scientific: the significant digits
    // ("12345", "2", "1") as d[.ddd]e±XX; to_chars takes it when shorter.
    int fixed_length = digits(int_part) + (k > 0 ? 1 + k : 0);
    uint64_t significant = n;
    while (significant % 10 == 0) significant /= 10;  // only k == 0 can end in zeros
    int sig_digits = digits(significant);
    int exponent = int_part > 0 ? digits(int_part) - 1 : -(k - digits(n) + 1);
    int exp_digits = std::abs(exponent) >= 100 ? 3 : 2;
    int scientific_length = sig_digits + (sig_digits > 1 ? 1 : 0) + 2 + exp_digits;
    if (scientific_length < fixed_length) return false;
    char buf[32];
    char* p = buf + sizeof buf;
    for (int i = 0; i < k; ++i) {
      *--p = static_cast<char>('0' + fraction % 10);
      fraction /= 10;
    }
    if (k > 0) *--p = '.';
    do {
      *--p = static_cast<char>('0' + int_part % 10);
      int_part /= 10;
    } while (int_part > 0);
    if (v < 0) *--p = '-';
    out.append(p, static_cast<size_t>(buf + sizeof buf - p));
    if (k == 0) out += ".0";  // a whole number stays a double, as json::append_double writes it
    return true;
  }
  return false;
}

}  // namespace sluice::kafka
