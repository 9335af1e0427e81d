// Syslog message parsing: the priority (facility and severity, numbers and
// names), RFC 5424 / RFC 3164 detection per message, and the record fields
// they become (Fluent Bit's syslog parser names plus facility/severity).
#pragma once
#include <cstdint>
#include <optional>
#include <string_view>
#include <vector>

#include "agent/record.hpp"

namespace sluice::syslog {

enum class Format : uint8_t { Auto, Rfc5424, Rfc3164 };

// The pieces of one message, as views into its text. Empty views are absent
// fields (RFC 5424's NILVALUE "-" reads as absent too).
struct SyslogMessage {
  int pri = -1;                    // 0..191; -1 when there is none
  std::string_view time;           // the timestamp as it came
  std::optional<int64_t> time_ns;  // the timestamp read, when there was one
  std::string_view host;
  std::string_view ident;  // RFC 5424 APP-NAME, RFC 3164 TAG
  std::string_view pid;    // RFC 5424 PROCID, RFC 3164 [pid]
  std::string_view msgid;
  std::string_view structured_data;  // RFC 5424 SD elements, validated, still escaped
  std::string_view message;
  bool has_message = false;
};

// Reads "<PRI>" at the start of text: returns the priority (0..191) and sets
// rest to what follows, or nullopt.
std::optional<int> parse_pri(std::string_view text, std::string_view& rest);

// RFC 5424 §6.2.1 severity keywords and the usual facility keywords (as
// syslog.conf and rsyslog name them); nullptr when out of range.
const char* severity_name(int severity);
const char* facility_name(int facility);

// Drops what senders put after a message: LF, CR, NUL (Python's SysLogHandler
// ends each message with a NUL; rsyslog's forward templates with a LF).
std::string_view trim_trailer(std::string_view text);

// Parses one message (no framing, no trailer) in format; Auto takes RFC 5424
// when the version "1 " follows the priority, else RFC 3164. now_ns is the
// receive time (RFC 3164 stamps have no year). False when text is not a valid
// message in that format. Never throws; any bytes are safe.
bool parse_message(std::string_view text, Format format, int64_t now_ns, SyslogMessage& out);

// Adds out's fields to b in Fluent Bit's order and names: pri, facility,
// facility_name, severity, severity_name, time, host, ident, pid, msgid,
// extradata (a map SD-ID → {param: value}), message. Strings view the
// message's text, which must live in arena.
void add_fields(const SyslogMessage& m, Arena& arena, std::vector<Member>& scratch, MapBuilder& b);

// Adds the fields of a message that didn't parse: message (the raw text),
// parse_error: true, and pri/facility/severity when the priority was readable.
void add_unparsed(std::string_view text, MapBuilder& b);

// Structured data (validated by the RFC 5424 parser) as a nested map,
// with \" \\ \] unescaped; a parameter repeated in one element becomes an
// array of its values, in order.
Value structured_data_map(std::string_view sd, Arena& arena, std::vector<Member>& scratch);

}  // namespace sluice::syslog
