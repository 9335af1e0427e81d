// The `gelf` output's keys and their validation; see gelf_settings.hpp.
#include "outputs/gelf/gelf_settings.hpp"

#include "agent/config/config_path.hpp"
#include "agent/host_name.hpp"
#include "outputs/common/http_output_config.hpp"

#include <algorithm>
#include <cctype>

namespace sluice::gelf {

namespace {

using config::KeyType;

// A UDP datagram carries at most 65507 bytes over IPv4; below 64 the 12-byte
// chunk header would dominate every datagram.
constexpr uint64_t kMinPacket = 64;
constexpr uint64_t kMaxPacket = 65507;

std::string lower(std::string s) {
  std::transform(s.begin(), s.end(), s.begin(), [](unsigned char c) { return std::tolower(c); });
  return s;
}

Mode read_mode(const config::ComponentConfig& cfg) {
  std::string m = lower(cfg.get_string("mode"));
  if (m == "tcp") return cfg.get_bool("tls") ? Mode::Tls : Mode::Tcp;
  if (m == "tls") return Mode::Tls;
  if (m == "http") return Mode::Http;
  if (cfg.get_bool("tls")) cfg.fail("tls", "is supported with mode tcp, tls or http; GELF over UDP has no TLS");
  return Mode::Udp;
}

Compression read_compression(const config::ComponentConfig& cfg, Mode mode) {
  std::string c = lower(cfg.get_string("compress"));
  Compression result = Compression::Gzip;
  if (c == "none" || c == "off" || c == "false") result = Compression::None;
  if (c == "zlib") result = Compression::Zlib;
  if (mode == Mode::Tcp || mode == Mode::Tls) {
    // Fluent Bit's `compress on` is ignored with tcp; naming an algorithm is a mistake worth a word.
    if (cfg.has("compress") && (c == "gzip" || c == "zlib"))
      cfg.fail("compress", "GELF over TCP is never compressed (Graylog reads plain NUL-separated JSON); "
                           "remove compress or use mode udp or http");
    return Compression::None;
  }
  if (mode == Mode::Http && result == Compression::Zlib)
    cfg.fail("compress", "mode http supports gzip (Content-Encoding: gzip) or none, not zlib");
  return result;
}

void read_tls(const config::ComponentConfig& cfg, const BuildContext& ctx, Settings& s) {
  s.tls.enabled = s.mode == Mode::Tls || (s.mode == Mode::Http && cfg.get_bool("tls"));
  if (!s.tls.enabled) {
    for (const char* key : {"tls.verify", "tls.ca_file", "tls.crt_file", "tls.key_file", "tls.vhost"})
      if (cfg.has(key)) cfg.fail(key, "is used only with mode tls (or tls: on)");
    return;
  }
  s.tls.verify = cfg.get_bool("tls.verify");
  auto file = [&](const char* key) {
    std::string path = config::path_from_config_dir(ctx.base_dir, cfg.get_string(key));
    if (!path.empty() && ::access(path.c_str(), R_OK) != 0) cfg.fail(key, "cannot read '" + path + "'");
    return path;
  };
  s.tls.ca_file = file("tls.ca_file");
  s.tls.crt_file = file("tls.crt_file");
  s.tls.key_file = file("tls.key_file");
  if (s.tls.crt_file.empty() != s.tls.key_file.empty())
    cfg.fail(s.tls.crt_file.empty() ? "tls.key_file" : "tls.crt_file",
             "a client certificate needs both tls.crt_file and tls.key_file");
  s.tls.vhost = cfg.get_string("tls.vhost");
}

std::chrono::milliseconds read_timeout(const config::ComponentConfig& cfg, const char* key) {
  auto d = std::chrono::duration_cast<std::chrono::milliseconds>(cfg.get_duration(key));
  if (d.count() <= 0) cfg.fail(key, "expected a positive duration such as 10s");
  return d;
}

}  // namespace

std::vector<config::KeyDecl> field_key_decls() {
  return {
      {"gelf_short_message_key", KeyType::String, "short_message",
       "Record key sent as short_message. If the record lacks it (or it is empty), `message` and then "
       "`log` are used; a record with none of them can't be sent as GELF and is dead-lettered."},
      {"gelf_full_message_key", KeyType::String, "full_message", "Record key sent as full_message."},
      {"gelf_host_key", KeyType::String, "host",
       "Record key sent as host; records without it carry this machine's host name."},
      {"gelf_timestamp_key", KeyType::String, "timestamp",
       "Record key sent as timestamp when it holds epoch seconds or an RFC 3339 time; otherwise the "
       "record's own time is sent (seconds with milliseconds)."},
      {"gelf_level_key", KeyType::String, "level",
       "Record key sent as level: a syslog severity 0-7 or a name (emerg, alert, crit/critical/fatal, "
       "err/error, warn/warning, notice, info, debug/trace), case-insensitive. Records without a "
       "recognised level are sent with level 6 (info); an unrecognised value is kept as an additional "
       "field."},
      {"gelf_tag_key", KeyType::String, "", "If set, the record's tag is sent as the additional field _<key>."},
  };
}

FieldKeys read_field_keys(const config::ComponentConfig& cfg) {
  FieldKeys k;
  k.short_message = cfg.get_string("gelf_short_message_key");
  if (k.short_message.empty())
    cfg.fail("gelf_short_message_key", "must name the record key that holds the message (GELF requires one)");
  k.full_message = cfg.get_string("gelf_full_message_key");
  k.host = cfg.get_string("gelf_host_key");
  k.timestamp = cfg.get_string("gelf_timestamp_key");
  k.level = cfg.get_string("gelf_level_key");
  k.tag = cfg.get_string("gelf_tag_key");
  k.hostname = host_name();
  return k;
}

const char* mode_name(Mode m) {
  switch (m) {
    case Mode::Udp: return "udp";
    case Mode::Tcp: return "tcp";
    case Mode::Tls: return "tls";
    case Mode::Http: return "http";
  }
  return "?";
}

const config::PluginSchema& schema() {
  static const config::PluginSchema s = [] {
    config::PluginSchema schema{
        "gelf",
        "Sends records to Graylog as GELF 1.1 over UDP (chunked, compressed), TCP (NUL-framed, optionally TLS) "
        "or HTTP.",
        {
            {"mode", KeyType::String, "udp",
             "Transport: udp (one datagram per message, chunked above packet_size), tcp (JSON messages each "
             "ended by a NUL byte), tls (tcp over TLS) or http (POST uri, one message per request, success 202).",
             false, false, {"udp", "tcp", "tls", "http"}},
            {"packet_size", KeyType::Size, "1420",
             "udp: largest datagram, 12-byte chunk header included (64 to 65507). A bigger message is sent in "
             "chunks; one needing more than 128 chunks is dead-lettered."},
            {"compress", KeyType::String, "gzip",
             "Compression of udp datagrams: gzip, zlib or none (on/true = gzip, off/false = none, as Fluent "
             "Bit's boolean). http: gzip or none (Content-Encoding). tcp/tls are never compressed.",
             false, false, {"gzip", "zlib", "none", "on", "off", "true", "false"}},
            {"uri", KeyType::String, "/gelf", "http: request path of the GELF HTTP input."},
        }};
    std::vector<config::KeyDecl> fields = field_key_decls();
    schema.keys.insert(schema.keys.begin() + 1, fields.begin(), fields.end());  // after mode
    // The keys every HTTP output shares (gelf has its own compress); the
    // host, port, TLS and timeout keys serve tcp and tls too.
    for (auto& k : http::http_output_keys("12201", {"compress"})) {
      if (k.name == "host") k.description = "Graylog GELF input host name or IP address.";
      if (k.name == "tls") k.description = "Use TLS: with mode tcp the same as mode tls; with mode http, HTTPS.";
      if (k.name == "connect_timeout") k.description = "tcp/tls/http: time allowed to connect (and TLS handshake).";
      if (k.name == "request_timeout")
        k.description = "tcp/tls: time allowed to write one batch; http: time allowed for an answer.";
      if (k.name == "http_user") k.description = "http: user name for HTTP basic authentication.";
      if (k.name == "http_passwd") k.description = "http: password for HTTP basic authentication.";
      if (k.name == "header") k.description = "http: extra HTTP header \"Name value\"; repeat the key for more.";
      if (k.name == "proxy")
        k.description = "http: HTTP proxy http://[user:pass@]host:port (default: HTTPS_PROXY/HTTP_PROXY unless NO_PROXY "
                        "names the host).";
      schema.keys.push_back(std::move(k));
    }
    return schema;
  }();
  return s;
}

Settings read_settings(const config::ComponentConfig& cfg, const BuildContext& ctx) {
  Settings s;
  s.mode = read_mode(cfg);
  s.host = cfg.get_string("host");
  if (s.host.empty()) cfg.fail("host", "expected the Graylog host name or IP address");
  int64_t port = cfg.get_int("port");
  if (port < 1 || port > 65535) cfg.fail("port", "expected a port between 1 and 65535, got " + std::to_string(port));
  s.port = static_cast<uint16_t>(port);
  s.keys = read_field_keys(cfg);
  uint64_t packet = cfg.get_size("packet_size");
  if (packet < kMinPacket || packet > kMaxPacket)
    cfg.fail("packet_size", "expected a datagram size between 64 and 65507 bytes, got " + std::to_string(packet));
  s.packet_size = static_cast<size_t>(packet);
  s.compression = read_compression(cfg, s.mode);
  s.uri = cfg.get_string("uri");
  if (s.uri.empty() || s.uri[0] != '/') cfg.fail("uri", "expected a path starting with '/', got '" + s.uri + "'");
  read_tls(cfg, ctx, s);
  s.connect_timeout = read_timeout(cfg, "connect_timeout");
  s.request_timeout = read_timeout(cfg, "request_timeout");
  s.workers = static_cast<int>(cfg.get_int("workers"));
  if (s.mode == Mode::Http) {
    // The same reader as every HTTP output: header, http_user, proxy, tls.*.
    s.http = http::read_http_output_settings(cfg, ctx.base_dir);
  } else {
    for (const char* key : {"http_user", "http_passwd", "header", "proxy"})
      if (cfg.has(key)) cfg.fail(key, "is used only with mode http");
  }
  return s;
}

}  // namespace sluice::gelf
