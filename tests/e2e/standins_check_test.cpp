// The cloud stand-ins checked against the providers' own clients: AWS's
// @aws-sdk/client-cloudwatch-logs and aws4, Google's google-auth-library,
// gtoken and @google-cloud/logging, Microsoft's @azure/identity and
// @azure/monitor-ingestion, IBM's ibm-cloud-sdk-core, Mezmo's
// @logdna/logger and Oracle's oci-loggingingestion and oci-common are
// pointed at the stand-ins, and each must accept what the other sends
// (tests/peers/check_standins.js). The cloud outputs' end-to-end tests trust
// the stand-ins only because of this. A group that needs a newer Node than
// the machine's prints "# skipped: ..." and does not fail the run.
#include <catch2/catch.hpp>

#include "tests/support/process.hpp"

namespace SLUICE_UNITY_ID {

using namespace sluice::test;
using namespace std::chrono_literals;

TEST_CASE("cloud stand-ins: the official clients accept their answers and they accept the clients' requests",
          "[e2e][standins]") {
  Process check({"/usr/bin/env", "node", std::string(SLUICE_SOURCE_DIR) + "/tests/peers/check_standins.js"});
  auto status = check.wait(120s);
  INFO(check.out() << check.err());
  REQUIRE(status == 0);
  CHECK(check.out().find("not ok") == std::string::npos);
  CHECK(check.out().find(" 0 failed") != std::string::npos);
}

}  // namespace SLUICE_UNITY_ID
