// Network helpers for tests; see net.hpp.
#include "tests/support/net.hpp"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cstdlib>
#include <fstream>
#include <sstream>
#include <stdexcept>

namespace sluice::test {

bool port_open(uint16_t port) {
  int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0) return false;
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_port = htons(port);
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  bool ok = ::connect(fd, reinterpret_cast<sockaddr*>(&a), sizeof a) == 0;
  ::close(fd);
  return ok;
}

namespace {

uint16_t free_port(int type) {
  int fd = ::socket(AF_INET, type, 0);
  if (fd < 0) throw std::runtime_error("socket() failed");
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  a.sin_port = 0;
  socklen_t len = sizeof a;
  if (::bind(fd, reinterpret_cast<sockaddr*>(&a), sizeof a) != 0 ||
      ::getsockname(fd, reinterpret_cast<sockaddr*>(&a), &len) != 0) {
    ::close(fd);
    throw std::runtime_error("bind() to a free port failed");
  }
  ::close(fd);
  return ntohs(a.sin_port);
}

void run(const std::string& dir, const std::string& cmd) {
  // The subshell keeps a command's own redirection (printf > file) its own.
  std::string full = "cd '" + dir + "' && ( " + cmd + " ) >openssl.log 2>&1";
  if (std::system(full.c_str()) != 0) {
    std::ifstream log(dir + "/openssl.log");
    std::stringstream ss;
    ss << log.rdbuf();
    throw std::runtime_error("openssl failed: " + cmd + "\n" + ss.str());
  }
}

}  // namespace

uint16_t free_tcp_port() { return free_port(SOCK_STREAM); }
uint16_t free_udp_port() { return free_port(SOCK_DGRAM); }

TestPki make_test_pki(const std::string& dir) {
  const std::string subj = "-subj /CN=sluice-test-ca";
  run(dir, "openssl req -x509 -newkey rsa:2048 -nodes -days 2 " + subj +
               " -keyout ca.key -out ca.crt");
  run(dir, "openssl req -x509 -newkey rsa:2048 -nodes -days 2 -subj /CN=other-ca"
           " -keyout other-ca.key -out other-ca.crt");
  run(dir, "printf 'subjectAltName=DNS:localhost,IP:127.0.0.1\\n' > server.ext");
  run(dir, "openssl req -newkey rsa:2048 -nodes -subj /CN=localhost -keyout server.key -out server.csr");
  run(dir, "openssl x509 -req -in server.csr -CA ca.crt -CAkey ca.key -CAcreateserial -days 2"
           " -extfile server.ext -out server.crt");
  run(dir, "openssl req -newkey rsa:2048 -nodes -subj /CN=sluice-client -keyout client.key -out client.csr");
  run(dir, "openssl x509 -req -in client.csr -CA ca.crt -CAkey ca.key -CAcreateserial -days 2"
           " -out client.crt");
  TestPki p;
  p.ca_crt = dir + "/ca.crt";
  p.ca_key = dir + "/ca.key";
  p.server_crt = dir + "/server.crt";
  p.server_key = dir + "/server.key";
  p.client_crt = dir + "/client.crt";
  p.client_key = dir + "/client.key";
  p.other_ca_crt = dir + "/other-ca.crt";
  return p;
}

}  // namespace sluice::test
