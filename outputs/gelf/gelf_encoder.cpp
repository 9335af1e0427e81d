// Records → GELF 1.1 JSON; see gelf_encoder.hpp. The rules follow the GELF
// payload specification and Fluent Bit's flb_pack_gelf.c where it is sound:
// additional fields are `_name` with name matching ^[\w\.\-]*$, values are
// strings or numbers only, `_id` is reserved.
#include "outputs/gelf/gelf_encoder.hpp"

#include <array>
#include <charconv>
#include <cmath>

#include "agent/json_writer.hpp"
#include "agent/parse/time_format.hpp"

namespace sluice::gelf {

namespace {

// Maps nested deeper than this are sent as one JSON string (bounds recursion).
constexpr int kMaxFlattenDepth = 16;

// Graylog drops `_id` (it is the message's own id); a top-level `id` field is sent as this instead.
constexpr std::string_view kRenamedId = "_id_";

// Fallbacks for the short message, in order, after the configured key:
// what Fluent Bit's own inputs name the line (tail and dummy "log"/"message").
constexpr std::array<std::string_view, 2> kShortFallbacks = {"message", "log"};

bool valid_name_char(unsigned char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_' || c == '.' ||
         c == '-';
}

// Appends key with every character outside [\w.-] replaced by '_' (per byte,
// as Graylog's pattern is ASCII).
void append_sanitized(std::string& out, std::string_view key) {
  for (char c : key) out.push_back(valid_name_char(static_cast<unsigned char>(c)) ? c : '_');
}

void append_int(std::string& out, int64_t v) {
  char buf[24];
  auto r = std::to_chars(buf, buf + sizeof buf, v);
  out.append(buf, r.ptr);
}

bool usable(const Value* v) { return v != nullptr && !v->is_null() && !(v->is_string() && v->as_string().empty()); }

std::optional<int> level_of(const Value& v) {
  if (v.is_int()) {
    if (v.as_int() >= 0 && v.as_int() <= 7) return static_cast<int>(v.as_int());
    return std::nullopt;
  }
  if (v.is_double()) {
    double d = v.as_double();
    if (d >= 0 && d <= 7 && d == std::floor(d)) return static_cast<int>(d);
    return std::nullopt;
  }
  if (v.is_string()) return level_from_name(v.as_string());
  return std::nullopt;
}

// A record's own time value: epoch seconds (a number or numeric text) or RFC 3339 text.
std::optional<int64_t> timestamp_of(const Value& v) {
  double seconds = 0;
  if (v.is_number()) {
    seconds = v.as_double();
  } else if (v.is_string()) {
    std::string_view s = v.as_string();
    if (auto ns = timefmt::parse_rfc3339(s)) return ns;
    auto r = std::from_chars(s.data(), s.data() + s.size(), seconds);
    if (r.ec != std::errc() || r.ptr != s.data() + s.size()) return std::nullopt;
  } else {
    return std::nullopt;
  }
  // Beyond ±292 years the nanosecond count would overflow.
  if (!std::isfinite(seconds) || std::fabs(seconds) > 9.2e9) return std::nullopt;
  // Whole seconds and the fraction apart: near 1.7e9 s a double holds the
  // product in nanoseconds only to 256 ns, enough to turn .250 into .249.
  double whole = std::floor(seconds);
  return static_cast<int64_t>(whole) * 1'000'000'000 + std::llround((seconds - whole) * 1e9);
}

// Appends v as a JSON string: strings as they are, anything else as its JSON text.
void append_as_string(std::string& out, const Value& v) {
  if (v.is_string()) {
    json::append_string(out, v.as_string());
    return;
  }
  std::string text = json::to_string(v);
  json::append_string(out, text);
}

}  // namespace

std::optional<int> level_from_name(std::string_view name) {
  while (!name.empty() && (name.front() == ' ' || name.front() == '\t')) name.remove_prefix(1);
  while (!name.empty() && (name.back() == ' ' || name.back() == '\t')) name.remove_suffix(1);
  if (name.size() == 1 && name[0] >= '0' && name[0] <= '7') return name[0] - '0';
  if (name.size() > 13) return std::nullopt;
  char buf[16];
  for (size_t i = 0; i < name.size(); ++i) {
    char c = name[i];
    buf[i] = (c >= 'A' && c <= 'Z') ? static_cast<char>(c - 'A' + 'a') : c;
  }
  std::string_view n(buf, name.size());
  static constexpr std::pair<std::string_view, int> kNames[] = {
      {"emerg", 0},  {"emergency", 0}, {"panic", 0},         {"alert", 1},       {"crit", 2},
      {"critical", 2}, {"fatal", 2},   {"err", 3},           {"error", 3},       {"warn", 4},
      {"warning", 4}, {"notice", 5},   {"info", 6},          {"informational", 6}, {"information", 6},
      {"debug", 7},  {"trace", 7},
  };
  for (const auto& [known, level] : kNames)
    if (n == known) return level;
  return std::nullopt;
}

void append_timestamp(std::string& out, int64_t time_ns) {
  // Floor division, so times before 1970 still get a fraction in [0, 1).
  int64_t sec = time_ns / 1'000'000'000;
  int64_t rem = time_ns % 1'000'000'000;
  if (rem < 0) {
    --sec;
    rem += 1'000'000'000;
  }
  append_int(out, sec);
  int64_t ms = rem / 1'000'000;
  char frac[4] = {'.', static_cast<char>('0' + ms / 100), static_cast<char>('0' + ms / 10 % 10),
                  static_cast<char>('0' + ms % 10)};
  out.append(frac, 4);
}

// The members of a record that fill GELF's own fields; members[i] is consumed
// (not repeated as an additional field) when i is one of these indices.
struct Encoder::Picked {
  const Value* short_message = nullptr;
  int short_index = -1;
  const Value* full_message = nullptr;
  int full_index = -1;
  const Value* host = nullptr;
  int host_index = -1;
  int64_t time_ns = 0;
  int time_index = -1;
  int level = kDefaultLevel;
  int level_index = -1;

  bool consumed(int i) const {
    return i == short_index || i == full_index || i == host_index || i == time_index || i == level_index;
  }
};

void Encoder::pick(const Value& record, Picked& p) const {
  auto members = record.members();
  auto index_of = [&](std::string_view key) {
    if (key.empty()) return -1;
    for (size_t i = 0; i < members.size(); ++i)
      if (members[i].key == key) return static_cast<int>(i);
    return -1;
  };
  auto take_short = [&](std::string_view key) {
    int i = index_of(key);
    if (i < 0 || !usable(&members[i].value)) return false;
    p.short_message = &members[i].value;
    p.short_index = i;
    return true;
  };
  if (!take_short(keys_.short_message))
    for (std::string_view fallback : kShortFallbacks)
      if (fallback != keys_.short_message && take_short(fallback)) break;
  if (int i = index_of(keys_.full_message); i >= 0 && i != p.short_index && !members[i].value.is_null()) {
    p.full_message = &members[i].value;
    p.full_index = i;
  }
  if (int i = index_of(keys_.host); i >= 0 && i != p.short_index && usable(&members[i].value)) {
    p.host = &members[i].value;
    p.host_index = i;
  }
  if (int i = index_of(keys_.timestamp); i >= 0 && i != p.short_index) {
    if (auto ns = timestamp_of(members[i].value)) {
      p.time_ns = *ns;
      p.time_index = i;
    }
  }
  if (int i = index_of(keys_.level); i >= 0 && i != p.short_index) {
    if (auto level = level_of(members[i].value)) {
      p.level = *level;
      p.level_index = i;
    }
  }
}

std::string Encoder::no_short_message_reason() const {
  std::string why = "record has no non-empty '" + keys_.short_message + "'";
  for (std::string_view f : kShortFallbacks)
    if (f != keys_.short_message) why += ", '" + std::string(f) + "'";
  return why + " field to send as GELF short_message (set gelf_short_message_key)";
}

bool Encoder::encode(std::string_view tag, const Event& event, std::string& out) {
  if (!event.record.is_map()) return false;
  Picked p;
  p.time_ns = event.time_ns;
  pick(event.record, p);
  if (p.short_message == nullptr) return false;
  out += R"({"version":"1.1","host":)";
  if (p.host != nullptr) {
    append_as_string(out, *p.host);
  } else {
    json::append_string(out, keys_.hostname);
  }
  out += R"(,"short_message":)";
  append_as_string(out, *p.short_message);
  if (p.full_message != nullptr) {
    out += R"(,"full_message":)";
    append_as_string(out, *p.full_message);
  }
  out += R"(,"timestamp":)";
  append_timestamp(out, p.time_ns);
  out += R"(,"level":)";
  out.push_back(static_cast<char>('0' + p.level));
  append_additional(event.record, p, out);
  if (!keys_.tag.empty()) {
    out += ",\"_";
    append_sanitized(out, keys_.tag);
    out += "\":";
    json::append_string(out, tag);
  }
  out.push_back('}');
  return true;
}

void Encoder::append_additional(const Value& record, const Picked& p, std::string& out) {
  auto members = record.members();
  for (size_t i = 0; i < members.size(); ++i) {
    if (p.consumed(static_cast<int>(i))) continue;
    prefix_.assign("_");
    append_sanitized(prefix_, members[i].key);
    if (prefix_ == "_id") prefix_.assign(kRenamedId);
    append_field(members[i].value, out, 0);
  }
}

// Appends `,"<prefix_>":value` for a scalar, or one field per leaf of a map
// (`_parent_child`). GELF values are strings or numbers: booleans become
// "true"/"false", arrays their JSON text, nulls are left out.
void Encoder::append_field(const Value& v, std::string& out, int depth) {
  if (v.is_map() && depth < kMaxFlattenDepth) {
    size_t keep = prefix_.size();
    for (const auto& m : v.members()) {
      prefix_.push_back('_');
      append_sanitized(prefix_, m.key);
      append_field(m.value, out, depth + 1);
      prefix_.resize(keep);
    }
    return;
  }
  if (v.is_null()) return;
  out += ",\"";
  out += prefix_;
  out += "\":";
  switch (v.kind()) {
    case Kind::Int:
      append_int(out, v.as_int());
      break;
    case Kind::Double:
      if (std::isfinite(v.as_double())) {
        json::append_value(out, v);
      } else {
        json::append_string(out, std::isnan(v.as_double()) ? "NaN" : (v.as_double() > 0 ? "Infinity" : "-Infinity"));
      }
      break;
    case Kind::Bool:
      out += v.as_bool() ? "\"true\"" : "\"false\"";
      break;
    case Kind::String:
      json::append_string(out, v.as_string());
      break;
    default:  // arrays, and maps nested too deep
      append_as_string(out, v);
      break;
  }
}

}  // namespace sluice::gelf
