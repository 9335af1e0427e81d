// The core's side of an input, in memory, for the input tests: emitted
// chunks are held (their acknowledgements pending) until the test releases
// or fails them, and the io_context runs only while a test waits.
#pragma once
#include <chrono>
#include <functional>
#include <string>
#include <vector>

#include "agent/asio.hpp"
#include "agent/input.hpp"
#include "agent/json_writer.hpp"
#include "agent/metrics.hpp"

namespace sluice::test {

class FakeInputContext : public InputContext {
 public:
  explicit FakeInputContext(std::string instance) : instance_(std::move(instance)) {}
  // Chunks go first: releasing them posts acknowledgements to io_.
  ~FakeInputContext() override { chunks.clear(); }

  boost::asio::io_context& io() override { return io_; }
  void emit(ChunkPtr chunk) override { chunks.push_back(std::move(chunk)); }
  // Like a filesystem input's buffer when its disk is full: refuses while `refuse`.
  bool offer(ChunkPtr& chunk) override {
    if (refuse) {
      ++refused;
      return false;
    }
    emit(std::move(chunk));
    return true;
  }
  bool paused() const override { return paused_; }
  void finished() override { ++finished_calls; }
  Metrics& metrics() override { return metrics_; }
  const std::string& instance() const override { return instance_; }

  // Runs the io_context until pred() holds; false on timeout.
  bool run_until(const std::function<bool()>& pred, std::chrono::milliseconds timeout = std::chrono::seconds(10)) {
    auto deadline = std::chrono::steady_clock::now() + timeout;
    while (!pred()) {
      if (std::chrono::steady_clock::now() >= deadline) return false;
      io_.run_for(std::chrono::milliseconds(5));
      if (io_.stopped()) io_.restart();
    }
    return true;
  }
  // Runs the io_context for a while (to show that nothing happens).
  void run_for(std::chrono::milliseconds d) {
    run_until([] { return false; }, d);
  }
  // Runs the io_context for d; returns how many handlers ran (timers that
  // fired, events read, posted work): 0 means nothing woke the input.
  size_t handlers_run_for(std::chrono::milliseconds d) {
    size_t n = 0;
    auto deadline = std::chrono::steady_clock::now() + d;
    while (std::chrono::steady_clock::now() < deadline) {
      n += io_.run_until(deadline);
      if (io_.stopped()) io_.restart();
    }
    return n;
  }

  // How many records were emitted.
  size_t records() const {
    size_t n = 0;
    for (const auto& c : chunks) n += c->events.size();
    return n;
  }
  // Every record as JSON, in emission order.
  std::vector<std::string> json() const {
    std::vector<std::string> out;
    for (const auto& c : chunks)
      for (const auto& e : c->events) out.push_back(json::to_string(e.record));
    return out;
  }
  // "tag {json}" per record, in emission order.
  std::vector<std::string> tagged_json() const {
    std::vector<std::string> out;
    for (const auto& c : chunks)
      for (const auto& e : c->events) out.push_back(c->tag + " " + json::to_string(e.record));
    return out;
  }
  // The string values of key, in emission order.
  std::vector<std::string> values(const std::string& key = "log") const {
    std::vector<std::string> out;
    for (const auto& c : chunks)
      for (const auto& e : c->events)
        if (const Value* v = e.record.find(key); v != nullptr && v->is_string()) out.emplace_back(v->as_string());
    return out;
  }
  uint64_t metric(std::string_view name) const { return metrics_.value(name, instance_); }

  // Acknowledges every held chunk as delivered.
  void release() { chunks.clear(); }
  // Acknowledges every held chunk as NOT delivered.
  void fail() {
    for (const auto& c : chunks) c->fail_acks();
    chunks.clear();
  }

  std::vector<ChunkPtr> chunks;
  bool paused_ = false;
  bool refuse = false;
  int refused = 0;
  int finished_calls = 0;

 private:
  boost::asio::io_context io_;
  Metrics metrics_;
  std::string instance_;
};

}  // namespace sluice::test
