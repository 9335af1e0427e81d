// The keys of an input that listens on a network: the address (`listen`)
// and the port, checked at load so that --dry-run catches them.
#pragma once
#include <cstdint>
#include <string>

#include "agent/config/component_config.hpp"

namespace sluice::config {

// `listen`: an IPv4 or IPv6 address.
std::string read_listen_address(const ComponentConfig& cfg);
// `port`: 1 to 65535.
uint16_t read_port(const ComponentConfig& cfg);

}  // namespace sluice::config
