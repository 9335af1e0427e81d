// Test harness for the syslog input: a hand-made InputContext capturing
// chunks, and plain POSIX clients (TCP, UDP, unix sockets) to talk to it.
#pragma once
#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <cstring>
#include <functional>
#include <stdexcept>
#include <string>
#include <vector>

#include "agent/asio.hpp"
#include "agent/config/yaml_loader.hpp"
#include "agent/input.hpp"
#include "agent/json_writer.hpp"
#include "agent/parse/parser.hpp"
#include "inputs/syslog/syslog_input.hpp"
#include "tests/support/input_context.hpp"

namespace sluice::syslog_test {

// The core's side of an input, in memory.
class TestContext final : public test::FakeInputContext {
 public:
  TestContext() : FakeInputContext("syslog.0") {}
};

inline const ParserSet& test_parsers() {
  static const ParserSet set = ParserSet::build({});
  return set;
}

inline std::unique_ptr<Input> make_syslog(const std::string& yaml, const std::string& base_dir = "/") {
  BuildContext build{&test_parsers(), base_dir};
  return make_syslog_input(config::load_component(syslog_input_schema(), "input", yaml), build);
}

// The ConfigError text a configuration produces, or "no error".
inline std::string config_error(const std::string& yaml) {
  try {
    make_syslog(yaml);
  } catch (const config::ConfigError& e) {
    return e.what();
  }
  return "no error";
}

// A socket file descriptor, closed on destruction.
class Fd {
 public:
  explicit Fd(int fd = -1) : fd_(fd) {}
  ~Fd() { reset(); }
  Fd(Fd&& o) noexcept : fd_(o.fd_) { o.fd_ = -1; }
  Fd& operator=(Fd&& o) noexcept {
    if (this != &o) {
      reset();
      fd_ = o.fd_;
      o.fd_ = -1;
    }
    return *this;
  }
  int get() const { return fd_; }
  void reset() {
    if (fd_ >= 0) ::close(fd_);
    fd_ = -1;
  }
  // Half-closes the sending side (the peer reads EOF).
  void shutdown_write() const { ::shutdown(fd_, SHUT_WR); }

 private:
  int fd_;
};

inline sockaddr_in loopback(uint16_t port) {
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_port = htons(port);
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  return a;
}

inline sockaddr_un unix_address(const std::string& path) {
  sockaddr_un a{};
  a.sun_family = AF_UNIX;
  std::strncpy(a.sun_path, path.c_str(), sizeof a.sun_path - 1);
  return a;
}

// Connects to 127.0.0.1:port (the listener is bound already: connect
// completes in the kernel's backlog, no need to run the io_context).
inline Fd tcp_connect(uint16_t port) {
  Fd fd(::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0));
  auto a = loopback(port);
  if (::connect(fd.get(), reinterpret_cast<sockaddr*>(&a), sizeof a) != 0)
    throw std::runtime_error(std::string("connect: ") + std::strerror(errno));
  return fd;
}

inline Fd unix_connect(const std::string& path) {
  Fd fd(::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0));
  auto a = unix_address(path);
  if (::connect(fd.get(), reinterpret_cast<sockaddr*>(&a), sizeof a) != 0)
    throw std::runtime_error(std::string("connect: ") + std::strerror(errno));
  return fd;
}

inline void send_all(const Fd& fd, const std::string& data) {
  size_t done = 0;
  while (done < data.size()) {
    ssize_t n = ::send(fd.get(), data.data() + done, data.size() - done, MSG_NOSIGNAL);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) throw std::runtime_error(std::string("send: ") + std::strerror(errno));
    done += static_cast<size_t>(n);
  }
}

// One datagram to 127.0.0.1:port from a fresh socket; returns the sender's port.
inline uint16_t udp_send(uint16_t port, const std::string& data) {
  Fd fd(::socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0));
  auto a = loopback(port);
  if (::sendto(fd.get(), data.data(), data.size(), 0, reinterpret_cast<sockaddr*>(&a), sizeof a) !=
      static_cast<ssize_t>(data.size()))
    throw std::runtime_error(std::string("sendto: ") + std::strerror(errno));
  sockaddr_in local{};
  socklen_t len = sizeof local;
  ::getsockname(fd.get(), reinterpret_cast<sockaddr*>(&local), &len);
  return ntohs(local.sin_port);
}

inline void unix_dgram_send(const std::string& path, const std::string& data) {
  Fd fd(::socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0));
  auto a = unix_address(path);
  if (::sendto(fd.get(), data.data(), data.size(), 0, reinterpret_cast<sockaddr*>(&a), sizeof a) !=
      static_cast<ssize_t>(data.size()))
    throw std::runtime_error(std::string("sendto: ") + std::strerror(errno));
}

// RFC 6587 octet counting: "LEN SP MSG".
inline std::string counted(const std::string& msg) { return std::to_string(msg.size()) + " " + msg; }

}  // namespace sluice::syslog_test
