// The `tcp` and `udp` inputs (Fluent Bit's in_tcp and in_udp): JSON objects
// or lines of text over a TCP connection (optionally TLS) or in UDP
// datagrams. They run on the syslog input's listeners and receiver, with
// another payload.
#pragma once
#include <memory>

#include "agent/input.hpp"

namespace sluice {

const config::PluginSchema& tcp_input_schema();
const config::PluginSchema& udp_input_schema();
std::unique_ptr<Input> make_tcp_input(const config::ComponentConfig& cfg, const BuildContext& ctx);
std::unique_ptr<Input> make_udp_input(const config::ComponentConfig& cfg, const BuildContext& ctx);

}  // namespace sluice
