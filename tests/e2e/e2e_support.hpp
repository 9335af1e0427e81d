// What many end-to-end tests check the same way: which records (by their
// "seq" field) arrived how often, and that sluice stopped cleanly on SIGTERM.
#pragma once
#include <catch2/catch.hpp>

#include <signal.h>

#include <chrono>
#include <map>
#include <regex>
#include <set>
#include <string>
#include <vector>

#include "tests/support/process.hpp"

namespace sluice::test {

// `"seq":N` in each line (also JSON-escaped, inside a message) → how many lines carry it.
inline std::map<int, int> seq_counts(const std::vector<std::string>& lines) {
  static const std::regex re(R"((?:\\?")seq(?:\\?"):(\d+))");
  std::map<int, int> counts;
  for (const auto& l : lines) {
    std::smatch m;
    if (std::regex_search(l, m, re)) ++counts[std::stoi(m[1])];
  }
  return counts;
}

// Every seq in [from, to) once, but those in except.
inline std::map<int, int> once_each(int from, int to, const std::set<int>& except = {}) {
  std::map<int, int> m;
  for (int i = from; i < to; ++i)
    if (!except.count(i)) m[i] = 1;
  return m;
}

// SIGTERM, then sluice must exit 0 within 30 s (it delivers what it holds first).
inline void stop_sluice(Process& p) {
  p.signal(SIGTERM);
  auto status = p.wait(std::chrono::seconds(30));
  INFO(p.err());
  REQUIRE(status == 0);
}

inline int64_t now_seconds() {
  return std::chrono::duration_cast<std::chrono::seconds>(std::chrono::system_clock::now().time_since_epoch()).count();
}

}  // namespace sluice::test
