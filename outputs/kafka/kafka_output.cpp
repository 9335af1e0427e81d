// The `kafka` output: each flush encodes its records (kafka_encoder) into one
// buffer, hands them to librdkafka as messages pointing into it, and answers
// the core when every message has its delivery report. See kafka_output.hpp.
#include "outputs/kafka/kafka_output.hpp"

#include <unistd.h>

#include <list>
#include <optional>

#include "agent/asio.hpp"
#include "agent/log.hpp"
#include "outputs/common/record_outcomes.hpp"
#include "outputs/kafka/kafka_encoder.hpp"
#include "outputs/kafka/kafka_settings.hpp"
#include "outputs/kafka/kafka_stats.hpp"
#include "outputs/kafka/kafka_topics.hpp"
#include "outputs/kafka/rdkafka_client.hpp"

namespace sluice {

namespace {

using namespace kafka;
namespace asio = boost::asio;

// What librdkafka holds per queued message beyond its value (its message
// struct, the key copy's header): charged with the values.
constexpr int64_t kMessageOverhead = 256;
// Fluent Bit's pause between two tries while librdkafka's queue is full.
constexpr auto kQueueFullWait = std::chrono::seconds(1);

struct Flight;

// One message of a flight; its address is the message's opaque.
struct Message {
  Flight* flight;
  uint32_t record;  // index in the batch (Batch::for_each order)
  uint32_t offset;  // of its value in Flight::values
  uint32_t size;
  std::string_view topic;  // into the settings, the batch's chunks or topics_
  std::string_view key;
};

// One flush: its messages until every one has a delivery report.
struct Flight {
  FlushDone done;
  std::string values;  // every message's value, back to back; librdkafka points into it
  std::vector<Message> messages;
  size_t records = 0;
  // Per record, made at the first failure (all delivered is the common case).
  std::vector<RecordOutcome> outcomes;
  void set(uint32_t record, Outcome o, std::string reason) {
    if (outcomes.empty()) outcomes.resize(records);
    outcomes[record] = {o, std::move(reason)};
  }
  size_t next = 0;         // messages[next..] are not produced yet
  size_t outstanding = 0;  // produced, report not yet in
  int queue_full_waits = 0;
  int64_t charged = 0;
  bool finished() const { return next == messages.size() && outstanding == 0; }
};

log::Level level_of(int syslog_level) {
  if (syslog_level <= 3) return log::Level::error;
  if (syslog_level == 4) return log::Level::warn;
  if (syslog_level <= 6) return log::Level::info;
  return log::Level::debug;
}

// Runs on its worker thread (OutputContext::io()): flush(), the delivery
// reports (served when librdkafka's wake-up descriptor turns readable) and
// the queue-full timer all run there; librdkafka's own threads only log.
class KafkaOutput final : public Output {
 public:
  explicit KafkaOutput(Settings s) : s_(std::move(s)), encoder_(s_.message), topics_(s_.message) {}
  // The producer goes first: its threads may still read the flights' values.
  ~KafkaOutput() override { close_producer(); }

  void start(OutputContext& ctx) override {
    ctx_ = &ctx;
    queue_full_timer_.emplace(ctx.io());
    queue_full_ = &ctx.metrics().counter("sluice_output_kafka_queue_full_total", "output", ctx.instance(), false,
                                         "Times librdkafka's queue was full when a message was produced (the "
                                         "output waited for deliveries to free room).");
    restarts_ = &ctx.metrics().counter("sluice_output_kafka_producer_restarts_total", "output", ctx.instance(),
                                       false, "Producers made anew after a fatal librdkafka error.");
    topic_fallbacks_ = &ctx.metrics().counter(
        "sluice_output_kafka_topic_fallbacks_total", "output", ctx.instance(), false,
        "Records sent to the first topic because the topic they named was past dynamic_topic_limit.");
    if (s_.statistics) stats_.emplace(ctx.metrics(), ctx.instance());
    make_producer();
  }

  void flush(const Batch& batch, FlushDone done) override {
    if (!producer_ && !make_producer()) return done(FlushResult::retry("no Kafka producer: " + producer_error_));
    auto flight = std::make_unique<Flight>();
    Flight& f = *flight;
    f.done = std::move(done);
    f.records = batch.size();
    f.messages.reserve(batch.size());
    // Sized from the last flight's bytes per record: growing by doubling
    // copied every value a few times and faulted in fresh pages each time.
    f.values.reserve(batch.size() * bytes_per_record_ + bytes_per_record_);
    uint32_t index = 0;
    std::string reason;
    batch.for_each([&](const std::string& /*tag*/, const Event& e) {
      size_t start = f.values.size();
      if (encoder_.value(e, f.values, reason)) {
        f.messages.push_back({&f, index, static_cast<uint32_t>(start), static_cast<uint32_t>(f.values.size() - start),
                              topic_of(e), encoder_.key(e)});
        f.charged += kMessageOverhead + static_cast<int64_t>(f.messages.back().key.size());
      } else {
        f.set(index, Outcome::Permanent, reason);
      }
      ++index;
    });
    f.charged += static_cast<int64_t>(f.values.capacity());
    if (!f.messages.empty()) bytes_per_record_ = f.values.size() / f.messages.size() + 16;
    ctx_->charge_memory(f.charged);
    flights_.push_back(std::move(flight));
    produce(f);
    finish_ready();
  }

  // The record's topic; with dynamic_topic, within dynamic_topic_limit.
  std::string_view topic_of(const Event& e) {
    std::string_view wanted = encoder_.topic(e);
    if (!s_.message.dynamic_topic) return wanted;
    bool fell_back = false;
    std::string_view topic = topics_.admit(wanted, fell_back);
    if (fell_back) {
      topic_fallbacks_->add();
      if (log_topic_fallback_.hit())
        log::warn("output {}: topic '{}' would be one more than dynamic_topic_limit ({} in use); the record goes to "
                  "'{}'", ctx_->instance(), wanted, topics_.dynamic_count(), topic);
    }
    return topic;
  }

  void stop() override {
    stopped_ = true;
    timer_armed_ = false;
    if (queue_full_timer_) queue_full_timer_->cancel();
    if (producer_) {
      // What the core gave up on at the deadline: reported purged, answered
      // as a retry (not acknowledged; a tail input reads it again).
      producer_->purge();
      producer_->poll();
      close_producer();
    }
    for (auto& f : flights_) {
      for (size_t i = f->next; i < f->messages.size(); ++i)
        f->set(f->messages[i].record, Outcome::Retry, "sluice stopped before it was sent");
      f->next = f->messages.size();
      f->outstanding = 0;
    }
    finish_ready();
  }

 private:
  bool make_producer() {
    Callbacks cb;
    cb.delivered = [this](void* opaque, int code) { on_delivery(*static_cast<Message*>(opaque), code); };
    if (stats_) cb.stats = [this](std::string_view json) { stats_->update(json); };
    cb.error = [this](const Error& e, std::string_view reason, bool fatal) { on_error(e, reason, fatal); };
    cb.log = [name = ctx_->instance()](int level, std::string_view facility, std::string_view message) {
      log::Level l = level_of(level);
      if (log::enabled(l))
        log::write(l, "output {}: librdkafka {}: {}", fmt::make_format_args(name, facility, message));
    };
    producer_ = Producer::make(s_.properties, std::move(cb), producer_error_);
    if (!producer_) {
      if (log_producer_error_.hit()) log::error("output {}: cannot make a Kafka producer: {}", ctx_->instance(), producer_error_);
      return false;
    }
    wake_.emplace(ctx_->io(), ::dup(producer_->wake_fd()));
    wait_for_events();
    return true;
  }

  void close_producer() {
    if (wake_) wake_->close();  // before the producer: a pending wait ends with operation_aborted
    wake_.reset();
    producer_.reset();
  }

  void wait_for_events() {
    wake_->async_wait(asio::posix::stream_descriptor::wait_read, [this](boost::system::error_code ec) {
      if (ec || stopped_) return;  // closed: the producer is going
      // Cleared first: an event queued after poll() writes a new byte.
      producer_->clear_wakeups();
      producer_->poll();
      resume_blocked();
      finish_ready();
      if (rebuild_ && flights_.empty()) rebuild();
      else if (wake_) wait_for_events();
    });
  }

  // Produces f's messages from f.next on, in runs of one topic, until done
  // or librdkafka's queue is full.
  void produce(Flight& f) {
    constexpr size_t kRun = 2048;  // messages per rd_kafka_produce_batch call
    while (f.next < f.messages.size()) {
      std::string_view topic = f.messages[f.next].topic;
      size_t end = f.next;
      run_.clear();
      for (; end < f.messages.size() && end - f.next < kRun && f.messages[end].topic == topic; ++end) {
        Message& m = f.messages[end];
        run_.push_back({std::string_view(f.values).substr(m.offset, m.size), m.key, &m});
      }
      producer_->produce(topic, run_, codes_);
      size_t start = f.next;
      f.next = end;
      for (size_t i = 0; i < codes_.size(); ++i) {
        Message& m = f.messages[start + i];
        int code = codes_[i];
        if (code == 0) {
          ++f.outstanding;
          f.queue_full_waits = 0;
          continue;
        }
        ErrorClass cls = classify(code);
        if (cls == ErrorClass::QueueFull) {
          // librdkafka refuses every message after the first it found no room for: the rest of the run
          // and of the flight is produced again from here.
          f.next = start + i;
          // (Were one of them queued all the same, it would be counted here and sent twice, not lost.)
          for (size_t j = i + 1; j < codes_.size(); ++j) f.outstanding += codes_[j] == 0 ? 1 : 0;
          queue_full(f);
          return;
        }
        if (is_fatal(code)) start_rebuild();
        f.set(m.record, cls == ErrorClass::Permanent ? Outcome::Permanent : Outcome::Retry,
              "Kafka refused the message: " + error_of(code).describe());
      }
    }
  }

  // librdkafka's queue had no room for f.messages[f.next]: wait for
  // deliveries to free some, or give the rest back to the core.
  void queue_full(Flight& f) {
    queue_full_->add();
    if (s_.queue_full_retries > 0 && f.queue_full_waits >= s_.queue_full_retries) {
      // Back to the core, which retries with its backoff while its buffer fills and pauses the inputs.
      std::string why = "librdkafka's queue stayed full (queue.buffering.max.messages/kbytes) through " +
                        std::to_string(f.queue_full_waits) + " waits (queue_full_retries)";
      for (; f.next < f.messages.size(); ++f.next) f.set(f.messages[f.next].record, Outcome::Retry, why);
      return;
    }
    ++f.queue_full_waits;
    blocked_.push_back(&f);
    arm_queue_full_timer();
  }

  void on_delivery(Message& m, int code) {
    Flight& f = *m.flight;
    --f.outstanding;
    if (code == 0) return;
    if (is_fatal(code)) start_rebuild();
    Outcome o = classify(code) == ErrorClass::Permanent ? Outcome::Permanent : Outcome::Retry;
    f.set(m.record, o, "Kafka delivery failed: " + error_of(code).describe());
  }

  void on_error(const Error& e, std::string_view reason, bool fatal) {
    if (fatal) {
      log::error("output {}: fatal Kafka producer error {} ({}); a new producer is made once the messages in "
                 "flight are answered", ctx_->instance(), e.name, reason);
      start_rebuild();
      return;
    }
    if (log_client_error_.hit()) log::warn("output {}: Kafka: {} ({})", ctx_->instance(), reason, e.name);
  }

  // A fatal error (idempotence broken) leaves the producer unusable: what it
  // holds is failed (reported purged, retried by the core) and a new one is
  // made once every flight is answered.
  void start_rebuild() {
    if (rebuild_) return;
    rebuild_ = true;
    producer_->purge();
  }

  void rebuild() {
    rebuild_ = false;
    restarts_->add();
    close_producer();
    make_producer();
  }

  void arm_queue_full_timer() {
    if (timer_armed_) return;
    timer_armed_ = true;
    queue_full_timer_->expires_after(kQueueFullWait);
    queue_full_timer_->async_wait([this](boost::system::error_code ec) {
      if (ec || stopped_) return;  // cancelled: the output may be gone
      timer_armed_ = false;
      resume_blocked();
      finish_ready();
    });
  }

  // After deliveries freed room (or a wait ran out): the flights that found
  // the queue full try again, oldest first.
  void resume_blocked() {
    std::vector<Flight*> waiting(blocked_.begin(), blocked_.end());
    blocked_.clear();
    for (Flight* f : waiting) {
      if (!producer_) continue;
      produce(*f);
    }
  }

  // Answers the core for every flight whose messages all have their reports.
  // The answers go out after the list is settled: the core may flush again
  // from inside one.
  void finish_ready() {
    std::vector<std::pair<FlushDone, FlushResult>> answers;
    for (auto it = flights_.begin(); it != flights_.end();) {
      Flight& f = **it;
      if (!f.finished()) {
        ++it;
        continue;
      }
      if (!stopped_) ctx_->charge_memory(-f.charged);  // the core zeroed the charge when it stopped
      answers.emplace_back(std::move(f.done), summarize(f.outcomes));
      it = flights_.erase(it);
    }
    for (auto& answer : answers) {
      if (stopped_) {
        // The core is inside its stop: it runs the answers once it has settled.
        asio::post(ctx_->io(), [answer = std::move(answer)]() mutable { answer.first(std::move(answer.second)); });
      } else {
        answer.first(std::move(answer.second));
      }
    }
  }

  Settings s_;
  Encoder encoder_;
  TopicSet topics_;
  OutputContext* ctx_ = nullptr;
  std::unique_ptr<Producer> producer_;
  std::string producer_error_;
  std::optional<asio::posix::stream_descriptor> wake_;
  std::optional<asio::steady_timer> queue_full_timer_;
  std::optional<StatsMetrics> stats_;
  Counter* queue_full_ = nullptr;
  Counter* restarts_ = nullptr;
  Counter* topic_fallbacks_ = nullptr;
  std::list<std::unique_ptr<Flight>> flights_;  // oldest first
  std::vector<Flight*> blocked_;                // found the queue full; resume in order
  std::vector<Producer::Message> run_;          // produce()'s scratch, kept for its capacity
  std::vector<int> codes_;
  size_t bytes_per_record_ = 256;
  bool timer_armed_ = false;
  bool rebuild_ = false;
  bool stopped_ = false;
  log::RateLimit log_producer_error_{100};
  log::RateLimit log_client_error_{100};
  log::RateLimit log_topic_fallback_{100};
};

}  // namespace

const config::PluginSchema& kafka_output_schema() { return kafka::schema(); }

std::unique_ptr<Output> make_kafka_output(const config::ComponentConfig& cfg, const BuildContext& /*ctx*/) {
  return std::make_unique<KafkaOutput>(read_settings(cfg));
}

}  // namespace sluice
