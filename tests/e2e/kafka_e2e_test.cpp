// End to end with the real binary: tail → parser → kafka, to librdkafka's
// mock cluster (real Kafka protocol on 127.0.0.1, hosted by this test
// process) while brokers go down and come back and leaders move; what was
// stored is read back by kcat, an independent client.
#include <catch2/catch.hpp>

#include "tests/e2e/e2e_support.hpp"
#include "tests/e2e/status_http.hpp"
#include "tests/support/kafka_mock.hpp"
#include "tests/support/net.hpp"

namespace SLUICE_UNITY_ID {

using namespace sluice;
using namespace sluice::test;
using namespace std::chrono_literals;

namespace {

std::string kafka_keys(const KafkaMockCluster& cluster, const std::string& more = "") {
  return "      brokers: " + cluster.bootstraps() + "\n      topics: logs\n" + more;
}

// Reads the topic back until it holds `want` messages (60 s at most).
std::vector<std::string> read_back(const KafkaMockCluster& cluster, size_t want) {
  std::vector<std::string> got;
  wait_until([&] {
    got = kcat_messages(cluster.bootstraps(), "logs");
    return got.size() >= want;
  }, 60s);
  return got;
}

}  // namespace

TEST_CASE("kafka: every record stored once while a broker goes down and back and a leader moves",
          "[e2e][kafka]") {
  KafkaMockCluster cluster(3);
  cluster.create_topic("logs", 3, 3);
  TempDir dir;
  write_app_log(dir, 1000);
  auto sluice = start_sluice_with(dir, tail_to_output_yaml(dir, "kafka", kafka_keys(cluster)));
  REQUIRE(read_back(cluster, 1000).size() >= 1000);

  cluster.broker_down(1);
  for (int p = 0; p < 3; ++p) cluster.set_leader("logs", p, 2);  // the leaders move off the broken broker
  for (int i = 1000; i < 2000; ++i) append_file(dir.file("app.log"), json_log_line(i));
  REQUIRE(read_back(cluster, 2000).size() >= 2000);

  cluster.broker_up(1);
  cluster.broker_down(2);
  for (int p = 0; p < 3; ++p) cluster.set_leader("logs", p, p == 0 ? 1 : 3);
  for (int i = 2000; i < 3000; ++i) append_file(dir.file("app.log"), json_log_line(i));
  auto messages = read_back(cluster, 3000);
  cluster.broker_up(2);
  stop_sluice(*sluice);
  // Idempotent producing: librdkafka's resends during the outage stored nothing twice.
  CHECK(seq_counts(kcat_messages(cluster.bootstraps(), "logs")) == once_each(0, 3000));
  CHECK(read_file(dir.file("dead.jsonl")).empty());
}

TEST_CASE("kafka: records for a topic that doesn't exist go to the dead-letter file with the reason",
          "[e2e][kafka]") {
  KafkaMockCluster cluster(1);
  cluster.topic_error("missing", RD_KAFKA_RESP_ERR_UNKNOWN_TOPIC_OR_PART);
  TempDir dir;
  write_app_log(dir, 5);
  auto sluice = start_sluice_with(
      dir, tail_to_output_yaml(dir, "kafka",
                               "      brokers: " + cluster.bootstraps() +
                                   "\n      topics: missing\n      rdkafka.topic.metadata.propagation.max.ms: 500\n"));
  REQUIRE(wait_until([&] { return read_lines(dir.file("dead.jsonl")).size() >= 5; }, 30s));
  stop_sluice(*sluice);
  auto dead = read_lines(dir.file("dead.jsonl"));
  CHECK(seq_counts(dead) == once_each(0, 5));
  CHECK_THAT(dead.front(), Catch::Contains("\"output\":\"kafka.0\""));
  CHECK_THAT(dead.front(), Catch::Contains("UNKNOWN_TOPIC"));
}

TEST_CASE("kafka: SIGTERM delivers what is queued within grace, then exits 0", "[e2e][kafka]") {
  KafkaMockCluster cluster(3);
  cluster.create_topic("logs", 3, 3);
  TempDir dir;
  write_app_log(dir, 500);
  uint16_t port = free_tcp_port();
  std::string yaml = tail_to_output_yaml(dir, "kafka", kafka_keys(cluster, "      flush: 1h\n"));
  // The status server, to see the records taken in; an hour's flush holds them in the output.
  yaml.replace(yaml.find("  log_level: info\n"), 17,
               "  log_level: info\n  http_server: on\n  http_port: " + std::to_string(port) + "\n");
  auto sluice = start_sluice_with(dir, yaml);
  REQUIRE(wait_until([&] {
    auto values = parse_prometheus(http_get(port, "/api/v1/metrics").body);
    return values["sluice_output_records_total{output=\"kafka.0\"}"] >= 500;
  }, 30s));
  CHECK(kcat_messages(cluster.bootstraps(), "logs").empty());
  auto start = std::chrono::steady_clock::now();
  stop_sluice(*sluice);
  CHECK(std::chrono::steady_clock::now() - start < 10s);  // grace is 10s
  CHECK(seq_counts(kcat_messages(cluster.bootstraps(), "logs")) == once_each(0, 500));
}

}  // namespace SLUICE_UNITY_ID
