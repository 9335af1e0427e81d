// The RFC 5424 parser; see syslog_rfc5424.hpp.
#include "inputs/syslog/syslog_rfc5424.hpp"

#include "agent/parse/time_format.hpp"

namespace sluice::syslog {

namespace {

// RFC 5424 §6: header fields are PRINTUSASCII (%d33-126) separated by one SP.
bool printable(char c) { return c > 32 && c < 127; }

// Reads one header field up to the next SP (which must follow); "-" is
// NILVALUE and yields an empty view. False on an empty, over-long or
// non-printable field.
bool header_field(std::string_view& s, size_t max_len, std::string_view& out) {
  size_t n = 0;
  while (n < s.size() && s[n] != ' ') {
    if (!printable(s[n])) return false;
    ++n;
  }
  if (n == 0 || n > max_len || n == s.size()) return false;
  out = s.substr(0, n);
  if (out == "-") out = {};
  s.remove_prefix(n + 1);
  return true;
}

// SD-NAME (§6.3): 1*32 PRINTUSASCII except '=', SP, ']', '"'.
size_t sd_name(std::string_view s, size_t i) {
  size_t start = i;
  while (i < s.size() && i - start < 33) {
    char c = s[i];
    if (!printable(c) || c == '=' || c == ']' || c == '"') break;
    ++i;
  }
  size_t n = i - start;
  return (n == 0 || n > 32) ? std::string_view::npos : n;
}

// One SD-ELEMENT at s[i] ('['); returns the index after its ']' or npos.
size_t sd_element(std::string_view s, size_t i) {
  size_t n = sd_name(s, ++i);
  if (n == std::string_view::npos) return n;
  i += n;
  while (i < s.size() && s[i] == ' ') {
    n = sd_name(s, ++i);
    if (n == std::string_view::npos) return n;
    i += n;
    if (i + 1 >= s.size() || s[i] != '=' || s[i + 1] != '"') return std::string_view::npos;
    i += 2;
    // PARAM-VALUE: UTF-8 where '"', '\' and ']' are escaped; a backslash
    // protects the byte after it, so \" never ends the value.
    while (i < s.size() && s[i] != '"') i += (s[i] == '\\') ? 2 : 1;
    if (i >= s.size()) return std::string_view::npos;
    ++i;
  }
  if (i >= s.size() || s[i] != ']') return std::string_view::npos;
  return i + 1;
}

}  // namespace

size_t scan_structured_data(std::string_view s) {
  size_t i = 0;
  while (i < s.size() && s[i] == '[') {
    i = sd_element(s, i);
    if (i == std::string_view::npos) return i;
  }
  return i == 0 ? std::string_view::npos : i;
}

size_t unescape_param(std::string_view raw, char* out) {
  size_t n = 0;
  for (size_t i = 0; i < raw.size(); ++i) {
    char c = raw[i];
    if (c == '\\' && i + 1 < raw.size()) {
      char next = raw[i + 1];
      if (next == '"' || next == '\\' || next == ']') {
        out[n++] = next;
        ++i;
        continue;
      }
    }
    out[n++] = c;
  }
  return n;
}

bool parse_rfc5424(std::string_view s, SyslogMessage& out) {
  // VERSION = NONZERO-DIGIT 0*2DIGIT; only version 1 exists.
  if (s.size() < 2 || s[0] != '1' || s[1] != ' ') return false;
  s.remove_prefix(2);
  std::string_view stamp;
  if (!header_field(s, 64, stamp)) return false;
  if (!stamp.empty()) {
    out.time_ns = timefmt::parse_rfc3339(stamp);
    if (!out.time_ns) return false;
    out.time = stamp;
  }
  // Maximum lengths of §6: HOSTNAME 255, APP-NAME 48, PROCID 128, MSGID 32.
  if (!header_field(s, 255, out.host) || !header_field(s, 48, out.ident) || !header_field(s, 128, out.pid))
    return false;
  // MSGID is the last header field: STRUCTURED-DATA follows its SP.
  size_t n = 0;
  while (n < s.size() && s[n] != ' ') {
    if (!printable(s[n])) return false;
    ++n;
  }
  if (n == 0 || n > 32 || n == s.size()) return false;
  out.msgid = s.substr(0, n) == "-" ? std::string_view() : s.substr(0, n);
  s.remove_prefix(n + 1);
  if (!s.empty() && s[0] == '-') {
    s.remove_prefix(1);
  } else {
    size_t len = scan_structured_data(s);
    if (len == std::string_view::npos) return false;
    out.structured_data = s.substr(0, len);
    s.remove_prefix(len);
  }
  if (s.empty()) return true;
  if (s[0] != ' ') return false;
  s.remove_prefix(1);
  // §6.4: a message starting with the UTF-8 BOM is UTF-8; the BOM isn't text.
  if (s.size() >= 3 && s.substr(0, 3) == "\xEF\xBB\xBF") s.remove_prefix(3);
  out.message = s;
  out.has_message = true;
  return true;
}

}  // namespace sluice::syslog
