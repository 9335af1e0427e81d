// Fluent Bit's common keys, as sluice takes them; see compat_keys.hpp.
#include "agent/config/compat_keys.hpp"

namespace sluice::config {

KeyDecl compat_note(std::string_view name, KeyType type, std::string_view what_sluice_does) {
  KeyDecl k{name, type, "", what_sluice_does, false, false, {}};
  k.compat_note = what_sluice_does;
  return k;
}

KeyDecl compat_alias(std::string_view name, KeyType type, std::string_view of) {
  KeyDecl k{name, type, "", "Fluent Bit's name for this plugin's key of the same meaning.", false, false, {}};
  k.alias_of = of;
  return k;
}

namespace {

KeyDecl note(std::string_view name, KeyType type, std::string_view what_sluice_does) {
  return compat_note(name, type, what_sluice_does);
}

KeyDecl alias(std::string_view name, KeyType type, std::string_view of) { return compat_alias(name, type, of); }

constexpr std::string_view kSystemResolver = "names are resolved with the system's resolver (getaddrinfo).";
constexpr std::string_view kResolverOrder = "the system's resolver order (getaddrinfo, /etc/gai.conf) applies.";
constexpr std::string_view kHealthModel =
    "sluice judges health by what it delivers, not by counting errors in a period: unhealthy when an output has "
    "delivered nothing for health.max_output_stall or an input was paused for health.max_paused.";
constexpr std::string_view kSuppress =
    "sluice rate-limits repeated messages by itself (the first, then a count at most once a minute).";

}  // namespace

const std::vector<KeyDecl>& compat_keys(const std::string& kind) {
  static const std::vector<KeyDecl> input = {
      note("log_suppress_interval", KeyType::Duration, kSuppress),
      note("mem_buf_limit", KeyType::Size,
           "sluice bounds memory per output (its mem_buf_limit) and in total (service.mem_limit); this input "
           "pauses while they are full, a file input losing nothing."),
      note("threaded", KeyType::Bool,
           "sluice's inputs share one event loop that never blocks; each output runs on its own thread."),
      note("routable", KeyType::Bool, "every input's records are routed by the outputs' match."),
  };
  static const std::vector<KeyDecl> filter = {
      note("log_suppress_interval", KeyType::Duration, kSuppress),
  };
  static const std::vector<KeyDecl> output = {
      note("log_suppress_interval", KeyType::Duration, kSuppress),
      alias("net.connect_timeout", KeyType::Duration, "connect_timeout"),
      alias("net.io_timeout", KeyType::Duration, "request_timeout"),
      alias("http.response_timeout", KeyType::Duration, "request_timeout"),
      note("http.read_idle_timeout", KeyType::Duration,
           "an answer must arrive whole within request_timeout of the request; there is no separate idle limit."),
      note("net.connect_timeout_log_error", KeyType::Bool, "connection failures are logged as retries (rate-limited)."),
      note("net.keepalive", KeyType::Bool, "outputs always keep their connections alive and reuse them."),
      note("net.keepalive_idle_timeout", KeyType::Duration,
           "an idle connection is kept until the server closes it, and reopened when needed."),
      note("net.keepalive_max_recycle", KeyType::Int, "a connection is reused until the server closes it."),
      note("net.max_worker_connections", KeyType::Int, "each of `workers` batches in flight has its own connection."),
      note("net.dns.mode", KeyType::String, kSystemResolver),
      note("net.dns.resolver", KeyType::String, kSystemResolver),
      note("net.dns.prefer_ipv4", KeyType::Bool, kResolverOrder),
      note("net.source_address", KeyType::String, "connections use the address the kernel picks."),
      note("tls.verify_hostname", KeyType::Bool,
           "with tls.verify on, sluice always checks that the certificate names the host (or tls.vhost)."),
      note("tls.debug", KeyType::Int, "TLS errors are logged with OpenSSL's reason; there is no separate TLS debug level."),
  };
  static const std::vector<KeyDecl> service = {
      alias("http_monitor", KeyType::Bool, "http_server"),  // the name in Fluent Bit's shipped example configs
      note("plugins_file", KeyType::String, "sluice's plugins are built in; the file is not read."),
      note("streams_file", KeyType::String,
           "sluice has no stream processor: the file is not read and its stream tasks don't run."),
      note("health_check", KeyType::Bool,
           "the status server (http_server on) always answers /api/v1/health, judged by health.max_output_stall "
           "and health.max_paused."),
      note("hc_errors_count", KeyType::Int, kHealthModel),
      note("hc_retry_failure_count", KeyType::Int, kHealthModel),
      note("hc_period", KeyType::Duration, kHealthModel),
      note("coro_stack_size", KeyType::Size, "sluice's components are not coroutines with stacks of their own."),
      note("dns.mode", KeyType::String, kSystemResolver),
      note("dns.resolver", KeyType::String, kSystemResolver),
      note("dns.prefer_ipv4", KeyType::Bool, kResolverOrder),
      note("dns.prefer_ipv6", KeyType::Bool, kResolverOrder),
      note("storage.delete_irrecoverable_chunks", KeyType::Bool,
           "an unreadable buffer segment is moved to <storage.path>/quarantine/ and counted, never deleted."),
      note("storage.backlog.flush_on_shutdown", KeyType::Bool,
           "at shutdown outputs deliver what they can within service.grace; the rest stays on disk for the next start."),
      note("storage.trim_files", KeyType::Bool, "delivered buffer segments are deleted whole."),
      note("storage.inherit", KeyType::Bool, "each input chooses its storage.type (default memory)."),
      note("storage.keep.rejected", KeyType::Bool,
           "records refused for good go to the dead-letter file (service.dead_letter_file)."),
      note("storage.rejected.path", KeyType::String,
           "records refused for good go to the dead-letter file (service.dead_letter_file)."),
      note("enable_chunk_trace", KeyType::Bool, "sluice has no chunk tracing."),
      note("hot_reload.ensure_thread_safety", KeyType::Bool,
           "a reload rebuilds only changed components on sluice's own threads; it is always safe."),
      note("hot_reload.timeout", KeyType::Duration, "a reload waits for stopped inputs' records within service.grace."),
      note("multiline_buffer_limit", KeyType::Size,
           "an open multiline record is bounded by its parser's or filter's own buffer limit."),
      note("json.convert_nan_to_null", KeyType::Bool, "records hold no NaN: JSON has none and parsers make none."),
      note("json.escape_unicode", KeyType::Bool, "JSON output keeps UTF-8 as it is."),
      note("sp.convert_from_str_to_num", KeyType::Bool, "sluice has no stream processor."),
      note("security.fips_mode", KeyType::Bool, "TLS uses the system's OpenSSL as it is configured."),
      note("windows.maxstdio", KeyType::Int, "sluice runs on Linux."),
  };
  static const std::vector<KeyDecl> none;
  if (kind == "service") return service;
  if (kind == "input") return input;
  if (kind == "filter") return filter;
  if (kind == "output") return output;
  return none;
}

}  // namespace sluice::config
