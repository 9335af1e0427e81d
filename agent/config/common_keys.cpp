// Declarations of the service section and of the per-kind common keys.
#include "agent/config/common_keys.hpp"

#include <deque>
#include <map>
#include <mutex>

#include "agent/config/compat_keys.hpp"
#include "agent/config/yaml_loader.hpp"

namespace sluice::config {

const PluginSchema& service_schema() {
  static const PluginSchema schema{
      "service",
      "Settings of the sluice process itself.",
      {
          {"flush", KeyType::Duration, "1s", "Longest time an output waits to fill a batch before sending it."},
          {"grace", KeyType::Duration, "5s", "At shutdown, how long outputs may take to deliver what they hold."},
          {"log_level", KeyType::String, "info", "sluice's own log level on stderr.", false, false,
           {"off", "error", "warn", "info", "debug", "trace"}},
          {"log_file", KeyType::String, "",
           "Write sluice's log to this file (appended; relative to the working directory) instead of stderr."},
          {"daemon", KeyType::Bool, "off",
           "Fluent Bit's: sluice runs in the foreground only (use systemd or a container); 'on' is refused."},
          {"scheduler.base", KeyType::Duration, "",
           "Fluent Bit's retry backoff base: the default retry_base of every output that sets none."},
          {"scheduler.cap", KeyType::Duration, "",
           "Fluent Bit's retry backoff cap: the default retry_cap of every output that sets none."},
          {"mem_limit", KeyType::Size, "64M",
           "Memory budget for all buffered records; when reached, inputs pause (file inputs lose nothing)."},
          {"storage.path", KeyType::String, "",
           "Directory for sluice's state: the filesystem buffer of inputs with storage.type filesystem "
           "(<storage.path>/<input>/), its quarantine, the dead-letter file default."},
          {"storage.sync", KeyType::String, "normal",
           "When a filesystem input acknowledges: normal = once its chunk is written (survives a crash of "
           "sluice), full = once it is fsynced (survives a power loss; slower).", false, false, {"normal", "full"}},
          {"storage.backlog.mem_limit", KeyType::Size, "5M",
           "Accepted for Fluent Bit and not used: the backlog on disk is loaded while the pipeline has room, so "
           "mem_limit and each output's mem_buf_limit bound its memory."},
          {"storage.checksum", KeyType::Bool, "on", "Accepted for Fluent Bit; sluice always checks a CRC32C per frame."},
          {"storage.max_chunks_up", KeyType::Int, "128",
           "Accepted for Fluent Bit and not used: mem_limit and mem_buf_limit bound memory."},
          {"storage.metrics", KeyType::Bool, "on", "Accepted for Fluent Bit; sluice always exports sluice_storage_* metrics."},
          {"parsers_file", KeyType::List, "",
           "Files of parser definitions: YAML with a `parsers:` list, or Fluent Bit's classic parsers.conf "
           "([PARSER] sections); relative to the folder of the file that names them."},
          {"dead_letter_file", KeyType::String, "",
           "JSON-lines file for records that failed permanently or ran out of retries "
           "(default: <storage.path or .>/sluice-dead-letter.jsonl)."},
          {"http_server", KeyType::Bool, "off",
           "Serve /api/v1/health (and /health/live, /health/ready), /api/v1/metrics, /api/v1/config, "
           "/api/v1/uptime and POST /api/v1/reload."},
          {"http_listen", KeyType::String, "127.0.0.1", "Address of the built-in HTTP server."},
          {"http_port", KeyType::Int, "2020", "Port of the built-in HTTP server."},
          {"hot_reload", KeyType::Bool, "off",
           "Reload the configuration file on SIGHUP (or POST /api/v1/reload): components whose settings changed "
           "are rebuilt, the others keep running, nothing queued is lost."},
          {"health.max_output_stall", KeyType::Duration, "5m",
           "Health is unhealthy (503) when an output has batches due and delivered nothing for this long."},
          {"health.max_paused", KeyType::Duration, "5m",
           "Health is unhealthy (503) when an input has been paused (buffers full) for this long without a break."},
      }};
  return schema;
}

const std::vector<KeyDecl>& common_keys(const std::string& kind) {
  static const std::vector<KeyDecl> input = {
      {"name", KeyType::String, "", "The plugin to run.", true},
      {"log_level", KeyType::String, "", "This component's own log level (default: service.log_level), both ways: "
       "debug shows its debug lines, error hides its warnings.", false, false,
       {"off", "error", "warn", "info", "debug", "trace"}},
      {"tag", KeyType::String, "", "Tag of the records this input makes (default: the plugin name)."},
      {"alias", KeyType::String, "", "Name of this instance in logs and metrics."},
      {"storage.type", KeyType::String, "memory",
       "memory, or filesystem: records are written to <service.storage.path>/<input>/ before the input "
       "acknowledges them (HTTP 2xx, TCP reading on), and survive a crash or an outage on disk. memrb is taken "
       "as memory.", false, false, {"memory", "filesystem", "memrb"}},
      {"storage.pause_on_chunks_overlimit", KeyType::Bool, "off",
       "Accepted for Fluent Bit and not used: a filesystem input pauses only when its disk is full or a "
       "storage.total_limit_size is reached under buffer.when_full block."},
  };
  static const std::vector<KeyDecl> filter = {
      {"name", KeyType::String, "", "The plugin to run.", true},
      {"log_level", KeyType::String, "", "This component's own log level (default: service.log_level), both ways: "
       "debug shows its debug lines, error hides its warnings.", false, false,
       {"off", "error", "warn", "info", "debug", "trace"}},
      {"match", KeyType::String, "", "Glob on the tag (`app.*`); default `*` unless match_regex is set."},
      {"match_regex", KeyType::String, "", "Regular expression on the tag, instead of match."},
      {"alias", KeyType::String, "", "Name of this instance in logs and metrics."},
  };
  static const std::vector<KeyDecl> output = {
      {"name", KeyType::String, "", "The plugin to run.", true},
      {"log_level", KeyType::String, "", "This component's own log level (default: service.log_level), both ways: "
       "debug shows its debug lines, error hides its warnings.", false, false,
       {"off", "error", "warn", "info", "debug", "trace"}},
      {"match", KeyType::String, "", "Glob on the tag (`app.*`); default `*` unless match_regex is set."},
      {"match_regex", KeyType::String, "", "Regular expression on the tag, instead of match."},
      {"alias", KeyType::String, "", "Name of this instance in logs and metrics."},
      {"retry_limit", KeyType::String, "no_limits",
       "Failed sends of a batch before it goes to the dead-letter file (waiting out the output's backoff is "
       "none): a number, or no_limits / false / off (retry forever), or no_retries, in any case."},
      {"retry_max_duration", KeyType::Duration, "",
       "Give up (dead-letter) on a batch still failing this long after its first failure; unset = no limit."},
      {"retry_base", KeyType::Duration, "1s",
       "The output's first backoff after a failure; doubles per failure in a row, with full jitter."},
      {"retry_cap", KeyType::Duration, "5s",
       "Longest backoff: a failing backend gets one probe request at least this often (Retry-After may ask "
       "for longer), so the output notices its return within it."},
      {"mem_buf_limit", KeyType::Size, "8M", "Memory this output's queue may hold before buffer.when_full applies."},
      {"buffer.when_full", KeyType::String, "block", "What to do when the queue is full.", false, false,
       {"block", "drop_newest", "drop_oldest"}},
      {"workers", KeyType::Int, "1", "Batches this output may have in flight at once."},
      {"flush", KeyType::Duration, "", "Longest wait to fill a batch (default: service.flush)."},
      {"batch_max_records", KeyType::Int, "10000", "Most records in one batch."},
      {"batch_max_bytes", KeyType::Size, "4M",
       "Most buffered bytes in one batch (approximate, by chunk memory); unset and mem_buf_limit smaller: "
       "mem_buf_limit."},
      {"dead_letter_file", KeyType::String, "", "Dead-letter file of this output (default: service.dead_letter_file)."},
      {"storage.total_limit_size", KeyType::Size, "",
       "Most bytes filesystem inputs may hold on disk for this output; then buffer.when_full applies "
       "(block: those inputs push back; drop_newest / drop_oldest: whole chunks dropped, counted). Unset: no limit."},
  };
  static const std::vector<KeyDecl> none;
  if (kind == "input") return input;
  if (kind == "filter") return filter;
  if (kind == "output") return output;
  return none;
}

const PluginSchema& effective_schema(const PluginSchema& plugin, const std::string& kind) {
  static std::mutex mu;
  static std::map<std::pair<const PluginSchema*, std::string>, const PluginSchema*> cache;
  static std::deque<PluginSchema> storage;
  std::lock_guard lock(mu);
  auto key = std::make_pair(&plugin, kind);
  if (auto it = cache.find(key); it != cache.end()) return *it->second;
  PluginSchema merged = plugin;
  for (const auto& k : common_keys(kind))
    if (merged.find(k.name) == nullptr) merged.keys.push_back(k);
  for (const auto& k : compat_keys(kind))
    if (merged.find(k.name) == nullptr && (k.alias_of.empty() || merged.find(k.alias_of) != nullptr))
      merged.keys.push_back(k);
  storage.push_back(std::move(merged));
  cache[key] = &storage.back();
  return storage.back();
}

}  // namespace sluice::config
