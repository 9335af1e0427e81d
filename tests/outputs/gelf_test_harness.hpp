// Shared by the gelf output's unit tests: batches from JSON text, and a gelf
// output started on a test-owned io_context with flush() run to completion.
#pragma once
#include <catch2/catch.hpp>

#include <chrono>
#include <memory>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "agent/asio.hpp"
#include "agent/config/yaml_loader.hpp"
#include "agent/metrics.hpp"
#include "agent/parse/json_format.hpp"
#include "outputs/gelf/gelf_output.hpp"

namespace sluice::gelf_test {

constexpr int64_t kTime = 1763719200123456789;  // 2025-11-21T10:00:00.123456789Z

inline std::shared_ptr<Chunk> chunk_of(const std::string& tag, const std::vector<std::string>& records,
                                       int64_t time_ns = kTime) {
  auto chunk = std::make_shared<Chunk>(tag);
  auto json = make_json_format();
  for (const auto& text : records) {
    Value v;
    REQUIRE(json->parse(text, chunk->arena, v));
    chunk->events.push_back(Event{time_ns, v});
  }
  return chunk;
}

inline Batch batch_of(const std::vector<std::string>& records, const std::string& tag = "app.web") {
  Batch b;
  b.parts.push_back({chunk_of(tag, records), {}});
  return b;
}

// A gelf output on its own io_context, driven by the test's thread.
class Harness final : public OutputContext {
 public:
  explicit Harness(const std::string& yaml) {
    out_ = make_gelf_output(config::load_component(gelf_output_schema(), "output", yaml), BuildContext{});
    out_->start(*this);
  }
  ~Harness() override {
    out_->stop();
    io_.restart();
    io_.poll();
    out_.reset();
  }

  boost::asio::io_context& io() override { return io_; }
  Metrics& metrics() override { return metrics_; }
  const std::string& instance() const override { return instance_; }
  uint64_t counter(const std::string& name) const { return metrics_.value(name, instance_); }

  // Flushes batch and runs the io_context until the output answers.
  FlushResult flush(const Batch& batch, std::chrono::seconds timeout = std::chrono::seconds(20)) {
    std::optional<FlushResult> result;
    out_->flush(batch, [&](FlushResult r) { result = std::move(r); });
    run_until([&] { return result.has_value(); }, timeout);
    REQUIRE(result.has_value());
    return std::move(*result);
  }

  // Runs handlers until cond holds or timeout passes.
  template <class Cond>
  void run_until(Cond cond, std::chrono::milliseconds timeout) {
    auto deadline = std::chrono::steady_clock::now() + timeout;
    while (!cond() && std::chrono::steady_clock::now() < deadline) {
      if (io_.stopped()) io_.restart();
      // With nothing to run the io_context returns at once: poll gently instead of spinning.
      if (io_.run_one_for(std::chrono::milliseconds(20)) == 0) std::this_thread::sleep_for(std::chrono::milliseconds(2));
    }
  }

 private:
  boost::asio::io_context io_;
  Metrics metrics_;
  std::string instance_ = "gelf.0";
  std::unique_ptr<Output> out_;
};

inline std::string config_error(const std::string& yaml) {
  try {
    make_gelf_output(config::load_component(gelf_output_schema(), "output", yaml), BuildContext{});
  } catch (const config::ConfigError& e) {
    return e.what();
  }
  return "no error";
}

}  // namespace sluice::gelf_test
