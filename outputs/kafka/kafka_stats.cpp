// librdkafka statistics → metrics; see kafka_stats.hpp. The document's
// fields: https://github.com/confluentinc/librdkafka/blob/master/STATISTICS.md
#include "outputs/kafka/kafka_stats.hpp"

#include <memory>

#include "agent/arena.hpp"
#include "agent/parse/json_format.hpp"

namespace sluice::kafka {

namespace {

uint64_t number(const Value* v) {
  if (v == nullptr || !v->is_number()) return 0;
  double d = v->as_double();
  return d > 0 ? static_cast<uint64_t>(d) : 0;
}

}  // namespace

StatsMetrics::StatsMetrics(Metrics& metrics, std::string instance)
    : metrics_(metrics),
      instance_(std::move(instance)),
      queue_messages_(metrics.counter("sluice_output_kafka_queue_messages", "output", instance_, true,
                                      "Messages in librdkafka's queues, not yet reported delivered or failed.")),
      queue_bytes_(metrics.counter("sluice_output_kafka_queue_bytes", "output", instance_, true,
                                   "Bytes of the messages in librdkafka's queues.")) {}

StatsMetrics::Broker& StatsMetrics::broker(std::string_view name) {
  auto it = brokers_.find(std::string(name));
  if (it != brokers_.end()) return it->second;
  // One label only: the output and librdkafka's broker name ("host:port/id").
  std::string label = instance_ + ":" + std::string(name);
  // librdkafka counts microseconds; exported in seconds, Prometheus's base unit.
  Broker b{&metrics_.counter("sluice_output_kafka_broker_rtt_seconds", "broker", label, true,
                             "Average round-trip time to the broker over the last statistics interval, in "
                             "seconds.",
                             1'000'000),
           &metrics_.counter("sluice_output_kafka_broker_errors_total", "broker", label, false,
                             "Transmit and receive errors and request timeouts with the broker.")};
  return brokers_.emplace(std::string(name), b).first->second;
}

bool StatsMetrics::update(std::string_view json) {
  Arena arena;
  Value doc;
  auto parser = make_json_format();
  if (!parser->parse(json, arena, doc) || !doc.is_map()) return false;
  queue_messages_.set(number(doc.find("msg_cnt")));
  queue_bytes_.set(number(doc.find("msg_size")));
  const Value* brokers = doc.find("brokers");
  if (brokers == nullptr || !brokers->is_map()) return true;
  for (const auto& m : brokers->members()) {
    const Value& b = m.value;
    // Bootstrap entries (nodeid -1) are replaced by the real brokers once known.
    if (!b.is_map() || b.find("nodeid") == nullptr || b.find("nodeid")->as_int() < 0) continue;
    Broker& out = broker(m.key);
    const Value* rtt = b.find("rtt");
    out.rtt_us->set(rtt != nullptr && rtt->is_map() ? number(rtt->find("avg")) : 0);
    out.errors->set(number(b.find("txerrs")) + number(b.find("rxerrs")) + number(b.find("req_timeouts")));
  }
  return true;
}

}  // namespace sluice::kafka
