// The `dummy` input: emits a fixed record at a given rate (demos,
// benchmarks), with Fluent Bit's in_dummy keys.
#pragma once
#include <cstdint>
#include <memory>
#include <optional>
#include <string>

#include "agent/input.hpp"

namespace sluice {

const config::PluginSchema& dummy_input_schema();
std::unique_ptr<Input> make_dummy_input(const config::ComponentConfig& cfg, const BuildContext& ctx);

struct DummySettings {
  std::string tag;
  int64_t period_ns = 1'000'000'000;   // time between two records
  int64_t samples = 0;                 // 0 = forever
  std::optional<int64_t> start_time_ns;
  bool fixed_timestamp = false;
  int64_t copies = 1;             // records per generated event (Fluent Bit's `copies`)
  bool flush_on_startup = false;  // the first records at start, not after one period
};

}  // namespace sluice
