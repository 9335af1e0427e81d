// Values that can never work are refused at load, naming the file, line,
// key and reason (issue 13): memory budgets of 0 or below one batch, a flush
// of 0, a dead-letter file with nowhere to go, and the like.
#include <catch2/catch.hpp>

#include "agent/config/sanity.hpp"
#include "tests/support/process.hpp"

namespace SLUICE_UNITY_ID {

using namespace sluice::config;

namespace {

std::string error_of(const std::string& yaml) {
  try {
    check_sanity(load_string(yaml, "p.yaml"));
  } catch (const ConfigError& e) {
    return e.what();
  }
  return "no error";
}

// A pipeline with one es output carrying `output` (indented keys).
std::string with(const std::string& service, const std::string& output = "") {
  return "service:\n" + service + "pipeline:\n  inputs:\n    - name: stdin\n  outputs:\n    - name: es\n" + output;
}

}  // namespace

TEST_CASE("config sanity: the defaults and ordinary settings pass", "[config]") {
  CHECK(error_of(with("  flush: 1s\n")) == "no error");
  CHECK(error_of(with("  mem_limit: 32M\n", "      mem_buf_limit: 4M\n      flush: 100ms\n")) == "no error");
  CHECK(error_of(with("  mem_limit: 1M\n", "      mem_buf_limit: 512k\n      batch_max_bytes: 512k\n")) ==
        "no error");
}

TEST_CASE("config sanity: memory budgets of 0 or below one batch are refused", "[config]") {
  CHECK(error_of(with("  mem_limit: 0\n")) ==
        "p.yaml:2:3: service: key 'mem_limit': must be above 0: it is the memory for all buffered records "
        "(at 0 inputs pause for good)");
  CHECK(error_of(with("  mem_limit: 1M\n")) ==
        "p.yaml:2:3: service: key 'mem_limit': 1M is below one batch of output es (p.yaml:7:7: "
        "batch_max_bytes 4M): no batch would fill; raise mem_limit or lower that output's batch_max_bytes");
  // A small mem_buf_limit alone (Fluent Bit configs often say 1M) makes batches that small.
  CHECK(error_of(with("  flush: 1s\n", "      mem_buf_limit: 1M\n")) == "no error");
  CHECK(error_of(with("  flush: 1s\n", "      mem_buf_limit: 1M\n      batch_max_bytes: 2M\n")) ==
        "p.yaml:8:7: output es (p.yaml:7): key 'mem_buf_limit': mem_buf_limit (1M) is below one batch "
        "(batch_max_bytes 2M): no batch would fill; raise mem_buf_limit or lower batch_max_bytes");
  // Named where the user made it wrong: here batch_max_bytes, above the default mem_buf_limit.
  CHECK(error_of(with("  flush: 1s\n", "      batch_max_bytes: 16M\n")).find("p.yaml:8:7: output es (p.yaml:7): key "
                                                                         "'batch_max_bytes': mem_buf_limit (8M)") == 0);
}

TEST_CASE("config sanity: a storage.total_limit_size below one batch is refused", "[config]") {
  CHECK(error_of(with("  flush: 1s\n", "      storage.total_limit_size: 1M\n")) ==
        "p.yaml:8:7: output es (p.yaml:7): key 'storage.total_limit_size': 1M is below one batch (batch_max_bytes "
        "4M): the backlog on disk could never hold a whole batch; raise it or lower batch_max_bytes");
  CHECK(error_of(with("  flush: 1s\n", "      storage.total_limit_size: 1M\n      batch_max_bytes: 512k\n")) ==
        "no error");
  CHECK(error_of(with("  flush: 1s\n", "      storage.total_limit_size: 4M\n")) == "no error");
}

TEST_CASE("config sanity: a flush of 0 and a retry_max_duration of 0 are refused", "[config]") {
  CHECK(error_of(with("  flush: 0s\n")) ==
        "p.yaml:2:3: service: key 'flush': must be longer than 0: it is how long an output waits to fill "
        "a batch (e.g. 1s, 100ms)");
  CHECK(error_of(with("  grace: 1s\n", "      flush: 0\n")) ==
        "p.yaml:8:7: output es (p.yaml:7): key 'flush': must be longer than 0: it is how long the output waits to "
        "fill a batch (e.g. 1s, 100ms)");
  CHECK(error_of(with("  grace: 1s\n", "      retry_max_duration: 0s\n")) ==
        "p.yaml:8:7: output es (p.yaml:7): key 'retry_max_duration': must be longer than 0 (to give up at the first "
        "failure: retry_limit: no_retries)");
  CHECK(error_of(with("  health.max_paused: 0s\n")).find("key 'health.max_paused': must be longer than 0") !=
        std::string::npos);
}

TEST_CASE("config sanity: a status port out of range and a dead-letter file with nowhere to go", "[config]") {
  sluice::test::TempDir dir;
  CHECK(error_of(with("  http_port: 70000\n")) ==
        "p.yaml:2:3: service: key 'http_port': expected a port between 1 and 65535, got 70000");
  CHECK(error_of(with("  dead_letter_file: " + dir.file("dl.jsonl") + "\n")) == "no error");
  CHECK(error_of(with("  dead_letter_file: " + dir.file("missing/dl.jsonl") + "\n")) ==
        "p.yaml:2:3: service: key 'dead_letter_file': directory '" + dir.file("missing") +
            "' does not exist: records that fail for good (a rejected record, retries run out) would have nowhere "
            "to go");
  CHECK(error_of(with("  grace: 1s\n", "      retry_limit: no_retries\n      dead_letter_file: " +
                                           dir.file("nope/dl.jsonl") + "\n"))
            .find("p.yaml:9:7: output es (p.yaml:7): key 'dead_letter_file': directory") == 0);
}

}  // namespace SLUICE_UNITY_ID
