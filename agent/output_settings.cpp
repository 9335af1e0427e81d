// Reading the per-output core settings; see output_settings.hpp.
#include "agent/output_settings.hpp"

#include "agent/ascii_case.hpp"
#include "agent/log.hpp"

#include <algorithm>

namespace sluice {

OutputSettings OutputSettings::from_config(const config::ComponentConfig& cfg, std::chrono::nanoseconds service_flush) {
  OutputSettings s;
  if (cfg.has("log_level")) s.log_level = log::level_number(cfg.get_string("log_level"));
  // Words in any case, as Fluent Bit compares them (its Helm chart writes `Retry_Limit False`).
  std::string limit = ascii_lower(cfg.get_string("retry_limit"));
  if (limit == "no_limits" || limit == "false" || limit == "off" || limit == "unlimited") {
    s.retry_limit.reset();
  } else if (limit == "no_retries") {
    s.retry_limit = 0;
  } else if (auto n = config::parse_int(limit); n && *n >= 0) {
    s.retry_limit = *n;
  } else {
    cfg.fail("retry_limit", "expects a number >= 0, no_limits, false, off or no_retries, got '" +
                               cfg.get_string("retry_limit") + "'");
  }
  if (cfg.has("retry_max_duration")) s.retry_max_duration = cfg.get_duration("retry_max_duration");
  s.retry_base = cfg.get_duration("retry_base");
  s.retry_cap = cfg.get_duration("retry_cap");
  // The default cap follows a longer retry_base: `retry_base: 10s` alone loads.
  if (!cfg.has("retry_cap")) s.retry_cap = std::max(s.retry_cap, s.retry_base);
  if (s.retry_base.count() <= 0) cfg.fail("retry_base", "must be greater than zero");
  if (s.retry_cap < s.retry_base) cfg.fail("retry_cap", "must not be smaller than retry_base");
  s.mem_buf_limit = cfg.get_size("mem_buf_limit");
  if (s.mem_buf_limit == 0) cfg.fail("mem_buf_limit", "must be greater than zero");
  std::string policy = cfg.get_string("buffer.when_full");
  s.when_full = policy == "drop_newest" ? WhenFull::DropNewest
                : policy == "drop_oldest" ? WhenFull::DropOldest : WhenFull::Block;
  int64_t workers = cfg.get_int("workers");
  if (workers < 1 || workers > 64) cfg.fail("workers", "expects 1 to 64");
  s.workers = static_cast<int>(workers);
  s.flush = cfg.has("flush") ? cfg.get_duration("flush") : service_flush;
  int64_t records = cfg.get_int("batch_max_records");
  if (records < 1) cfg.fail("batch_max_records", "must be at least 1");
  s.batch_max_records = static_cast<uint64_t>(records);
  s.batch_max_bytes = cfg.get_size("batch_max_bytes");
  if (s.batch_max_bytes == 0) cfg.fail("batch_max_bytes", "must be greater than zero");
  // A buffer smaller than the default batch (Fluent Bit configs often say
  // mem_buf_limit 1M): batches as large as the buffer, so that they still fill.
  if (!cfg.has("batch_max_bytes")) s.batch_max_bytes = std::min(s.batch_max_bytes, s.mem_buf_limit);
  s.dead_letter_file = cfg.get_string("dead_letter_file");
  return s;
}

}  // namespace sluice
