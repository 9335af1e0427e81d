// The `syslog` input: receives syslog messages (RFC 3164, RFC 5424) over UDP, TCP, TLS or unix sockets.
#pragma once
#include <memory>

#include "agent/input.hpp"

namespace sluice {

const config::PluginSchema& syslog_input_schema();
std::unique_ptr<Input> make_syslog_input(const config::ComponentConfig& cfg, const BuildContext& ctx);

}  // namespace sluice
