// Network helpers for tests: free loopback ports and a throwaway TLS CA.
#pragma once
#include <cstdint>
#include <string>

namespace sluice::test {

// A port on 127.0.0.1 that was free a moment ago (bound to 0, then released).
uint16_t free_tcp_port();
uint16_t free_udp_port();
// True once something accepts TCP connections on 127.0.0.1:port.
bool port_open(uint16_t port);

// Files of a test PKI made with the openssl CLI in a directory: a CA, a server
// certificate for "localhost" and 127.0.0.1 signed by it, a client
// certificate signed by it, and a second, unrelated CA (the "wrong CA").
struct TestPki {
  std::string ca_crt, ca_key;
  std::string server_crt, server_key;
  std::string client_crt, client_key;
  std::string other_ca_crt;
};
// Throws std::runtime_error with openssl's output if a step fails.
TestPki make_test_pki(const std::string& dir);

}  // namespace sluice::test
