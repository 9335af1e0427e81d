// The `syslog` input: receives syslog messages (RFC 3164, RFC 5424) over UDP, TCP, TLS or unix sockets.
#pragma once
#include <memory>

#include "agent/input.hpp"

namespace sluice {

const config::PluginSchema& syslog_input_schema();
std::unique_ptr<Input> make_syslog_input(const config::ComponentConfig& cfg, const BuildContext& ctx);

namespace syslog {
struct SyslogSettings;
}
// The syslog input's listeners and receiver run with settings another
// input made (the tcp and udp inputs: JSON or lines instead of syslog).
// TLS files that can't be used fail at cfg's key.
std::unique_ptr<Input> make_listener_input(syslog::SyslogSettings settings, const config::ComponentConfig& cfg);

}  // namespace sluice
