// What the filesystem buffer's end-to-end tests share: sluice with one
// filesystem input into the Elasticsearch stand-in (es_standin.hpp: a
// stand-in written from the _bulk API's specification, not Elasticsearch),
// restarted at will; and clients that know what was acknowledged to them:
// an HTTP client (2xx) and a syslog TCP client (read by sluice).
#pragma once
#include <catch2/catch.hpp>

#include <arpa/inet.h>
#include <fcntl.h>
#include <linux/sockios.h>
#include <netinet/in.h>
#include <signal.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <memory>
#include <optional>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "tests/e2e/e2e_support.hpp"
#include "tests/e2e/es_standin.hpp"
#include "tests/support/net.hpp"
#include "tests/support/process.hpp"

namespace sluice::test {

using namespace std::chrono_literals;

inline int connect_local(uint16_t port, std::chrono::milliseconds timeout = 5000ms) {
  int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  timeval tv{static_cast<time_t>(timeout.count() / 1000), static_cast<suseconds_t>((timeout.count() % 1000) * 1000)};
  ::setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
  ::setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof tv);
  int one = 1;
  ::setsockopt(fd, IPPROTO_TCP, 1 /* TCP_NODELAY */, &one, sizeof one);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_port = htons(port);
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  if (::connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0) {
    ::close(fd);
    return -1;
  }
  return fd;
}

inline bool send_all(int fd, const std::string& data) {
  size_t done = 0;
  while (done < data.size()) {
    ssize_t n = ::send(fd, data.data() + done, data.size() - done, MSG_NOSIGNAL);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return false;
    done += static_cast<size_t>(n);
  }
  return true;
}

// One POST on a fresh connection; the status code, or 0 when there was no
// answer (refused, reset, timed out: not acknowledged).
inline int http_post(uint16_t port, const std::string& path, const std::string& body,
                     const std::string& type = "application/x-ndjson") {
  int fd = connect_local(port);
  if (fd < 0) return 0;
  std::string req = "POST " + path + " HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: " + type +
                    "\r\nContent-Length: " + std::to_string(body.size()) + "\r\nConnection: close\r\n\r\n" + body;
  int status = 0;
  if (send_all(fd, req)) {
    char buf[256];
    std::string got;
    while (got.find("\r\n") == std::string::npos) {
      ssize_t n = ::recv(fd, buf, sizeof buf, 0);
      if (n <= 0) break;
      got.append(buf, static_cast<size_t>(n));
    }
    if (got.rfind("HTTP/1.1 ", 0) == 0 && got.size() >= 12) status = std::atoi(got.substr(9, 3).c_str());
  }
  ::close(fd);
  return status;
}

// Bytes the kernel holds for the socket between local_port and remote_port
// that its owner has not read yet (/proc/net/tcp's rx_queue); nullopt when
// there is no such socket.
inline std::optional<uint64_t> unread_bytes(uint16_t local_port, uint16_t remote_port) {
  std::ifstream f("/proc/net/tcp");
  std::string line;
  std::getline(f, line);
  while (std::getline(f, line)) {
    std::istringstream in(line);
    std::string sl, local, remote, state, queues;
    in >> sl >> local >> remote >> state >> queues;
    auto port_of = [](const std::string& a) { return static_cast<uint16_t>(std::stoul(a.substr(a.find(':') + 1), nullptr, 16)); };
    if (port_of(local) != local_port || port_of(remote) != remote_port) continue;
    return std::stoull(queues.substr(queues.find(':') + 1), nullptr, 16);
  }
  return std::nullopt;
}

inline uint16_t local_port_of(int fd) {
  sockaddr_in a{};
  socklen_t n = sizeof a;
  ::getsockname(fd, reinterpret_cast<sockaddr*>(&a), &n);
  return ntohs(a.sin_port);
}

// A syslog-over-TCP sender that knows what sluice has taken: a batch counts
// as acknowledged once TCP has delivered it (SIOCOUTQ 0), sluice has read it
// from its socket (its receive queue is empty) and a moment has passed for
// the read records to be written to the buffer (the same turn of sluice's
// loop). Bytes still in the kernel's queues when sluice is killed are lost
// with the socket, as with any TCP receiver: they are never counted as acknowledged.
class SyslogSender {
 public:
  explicit SyslogSender(uint16_t port) : port_(port) {}
  ~SyslogSender() { close(); }
  void close() {
    if (fd_ >= 0) ::close(fd_);
    fd_ = -1;
  }
  // Sends lines (newline-framed); true once all are acknowledged as above.
  bool send_batch(const std::string& lines) {
    if (fd_ < 0) fd_ = connect_local(port_);
    if (fd_ < 0) return false;
    if (!send_all(fd_, lines)) return close(), false;
    uint16_t me = local_port_of(fd_);
    auto deadline = std::chrono::steady_clock::now() + 5s;
    while (std::chrono::steady_clock::now() < deadline) {
      int outq = 0;
      if (::ioctl(fd_, SIOCOUTQ, &outq) != 0) return close(), false;
      auto unread = unread_bytes(port_, me);
      if (!unread) return close(), false;  // sluice's end is gone
      if (outq == 0 && *unread == 0) {
        std::this_thread::sleep_for(30ms);
        // Still connected: a killed sluice resets the connection.
        char c;
        ssize_t n = ::recv(fd_, &c, 1, MSG_DONTWAIT | MSG_PEEK);
        if (n == 0 || (n < 0 && errno != EAGAIN && errno != EWOULDBLOCK)) return close(), false;
        return unread_bytes(port_, me).has_value();
      }
      std::this_thread::sleep_for(2ms);
    }
    close();
    return false;
  }

 private:
  uint16_t port_;
  int fd_ = -1;
};

// sluice with one input (its YAML lines under `- name: ...`), storage in
// dir/buf, into the stand-in; restartable, kill -9-able.
class BufferedSluice {
 public:
  BufferedSluice(const TempDir& dir, const EsStandIn& es, const std::string& input, const std::string& service_extra = "",
                 const std::string& output_extra = "")
      : dir_(dir) {
    write_file(dir.file("sluice.yaml"),
               "service:\n  flush: 100ms\n  grace: 5s\n  log_level: info\n  http_server: on\n  http_port: " +
                   std::to_string(status_port) + "\n  storage.path: " + dir.file("buf") + "\n" + service_extra +
                   "pipeline:\n  inputs:\n" + input +
                   "  outputs:\n    - name: es\n      match: '*'\n      host: 127.0.0.1\n      port: " +
                   std::to_string(es.port()) + "\n      retry_base: 100ms\n      retry_cap: 500ms\n" +
                   "      dead_letter_file: " + dir.file("dead.jsonl") + "\n" + output_extra);
  }
  void start(std::vector<std::string> prefix = {}) {
    std::vector<std::string> argv = std::move(prefix);
    argv.insert(argv.end(), {SLUICE_BINARY, "-c", dir_.file("sluice.yaml")});
    if (process) logs += process->err();
    process = std::make_unique<Process>(argv);
  }
  void kill9() {
    process->signal(SIGKILL);
    process->wait(10s);
  }
  void stop() {
    process->signal(SIGTERM);
    auto status = process->wait(30s);
    INFO(all_logs());
    CHECK(status == 0);
  }
  std::string all_logs() const { return logs + (process ? process->err() : ""); }
  std::string health() const {
    Process curl({"/usr/bin/curl", "-s", "http://127.0.0.1:" + std::to_string(status_port) + "/api/v1/health"});
    curl.wait(10s);
    return curl.out();
  }

  uint16_t status_port = free_tcp_port();
  std::unique_ptr<Process> process;
  std::string logs;  // of earlier runs

 private:
  const TempDir& dir_;
};

// sluice's resident memory (VmRSS), in kB.
inline uint64_t rss_kb(pid_t pid) {
  std::ifstream f("/proc/" + std::to_string(pid) + "/status");
  std::string line;
  while (std::getline(f, line))
    if (line.rfind("VmRSS:", 0) == 0) return std::stoull(line.substr(6));
  return 0;
}

// The bytes of the files under dir (the buffer's segments).
inline uint64_t dir_bytes(const std::string& dir) {
  uint64_t n = 0;
  std::error_code ec;
  for (const auto& e : std::filesystem::recursive_directory_iterator(dir, ec))
    if (e.is_regular_file(ec)) n += e.file_size(ec);
  return n;
}

inline bool port_listening(uint16_t port) {
  int fd = connect_local(port, 500ms);
  if (fd < 0) return false;
  ::close(fd);
  return true;
}

}  // namespace sluice::test
