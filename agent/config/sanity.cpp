// Refusing settings that can never work; see sanity.hpp.
#include "agent/config/sanity.hpp"

#include <algorithm>
#include <filesystem>
#include <string>
#include <system_error>

namespace sluice::config {

namespace {

// 4194304 → "4M", 1536 → "1536" (what a user would write back).
std::string size_text(uint64_t bytes) {
  if (bytes >= (1u << 20) && bytes % (1u << 20) == 0) return std::to_string(bytes >> 20) + "M";
  if (bytes >= 1024 && bytes % 1024 == 0) return std::to_string(bytes >> 10) + "k";
  return std::to_string(bytes);
}

// A dead-letter file whose directory doesn't exist can't be written: every
// record that fails for good (a 4xx, retries run out) would have nowhere to go.
// A relative path is taken from the working directory, as the service opens it.
void check_dead_letter_dir(const ComponentConfig& c) {
  if (!c.has("dead_letter_file")) return;
  std::filesystem::path file = c.get_string("dead_letter_file");
  if (file.empty()) return;
  std::filesystem::path dir = file.parent_path();
  std::error_code ec;
  if (dir.empty() || std::filesystem::is_directory(dir, ec)) return;  // empty: the working directory
  c.fail("dead_letter_file", "directory '" + dir.string() +
                                 "' does not exist: records that fail for good (a rejected record, retries run "
                                 "out) would have nowhere to go");
}

void check_service(const ComponentConfig& svc) {
  if (svc.get_size("mem_limit") == 0)
    svc.fail("mem_limit", "must be above 0: it is the memory for all buffered records (at 0 inputs pause for good)");
  if (svc.get_duration("flush").count() <= 0)
    svc.fail("flush", "must be longer than 0: it is how long an output waits to fill a batch (e.g. 1s, 100ms)");
  for (const char* key : {"health.max_output_stall", "health.max_paused"})
    if (svc.get_duration(key).count() <= 0) svc.fail(key, "must be longer than 0");
  int64_t port = svc.get_int("http_port");
  if (port < 1 || port > 65535) svc.fail("http_port", "expected a port between 1 and 65535, got " + std::to_string(port));
  check_dead_letter_dir(svc);
}

void check_output(const ComponentConfig& out, const ComponentConfig& svc) {
  if (out.has("flush") && out.get_duration("flush").count() <= 0)
    out.fail("flush", "must be longer than 0: it is how long the output waits to fill a batch (e.g. 1s, 100ms)");
  if (out.has("retry_max_duration") && out.get_duration("retry_max_duration").count() <= 0)
    out.fail("retry_max_duration", "must be longer than 0 (to give up at the first failure: retry_limit: no_retries)");
  // A budget below one batch: no batch ever fills by size, each waits out
  // `flush` with the inputs paused, and the output crawls.
  // (Without batch_max_bytes set, batches shrink to mem_buf_limit: OutputSettings.)
  const uint64_t buffer = out.get_size("mem_buf_limit");
  const uint64_t batch = out.has("batch_max_bytes") ? out.get_size("batch_max_bytes")
                                                    : std::min(out.get_size("batch_max_bytes"), buffer);
  if (buffer < batch) {
    std::string why = "mem_buf_limit (" + size_text(buffer) + ") is below one batch (batch_max_bytes " +
                      size_text(batch) + "): no batch would fill; raise mem_buf_limit or lower batch_max_bytes";
    out.fail(out.has("mem_buf_limit") ? "mem_buf_limit" : "batch_max_bytes", why);
  }
  // The same for the disk: a limit below one batch holds back every batch
  // before it fills, and under buffer.when_full block pauses the inputs for good.
  if (out.has("storage.total_limit_size")) {
    const uint64_t disk = out.get_size("storage.total_limit_size");
    if (disk > 0 && disk < batch)
      out.fail("storage.total_limit_size",
               size_text(disk) + " is below one batch (batch_max_bytes " + size_text(batch) +
                   "): the backlog on disk could never hold a whole batch; raise it or lower batch_max_bytes");
  }
  const uint64_t total = svc.get_size("mem_limit");
  if (total < batch) {
    svc.fail("mem_limit", size_text(total) + " is below one batch of output " + std::string(out.plugin()) + " (" +
                              out.mark().str() + ": batch_max_bytes " + size_text(batch) +
                              "): no batch would fill; raise mem_limit or lower that output's batch_max_bytes");
  }
  check_dead_letter_dir(out);
}

}  // namespace

void check_sanity(const PipelineConfig& cfg) {
  check_service(cfg.service);
  for (const auto& out : cfg.outputs) check_output(out, cfg.service);
}

}  // namespace sluice::config
