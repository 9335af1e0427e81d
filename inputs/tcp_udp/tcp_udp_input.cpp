// The `tcp` and `udp` inputs; see tcp_udp_input.hpp.
#include "inputs/tcp_udp/tcp_udp_input.hpp"

#include "agent/config/compat_keys.hpp"
#include "agent/config/net_keys.hpp"
#include "agent/config/tls_server_keys.hpp"
#include "agent/parse/parser.hpp"
#include "inputs/syslog/syslog_input.hpp"
#include "inputs/syslog/syslog_settings.hpp"

namespace sluice {

namespace {

using config::KeyType;
using syslog::Mode;
using syslog::Payload;

constexpr uint64_t kMinBuffer = 16;
constexpr uint64_t kMaxBuffer = uint64_t{1} << 30;

std::vector<config::KeyDecl> common_keys(bool tcp) {
  std::vector<config::KeyDecl> keys = {
      {"listen", KeyType::String, "0.0.0.0", "Address to listen on: an IPv4 or IPv6 address."},
      {"port", KeyType::Int, "5170", tcp ? "TCP port." : "UDP port."},
      {"format", KeyType::String, "json",
       tcp ? "json: a stream of JSON values (one per line, pretty-printed or back to back), each object a record, "
             "an array {\"msg\": [...]}; none: each line is a record {\"log\": line}. Text that isn't JSON is "
             "kept as {\"log\": text} and counted."
           : "json: the JSON values of each datagram (one or several, pretty-printed or back to back), each "
             "object a record, an array {\"msg\": [...]}; none: each line of a datagram is a record "
             "{\"log\": line}. Text that isn't JSON is kept as {\"log\": text} and counted.",
       false, false, {"json", "none"}},
      {"separator", KeyType::String, "\\n",
       "What ends a message: a newline (LF; a CR before it and a NUL also end one). Other separators are "
       "refused."},
      {"parser", KeyType::String, "",
       "A parser from the `parsers` section applied to each line (format none, as Fluent Bit switches to); a "
       "line it can't read is kept as {\"log\": line}."},
      {"chunk_size", KeyType::String, "32",
       "Bytes read at once: a bare number is KiB, as in Fluent Bit (32 = 32 KiB); or a size such as 64k."},
      {"buffer_size", KeyType::String, "",
       "Longest message, KiB when a bare number (default: chunk_size). A longer one is cut at this size and "
       "flagged `truncated: true`."},
      {"source_address_key", KeyType::String, "",
       tcp ? "If set, adds the sender under this key: `tcp://IP:PORT`." : "If set, adds the sender: `udp://IP:PORT`."},
      config::compat_note("workers", KeyType::Int,
                          "one thread reads every connection of the input (asynchronously); the setting is not "
                          "needed."),
  };
  if (tcp) {
    for (auto& k : config::tls_server_keys("TLS, with tls.crt_file and tls.key_file.")) keys.push_back(std::move(k));
  }
  return keys;
}

// Fluent Bit's chunk_size and buffer_size are KiB when written as a bare number.
uint64_t kib_or_size(const config::ComponentConfig& cfg, const char* key) {
  std::string text = cfg.get_string(key);
  bool digits = !text.empty() && text.find_first_not_of("0123456789") == std::string::npos;
  std::optional<uint64_t> v = config::parse_size(text);
  if (!v) cfg.fail(key, "expected a size: KiB as a bare number (32), or with a unit (32k, 1M), got '" + text + "'");
  uint64_t bytes = digits ? *v * 1024 : *v;
  if (bytes < kMinBuffer || bytes > kMaxBuffer)
    cfg.fail(key, "expected a size between 16 bytes and 1G, got " + std::to_string(bytes) + " bytes");
  return bytes;
}

void read_separator(const config::ComponentConfig& cfg) {
  std::string sep = cfg.get_string("separator");
  for (const char* newline : {"\n", "\\n", "\r\n", "\\r\\n"})
    if (sep == newline) return;
  cfg.fail("separator", "messages end at a newline (LF, with an optional CR before it) here; other separators "
                        "are not supported");
}

syslog::SyslogSettings make_settings(const config::ComponentConfig& cfg, const BuildContext& ctx, Mode mode) {
  syslog::SyslogSettings s;
  s.mode = mode;
  s.plugin = std::string(cfg.plugin());
  s.tag = cfg.get_string("tag");
  if (s.tag.empty()) s.tag = std::string(cfg.plugin());
  s.listen = config::read_listen_address(cfg);
  s.port = config::read_port(cfg);
  s.payload = cfg.get_string("format") == "none" ? Payload::Lines : Payload::Json;
  std::string parser = cfg.get_string("parser");
  if (!parser.empty()) {
    s.parser = ctx.parsers != nullptr ? ctx.parsers->find(parser) : nullptr;
    if (s.parser == nullptr) cfg.fail("parser", "unknown parser '" + parser + "': define it in the parsers section");
    s.payload = Payload::Lines;
  }
  // JSON is read as a stream of values, pretty-printed or back to back, as
  // Fluent Bit reads it; lines otherwise.
  s.framing = s.payload == Payload::Json ? syslog::Framing::JsonStream : syslog::Framing::Newline;
  read_separator(cfg);
  s.buffer_chunk_size = static_cast<size_t>(kib_or_size(cfg, "chunk_size"));
  s.buffer_max_size = cfg.has("buffer_size") ? static_cast<size_t>(kib_or_size(cfg, "buffer_size")) : s.buffer_chunk_size;
  // A datagram is read whole: the read buffer must hold the longest one.
  if (mode == Mode::Udp) s.buffer_chunk_size = std::max(s.buffer_chunk_size, s.buffer_max_size);
  s.source_address_key = cfg.get_string("source_address_key");
  if (mode == Mode::Tcp) syslog::read_tls(cfg, ctx, s);
  s.bind_mark = cfg.mark_of("port");
  return s;
}

}  // namespace

const config::PluginSchema& tcp_input_schema() {
  static const config::PluginSchema schema{
      "tcp",
      "Receives JSON objects or lines of text over TCP (optionally TLS), as Fluent Bit's tcp input: one record "
      "per message, stamped with the time it arrived.",
      common_keys(true)};
  return schema;
}

const config::PluginSchema& udp_input_schema() {
  static const config::PluginSchema schema{
      "udp",
      "Receives JSON objects or lines of text in UDP datagrams, as Fluent Bit's udp input: one record per "
      "message, stamped with the time it arrived.",
      common_keys(false)};
  return schema;
}

std::unique_ptr<Input> make_tcp_input(const config::ComponentConfig& cfg, const BuildContext& ctx) {
  return make_listener_input(make_settings(cfg, ctx, Mode::Tcp), cfg);
}

std::unique_ptr<Input> make_udp_input(const config::ComponentConfig& cfg, const BuildContext& ctx) {
  return make_listener_input(make_settings(cfg, ctx, Mode::Udp), cfg);
}

}  // namespace sluice
