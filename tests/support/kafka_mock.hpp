// A Kafka protocol peer for the kafka output's tests: librdkafka's mock
// cluster (rdkafka_mock.h) in the test process, brokers on real TCP ports of
// 127.0.0.1, with error injection, brokers going down and up and leaders
// moving; and kcat, an independent client, to read back what was produced.
#pragma once
#include <catch2/catch.hpp>

#include <librdkafka/rdkafka.h>
#include <librdkafka/rdkafka_mock.h>

#include <chrono>
#include <string>
#include <vector>

#include "tests/support/process.hpp"

namespace sluice::test {

class KafkaMockCluster {
 public:
  explicit KafkaMockCluster(int brokers = 3) {
    char err[512];
    rd_kafka_conf_t* conf = rd_kafka_conf_new();
    // The cluster's own handle never connects anywhere; it only hosts the brokers' thread.
    rd_kafka_conf_set_log_cb(conf, [](const rd_kafka_t*, int, const char*, const char*) {});
    rk_ = rd_kafka_new(RD_KAFKA_PRODUCER, conf, err, sizeof err);
    REQUIRE(rk_ != nullptr);
    mc_ = rd_kafka_mock_cluster_new(rk_, brokers);
    REQUIRE(mc_ != nullptr);
  }
  ~KafkaMockCluster() {
    rd_kafka_mock_cluster_destroy(mc_);
    rd_kafka_destroy(rk_);
  }
  KafkaMockCluster(const KafkaMockCluster&) = delete;
  KafkaMockCluster& operator=(const KafkaMockCluster&) = delete;

  std::string bootstraps() const { return rd_kafka_mock_cluster_bootstraps(mc_); }
  void create_topic(const std::string& topic, int partitions = 3, int replication = 3) {
    REQUIRE(rd_kafka_mock_topic_create(mc_, topic.c_str(), partitions, replication) == RD_KAFKA_RESP_ERR_NO_ERROR);
  }
  // The next `count` Produce requests (to any broker) fail with err.
  void fail_produce(int count, rd_kafka_resp_err_t err) {
    std::vector<rd_kafka_resp_err_t> errs(static_cast<size_t>(count), err);
    rd_kafka_mock_push_request_errors_array(mc_, 0 /* Produce */, errs.size(), errs.data());
  }
  // The mock cluster creates every topic asked for; this one answers
  // metadata requests with err instead (UNKNOWN_TOPIC_OR_PART: a topic
  // that doesn't exist and won't be created).
  void topic_error(const std::string& topic, rd_kafka_resp_err_t err) {
    rd_kafka_mock_topic_set_error(mc_, topic.c_str(), err);
  }
  void broker_down(int id) { rd_kafka_mock_broker_set_down(mc_, id); }
  void broker_up(int id) { rd_kafka_mock_broker_set_up(mc_, id); }
  // Every answer of the broker comes rtt_ms late (the request itself is
  // served at once: what it produced is stored before the answer leaves).
  void set_rtt(int id, int rtt_ms) { rd_kafka_mock_broker_set_rtt(mc_, id, rtt_ms); }
  void set_leader(const std::string& topic, int partition, int broker) {
    rd_kafka_mock_partition_set_leader(mc_, topic.c_str(), partition, broker);
  }

 private:
  rd_kafka_t* rk_ = nullptr;
  rd_kafka_mock_cluster_t* mc_ = nullptr;
};

// Every message of topic from the beginning, read by kcat (one line each:
// "partition key value"; the key is NULL when there is none).
inline std::vector<std::string> kcat_messages(const std::string& bootstraps, const std::string& topic) {
  Process kcat({"/usr/bin/kcat", "-C", "-b", bootstraps, "-t", topic, "-o", "beginning", "-e", "-q", "-Z", "-f",
                "%p %k %s\\n"});
  auto status = kcat.wait(std::chrono::seconds(30));
  INFO(kcat.err());
  REQUIRE(status == 0);
  std::vector<std::string> lines;
  std::string out = kcat.out();
  size_t start = 0;
  while (start < out.size()) {
    size_t nl = out.find('\n', start);
    if (nl == std::string::npos) nl = out.size();
    if (nl > start) lines.push_back(out.substr(start, nl - start));
    start = nl + 1;
  }
  return lines;
}

}  // namespace sluice::test
