// Test harness of the http input: the input started in-process on a fake
// InputContext (its io_context run by the test thread), and a blocking raw
// HTTP/1.1 client that runs on a thread of its own, so tests control every
// byte on the wire.
#pragma once
#include <catch2/catch.hpp>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <future>
#include <map>
#include <string>
#include <vector>

#include "agent/asio.hpp"
#include "agent/config/yaml_loader.hpp"
#include "agent/json_writer.hpp"
#include "inputs/http/http_input.hpp"
#include "tests/support/input_context.hpp"
#include "tests/support/net.hpp"

namespace sluice::test {

class HttpFakeContext : public FakeInputContext {
 public:
  HttpFakeContext() : FakeInputContext("http.0") {}
};

struct HttpReply {
  int status = 0;                              // 0: the connection closed first
  std::map<std::string, std::string> headers;  // names lower-cased; repeated ones joined with ", "
  std::string body;
  std::string header(const std::string& name) const {
    auto it = headers.find(name);
    return it == headers.end() ? "" : it->second;
  }
};

// Blocking client over one connection (POSIX sockets, every read bounded by
// a 10 s receive timeout); not for the io_context's thread.
class RawClient {
 public:
  explicit RawClient(uint16_t port) : fd_(::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0)) {
    REQUIRE(fd_ >= 0);
    timeval tv{10, 0};
    ::setsockopt(fd_, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_port = htons(port);
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    REQUIRE(::connect(fd_, reinterpret_cast<sockaddr*>(&addr), sizeof addr) == 0);
  }
  ~RawClient() { ::close(fd_); }
  RawClient(const RawClient&) = delete;
  RawClient& operator=(const RawClient&) = delete;

  // False if the server closed or reset the connection before taking it all.
  bool send(std::string_view bytes) {
    while (!bytes.empty()) {
      ssize_t n = ::send(fd_, bytes.data(), bytes.size(), MSG_NOSIGNAL);
      if (n <= 0) return false;
      bytes.remove_prefix(static_cast<size_t>(n));
    }
    return true;
  }
  HttpReply request(std::string_view bytes) {
    send(bytes);
    return read_reply();
  }
  // One response (status 0 if the server closed the connection instead).
  HttpReply read_reply() {
    HttpReply r;
    size_t end;
    while ((end = buf_.find("\r\n\r\n")) == std::string::npos)
      if (fill() <= 0) return r;
    std::string head = buf_.substr(0, end);
    buf_.erase(0, end + 4);
    r.status = std::stoi(head.substr(9, 3));
    size_t pos = head.find("\r\n");
    while (pos != std::string::npos) {
      size_t next = head.find("\r\n", pos + 2);
      std::string line = head.substr(pos + 2, next == std::string::npos ? std::string::npos : next - pos - 2);
      size_t colon = line.find(':');
      std::string name = line.substr(0, colon);
      for (char& c : name) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
      std::string value = line.substr(colon + 2);
      auto& slot = r.headers[name];
      slot = slot.empty() ? value : slot + ", " + value;
      pos = next;
    }
    if (r.status == 100 || r.status == 204) return r;
    size_t length = r.headers.count("content-length") ? std::stoul(r.headers["content-length"]) : 0;
    while (buf_.size() < length)
      if (fill() <= 0) break;
    r.body = buf_.substr(0, length);
    buf_.erase(0, length);
    return r;
  }
  // True if the server sent something (or closed) within timeout; nothing is consumed.
  bool answered_within(std::chrono::milliseconds timeout) {
    if (!buf_.empty()) return true;
    pollfd p{fd_, POLLIN, 0};
    return ::poll(&p, 1, static_cast<int>(timeout.count())) > 0;
  }
  // True if the server ends the connection (EOF or reset) before the receive timeout.
  bool closed_by_server() {
    for (;;) {
      ssize_t n = fill();
      if (n == 0 || (n < 0 && errno == ECONNRESET)) return true;
      if (n < 0) return false;
    }
  }

 private:
  ssize_t fill() {
    char tmp[16384];
    ssize_t n = ::recv(fd_, tmp, sizeof tmp, 0);
    if (n > 0) buf_.append(tmp, static_cast<size_t>(n));
    return n;
  }
  int fd_;
  std::string buf_;
};

// A POST request's bytes.
inline std::string post(std::string_view target, std::string_view body,
                        std::string_view headers = "Content-Type: application/json\r\n") {
  return "POST " + std::string(target) + " HTTP/1.1\r\nHost: localhost\r\nContent-Length: " +
         std::to_string(body.size()) + "\r\n" + std::string(headers) + "\r\n" + std::string(body);
}

// The http input on a free port with extra YAML keys, started on a fake context.
class HttpHarness {
 public:
  explicit HttpHarness(const std::string& keys = "") : port(free_tcp_port()) {
    auto cfg = config::load_component(http_input_schema(), "input",
                                      "listen: 127.0.0.1\nport: " + std::to_string(port) + "\n" + keys);
    input = make_http_input(cfg, BuildContext{});
    input->start(ctx);
  }
  ~HttpHarness() {
    input->stop();
    run_for(std::chrono::milliseconds(20));
  }

  // Runs fn (a client) on its own thread while this thread serves it.
  template <class Fn>
  auto with_client(Fn fn) -> decltype(fn()) {
    auto result = std::async(std::launch::async, std::move(fn));
    auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(20);
    while (result.wait_for(std::chrono::seconds(0)) != std::future_status::ready &&
           std::chrono::steady_clock::now() < deadline)
      run_for(std::chrono::milliseconds(5));
    REQUIRE(result.wait_for(std::chrono::seconds(0)) == std::future_status::ready);
    return result.get();
  }

  // One request on a fresh connection.
  HttpReply request(const std::string& bytes) {
    return with_client([this, bytes] { return RawClient(port).request(bytes); });
  }

  void run_for(std::chrono::milliseconds d) {
    ctx.io().restart();
    ctx.io().run_for(d);
  }

  HttpFakeContext ctx;
  uint16_t port;
  std::unique_ptr<Input> input;
};

}  // namespace sluice::test
