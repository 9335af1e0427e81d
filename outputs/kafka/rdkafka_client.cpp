// librdkafka behind the Producer wrapper; see rdkafka_client.hpp.
#include "outputs/kafka/rdkafka_client.hpp"
#include "outputs/kafka/rdkafka_api.hpp"

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <vector>

namespace sluice::kafka {

namespace {

constexpr size_t kErrLen = 512;

// Fills a fresh conf with props; the first refusal's text in error.
rd_kafka_conf_t* make_conf(const Properties& props, std::string& error) {
  rd_kafka_conf_t* conf = rdkafka().rd_kafka_conf_new();
  char err[kErrLen];
  for (const auto& [name, value] : props) {
    if (rdkafka().rd_kafka_conf_set(conf, name.c_str(), value.c_str(), err, sizeof err) != RD_KAFKA_CONF_OK) {
      error = err;
      rdkafka().rd_kafka_conf_destroy(conf);
      return nullptr;
    }
  }
  return conf;
}

Callbacks& callbacks_of(void* opaque) { return *static_cast<Callbacks*>(opaque); }

void on_delivery(rd_kafka_t* /*rk*/, const rd_kafka_message_t* m, void* opaque) {
  auto& cb = callbacks_of(opaque);
  if (cb.delivered) cb.delivered(m->_private, m->err);
}

int on_stats(rd_kafka_t* /*rk*/, char* json, size_t len, void* opaque) {
  auto& cb = callbacks_of(opaque);
  if (cb.stats) cb.stats(std::string_view(json, len));
  return 0;  // librdkafka frees json
}

void on_error(rd_kafka_t* rk, int code, const char* reason, void* opaque) {
  auto& cb = callbacks_of(opaque);
  if (!cb.error) return;
  if (code == RD_KAFKA_RESP_ERR__FATAL) {
    char why[kErrLen];
    int fatal = rdkafka().rd_kafka_fatal_error(rk, why, sizeof why);
    cb.error(error_of(fatal), why, true);
    return;
  }
  cb.error(error_of(code), reason, false);
}

void on_log(const rd_kafka_t* rk, int level, const char* facility, const char* message) {
  void* opaque = rdkafka().rd_kafka_opaque(rk);
  if (opaque == nullptr) return;
  auto& cb = callbacks_of(opaque);
  if (cb.log) cb.log(level, facility, message);
}

void quiet_log(const rd_kafka_t*, int, const char*, const char*) {}

}  // namespace

struct Producer::Handle {
  rd_kafka_t* rk = nullptr;
  rd_kafka_queue_t* main_queue = nullptr;
  std::vector<rd_kafka_message_t> batch;  // produce()'s argument, kept for its capacity
};

std::string library_missing() {
  try {
    rdkafka();
  } catch (const std::exception& e) {
    return e.what();
  }
  return {};
}

std::string library_version() { return rdkafka().rd_kafka_version_str(); }

Error error_of(int code) {
  auto err = static_cast<rd_kafka_resp_err_t>(code);
  return Error{code, rdkafka().rd_kafka_err2name(err), rdkafka().rd_kafka_err2str(err)};
}

std::optional<std::string> check_property(const std::string& name, const std::string& value) {
  std::string error;
  rd_kafka_conf_t* conf = make_conf({{name, value}}, error);
  if (conf == nullptr) return error;
  rdkafka().rd_kafka_conf_destroy(conf);
  return std::nullopt;
}

std::optional<std::string> check_properties(const Properties& props) {
  Properties trial;
  for (const auto& p : props)
    if (p.first != "bootstrap.servers" && p.first != "metadata.broker.list") trial.push_back(p);
  std::string error;
  rd_kafka_conf_t* conf = make_conf(trial, error);
  if (conf == nullptr) return error;
  rdkafka().rd_kafka_conf_set_log_cb(conf, quiet_log);  // "no bootstrap.servers" is the point here
  char err[kErrLen];
  rd_kafka_t* rk = rdkafka().rd_kafka_new(RD_KAFKA_PRODUCER, conf, err, sizeof err);
  if (rk == nullptr) {
    rdkafka().rd_kafka_conf_destroy(conf);
    return std::string(err);
  }
  rdkafka().rd_kafka_destroy(rk);
  return std::nullopt;
}

std::unique_ptr<Producer> Producer::make(const Properties& props, Callbacks callbacks, std::string& error) {
  std::unique_ptr<Producer> p(new Producer());
  p->callbacks_ = std::make_unique<Callbacks>(std::move(callbacks));
  rd_kafka_conf_t* conf = make_conf(props, error);
  if (conf == nullptr) return nullptr;
  rdkafka().rd_kafka_conf_set_opaque(conf, p->callbacks_.get());
  rdkafka().rd_kafka_conf_set_dr_msg_cb(conf, on_delivery);
  rdkafka().rd_kafka_conf_set_stats_cb(conf, on_stats);
  rdkafka().rd_kafka_conf_set_error_cb(conf, on_error);
  rdkafka().rd_kafka_conf_set_log_cb(conf, on_log);
  int fds[2];
  if (::pipe2(fds, O_NONBLOCK | O_CLOEXEC) != 0) {
    error = std::string("pipe: ") + std::strerror(errno);
    rdkafka().rd_kafka_conf_destroy(conf);
    return nullptr;
  }
  p->wake_read_ = fds[0];
  p->wake_write_ = fds[1];
  char err[kErrLen];
  p->h_ = std::make_unique<Handle>();
  p->h_->rk = rdkafka().rd_kafka_new(RD_KAFKA_PRODUCER, conf, err, sizeof err);
  if (p->h_->rk == nullptr) {
    rdkafka().rd_kafka_conf_destroy(conf);
    error = err;
    return nullptr;
  }
  // Delivery reports, statistics and errors land on the main queue, which
  // writes one byte to the pipe each time it goes from empty to non-empty.
  p->h_->main_queue = rdkafka().rd_kafka_queue_get_main(p->h_->rk);
  static const char kByte = 1;
  rdkafka().rd_kafka_queue_io_event_enable(p->h_->main_queue, p->wake_write_, &kByte, 1);
  return p;
}

Producer::~Producer() {
  if (h_ && h_->rk != nullptr) {
    // Reports of purged messages would reach an output that is gone.
    callbacks_->delivered = nullptr;
    callbacks_->stats = nullptr;
    callbacks_->error = nullptr;
    rdkafka().rd_kafka_purge(h_->rk, RD_KAFKA_PURGE_F_QUEUE | RD_KAFKA_PURGE_F_INFLIGHT);
    rdkafka().rd_kafka_queue_io_event_enable(h_->main_queue, -1, nullptr, 0);
    rdkafka().rd_kafka_queue_destroy(h_->main_queue);
    for (auto& t : topics_) rdkafka().rd_kafka_topic_destroy(static_cast<rd_kafka_topic_t*>(t.second));
    rdkafka().rd_kafka_destroy(h_->rk);
  }
  if (wake_read_ >= 0) ::close(wake_read_);
  if (wake_write_ >= 0) ::close(wake_write_);
}

void* Producer::topic(std::string_view name) {
  // Most batches go to one topic: the last one is checked before the map.
  if (last_topic_ != nullptr && name == last_topic_->first) return last_topic_->second;
  auto it = topics_.find(name);
  if (it != topics_.end()) last_topic_ = &*it;
  if (it != topics_.end()) return it->second;
  std::string owned(name);
  rd_kafka_topic_t* t = rdkafka().rd_kafka_topic_new(h_->rk, owned.c_str(), nullptr);
  if (t == nullptr) return nullptr;
  last_topic_ = &*topics_.emplace(std::move(owned), t).first;
  return t;
}

void Producer::produce(std::string_view topic, const std::vector<Message>& messages, std::vector<int>& codes) {
  codes.assign(messages.size(), 0);
  auto* t = static_cast<rd_kafka_topic_t*>(this->topic(topic));
  if (t == nullptr) {
    codes.assign(messages.size(), rdkafka().rd_kafka_last_error());
    return;
  }
  auto& batch = h_->batch;
  batch.assign(messages.size(), rd_kafka_message_t{});
  for (size_t i = 0; i < messages.size(); ++i) {
    const Message& m = messages[i];
    batch[i].payload = const_cast<char*>(m.value.data());
    batch[i].len = m.value.size();
    batch[i].key = m.key.empty() ? nullptr : const_cast<char*>(m.key.data());
    batch[i].key_len = m.key.size();
    batch[i]._private = m.opaque;
  }
  // msgflags 0: the values are not copied (they stay in the output's flight
  // until their reports); the keys always are.
  rdkafka().rd_kafka_produce_batch(t, RD_KAFKA_PARTITION_UA, 0, batch.data(), static_cast<int>(batch.size()));
  for (size_t i = 0; i < batch.size(); ++i) codes[i] = batch[i].err;
}

int Producer::poll() {
  int served = 0;
  // Each call serves what is queued now; a few rounds catch what arrived meanwhile.
  for (int round = 0; round < 16; ++round) {
    int n = rdkafka().rd_kafka_poll(h_->rk, 0);
    if (n <= 0) break;
    served += n;
  }
  return served;
}

void Producer::clear_wakeups() {
  char buf[64];
  while (::read(wake_read_, buf, sizeof buf) > 0) {
  }
}

int Producer::queued() const { return rdkafka().rd_kafka_outq_len(h_->rk); }

void Producer::flush(int timeout_ms) { rdkafka().rd_kafka_flush(h_->rk, timeout_ms); }

void Producer::purge() { rdkafka().rd_kafka_purge(h_->rk, RD_KAFKA_PURGE_F_QUEUE | RD_KAFKA_PURGE_F_INFLIGHT); }

std::optional<Error> Producer::fatal_error() {
  char why[kErrLen];
  int code = rdkafka().rd_kafka_fatal_error(h_->rk, why, sizeof why);
  if (code == 0) return std::nullopt;
  Error e = error_of(code);
  e.text = why;
  return e;
}

}  // namespace sluice::kafka
