// Runs an io_context until a condition holds, for tests of components that
// live on one (clients, signers, credential providers).
#pragma once
#include <chrono>
#include <functional>

#include "agent/asio.hpp"

namespace sluice::test {

// Runs io until cond holds or timeout passes; returns cond().
inline bool run_until(boost::asio::io_context& io, const std::function<bool()>& cond,
                      std::chrono::milliseconds timeout = std::chrono::seconds(30)) {
  auto deadline = std::chrono::steady_clock::now() + timeout;
  io.restart();
  while (!cond() && std::chrono::steady_clock::now() < deadline) io.run_one_for(std::chrono::milliseconds(50));
  return cond();
}

}  // namespace sluice::test
