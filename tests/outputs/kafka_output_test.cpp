// The kafka output against librdkafka's mock cluster (real Kafka protocol on
// TCP ports of 127.0.0.1): what each delivery report means for the core
// (delivered, retried, dead-lettered), error storms, a full queue, the
// memory charge, statistics and logs. kcat reads back what was stored.
#include <catch2/catch.hpp>

#include <map>
#include <regex>

#include "agent/config/yaml_loader.hpp"
#include "agent/parse/json_format.hpp"
#include "outputs/kafka/kafka_output.hpp"
#include "tests/support/kafka_mock.hpp"
#include "tests/support/log_capture.hpp"
#include "tests/support/output_context.hpp"

namespace SLUICE_UNITY_ID {

using namespace sluice;
using namespace sluice::test;
using namespace std::chrono_literals;

namespace {

// One chunk of n records {"seq":from..from+n-1,"user":"u<seq%3>"}.
Batch records(int from, int n) {
  auto chunk = std::make_shared<Chunk>("app");
  auto json = make_json_format();
  for (int i = from; i < from + n; ++i) {
    Value v;
    REQUIRE(json->parse(R"({"seq":)" + std::to_string(i) + R"(,"user":"u)" + std::to_string(i % 3) + "\"}",
                        chunk->arena, v));
    chunk->events.push_back(Event{1700000000000000000 + i * 1'000'000LL, v});
  }
  Batch batch;
  batch.parts.push_back({chunk, {}});
  return batch;
}

// seq → how often it is among the messages kcat read.
std::map<int, int> seqs(const std::vector<std::string>& messages) {
  static const std::regex re(R"("seq":(\d+))");
  std::map<int, int> counts;
  for (const auto& m : messages) {
    std::smatch match;
    if (std::regex_search(m, match, re)) ++counts[std::stoi(match[1])];
  }
  return counts;
}

std::map<int, int> once_each(int from, int to) {
  std::map<int, int> m;
  for (int i = from; i < to; ++i) m[i] = 1;
  return m;
}

// A started kafka output on a fresh 3-broker mock cluster with topic "logs"
// (its topic unless keys name others).
struct Harness {
  explicit Harness(const std::string& keys = "") {
    cluster.create_topic("logs");
    out = make_kafka_output(config::load_component(kafka_output_schema(), "output",
                                                   "brokers: " + cluster.bootstraps() + "\n" +
                                                       (keys.find("topics:") == std::string::npos ? "topics: logs\n" : "") +
                                                       keys),
                            BuildContext{});
    out->start(ctx);
  }
  ~Harness() {
    out->stop();
    ctx.io().restart();
    ctx.io().poll();
  }
  // Runs the output's io_context until cond holds (timeout at most).
  bool run_until(const std::function<bool()>& cond, std::chrono::milliseconds timeout) {
    auto deadline = std::chrono::steady_clock::now() + timeout;
    ctx.io().restart();
    while (!cond() && std::chrono::steady_clock::now() < deadline) ctx.io().run_one_for(50ms);
    return cond();
  }

  KafkaMockCluster cluster;
  FakeOutputContext ctx{"kafka.0"};
  std::unique_ptr<Output> out;
};

}  // namespace

TEST_CASE("kafka output: every record is one message, acknowledged by its delivery report", "[kafka][kafka_output]") {
  Harness h("message_key_field: user\n");
  FlushResult r = flush_and_wait(*h.out, h.ctx, records(0, 500));
  CHECK(r.outcome == Outcome::Delivered);
  CHECK(h.ctx.charged() == 0);  // librdkafka's copy of the batch is released with the answer
  auto messages = kcat_messages(h.cluster.bootstraps(), "logs");
  CHECK(seqs(messages) == once_each(0, 500));
  // The key is the record's user field; the value the record with its time first.
  REQUIRE_FALSE(messages.empty());
  CHECK_THAT(messages.front(), Catch::Matches(R"(\d+ u\d \{"@timestamp":1700000000\.\d{6},"seq":\d+,"user":"u\d"\})"));
}

TEST_CASE("kafka output: NOT_ENOUGH_REPLICAS and REQUEST_TIMED_OUT storms are retried, each record stored once",
          "[kafka][kafka_output]") {
  Harness h("rdkafka.retry.backoff.ms: 20\n");
  h.cluster.fail_produce(30, RD_KAFKA_RESP_ERR_NOT_ENOUGH_REPLICAS);
  CHECK(flush_and_wait(*h.out, h.ctx, records(0, 200)).outcome == Outcome::Delivered);
  h.cluster.fail_produce(30, RD_KAFKA_RESP_ERR_REQUEST_TIMED_OUT);
  CHECK(flush_and_wait(*h.out, h.ctx, records(200, 200)).outcome == Outcome::Delivered);
  CHECK(seqs(kcat_messages(h.cluster.bootstraps(), "logs")) == once_each(0, 400));
}

TEST_CASE("kafka output: a topic that doesn't exist is a permanent failure with librdkafka's reason",
          "[kafka][kafka_output]") {
  Harness h("topics: missing\nrdkafka.topic.metadata.propagation.max.ms: 200\n");
  h.cluster.topic_error("missing", RD_KAFKA_RESP_ERR_UNKNOWN_TOPIC_OR_PART);
  FlushResult r = flush_and_wait(*h.out, h.ctx, records(0, 5));
  CHECK(r.outcome == Outcome::Permanent);
  CHECK_THAT(r.reason, Catch::Contains("UNKNOWN_TOPIC"));
}

TEST_CASE("kafka output: a record format raw can't send is dead-lettered, the others delivered",
          "[kafka][kafka_output]") {
  Harness h("format: raw\nraw_log_key: user\n");
  Batch batch = records(0, 2);
  auto chunk = std::make_shared<Chunk>("app");
  Value v;
  REQUIRE(make_json_format()->parse(R"({"seq":9})", chunk->arena, v));
  chunk->events.push_back(Event{0, v});
  batch.parts.push_back({chunk, {}});
  FlushResult r = flush_and_wait(*h.out, h.ctx, batch);
  REQUIRE(r.per_record.size() == 3);
  CHECK(r.per_record[0].outcome == Outcome::Delivered);
  CHECK(r.per_record[1].outcome == Outcome::Delivered);
  CHECK(r.per_record[2].outcome == Outcome::Permanent);
  CHECK(r.per_record[2].reason == "the record has no 'user' field (raw_log_key) to send as the message");
}

TEST_CASE("kafka output: brokers down past message.timeout.ms is a retry for the core, then delivered",
          "[kafka][kafka_output]") {
  // Reconnects stay quick: librdkafka's backoff grows while the brokers are
  // down (to 10 s by default), and on a loaded machine the first flush after
  // they come back could then time out again before it reconnects.
  Harness h("rdkafka.message.timeout.ms: 1500\nrdkafka.reconnect.backoff.max.ms: 100\n");
  for (int b = 1; b <= 3; ++b) h.cluster.broker_down(b);
  std::optional<FlushResult> result;
  h.out->flush(records(0, 50), [&](FlushResult r) { result = std::move(r); });
  // While librdkafka holds the messages they count in the output's memory.
  CHECK(h.ctx.charged() > 50 * 40);
  REQUIRE(h.run_until([&] { return result.has_value(); }, 20s));
  CHECK(result->outcome == Outcome::Retry);
  CHECK_THAT(result->reason, Catch::Contains("_MSG_TIMED_OUT"));
  CHECK(h.ctx.charged() == 0);
  for (int b = 1; b <= 3; ++b) h.cluster.broker_up(b);
  CHECK(flush_and_wait(*h.out, h.ctx, records(0, 50)).outcome == Outcome::Delivered);
  CHECK(seqs(kcat_messages(h.cluster.bootstraps(), "logs")) == once_each(0, 50));
}

TEST_CASE("kafka output: a full librdkafka queue waits for deliveries, no record lost", "[kafka][kafka_output]") {
  SECTION("brokers up: the batch goes out as reports free room") {
    Harness h("rdkafka.queue.buffering.max.messages: 10\n");
    CHECK(flush_and_wait(*h.out, h.ctx, records(0, 300)).outcome == Outcome::Delivered);
    CHECK(h.ctx.counter("sluice_output_kafka_queue_full_total") > 0);
    CHECK(seqs(kcat_messages(h.cluster.bootstraps(), "logs")) == once_each(0, 300));
  }
  SECTION("brokers down: after queue_full_retries waits the rest goes back to the core") {
    Harness h("rdkafka.queue.buffering.max.messages: 10\nqueue_full_retries: 1\nrdkafka.message.timeout.ms: 4000\n");
    for (int b = 1; b <= 3; ++b) h.cluster.broker_down(b);
    FlushResult r = flush_and_wait(*h.out, h.ctx, records(0, 30));
    CHECK(r.outcome == Outcome::Retry);
    REQUIRE(r.per_record.size() == 30);
    CHECK_THAT(r.per_record[0].reason, Catch::Contains("_MSG_TIMED_OUT"));
    CHECK_THAT(r.per_record[29].reason, Catch::Contains("queue stayed full"));
    CHECK(h.ctx.charged() == 0);
  }
}

TEST_CASE("kafka output: statistics become metrics, librdkafka's logs sluice's", "[kafka][kafka_output]") {
  LogCapture log(spdlog::level::debug);
  {
    Harness h("rdkafka.statistics.interval.ms: 100\n");
    CHECK(flush_and_wait(*h.out, h.ctx, records(0, 10)).outcome == Outcome::Delivered);
    REQUIRE(h.run_until(
        [&] { return h.ctx.metrics().prometheus_text().find("sluice_output_kafka_broker_rtt_seconds{broker=\"kafka.0:") !=
                     std::string::npos; },
        10s));
    std::string text = h.ctx.metrics().prometheus_text();
    // Seconds, as Prometheus wants: the mock cluster on loopback answers well within one.
    static const std::regex rtt(R"(sluice_output_kafka_broker_rtt_seconds\{broker="kafka\.0:[^"]+"\} (0|0\.\d+)\n)");
    CHECK(std::regex_search(text, rtt));
    CHECK_THAT(text, Catch::Contains("sluice_output_kafka_queue_messages{output=\"kafka.0\"}"));
    CHECK_THAT(text, Catch::Contains("sluice_output_kafka_broker_errors_total{broker=\"kafka.0:"));
    // A broker going away is something librdkafka logs.
    h.cluster.broker_down(1);
    h.cluster.broker_down(2);
    h.cluster.broker_down(3);
    h.run_until([&] { return log.count("output kafka.0: librdkafka") > 0; }, 10s);
  }
  CHECK(log.count("output kafka.0: librdkafka") > 0);
}

namespace {

// Records {"seq":i,"t":"<topics[i]>"}.
Batch topic_records(const std::vector<std::string>& topics) {
  auto chunk = std::make_shared<Chunk>("app");
  auto json = make_json_format();
  for (size_t i = 0; i < topics.size(); ++i) {
    Value v;
    REQUIRE(json->parse(R"({"seq":)" + std::to_string(i) + R"(,"t":")" + topics[i] + "\"}", chunk->arena, v));
    chunk->events.push_back(Event{1700000000000000000 + static_cast<int64_t>(i), v});
  }
  Batch batch;
  batch.parts.push_back({chunk, {}});
  return batch;
}

}  // namespace

TEST_CASE("kafka output: dynamic_topic uses at most dynamic_topic_limit topics, then the first topic",
          "[kafka][kafka_output]") {
  LogCapture log(spdlog::level::warn);
  Harness h("topic_key: t\ndynamic_topic: on\ndynamic_topic_limit: 2\n");
  CHECK(flush_and_wait(*h.out, h.ctx, topic_records({"dyn-a", "dyn-b", "dyn-c", "dyn-a", "logs", "dyn-d"})).outcome ==
        Outcome::Delivered);
  // dyn-a and dyn-b take the two places; dyn-c and dyn-d go to "logs", as does the record that named it.
  CHECK(seqs(kcat_messages(h.cluster.bootstraps(), "dyn-a")) == std::map<int, int>{{0, 1}, {3, 1}});
  CHECK(seqs(kcat_messages(h.cluster.bootstraps(), "dyn-b")) == std::map<int, int>{{1, 1}});
  CHECK(seqs(kcat_messages(h.cluster.bootstraps(), "logs")) == std::map<int, int>{{2, 1}, {4, 1}, {5, 1}});
  CHECK(h.ctx.counter("sluice_output_kafka_topic_fallbacks_total") == 2);
  CHECK(log.count("topic 'dyn-c' would be one more than dynamic_topic_limit (2 in use); the record goes to 'logs'") ==
        1);
  // A topic in use stays usable.
  CHECK(flush_and_wait(*h.out, h.ctx, topic_records({"dyn-b"})).outcome == Outcome::Delivered);
  CHECK(h.ctx.counter("sluice_output_kafka_topic_fallbacks_total") == 2);
}

TEST_CASE("kafka output: an answer lost past the request timeout is resent by librdkafka, stored once",
          "[kafka][kafka_output]") {
  // The brokers store each Produce request at once but answer 2.5 s late,
  // past request.timeout.ms: librdkafka can't know the first try was
  // stored. With sluice's message.timeout.ms (0, no limit) it resends under
  // the same sequence numbers and the brokers keep one copy; with a
  // message.timeout.ms the messages would time out and the core's resend
  // would be stored again.
  Harness h("rdkafka.request.timeout.ms: 1000\nrdkafka.retry.backoff.ms: 100\n");
  REQUIRE(flush_and_wait(*h.out, h.ctx, records(0, 10)).outcome == Outcome::Delivered);  // metadata and producer id
  for (int b = 1; b <= 3; ++b) h.cluster.set_rtt(b, 2500);
  std::optional<FlushResult> result;
  h.out->flush(records(10, 50), [&](FlushResult r) { result = std::move(r); });
  h.run_until([&] { return result.has_value(); }, 4s);
  for (int b = 1; b <= 3; ++b) h.cluster.set_rtt(b, 0);
  REQUIRE(h.run_until([&] { return result.has_value(); }, 60s));
  CHECK(result->outcome == Outcome::Delivered);
  CHECK(seqs(kcat_messages(h.cluster.bootstraps(), "logs")) == once_each(0, 60));
}

}  // namespace SLUICE_UNITY_ID
