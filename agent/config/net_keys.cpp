// Network input keys; see net_keys.hpp.
#include "agent/config/net_keys.hpp"

#include "agent/asio.hpp"

namespace sluice::config {

std::string read_listen_address(const ComponentConfig& cfg) {
  std::string listen = cfg.get_string("listen");
  boost::system::error_code ec;
  boost::asio::ip::make_address(listen, ec);
  if (ec) cfg.fail("listen", "expected an IP address such as 0.0.0.0, 127.0.0.1 or ::, got '" + listen + "'");
  return listen;
}

uint16_t read_port(const ComponentConfig& cfg) {
  int64_t port = cfg.get_int("port");
  if (port < 1 || port > 65535) cfg.fail("port", "expected a port between 1 and 65535, got " + std::to_string(port));
  return static_cast<uint16_t>(port);
}

}  // namespace sluice::config
