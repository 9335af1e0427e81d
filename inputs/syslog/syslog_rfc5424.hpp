// The RFC 5424 parser: header fields, structured data, BOM'd message.
#pragma once
#include <cstddef>
#include <string_view>

#include "inputs/syslog/syslog_parse.hpp"

namespace sluice::syslog {

// Parses what follows "<PRI>" (from VERSION on) into out. False when it isn't
// RFC 5424 §6: version 1, a valid RFC 3339 timestamp or "-", four header
// fields of printable ASCII, structured data or "-", then SP MSG or nothing.
bool parse_rfc5424(std::string_view after_pri, SyslogMessage& out);

// Length of the well-formed SD-ELEMENTs at the start of s (RFC 5424 §6.3),
// or npos when s doesn't start with one.
size_t scan_structured_data(std::string_view s);

// Calls on_element(id) once per SD-ELEMENT of a scanned sd, then
// on_param(name, raw_value, has_escapes) per parameter, in order.
template <class OnElement, class OnParam>
void walk_structured_data(std::string_view sd, OnElement&& on_element, OnParam&& on_param);

// Unescapes an SD-PARAM value (\" \\ \] → " \ ]; any other backslash stays)
// into out, which has room for raw.size() bytes; returns the length.
size_t unescape_param(std::string_view raw, char* out);

// --- implementation of the template ---

template <class OnElement, class OnParam>
void walk_structured_data(std::string_view sd, OnElement&& on_element, OnParam&& on_param) {
  size_t i = 0;
  while (i < sd.size() && sd[i] == '[') {
    size_t id_start = ++i;
    while (i < sd.size() && sd[i] != ' ' && sd[i] != ']') ++i;
    on_element(sd.substr(id_start, i - id_start));
    while (i < sd.size() && sd[i] == ' ') {
      size_t name_start = ++i;
      while (i < sd.size() && sd[i] != '=') ++i;
      std::string_view name = sd.substr(name_start, i - name_start);
      i += 2;  // '=' '"'
      size_t value_start = i;
      bool escapes = false;
      while (i < sd.size() && sd[i] != '"') {
        if (sd[i] == '\\' && i + 1 < sd.size()) {
          escapes = true;
          ++i;
        }
        ++i;
      }
      on_param(name, sd.substr(value_start, i - value_start), escapes);
      ++i;  // closing '"'
    }
    ++i;  // ']'
  }
}

}  // namespace sluice::syslog
