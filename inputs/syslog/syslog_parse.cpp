// Syslog priority, format detection and record fields; see syslog_parse.hpp.
#include "inputs/syslog/syslog_parse.hpp"

#include "inputs/syslog/syslog_rfc3164.hpp"
#include "inputs/syslog/syslog_rfc5424.hpp"

namespace sluice::syslog {

std::optional<int> parse_pri(std::string_view text, std::string_view& rest) {
  // PRI = "<" 1*3DIGIT ">", at most 191 (facility 23, severity 7).
  if (text.size() < 3 || text[0] != '<') return std::nullopt;
  int pri = 0;
  size_t i = 1;
  while (i < text.size() && i <= 3 && text[i] >= '0' && text[i] <= '9') pri = pri * 10 + (text[i++] - '0');
  if (i == 1 || i >= text.size() || text[i] != '>' || pri > 191) return std::nullopt;
  rest = text.substr(i + 1);
  return pri;
}

const char* severity_name(int severity) {
  static constexpr const char* kNames[] = {"emerg", "alert", "crit", "err", "warning", "notice", "info", "debug"};
  return severity >= 0 && severity < 8 ? kNames[severity] : nullptr;
}

const char* facility_name(int facility) {
  static constexpr const char* kNames[] = {"kern",   "user",     "mail",    "daemon",       "auth",     "syslog",
                                           "lpr",    "news",     "uucp",    "cron",         "authpriv", "ftp",
                                           "ntp",    "security", "console", "solaris-cron", "local0",   "local1",
                                           "local2", "local3",   "local4",  "local5",       "local6",   "local7"};
  return facility >= 0 && facility < 24 ? kNames[facility] : nullptr;
}

std::string_view trim_trailer(std::string_view text) {
  while (!text.empty() && (text.back() == '\n' || text.back() == '\r' || text.back() == '\0')) text.remove_suffix(1);
  return text;
}

bool parse_message(std::string_view text, Format format, int64_t now_ns, SyslogMessage& out) {
  std::string_view rest;
  auto pri = parse_pri(text, rest);
  if (!pri) return false;
  out.pri = *pri;
  bool rfc5424 =
      format == Format::Rfc5424 || (format == Format::Auto && rest.size() >= 2 && rest[0] == '1' && rest[1] == ' ');
  if (rfc5424) return parse_rfc5424(rest, out);
  parse_rfc3164(rest, now_ns, out);
  return true;
}

namespace {

void add_priority(int pri, MapBuilder& b) {
  b.add("pri", Value::integer(pri));
  b.add("facility", Value::integer(pri / 8));
  b.add("facility_name", Value::string(facility_name(pri / 8)));
  b.add("severity", Value::integer(pri % 8));
  b.add("severity_name", Value::string(severity_name(pri % 8)));
}

void add_if(MapBuilder& b, std::string_view key, std::string_view value) {
  if (!value.empty()) b.add(key, Value::string(value));
}

// Adds a parameter to the element whose members start at scratch[start]:
// a repeated name (allowed by RFC 5424 §6.3.3) collects its values in an array.
void add_param(std::vector<Member>& scratch, size_t start, Arena& arena, std::string_view name, Value v) {
  for (size_t i = start; i < scratch.size(); ++i) {
    if (scratch[i].key != name) continue;
    Value& old = scratch[i].value;
    uint32_t n = old.is_array() ? old.size() : 1;
    Value* items = arena.allocate_array<Value>(n + 1);
    if (old.is_array()) {
      for (uint32_t k = 0; k < n; ++k) items[k] = old.items()[k];
    } else {
      items[0] = old;
    }
    items[n] = v;
    old = Value::array(items, n + 1);
    return;
  }
  scratch.push_back({name, v});
}

}  // namespace

Value structured_data_map(std::string_view sd, Arena& arena, std::vector<Member>& scratch) {
  MapBuilder elements(arena, scratch);
  std::string_view id;
  size_t element_start = 0;
  bool open = false;
  auto close = [&] {
    size_t n = scratch.size() - element_start;
    Member* members = arena.allocate_array<Member>(n);
    for (size_t i = 0; i < n; ++i) members[i] = scratch[element_start + i];
    scratch.resize(element_start);
    elements.set(id, Value::map(members, static_cast<uint32_t>(n)));
  };
  walk_structured_data(
      sd,
      [&](std::string_view element_id) {
        if (open) close();
        id = element_id;
        element_start = scratch.size();
        open = true;
      },
      [&](std::string_view name, std::string_view raw, bool escapes) {
        std::string_view value = raw;
        if (escapes) {
          char* p = static_cast<char*>(arena.allocate(raw.size(), 1));
          value = std::string_view(p, unescape_param(raw, p));
        }
        add_param(scratch, element_start, arena, name, Value::string(value));
      });
  if (open) close();
  return elements.finish();
}

void add_fields(const SyslogMessage& m, Arena& arena, std::vector<Member>& scratch, MapBuilder& b) {
  if (m.pri >= 0) add_priority(m.pri, b);
  add_if(b, "time", m.time);
  add_if(b, "host", m.host);
  add_if(b, "ident", m.ident);
  add_if(b, "pid", m.pid);
  add_if(b, "msgid", m.msgid);
  if (!m.structured_data.empty()) b.add("extradata", structured_data_map(m.structured_data, arena, scratch));
  if (m.has_message) b.add("message", Value::string(m.message));
}

void add_unparsed(std::string_view text, MapBuilder& b) {
  std::string_view rest;
  if (auto pri = parse_pri(text, rest)) add_priority(*pri, b);
  b.add("message", Value::string(text));
  b.add("parse_error", Value::boolean(true));
}

}  // namespace sluice::syslog
