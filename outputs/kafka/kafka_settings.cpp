// The `kafka` output's keys and their validation; see kafka_settings.hpp.
#include "outputs/kafka/kafka_settings.hpp"

#include <algorithm>

#include "agent/config/compat_keys.hpp"

namespace sluice::kafka {

namespace {

using config::KeyType;

constexpr std::string_view kPrefix = "rdkafka.";

// The properties a user may set (rdkafka.<name>) that sluice sets itself
// unless told otherwise. Idempotence makes librdkafka's own resends (and the
// order within a partition) safe: a message sent twice is stored once.
// message.timeout.ms 0 (no limit, librdkafka's default is 5 minutes): a
// message librdkafka gives up on may have been stored all the same, and the
// core's resend of it is a new message to the broker, a duplicate that
// idempotence can't catch; so librdkafka keeps resending it itself, under
// the same producer id and sequence number, until the brokers store it or
// refuse it for good. Meanwhile the output's buffer fills and the inputs
// pause, as with any backend that is down.
Properties defaults(const config::ComponentConfig& cfg) {
  Properties p = {
      {"client.id", "sluice"},
      {"enable.idempotence", "true"},
      {"acks", "all"},
      {"message.timeout.ms", "0"},
  };
  // librdkafka's queue defaults to 1 GB: bound it by the output's buffer,
  // whose memory budget it is charged to.
  uint64_t kbytes = std::max<uint64_t>(1, cfg.get_size("mem_buf_limit") / 1024);
  p.emplace_back("queue.buffering.max.kbytes", std::to_string(std::min<uint64_t>(kbytes, 2097151)));
  std::string brokers = cfg.get_string("brokers");
  if (!brokers.empty()) p.emplace_back("bootstrap.servers", brokers);
  return p;
}

void read_user_properties(const config::ComponentConfig& cfg, Settings& s) {
  for (const auto& [key, setting] : cfg.settings()) {
    if (!key.starts_with(kPrefix)) continue;
    std::string name = key.substr(kPrefix.size());
    const std::string& value = setting.values.empty() ? std::string() : setting.values.front();
    for (const char* own : {"dr_cb", "dr_msg_cb", "error_cb", "log_cb", "stats_cb", "opaque", "log.queue"})
      if (name == own) cfg.fail(key, "is set by sluice itself (its callbacks are how records are acknowledged)");
    if (auto refused = check_property(name, value)) cfg.fail(key, "librdkafka refuses it: " + *refused);
    if (name == "statistics.interval.ms") s.statistics = value != "0";
    s.properties.emplace_back(std::move(name), value);
  }
}

bool has_brokers(const Properties& props) {
  for (const auto& [name, value] : props)
    if ((name == "bootstrap.servers" || name == "metadata.broker.list" || name == "test.mock.num.brokers") &&
        !value.empty())
      return true;
  return false;
}

TimestampFormat read_timestamp_format(const config::ComponentConfig& cfg) {
  std::string f = cfg.get_string("timestamp_format");
  if (f == "iso8601") return TimestampFormat::Iso8601;
  if (f == "iso8601_ns") return TimestampFormat::Iso8601Ns;
  return TimestampFormat::Double;
}

void read_message(const config::ComponentConfig& cfg, MessageSettings& m) {
  m.format = cfg.get_string("format") == "raw" ? Format::Raw : Format::Json;
  m.raw_log_key = cfg.get_string("raw_log_key");
  if (m.format == Format::Raw && m.raw_log_key.empty())
    cfg.fail("raw_log_key", "format raw needs raw_log_key: the record field whose value is the message");
  if (m.format == Format::Json && cfg.has("raw_log_key")) cfg.fail("raw_log_key", "is used only with format raw");
  m.timestamp_key = cfg.get_string("timestamp_key");
  m.timestamp_format = read_timestamp_format(cfg);
  m.topics = cfg.get_list("topics");
  if (m.topics.empty()) cfg.fail("topics", "expected at least one topic name");
  for (const auto& t : m.topics)
    if (t.size() > 249) cfg.fail("topics", "topic '" + t.substr(0, 40) + "...' is longer than Kafka's 249 characters");
  m.topic_key = cfg.get_string("topic_key");
  m.dynamic_topic = cfg.get_bool("dynamic_topic");
  if (m.dynamic_topic && m.topic_key.empty())
    cfg.fail("dynamic_topic", "needs topic_key: the record field that names each record's topic");
  int64_t limit = cfg.get_int("dynamic_topic_limit");
  if (limit < 1 || limit > 100'000) cfg.fail("dynamic_topic_limit", "expected a count from 1 to 100000");
  if (cfg.has("dynamic_topic_limit") && !m.dynamic_topic)
    cfg.fail("dynamic_topic_limit", "is used only with dynamic_topic on");
  m.dynamic_topic_limit = static_cast<size_t>(limit);
  m.message_key = cfg.get_string("message_key");
  m.message_key_field = cfg.get_string("message_key_field");
}

}  // namespace

const config::PluginSchema& schema() {
  static const config::PluginSchema s{
      "kafka",
      "Produces each record as one Kafka message with librdkafka (idempotent, acks=all by default); a record is "
      "acknowledged when its delivery report says the brokers stored it.",
      {
          {"brokers", KeyType::String, "",
           "Bootstrap brokers, host:port[,host:port...] (librdkafka's bootstrap.servers)."},
          {"topics", KeyType::List, "fluent-bit",
           "Topics; the first one is used unless topic_key picks another of them for a record."},
          {"topic_key", KeyType::String, "",
           "Record field naming the record's topic: used if it is one of topics (any value with dynamic_topic), "
           "else the first topic."},
          {"dynamic_topic", KeyType::Bool, "off",
           "With topic_key: a value not in topics is used as the topic anyway (the topic must exist, or the "
           "broker create it)."},
          {"dynamic_topic_limit", KeyType::Int, "64",
           "dynamic_topic: most topics not in topics in use at once (each costs librdkafka metadata and queues "
           "for the producer's life); a record naming one more goes to the first topic, with a warning and "
           "sluice_output_kafka_topic_fallbacks_total."},
          {"message_key", KeyType::String, "", "The key of every message (partitioning); empty: no key."},
          {"message_key_field", KeyType::String, "",
           "Record field whose value is the message key; records without it get message_key."},
          {"timestamp_key", KeyType::String, "@timestamp",
           "format json: the record's time is written first under this key (the Kafka message timestamp is the "
           "time the message is queued)."},
          {"timestamp_format", KeyType::String, "double",
           "double (epoch seconds with microseconds), iso8601 (UTC, microseconds) or iso8601_ns (nanoseconds).",
           false, false, {"double", "iso8601", "iso8601_ns"}},
          {"format", KeyType::String, "json",
           "json: the record as a JSON object; raw: the value of raw_log_key as it is (a string as its bytes, "
           "anything else as JSON).",
           false, false, {"json", "raw"}},
          {"raw_log_key", KeyType::String, "",
           "format raw: the record field sent as the message; a record without it is dead-lettered."},
          {"queue_full_retries", KeyType::Int, "10",
           "When librdkafka's queue is full, how many times to wait (up to 1 s each, until deliveries free "
           "room) before the rest of the batch is retried by sluice; 0: wait without limit."},
          config::compat_alias("client_id", KeyType::String, "rdkafka.client.id"),
          config::compat_alias("group_id", KeyType::String, "rdkafka.group.id"),
          {"rdkafka.*", KeyType::String, "",
           "Any librdkafka property (compression.codec, acks, sasl.*, ssl.*, linger.ms, "
           "statistics.interval.ms, ...), checked by librdkafka at load."},
      }};
  return s;
}

Settings read_settings(const config::ComponentConfig& cfg) {
  // librdkafka is loaded now, for the first kafka output (rdkafka_api.hpp):
  // without it the output can't be configured, said at its line.
  if (std::string missing = library_missing(); !missing.empty()) throw config::ConfigError(cfg.mark(), cfg.display_name() + ": " + missing);
  Settings s;
  read_message(cfg, s.message);
  int64_t retries = cfg.get_int("queue_full_retries");
  if (retries < 0) cfg.fail("queue_full_retries", "expected 0 (no limit) or a positive count");
  s.queue_full_retries = static_cast<int>(std::min<int64_t>(retries, 1'000'000));
  s.properties = defaults(cfg);
  for (const auto& [name, value] : s.properties)
    if (auto refused = check_property(name, value)) cfg.fail(name == "bootstrap.servers" ? "brokers" : "mem_buf_limit", *refused);
  read_user_properties(cfg, s);
  if (!has_brokers(s.properties))
    cfg.fail("brokers", "expected the Kafka bootstrap brokers, host:port[,host:port...]");
  if (auto refused = check_properties(s.properties))
    throw config::ConfigError(cfg.mark(), cfg.display_name() + ": librdkafka refuses these properties: " + *refused);
  return s;
}

}  // namespace sluice::kafka
