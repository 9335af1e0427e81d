// The RFC 3164 (BSD syslog) parser, with the variants real senders produce.
#pragma once
#include <cstdint>
#include <optional>
#include <string_view>

#include "inputs/syslog/syslog_parse.hpp"

namespace sluice::syslog {

// Parses what follows "<PRI>" into out. Always succeeds: RFC 3164 §4.3.3
// makes everything after the priority the message when no header is there.
// Understood forms:
//   "Mmm dd hh:mm:ss HOST TAG[PID]: MSG"  (the RFC; dd may be space-padded)
//   "Mmm dd hh:mm:ss TAG[PID]: MSG"       (no HOST: local senders, logger -u)
//   "2026-11-21T10:00:00.123+01:00 HOST TAG: MSG" (RFC 3339 stamp: rsyslog's
//                                          RSYSLOG_ForwardFormat)
//   "MSG"                                 (no header: Python's SysLogHandler)
// and what network devices send: spaces after the priority ("<167> Mar  7
// ..."), a fraction, a year ("Mar 7 2008 19:06:53", Cisco ASA), a ':' after
// the stamp, Cisco IOS's '*' for an unsynchronised clock, "%ASA-4-102030:" as
// the tag, "Feb 08".
// The TAG ends at '[' or ':'; "TAG:" / "TAG[PID]:" (or "TAG[PID]" before a
// space) is a tag, anything else starts the message.
void parse_rfc3164(std::string_view after_pri, int64_t now_ns, SyslogMessage& out);

// The time of a "Mmm dd hh:mm:ss" stamp, read as local time: in the year of
// now_ns, or the year before when that would be more than a day ahead of
// now_ns (a December message read in January).
int64_t bsd_stamp_time(int month, int day, int hour, int minute, int second, int64_t now_ns);

}  // namespace sluice::syslog
