// End to end with the real binary: a per-plugin log_level reaches the
// handlers a component runs by itself, outside the core's calls: the http
// input's request handling, the syslog input's socket reads, a Lua filter's
// timer. Each kind runs twice, once quiet (log_level: error) and once with
// the service's level; only the loud one's warning may appear.
#include <catch2/catch.hpp>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <signal.h>
#include <sys/socket.h>
#include <unistd.h>

#include <string>
#include <thread>

#include "tests/support/net.hpp"
#include "tests/support/process.hpp"

namespace SLUICE_UNITY_ID {

using namespace sluice::test;
using namespace std::chrono_literals;

namespace {

void send_datagram(uint16_t port, const std::string& text) {
  int fd = ::socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_port = htons(port);
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  ::sendto(fd, text.data(), text.size(), 0, reinterpret_cast<sockaddr*>(&addr), sizeof addr);
  ::close(fd);
}

std::string http_input(const std::string& alias, uint16_t port, const std::string& level) {
  return "    - name: http\n      alias: " + alias + "\n      listen: 127.0.0.1\n      port: " + std::to_string(port) +
         "\n      bearer_token: right\n" + level;
}

std::string syslog_input(const std::string& alias, uint16_t port, const std::string& level) {
  return "    - name: syslog\n      alias: " + alias + "\n      mode: udp\n      listen: 127.0.0.1\n      port: " +
         std::to_string(port) + "\n" + level;
}

std::string lua_filter(const std::string& alias, const std::string& script, const std::string& level) {
  return "    - name: lua\n      alias: " + alias + "\n      match: nothing\n      script: " + script +
         "\n      call: pass\n      timer_call: tick\n      timer_interval: 100ms\n" + level;
}

}  // namespace

TEST_CASE("log_level e2e: a quiet component's own handlers stay quiet, a loud one's speak", "[e2e][log_level]") {
  TempDir dir;
  const std::string quiet = "      log_level: error\n";
  for (const char* who : {"quiet", "loud"}) {
    write_file(dir.file(std::string(who) + ".lua"),
               "function pass(tag, ts, record) return 0, ts, record end\n"
               "function tick(now) error('" + std::string(who) + "-timer-failed') end\n");
  }
  uint16_t http_quiet = free_tcp_port(), http_loud = free_tcp_port();
  uint16_t syslog_quiet = free_udp_port(), syslog_loud = free_udp_port();
  write_file(dir.file("p.yaml"),
             "service:\n  flush: 50ms\n  log_level: info\npipeline:\n  inputs:\n" +
                 http_input("http-quiet", http_quiet, quiet) + http_input("http-loud", http_loud, "") +
                 syslog_input("syslog-quiet", syslog_quiet, quiet) + syslog_input("syslog-loud", syslog_loud, "") +
                 "  filters:\n" + lua_filter("lua-quiet", dir.file("quiet.lua"), quiet) +
                 lua_filter("lua-loud", dir.file("loud.lua"), "") +
                 "  outputs:\n    - name: null\n      match: '*'\n");
  Process p({SLUICE_BINARY, "-c", dir.file("p.yaml")});
  REQUIRE(wait_until([&] { return p.err().find(" started: ") != std::string::npos || !p.running(); }, 10s));
  INFO(p.err());

  for (uint16_t port : {http_quiet, http_loud}) {
    Process curl({"/usr/bin/curl", "-sS", "-o", "/dev/null", "-w", "%{http_code}", "-H", "Authorization: Bearer wrong",
                  "-H", "Content-Type: application/json", "-d", "{}",
                  "http://127.0.0.1:" + std::to_string(port) + "/app"});
    CHECK(curl.wait(30s) == 0);
    CHECK(curl.out() == "401");
  }
  send_datagram(syslog_quiet, "quiet: no priority here");
  send_datagram(syslog_loud, "loud: no priority here");

  // The loud ones' warnings arrive; by then the quiet ones' would have too.
  REQUIRE(wait_until(
      [&] {
        std::string log = p.err();
        return log.find("input http-loud: refused a request") != std::string::npos &&
               log.find("input syslog-loud: a message from") != std::string::npos &&
               log.find("loud-timer-failed") != std::string::npos;
      },
      10s));
  // Both Lua timers have run several times (100 ms): the quiet one failed too.
  std::this_thread::sleep_for(300ms);
  p.signal(SIGTERM);
  CHECK(p.wait(15s) == 0);
  std::string log = p.err();
  CHECK(log.find("input http-quiet: refused") == std::string::npos);
  CHECK(log.find("input syslog-quiet: a message") == std::string::npos);
  CHECK(log.find("quiet-timer-failed") == std::string::npos);
}

}  // namespace SLUICE_UNITY_ID
