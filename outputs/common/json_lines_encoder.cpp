// JSON lines with a date key; see json_lines_encoder.hpp.
#include "outputs/common/json_lines_encoder.hpp"

#include <algorithm>
#include <charconv>
#include <cctype>
#include <cstdio>
#include <ctime>

#include "agent/json_writer.hpp"

namespace sluice::json_lines {

namespace {

void append_int(std::string& out, int64_t v) {
  char buf[24];
  auto r = std::to_chars(buf, buf + sizeof buf, v);
  out.append(buf, r.ptr);
}

// Splits ns since the epoch into whole seconds and the microseconds within
// them, flooring so that times before 1970 still print a valid fraction.
void split_time(int64_t time_ns, int64_t& secs, int64_t& micros) {
  secs = time_ns / 1'000'000'000;
  int64_t nanos = time_ns % 1'000'000'000;
  if (nanos < 0) {
    nanos += 1'000'000'000;
    secs -= 1;
  }
  micros = nanos / 1000;
}

void append_calendar(std::string& out, int64_t secs, int64_t micros, const char* fmt, bool zulu) {
  std::time_t t = static_cast<std::time_t>(secs);
  std::tm tm{};
  gmtime_r(&t, &tm);
  char buf[64];
  size_t n = std::strftime(buf, sizeof buf, fmt, &tm);
  out.push_back('"');
  out.append(buf, n);
  n = static_cast<size_t>(std::snprintf(buf, sizeof buf, ".%06lld", static_cast<long long>(micros)));
  out.append(buf, n);
  if (zulu) out.push_back('Z');
  out.push_back('"');
}

}  // namespace

config::KeyDecl date_key_decl() {
  return {"json_date_key", config::KeyType::String, "date",
          "Key that carries the record's time in the JSON formats; `false` leaves the time out.",
          false, false, {}};
}

config::KeyDecl date_format_decl() {
  return {"json_date_format", config::KeyType::String, "double",
          "Format of the time under json_date_key: double (epoch seconds with microseconds), epoch, "
          "epoch_ms, iso8601 or java_sql_timestamp.",
          false, false, {"double", "epoch", "epoch_ms", "iso8601", "java_sql_timestamp"}};
}

std::optional<DateFormat> parse_date_format(std::string_view name) {
  std::string n;
  for (char c : name) n.push_back(static_cast<char>(std::tolower(static_cast<unsigned char>(c))));
  if (n == "double") return DateFormat::Double;
  if (n == "epoch") return DateFormat::Epoch;
  if (n == "epoch_ms") return DateFormat::EpochMs;
  if (n == "iso8601") return DateFormat::Iso8601;
  if (n == "java_sql_timestamp") return DateFormat::JavaSqlTimestamp;
  return std::nullopt;
}

Options options_from(const config::ComponentConfig& cfg) {
  Options o;
  o.date_key = cfg.get_string("json_date_key");
  // Fluent Bit turns the date key off with `json_date_key false`.
  if (auto off = config::parse_bool(o.date_key); off.has_value() && !*off) o.date_key.clear();
  // The loader already checked the choices; an unknown value can't get here.
  o.date_format = parse_date_format(cfg.get_string("json_date_format")).value_or(DateFormat::Double);
  return o;
}

void append_seconds(std::string& out, int64_t time_ns, int fraction_digits) {
  // Sign and magnitude, so that a time before 1970 prints as -0.5, not -1.5.
  uint64_t mag = time_ns < 0 ? 0 - static_cast<uint64_t>(time_ns) : static_cast<uint64_t>(time_ns);
  if (time_ns < 0) out.push_back('-');
  char buf[40];
  auto r = std::to_chars(buf, buf + sizeof buf, mag / 1'000'000'000);
  out.append(buf, r.ptr);
  if (fraction_digits <= 0) return;
  uint64_t frac = mag % 1'000'000'000;
  for (int d = fraction_digits; d < 9; ++d) frac /= 10;
  // Digits written by hand: snprintf per record was 1% of the kafka output's CPU.
  int digits = std::min(fraction_digits, 9);
  buf[0] = '.';
  for (int i = digits; i >= 1; --i) {
    buf[i] = static_cast<char>('0' + frac % 10);
    frac /= 10;
  }
  out.append(buf, static_cast<size_t>(digits) + 1);
}

void append_date(std::string& out, int64_t time_ns, DateFormat format) {
  int64_t secs;
  int64_t micros;
  split_time(time_ns, secs, micros);
  switch (format) {
    case DateFormat::Double: append_seconds(out, time_ns, 6); break;
    case DateFormat::Epoch: append_int(out, secs); break;
    case DateFormat::EpochMs: append_int(out, secs * 1000 + micros / 1000); break;
    case DateFormat::Iso8601: append_calendar(out, secs, micros, "%Y-%m-%dT%H:%M:%S", true); break;
    case DateFormat::JavaSqlTimestamp: append_calendar(out, secs, micros, "%Y-%m-%d %H:%M:%S", false); break;
  }
}

void append_object(std::string& out, const Event& event, const Options& options) {
  if (options.date_key.empty()) {
    json::append_value(out, event.record);
    return;
  }
  out.push_back('{');
  json::append_string(out, options.date_key);
  out.push_back(':');
  append_date(out, event.time_ns, options.date_format);
  if (event.record.is_map()) {
    for (const auto& m : event.record.members()) {
      out.push_back(',');
      json::append_string(out, m.key);
      out.push_back(':');
      json::append_value(out, m.value);
    }
  }
  out.push_back('}');
}

void encode(std::string& out, const Batch& batch, const Options& options) {
  batch.for_each([&](const std::string& /*tag*/, const Event& e) {
    append_object(out, e, options);
    out.push_back('\n');
  });
}

void encode_array(std::string& out, const Batch& batch, const Options& options) {
  out.push_back('[');
  bool first = true;
  batch.for_each([&](const std::string& /*tag*/, const Event& e) {
    if (!first) out.push_back(',');
    first = false;
    append_object(out, e, options);
  });
  out.push_back(']');
}

}  // namespace sluice::json_lines
