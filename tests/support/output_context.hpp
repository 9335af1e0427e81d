// The core's side of an output, in memory, for output tests: an io_context
// the test thread runs, metrics, an instance name; and a flush that runs it
// until the output answers.
#pragma once
#include <catch2/catch.hpp>

#include <chrono>
#include <optional>
#include <string>

#include "agent/asio.hpp"
#include "agent/metrics.hpp"
#include "agent/output.hpp"

namespace sluice::test {

class FakeOutputContext final : public OutputContext {
 public:
  explicit FakeOutputContext(std::string instance = "out.0") : name_(std::move(instance)) {}
  boost::asio::io_context& io() override { return io_; }
  Metrics& metrics() override { return metrics_; }
  const std::string& instance() const override { return name_; }
  uint64_t counter(std::string_view name) const { return metrics_.value(name, name_); }
  void charge_memory(int64_t delta) override { charged_ += delta; }
  // What the output charged beyond its batches (charge_memory) and holds now.
  int64_t charged() const { return charged_; }

 private:
  boost::asio::io_context io_;
  Metrics metrics_;
  std::string name_;
  int64_t charged_ = 0;
};

// Flushes batch and runs ctx's io_context until the output answers (30 s at most).
inline FlushResult flush_and_wait(Output& out, FakeOutputContext& ctx, const Batch& batch) {
  std::optional<FlushResult> result;
  out.flush(batch, [&](FlushResult r) { result = std::move(r); });
  ctx.io().restart();
  auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(30);
  while (!result && std::chrono::steady_clock::now() < deadline) ctx.io().run_one_for(std::chrono::milliseconds(50));
  REQUIRE(result.has_value());
  return std::move(*result);
}

}  // namespace sluice::test
