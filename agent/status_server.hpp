// The built-in HTTP server (service.http_server): /api/v1/health,
// /api/v1/metrics (Prometheus text) and /api/v1/uptime. Deliberately tiny
// (plain Asio, one request per connection) to keep Beast out of the core.
#pragma once
#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>

#include "agent/metrics.hpp"

namespace boost::asio { class io_context; }

namespace sluice {

// Runs on the main io_context.
class StatusServer {
 public:
  // health returns the JSON body of /api/v1/health. Throws config::ConfigError
  // if the address can't be bound.
  StatusServer(boost::asio::io_context& io, const std::string& address, uint16_t port, const Metrics& metrics,
               std::function<std::string()> health);
  ~StatusServer();
  void start();
  void stop();
  uint16_t port() const;

 private:
  struct Impl;
  std::shared_ptr<Impl> impl_;
};

}  // namespace sluice
