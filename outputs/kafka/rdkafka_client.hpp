// The one wrapper around librdkafka's C API (rdkafka.h is included by
// rdkafka_client.cpp and kafka_errors.cpp only): property checks, a producer
// whose events (delivery reports, statistics, errors) are served on the
// thread that calls poll(), woken through a file descriptor.
#pragma once
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <utility>
#include <vector>

namespace sluice::kafka {

// librdkafka properties in the order given (later ones win, as in librdkafka).
using Properties = std::vector<std::pair<std::string, std::string>>;

// Loads librdkafka (on first use); "" or why it can't be loaded.
std::string library_missing();
// librdkafka's version, e.g. "2.0.2".
std::string library_version();

// librdkafka's refusal of one property (unknown name, bad value), in its own
// words; nullopt when it takes it.
std::optional<std::string> check_property(const std::string& name, const std::string& value);

// librdkafka's refusal of the whole set (conflicting properties such as
// enable.idempotence with acks=1, unreadable TLS files), found by making a
// producer with no brokers, which connects nowhere; nullopt when it takes it.
std::optional<std::string> check_properties(const Properties& props);

// A librdkafka error code with its names.
struct Error {
  int code = 0;       // rd_kafka_resp_err_t; 0 = none
  std::string name;   // "NOT_ENOUGH_REPLICAS", "_MSG_TIMED_OUT"
  std::string text;   // librdkafka's description
  std::string describe() const { return name + ": " + text; }
};
Error error_of(int code);

// What a delivery report or a refused produce means for the record.
enum class ErrorClass { Retry, Permanent, QueueFull };
// Retry for what may pass if sent again later (brokers down, timeouts,
// leader moves, a fatal producer error: the producer is rebuilt), Permanent
// for what never will (unknown topic, a message too large, authorization).
ErrorClass classify(int code);
bool is_fatal(int code);

// Called on the thread that calls Producer::poll() (log: on librdkafka's threads).
struct Callbacks {
  // A message's delivery report: opaque as given to produce(), code 0 = stored by the broker.
  std::function<void(void* opaque, int code)> delivered;
  // A statistics document (statistics.interval.ms).
  std::function<void(std::string_view json)> stats;
  // A client-level error (all brokers down, a fatal idempotence error, ...).
  std::function<void(const Error& error, std::string_view reason, bool fatal)> error;
  // A log line: syslog level (0 emergency .. 7 debug), facility, message. Any thread.
  std::function<void(int level, std::string_view facility, std::string_view message)> log;
};

class Producer {
 public:
  // Makes the producer (it connects to the brokers at once); the error text
  // when librdkafka refuses the properties.
  static std::unique_ptr<Producer> make(const Properties& props, Callbacks callbacks, std::string& error);
  ~Producer();  // purges what is queued (no more delivery reports) and destroys the handle
  Producer(const Producer&) = delete;
  Producer& operator=(const Producer&) = delete;

  struct Message {
    std::string_view value;  // not copied: must stay valid until its delivery report
    std::string_view key;    // copied; empty = no key
    void* opaque;
  };
  // Queues messages to one topic in one call (rd_kafka_produce_batch: one
  // topic lock and clock read for them all rather than one producev each,
  // the output's largest cost per record after encoding). Their Kafka
  // timestamp is the time they are queued. codes[i] is 0 or the librdkafka
  // error that refused messages[i]; once the queue is full every later one
  // is refused as full too. codes is resized to messages.size().
  void produce(std::string_view topic, const std::vector<Message>& messages, std::vector<int>& codes);
  // Serves what waits (delivery reports, statistics, errors); never blocks.
  // Returns the number of events served.
  int poll();
  // A descriptor that becomes readable when events wait; clear_wakeups()
  // before poll() so that none is lost in between.
  int wake_fd() const { return wake_read_; }
  void clear_wakeups();
  // Messages in librdkafka's queues not yet reported.
  int queued() const;
  // Waits up to timeout_ms for every queued message's report (serving them).
  void flush(int timeout_ms);
  // Fails what is still queued or in flight (reported as purged on poll()).
  void purge();
  // The producer's fatal error (idempotence broken for good), if any.
  std::optional<Error> fatal_error();

 private:
  Producer() = default;
  struct Handle;
  void* topic(std::string_view name);
  struct Hash {
    using is_transparent = void;
    size_t operator()(std::string_view s) const { return std::hash<std::string_view>{}(s); }
  };

  std::unique_ptr<Handle> h_;
  std::unique_ptr<Callbacks> callbacks_;  // librdkafka keeps its address
  std::unordered_map<std::string, void*, Hash, std::equal_to<>> topics_;  // rd_kafka_topic_t by name
  const std::pair<const std::string, void*>* last_topic_ = nullptr;       // in topics_ (nodes stay put)
  int wake_read_ = -1;
  int wake_write_ = -1;
};

}  // namespace sluice::kafka
