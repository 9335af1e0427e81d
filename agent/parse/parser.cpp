// Named parsers: a format plus Fluent Bit's time and type handling, and the
// set of them built from the `parsers` section; see parser.hpp.
#include "agent/parse/parser.hpp"

#include <algorithm>
#include <cctype>
#include <charconv>
#include <cmath>
#include <ctime>
#include <limits>
#include <map>

#include "agent/ascii_case.hpp"
#include "agent/log.hpp"
#include "agent/parse/field_decoders.hpp"
#include "agent/parse/json_format.hpp"
#include "agent/parse/logfmt_format.hpp"
#include "agent/parse/ltsv_format.hpp"
#include "agent/parse/regex_format.hpp"
#include "agent/parse/time_format.hpp"
#include "agent/parse/time_zone.hpp"
#include "agent/record.hpp"

namespace sluice {

namespace {

constexpr int64_t kNsPerSec = 1'000'000'000;

// One warning line per thousand time fields that don't parse, across parsers.
log::RateLimit g_time_failures(1000);

std::optional<int64_t> epoch_to_ns(const Value& v) {
  if (v.is_int()) {
    int64_t ns = 0;
    if (__builtin_mul_overflow(v.as_int(), kNsPerSec, &ns)) return std::nullopt;
    return ns;
  }
  double d = v.as_double();
  // Whole seconds and fraction apart: d * 1e9 alone would lose the
  // nanoseconds of a present-day timestamp to double rounding.
  double whole = std::floor(d);
  if (!std::isfinite(d) || whole < -9.2e9 || whole > 9.2e9) return std::nullopt;
  return static_cast<int64_t>(whole) * kNsPerSec + std::llround((d - whole) * 1e9);
}

template <class T>
std::optional<T> whole_number(std::string_view s, int base = 10) {
  if (!s.empty() && s.front() == '+') s.remove_prefix(1);
  T v{};
  auto r = std::from_chars(s.data(), s.data() + s.size(), v, base);
  if (s.empty() || r.ec != std::errc() || r.ptr != s.data() + s.size()) return std::nullopt;
  return v;
}

std::optional<double> real_number(std::string_view s) {
  if (!s.empty() && s.front() == '+') s.remove_prefix(1);
  double v = 0;
  auto r = std::from_chars(s.data(), s.data() + s.size(), v);
  if (s.empty() || r.ec != std::errc() || r.ptr != s.data() + s.size() || !std::isfinite(v)) return std::nullopt;
  return v;
}

Value to_text(const Value& v, Arena& arena) {
  char buf[32];
  std::to_chars_result r{};
  switch (v.kind()) {
    case Kind::Int: r = std::to_chars(buf, buf + sizeof buf, v.as_int()); break;
    case Kind::Double: r = std::to_chars(buf, buf + sizeof buf, v.as_double()); break;
    case Kind::Bool: return Value::string(v.as_bool() ? "true" : "false");
    default: return v;
  }
  return record::string(arena, std::string_view(buf, static_cast<size_t>(r.ptr - buf)));
}

// "+0200", "-05:00", "+02", "Z", "UTC" → seconds east of UTC.
std::optional<int64_t> parse_offset(std::string_view s) {
  if (s == "Z" || ascii_iequals(s, "UTC") || ascii_iequals(s, "GMT")) return 0;
  auto two = [](std::string_view d) -> std::optional<int> {
    if (d.size() != 2 || !std::isdigit(static_cast<unsigned char>(d[0])) ||
        !std::isdigit(static_cast<unsigned char>(d[1])))
      return std::nullopt;
    return (d[0] - '0') * 10 + (d[1] - '0');
  };
  if (s.size() < 3 || (s[0] != '+' && s[0] != '-')) return std::nullopt;
  std::optional<int> hh = two(s.substr(1, 2)), mm = 0;
  if (s.size() == 5) mm = two(s.substr(3, 2));
  else if (s.size() == 6 && s[3] == ':') mm = two(s.substr(4, 2));
  else if (s.size() != 3) return std::nullopt;
  if (!hh || !mm || *hh > 23 || *mm > 59) return std::nullopt;
  return (s[0] == '-' ? -1 : 1) * (*hh * 3600 + *mm * 60);
}

// "status:integer latencyMs:float" → pairs; the type is checked here. Commas
// separate items too ("a:integer,b:integer", as some Fluent Bit files write).
std::vector<std::pair<std::string, std::string>> parse_types(const config::ComponentConfig& cfg) {
  std::vector<std::pair<std::string, std::string>> out;
  std::string text = cfg.get_string("types");
  auto separator = [](char c) { return c == ',' || std::isspace(static_cast<unsigned char>(c)); };
  size_t i = 0;
  while (i < text.size()) {
    while (i < text.size() && separator(text[i])) ++i;
    size_t start = i;
    while (i < text.size() && !separator(text[i])) ++i;
    if (start == i) break;
    std::string item = text.substr(start, i - start);
    size_t colon = item.rfind(':');
    if (colon == std::string::npos || colon == 0 || colon + 1 == item.size())
      cfg.fail("types", "'" + item + "' is not KEY:TYPE (e.g. \"status:integer latencyMs:float\")");
    std::string type = item.substr(colon + 1);
    if (!Parser::known_type(type))
      cfg.fail("types", "unknown type '" + type + "' for '" + item.substr(0, colon) +
                            "' (expected integer, float, bool, string or hex)");
    out.emplace_back(item.substr(0, colon), type);
  }
  return out;
}

std::unique_ptr<ParseFormat> make_format(const config::ComponentConfig& cfg, const std::string& format) {
  if (format != "regex") {
    if (cfg.has("regex")) cfg.fail("regex", "is only used with format regex (this parser's format is " + format + ")");
    if (format == "json") return make_json_format();
    if (format == "ltsv") return make_ltsv_format();
    return make_logfmt_format(cfg.get_bool("logfmt_no_bare_keys"));
  }
  if (!cfg.has("regex")) cfg.fail("regex", "format regex needs a 'regex' key with named groups, e.g. (?<msg>.*)");
  RegexFormatResult r = make_regex_format(cfg.get_string("regex"), cfg.get_bool("skip_empty_values"));
  if (!r.format) cfg.fail("regex", "the pattern " + r.error);
  return std::move(r.format);
}

// decode_field and decode_field_as rules; those of the key written first run
// first (a YAML map, or the classic file's two keys, don't keep their lines'
// relative order).
std::shared_ptr<FieldDecoders> make_decoders(const config::ComponentConfig& cfg) {
  std::vector<std::pair<std::string_view, FieldDecoders::Kind>> keys = {
      {"decode_field_as", FieldDecoders::Kind::FieldAs}, {"decode_field", FieldDecoders::Kind::Field}};
  std::erase_if(keys, [&](const auto& k) { return !cfg.has(k.first); });
  if (keys.empty()) return nullptr;
  if (keys.size() == 2 && cfg.mark_of(keys[1].first).line < cfg.mark_of(keys[0].first).line)
    std::swap(keys[0], keys[1]);
  auto decoders = std::make_shared<FieldDecoders>();
  for (const auto& [key, kind] : keys)
    for (const auto& rule : cfg.get_list(key))
      if (std::string problem = decoders->add(kind, rule); !problem.empty()) cfg.fail(key, problem);
  if (decoders->has_text_field_rule())
    log::warn("{}: decode_field with a text decoder (escaped, escaped_utf8, mysql_quoted) adds nothing to the "
              "record, as in Fluent Bit; use decode_field_as to replace the field's value",
              cfg.mark_of("decode_field").str());
  return decoders;
}

// Seconds east of UTC of the system's time zone at local time t (seconds,
// read as if UTC); asked twice so that a time near a DST change gets the
// offset in force at that instant.
int64_t system_zone_offset(int64_t t) {
  auto offset_at = [](int64_t utc) {
    std::time_t when = static_cast<std::time_t>(utc);
    std::tm local{};
    return localtime_r(&when, &local) != nullptr ? static_cast<int64_t>(local.tm_gmtoff) : int64_t{0};
  };
  int64_t first = offset_at(t);
  return offset_at(t - first);
}

Parser::Options make_options(const config::ComponentConfig& cfg) {
  Parser::Options o;
  o.time_key = cfg.get_string("time_key");
  o.time_format = cfg.get_string("time_format");
  if (!o.time_format.empty()) {
    std::string problem = timefmt::validate(o.time_format);
    if (!problem.empty()) cfg.fail("time_format", problem);
    if (o.time_key.empty()) o.time_key = "time";  // Fluent Bit's default when a format is given
  }
  o.time_keep = cfg.get_bool("time_keep");
  if (cfg.has("time_offset")) {
    auto offset = parse_offset(cfg.get_string("time_offset"));
    if (!offset) cfg.fail("time_offset", "expected an offset like +0200, -05:00 or UTC");
    o.time_offset_ns = *offset * kNsPerSec;
  }
  o.time_strict = cfg.get_bool("time_strict");
  o.time_system_timezone = cfg.get_bool("time_system_timezone");
  if (o.time_system_timezone && cfg.has("time_offset"))
    cfg.fail("time_system_timezone", "can't be combined with time_offset (one of them says the zone)");
  if (cfg.has("time_zone")) {
    std::string name = cfg.get_string("time_zone");
    if (cfg.has("time_offset")) cfg.fail("time_zone", "can't be combined with time_offset (one of them says the zone)");
    if (o.time_system_timezone)
      cfg.fail("time_zone", "can't be combined with time_system_timezone (one of them says the zone)");
    if (o.time_format.empty())
      cfg.fail("time_zone", "needs time_format (RFC 3339 times without a zone are UTC), as in Fluent Bit");
    std::string error;
    o.time_zone = timefmt::TimeZone::load(name, &error);
    if (!o.time_zone) cfg.fail("time_zone", "'" + name + "': " + error);
  }
  o.types = parse_types(cfg);
  o.decoders = make_decoders(cfg);
  return o;
}

std::unique_ptr<Parser> builtin(const std::string& name, std::unique_ptr<ParseFormat> format,
                                Parser::Options options = {}) {
  return std::make_unique<Parser>(name, std::move(format), std::move(options));
}

}  // namespace

// ---- Parser ----

bool Parser::known_type(std::string_view type) {
  return type == "integer" || type == "float" || type == "bool" || type == "string" || type == "hex";
}

Parser::Parser(std::string name, std::unique_ptr<ParseFormat> format, Options options)
    : name_(std::move(name)), format_(std::move(format)), options_(std::move(options)) {
  for (const auto& [key, type] : options_.types) {
    FieldType t = FieldType::String;
    if (type == "integer") t = FieldType::Integer;
    else if (type == "float") t = FieldType::Float;
    else if (type == "bool") t = FieldType::Bool;
    else if (type == "hex") t = FieldType::Hex;
    typed_.push_back({key, t});
  }
}

std::optional<ParsedText> Parser::parse(std::string_view text, Arena& arena) const {
  ParsedText parsed;
  if (!format_->parse(text, arena, parsed.record)) return std::nullopt;
  if (options_.decoders) options_.decoders->apply(parsed.record, arena);
  if (!options_.time_key.empty()) apply_time(parsed);
  if (!typed_.empty()) apply_types(parsed.record, arena);
  return parsed;
}

void Parser::apply_time(ParsedText& parsed) const {
  const Value* field = parsed.record.find(options_.time_key);
  if (field == nullptr) return;
  std::optional<int64_t> ns;
  if (field->is_string()) {
    ns = options_.time_format.empty()
             ? timefmt::parse_rfc3339(field->as_string())
             : timefmt::parse(field->as_string(), options_.time_format, options_.time_offset_ns, options_.time_strict);
    if (ns && options_.time_system_timezone && !options_.time_format.empty()) {
      // Read once more at another offset: a time that moved has no zone of
      // its own, so it is local time in the system's zone.
      auto shifted = timefmt::parse(field->as_string(), options_.time_format, kNsPerSec, options_.time_strict);
      if (shifted != ns) *ns -= system_zone_offset(*ns / kNsPerSec) * kNsPerSec;
    } else if (ns && options_.time_zone) {
      // The same test: a time without a zone of its own is wall-clock time in time_zone.
      auto shifted = timefmt::parse(field->as_string(), options_.time_format, kNsPerSec, options_.time_strict);
      if (shifted != ns) {
        int64_t seconds = *ns / kNsPerSec - (*ns % kNsPerSec < 0 ? 1 : 0);
        *ns += (options_.time_zone->to_utc(seconds) - seconds) * kNsPerSec;
      }
    }
  } else if (field->is_number()) {
    ns = epoch_to_ns(*field);
  }
  if (!ns) {
    // As Fluent Bit: the record stays as it is, time key included.
    if (uint64_t n = g_time_failures.hit()) {
      std::string_view shown = field->is_string() ? field->as_string().substr(0, 64) : "(not a string)";
      log::warn("parser '{}': time '{}' in key '{}' does not match time_format '{}'; record kept without its time "
                "({} such records so far)",
                name_, shown, options_.time_key,
                options_.time_format.empty() ? "RFC 3339" : options_.time_format, n);
    }
    return;
  }
  parsed.time_ns = ns;
  if (!options_.time_keep) record::remove(parsed.record, options_.time_key);
}

void Parser::apply_types(Value& rec, Arena& arena) const {
  for (const auto& typed : typed_) {
    Value* v = rec.find(typed.key);
    if (v == nullptr) continue;
    const bool is_text = v->is_string();
    const std::string_view s = is_text ? v->as_string() : std::string_view{};
    switch (typed.type) {
      case FieldType::Integer:
        if (is_text) {
          if (auto i = whole_number<int64_t>(s)) *v = Value::integer(*i);
        } else if (v->is_double() && std::isfinite(v->as_double()) && std::fabs(v->as_double()) < 9.2e18) {
          *v = Value::integer(static_cast<int64_t>(v->as_double()));
        }
        break;
      case FieldType::Float:
        if (is_text) {
          if (auto d = real_number(s)) *v = Value::real(*d);
        } else if (v->is_int()) {
          *v = Value::real(v->as_double());
        }
        break;
      case FieldType::Bool:
        if (is_text && (ascii_iequals(s, "true") || ascii_iequals(s, "false")))
          *v = Value::boolean(ascii_iequals(s, "true"));
        break;
      case FieldType::Hex:
        if (is_text) {
          std::string_view digits = s.size() > 2 && s[0] == '0' && (s[1] == 'x' || s[1] == 'X') ? s.substr(2) : s;
          auto u = whole_number<uint64_t>(digits, 16);
          if (u && *u <= static_cast<uint64_t>(std::numeric_limits<int64_t>::max()) && digits.front() != '+')
            *v = Value::integer(static_cast<int64_t>(*u));
        }
        break;
      case FieldType::String: *v = to_text(*v, arena); break;
    }
  }
}

// ---- ParserSet ----

ParserSet ParserSet::build(const std::vector<config::ComponentConfig>& parsers,
                           const std::vector<config::MultilineParserConfig>& multiline) {
  ParserSet set;
  set.parsers_["json"] = builtin("json", make_json_format());
  set.parsers_["logfmt"] = builtin("logfmt", make_logfmt_format());
  Parser::Options docker;  // Docker's json-file lines: {"log": ..., "stream": ..., "time": ...}
  docker.time_key = "time";
  docker.time_format = "%Y-%m-%dT%H:%M:%S.%L%z";
  docker.time_keep = true;
  set.parsers_["docker"] = builtin("docker", make_json_format(), docker);

  std::map<std::string, const config::ComponentConfig*, std::less<>> defined;
  for (const auto& cfg : parsers) {
    std::string name = cfg.get_string("name");
    if (name.empty()) cfg.fail("name", "a parser needs a non-empty name");
    if (auto it = defined.find(name); it != defined.end())
      cfg.fail("name", "a parser of this name is already defined at " + it->second->mark_of("name").str());
    defined.emplace(name, &cfg);
    auto format = make_format(cfg, cfg.get_string("format"));
    set.parsers_[name] = std::make_unique<Parser>(name, std::move(format), make_options(cfg));
  }
  set.multiline_ = MultilineParserSet::build(multiline, set);
  return set;
}

const ParserSet& builtin_parser_set() {
  static const ParserSet set = ParserSet::build({});
  return set;
}

const Parser* ParserSet::find(std::string_view name) const {
  auto it = parsers_.find(name);
  return it == parsers_.end() ? nullptr : it->second.get();
}

std::vector<std::string> ParserSet::names() const {
  std::vector<std::string> out;
  for (const auto& [name, parser] : parsers_) out.push_back(name);
  return out;
}

const config::PluginSchema& parser_schema() {
  using config::KeyType;
  // name, type, default, description, required, secret, choices
  static const config::PluginSchema schema{
      "definition",
      "A named parser for the tail input's and the parser filter's `parser` key.",
      {
          {"name", KeyType::String, "", "The parser's name (replaces a built-in of the same name).", true, false, {}},
          {"format", KeyType::String, "", "How the text is read.", true, false, {"json", "regex", "logfmt", "ltsv"}},
          {"regex", KeyType::String, "", "PCRE2 pattern (format regex); named groups (?<name>...) become fields.",
           false, false, {}},
          {"time_key", KeyType::String, "", "Field holding the record's time (default 'time' with time_format).",
           false, false, {}},
          {"time_format", KeyType::String, "", "strptime-style format of time_key, %L for fractions; RFC 3339 if unset.",
           false, false, {}},
          {"time_keep", KeyType::Bool, "off", "Keep time_key in the record after reading the time.", false, false, {}},
          {"time_offset", KeyType::String, "", "Zone of times without one, e.g. +0200 or -05:00 (default UTC).",
           false, false, {}},
          {"types", KeyType::String, "", "Field conversions, e.g. \"status:integer latencyMs:float\" "
           "(integer, float, bool, string, hex).", false, false, {}},
          {"skip_empty_values", KeyType::Bool, "on", "Leave out empty captures (format regex).", false, false, {}},
          {"time_strict", KeyType::Bool, "on",
           "Off: a time that ends before time_format does is read as far as it goes (\"03:04\" with %H:%M:%S is "
           "03:04:00) instead of being unreadable. Either way, text after what time_format matches is ignored, as "
           "in Fluent Bit.", false,
           false, {}},
          {"time_zone", KeyType::String, "",
           "IANA time zone of times without one, e.g. Europe/Berlin, with its summer time (from the system's "
           "tzdata); not with time_offset or time_system_timezone.", false, false, {}},
          {"time_system_timezone", KeyType::Bool, "off",
           "Times without a zone are in the system's time zone (TZ, /etc/localtime) instead of time_offset.", false,
           false, {}},
          {"logfmt_no_bare_keys", KeyType::Bool, "off",
           "Format logfmt: a key without '=' makes the text not logfmt (default: the key is true).", false, false,
           {}},
          {"decode_field", KeyType::Multi, "",
           "'DECODER FIELD [ACTION]': decode the field's value and add the keys of the JSON object it holds "
           "(decoder json; escaped, escaped_utf8, mysql_quoted add nothing); ACTION try_next or do_next.", false,
           false, {}},
          {"decode_field_as", KeyType::Multi, "",
           "'DECODER FIELD [ACTION]': replace the field's value by what it decodes to: json (an object), escaped, "
           "escaped_utf8, mysql_quoted (text); ACTION try_next (on failure) or do_next (go on either way).", false,
           false, {}},
      }};
  return schema;
}

}  // namespace sluice
