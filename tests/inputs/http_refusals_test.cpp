// The http input's refusal log: the first refusal of each status is logged
// at once with the client's address and the reason; a burst is one line,
// then one per interval saying how many were not logged.
#include <catch2/catch.hpp>

#include "inputs/http/http_refusals.hpp"

namespace SLUICE_UNITY_ID {

using namespace sluice;
using namespace std::chrono_literals;

TEST_CASE("http refusal log: first at once, bursts held back and counted, per status", "[http_input]") {
  RefusalLog log(10s);
  auto t0 = RefusalLog::Clock::time_point{} + 1h;
  CHECK(log.refused("http.0", "127.0.0.1:5000", 401, "wrong credentials", t0) ==
        "input http.0: refused a request from 127.0.0.1:5000: 401 wrong credentials");
  int logged = 0;
  for (int i = 0; i < 1000; ++i) logged += log.refused("http.0", "127.0.0.1:5001", 401, "wrong credentials", t0 + 1ms * i).has_value();
  CHECK(logged == 0);
  // Another status is its own: a malformed body still shows up at once.
  CHECK(log.refused("http.0", "10.0.0.2:4000", 400, "invalid JSON at byte 3", t0 + 2s) ==
        "input http.0: refused a request from 10.0.0.2:4000: 400 invalid JSON at byte 3");
  CHECK(log.refused("http.0", "127.0.0.1:5002", 401, "authentication required", t0 + 10s) ==
        "input http.0: refused a request from 127.0.0.1:5002: 401 authentication required (1000 more 401 refusals "
        "not logged since the last such message)");
  CHECK_FALSE(log.refused("http.0", "127.0.0.1:5003", 401, "wrong credentials", t0 + 11s));
  CHECK(log.refused("http.0", "", 413, "body larger than max_body_size (1024 bytes)", t0 + 11s) ==
        "input http.0: refused a request from a client: 413 body larger than max_body_size (1024 bytes)");
}

}  // namespace SLUICE_UNITY_ID
