// The core's per-output settings (retry, buffer, batching), read once from
// the output's common keys.
#pragma once
#include <chrono>
#include <cstdint>
#include <optional>
#include <string>

#include "agent/config/component_config.hpp"

namespace sluice {

enum class WhenFull { Block, DropNewest, DropOldest };

struct OutputSettings {
  std::optional<int64_t> retry_limit;  // retries after the first attempt; nullopt = no limit
  std::optional<std::chrono::nanoseconds> retry_max_duration;
  std::chrono::nanoseconds retry_base{std::chrono::seconds(1)};
  std::chrono::nanoseconds retry_cap{std::chrono::seconds(5)};
  uint64_t mem_buf_limit = 8 << 20;
  WhenFull when_full = WhenFull::Block;
  int log_level = -1;  // its own log_level (log::level_number), -1: service.log_level
  int workers = 1;
  std::chrono::nanoseconds flush{std::chrono::seconds(1)};
  uint64_t batch_max_records = 10000;
  uint64_t batch_max_bytes = 4 << 20;
  std::string dead_letter_file;  // "" = the service's

  // service_flush is the default for `flush`. ConfigError on bad values.
  static OutputSettings from_config(const config::ComponentConfig& cfg, std::chrono::nanoseconds service_flush);
};

}  // namespace sluice
