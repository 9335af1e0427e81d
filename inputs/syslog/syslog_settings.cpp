// Key declarations and validation of the syslog input; see syslog_settings.hpp.
#include "inputs/syslog/syslog_settings.hpp"

#include <unistd.h>

#include "agent/asio.hpp"
#include "agent/config/config_path.hpp"
#include "agent/config/net_keys.hpp"
#include "agent/parse/parser.hpp"
#include "agent/unix_socket_file.hpp"
#include "inputs/syslog/syslog_input.hpp"

namespace sluice {

using config::KeyType;

const config::PluginSchema& syslog_input_schema() {
  static const config::PluginSchema schema = [] {
    config::PluginSchema schema{
      "syslog",
      "Receives syslog messages (RFC 5424 and RFC 3164, detected per message) over UDP, TCP (optionally TLS) "
      "or unix sockets. TCP framing (RFC 6587 octet counting, or a LF/NUL trailer) is detected per connection. "
      "Records carry Fluent Bit's syslog field names (pri, time, host, ident, pid, msgid, extradata, message) "
      "plus facility/severity as numbers and names; a message that doesn't parse is kept raw with "
      "`parse_error: true`.",
      {
          {"mode",
           KeyType::String,
           "unix_udp",
           "Transport: `udp`, `tcp`, `unix_udp` or `unix_tcp` (unix sockets at `path`). The default is Fluent "
           "Bit's.",
           false,
           false,
           {"udp", "tcp", "unix_udp", "unix_tcp"}},
          {"listen", KeyType::String, "0.0.0.0", "Address to listen on (modes udp and tcp): an IPv4 or IPv6 address."},
          {"port", KeyType::Int, "5140", "Port to listen on (modes udp and tcp)."},
          {"path", KeyType::String, "",
           "Socket file to create (modes unix_udp and unix_tcp); a stale socket there is replaced, any other "
           "file is refused. Relative to the config file's directory."},
          {"unix_perm", KeyType::String, "0644", "Permissions of the socket file, in octal."},
          {"parser", KeyType::String, "",
           "How messages are read. Unset or `auto`: RFC 5424 when the version `1` follows the priority, else "
           "RFC 3164. `rfc5424` / `rfc3164` (also Fluent Bit's `syslog-rfc5424`, `syslog-rfc3164`, "
           "`syslog-rfc3164-local`): that format only. Any other name: a parser from the `parsers` section, "
           "applied to the whole message."},
          {"frame",
           KeyType::String,
           "auto",
           "TCP framing: `auto` (per connection: a first byte that is a digit means octet counting), "
           "`newline` (each message ends with LF or NUL) or `octet_counting` (RFC 6587 `LEN SP MSG`).",
           false,
           false,
           {"auto", "newline", "octet_counting"}},
          {"buffer_chunk_size", KeyType::Size, "32k", "Bytes read from a socket at once."},
          {"buffer_max_size", KeyType::Size, "",
           "Longest message (default: buffer_chunk_size, as Fluent Bit). A longer one is cut at this size and "
           "flagged `truncated: true` (and counted); the rest of it is skipped."},
          {"receive_buffer_size", KeyType::Size, "",
           "Socket receive buffer (SO_RCVBUF); the kernel caps it at net.core.rmem_max. Unset: the system "
           "default. A larger one lets UDP ride out longer pauses without drops."},
          {"source_address_key", KeyType::String, "",
           "If set, adds the sender under this key: `udp://IP:PORT`, `tcp://IP:PORT` or `unix://PATH`."},
          {"raw_message_key", KeyType::String, "", "If set, adds the message as received under this key."},
      }};
    for (auto& k : syslog::tls_key_decls()) schema.keys.push_back(std::move(k));
    return schema;
  }();
  return schema;
}

namespace syslog {

namespace {

std::string known_parsers(const ParserSet* set) {
  std::string out = "auto, rfc5424, rfc3164";
  if (set != nullptr)
    for (const auto& n : set->names()) out += ", " + n;
  return out;
}

void read_parser(const config::ComponentConfig& cfg, const BuildContext& ctx, SyslogSettings& s) {
  std::string name = cfg.get_string("parser");
  if (name.empty() || name == "auto") return;
  // A parser the user defined under a syslog name wins over the built-in formats.
  const Parser* user = ctx.parsers != nullptr ? ctx.parsers->find(name) : nullptr;
  if (user == nullptr) {
    if (name == "rfc5424" || name == "syslog-rfc5424") {
      s.format = Format::Rfc5424;
      return;
    }
    if (name == "rfc3164" || name == "syslog-rfc3164" || name == "syslog-rfc3164-local") {
      s.format = Format::Rfc3164;
      return;
    }
    cfg.fail("parser", "unknown parser '" + name + "' (known: " + known_parsers(ctx.parsers) + ")");
  }
  s.parser = user;
}

void read_network(const config::ComponentConfig& cfg, SyslogSettings& s) {
  bool is_unix = s.mode == Mode::UnixUdp || s.mode == Mode::UnixTcp;
  if (is_unix) {
    if (cfg.has("listen"))
      cfg.fail("listen", "is used with modes udp and tcp; this input is " + std::string(mode_name(s.mode)));
    if (cfg.has("port"))
      cfg.fail("port", "is used with modes udp and tcp; this input is " + std::string(mode_name(s.mode)));
    return;
  }
  for (const char* key : {"path", "unix_perm"})
    if (cfg.has(key))
      cfg.fail(key, "is used with modes unix_udp and unix_tcp; this input is " + std::string(mode_name(s.mode)));
  s.listen = config::read_listen_address(cfg);
  s.port = config::read_port(cfg);
}

void read_unix(const config::ComponentConfig& cfg, const BuildContext& ctx, SyslogSettings& s) {
  if (s.mode != Mode::UnixUdp && s.mode != Mode::UnixTcp) return;
  s.path = config::path_from_config_dir(ctx.base_dir, cfg.get_string("path"));
  if (s.path.empty()) {
    cfg.fail(cfg.has("mode") ? "mode" : "path",
             std::string("mode ") + mode_name(s.mode) + (cfg.has("mode") ? "" : " (the default, as Fluent Bit's)") +
                 " needs `path`, the socket file to create; or set mode: udp or tcp with listen/port");
  }
  std::string perm = cfg.get_string("unix_perm");
  std::optional<unsigned> mode = unix_socket::parse_mode(perm);
  if (!mode) cfg.fail("unix_perm", "expected an octal file mode such as 0644 or 0660, got '" + perm + "'");
  s.unix_perm = *mode;
}

void read_buffers(const config::ComponentConfig& cfg, SyslogSettings& s) {
  constexpr uint64_t kMin = 16;
  constexpr uint64_t kMax = uint64_t{1} << 30;
  uint64_t chunk = cfg.get_size("buffer_chunk_size");
  if (chunk < kMin || chunk > kMax)
    cfg.fail("buffer_chunk_size", "expected a size between 16 bytes and 1G, got " + std::to_string(chunk));
  uint64_t max = cfg.has("buffer_max_size") ? cfg.get_size("buffer_max_size") : chunk;
  if (max < kMin || max > kMax)
    cfg.fail("buffer_max_size", "expected a size between 16 bytes and 1G, got " + std::to_string(max));
  s.buffer_chunk_size = static_cast<size_t>(chunk);
  s.buffer_max_size = static_cast<size_t>(max);
  if (cfg.has("receive_buffer_size")) {
    uint64_t rcv = cfg.get_size("receive_buffer_size");
    if (rcv < 1024 || rcv > kMax)
      cfg.fail("receive_buffer_size", "expected a size between 1k and 1G, got " + std::to_string(rcv));
    s.receive_buffer_size = static_cast<size_t>(rcv);
  }
}

}  // namespace

void read_tls(const config::ComponentConfig& cfg, const BuildContext& ctx, SyslogSettings& s) {
  if (cfg.get_bool("tls") && s.mode != Mode::Tcp)
    cfg.fail("tls", std::string("is supported with mode tcp; this input is ") + mode_name(s.mode));
  s.tls = config::read_tls_server_settings(cfg, ctx.base_dir);
}

std::vector<config::KeyDecl> tls_key_decls() {
  return config::tls_server_keys("TLS on mode tcp (RFC 5425), with tls.crt_file and tls.key_file.");
}

const char* payload_name(Payload payload) {
  switch (payload) {
    case Payload::Syslog: return "syslog";
    case Payload::Json: return "JSON";
    case Payload::Lines: return "lines";
  }
  return "?";
}

const char* mode_name(Mode mode) {
  switch (mode) {
    case Mode::Udp:
      return "udp";
    case Mode::Tcp:
      return "tcp";
    case Mode::UnixUdp:
      return "unix_udp";
    case Mode::UnixTcp:
      return "unix_tcp";
  }
  return "?";
}

SyslogSettings make_settings(const config::ComponentConfig& cfg, const BuildContext& ctx) {
  SyslogSettings s;
  s.tag = cfg.get_string("tag");
  if (s.tag.empty()) s.tag = std::string(cfg.plugin());
  std::string mode = cfg.get_string("mode");
  s.mode = mode == "udp" ? Mode::Udp : mode == "tcp" ? Mode::Tcp : mode == "unix_tcp" ? Mode::UnixTcp : Mode::UnixUdp;
  read_network(cfg, s);
  read_unix(cfg, ctx, s);
  read_parser(cfg, ctx, s);
  std::string frame = cfg.get_string("frame");
  s.framing = frame == "newline"          ? Framing::Newline
              : frame == "octet_counting" ? Framing::OctetCounting
                                          : Framing::Auto;
  if (cfg.has("frame") && !s.stream())
    cfg.fail("frame", "is used with modes tcp and unix_tcp (a datagram is one message)");
  read_buffers(cfg, s);
  s.source_address_key = cfg.get_string("source_address_key");
  s.raw_message_key = cfg.get_string("raw_message_key");
  read_tls(cfg, ctx, s);
  s.bind_mark = cfg.mark_of(s.mode == Mode::UnixUdp || s.mode == Mode::UnixTcp ? "path" : "port");
  return s;
}

}  // namespace syslog
}  // namespace sluice
