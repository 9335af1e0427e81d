// tinyproxy (Debian's tinyproxy) as a real forward proxy for tests of HTTP
// outputs: CONNECT tunnels, absolute-form requests, proxy basic auth.
// Header-only, beside http_test_peers.hpp, so that any output's test can use it.
#pragma once
#include <chrono>
#include <filesystem>
#include <memory>
#include <stdexcept>
#include <string>
#include <vector>

#include "tests/support/net.hpp"
#include "tests/support/process.hpp"

namespace sluice::test {

// tinyproxy in the foreground (-d) as the current user, listening on a free
// 127.0.0.1 port, with its config, log and pid file in a temp dir; killed
// when this goes. basic_auth "user pass" makes it answer 407 to requests
// without those credentials (the BasicAuth of tinyproxy 1.11, Debian 12's,
// takes only letters, digits and "-._" in each).
class TinyproxyPeer {
 public:
  explicit TinyproxyPeer(const std::string& basic_auth = "") {
    if (!std::filesystem::exists(kBinary))
      throw std::runtime_error(std::string(kBinary) + " is missing (scripts/install-deps.sh installs tinyproxy)");
    // Another program may take the free port before tinyproxy binds it: then
    // tinyproxy exits and we try a fresh port, a bounded number of times.
    std::string why;
    for (int attempt = 0; attempt < 3; ++attempt) {
      port_ = free_tcp_port();
      if (start(basic_auth, why)) return;
    }
    throw std::runtime_error("tinyproxy did not start: " + why);
  }
  uint16_t port() const { return port_; }
  // "http://[user:password@]127.0.0.1:port", as an output's proxy key takes it.
  std::string url(const std::string& userinfo = "") const {
    return "http://" + (userinfo.empty() ? "" : userinfo + "@") + "127.0.0.1:" + std::to_string(port_);
  }
  std::string log() const { return read_file(dir_.file("tinyproxy.log")); }
  // The request lines tinyproxy logged, in order ("CONNECT localhost:443
  // HTTP/1.1", "POST http://127.0.0.1:8080/x HTTP/1.1"); tinyproxy logs one
  // when it has read the request head, before it asks for credentials.
  std::vector<std::string> requests() const {
    static const std::string kMarker = "]: Request (file descriptor ";
    std::vector<std::string> out;
    for (const auto& line : read_lines(dir_.file("tinyproxy.log"))) {
      size_t at = line.find(kMarker);
      if (at == std::string::npos) continue;
      size_t colon = line.find("): ", at);
      if (colon != std::string::npos) out.push_back(line.substr(colon + 3));
    }
    return out;
  }
  // Waits (bounded) until tinyproxy logged n request lines; returns them.
  std::vector<std::string> wait_requests(size_t n) const {
    std::vector<std::string> got;
    wait_until([&] { return (got = requests()).size() >= n; }, std::chrono::seconds(10));
    return got;
  }

 private:
  static constexpr const char* kBinary = "/usr/bin/tinyproxy";

  bool start(const std::string& basic_auth, std::string& why) {
    proc_.reset();
    const std::string log_file = dir_.file("tinyproxy.log");
    write_file(log_file, "");
    // No User/Group: tinyproxy stays the user that runs the tests (as root it
    // only warns). No ConnectPort: CONNECT may go to any port, as the test
    // origins listen on free ports. ViaProxyName makes the Via header an
    // origin receives predictable.
    std::string conf = "Port " + std::to_string(port_) +
                       "\nListen 127.0.0.1\nTimeout 30\nMaxClients 50\nAllow 127.0.0.1\n"
                       "LogLevel Info\nLogFile \"" + log_file + "\"\nPidFile \"" + dir_.file("tinyproxy.pid") +
                       "\"\nViaProxyName \"sluice-test-proxy\"\n";
    if (!basic_auth.empty()) conf += "BasicAuth " + basic_auth + "\n";
    write_file(dir_.file("tinyproxy.conf"), conf);
    proc_ = std::make_unique<Process>(std::vector<std::string>{kBinary, "-d", "-c", dir_.file("tinyproxy.conf")});
    // tinyproxy logs this line (at LogLevel Info) once its socket listens.
    bool up = wait_until(
        [&] { return log().find("Starting main loop") != std::string::npos || !proc_->running(); },
        std::chrono::seconds(20));
    if (up && proc_->running()) return true;
    why = proc_->err() + log();
    proc_.reset();
    return false;
  }

  TempDir dir_;
  uint16_t port_ = 0;
  std::unique_ptr<Process> proc_;
};

}  // namespace sluice::test
