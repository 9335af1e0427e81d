// End to end: `sluice --health-check URL` (a container's HEALTHCHECK) against
// a running sluice's status server: exit 0 on a 2xx answer, 1 with a
// one-line reason on stderr for any other answer, no server, or a URL it
// can't check. Any path works: the check knows no endpoint names.
#include <catch2/catch.hpp>

#include <signal.h>

#include <algorithm>
#include <optional>
#include <string>

#include "tests/support/net.hpp"
#include "tests/support/process.hpp"

namespace SLUICE_UNITY_ID {

using namespace sluice::test;
using namespace std::chrono_literals;

namespace {

struct Checked {
  std::optional<int> status;
  std::string out, err;
};

Checked health_check(const std::string& url) {
  Process p({SLUICE_BINARY, "--health-check", url});
  Checked c;
  c.status = p.wait(20s);
  c.out = p.out();
  c.err = p.err();
  return c;
}

}  // namespace

TEST_CASE("sluice --health-check: 0 while the status server answers 2xx, 1 with the reason otherwise", "[e2e][health_check]") {
  TempDir dir;
  write_file(dir.file("app.log"), "");
  uint16_t port = free_tcp_port();
  std::string base = "http://127.0.0.1:" + std::to_string(port);
  write_file(dir.file("p.yaml"), "service:\n  log_level: warn\n  http_server: on\n  http_listen: 127.0.0.1\n"
                                 "  http_port: " + std::to_string(port) +
                                     "\npipeline:\n  inputs:\n    - name: tail\n      tag: app\n      path: " +
                                     dir.file("app.log") + "\n  outputs:\n    - name: null\n      match: '*'\n");
  Process sluice({SLUICE_BINARY, "-c", dir.file("p.yaml")});

  Checked ok;
  REQUIRE(wait_until([&] {
    ok = health_check(base + "/api/v1/health");
    return ok.status == 0 || !sluice.running();
  }, 30s));
  INFO(sluice.err());
  REQUIRE(ok.status == 0);
  CHECK(ok.out == "sluice: health check: HTTP 200 OK from " + base + "/api/v1/health\n");
  CHECK(ok.err.empty());

  Checked missing = health_check(base + "/api/v1/no-such-path");
  CHECK(missing.status == 1);
  CHECK(missing.err.rfind("sluice: health check: HTTP 404 Not Found from " + base + "/api/v1/no-such-path: ", 0) == 0);
  CHECK(std::count(missing.err.begin(), missing.err.end(), '\n') == 1);

  Checked https = health_check("https://127.0.0.1:" + std::to_string(port) + "/api/v1/health");
  CHECK(https.status == 1);
  CHECK(https.err.find("https is not supported") != std::string::npos);

  sluice.signal(SIGTERM);
  REQUIRE(sluice.wait(30s) == 0);
  Checked gone = health_check(base + "/api/v1/health");
  CHECK(gone.status == 1);
  CHECK(gone.err.rfind("sluice: health check: can't connect to 127.0.0.1:" + std::to_string(port) + ": ", 0) == 0);
}

}  // namespace SLUICE_UNITY_ID
