// The `gelf` output's configuration: its keys (Fluent Bit's out_gelf names)
// and the immutable settings read from them once at build time.
#pragma once
#include <chrono>
#include <cstdint>
#include <string>
#include <vector>

#include "agent/config/component_config.hpp"
#include "agent/input.hpp"
#include "outputs/common/http_output_config.hpp"

namespace sluice::gelf {

enum class Mode { Udp, Tcp, Tls, Http };
enum class Compression { None, Gzip, Zlib };

const char* mode_name(Mode m);

// Which record keys fill GELF's own fields (the rest become `_field`s).
struct FieldKeys {
  std::string short_message = "short_message";
  std::string full_message = "full_message";
  std::string host = "host";
  std::string timestamp = "timestamp";
  std::string level = "level";
  std::string tag;       // "" = the tag is not sent
  std::string hostname;  // `host` when the record has no host key
};

struct Settings {
  Mode mode = Mode::Udp;
  std::string host = "127.0.0.1";
  uint16_t port = 12201;
  FieldKeys keys;
  size_t packet_size = 1420;  // udp: largest datagram, chunk header included
  Compression compression = Compression::Gzip;  // udp and http; tcp never compresses
  http::TlsSettings tls;      // enabled for mode tls, or tls: on with tcp/http
  std::string uri = "/gelf";  // http
  std::chrono::milliseconds connect_timeout{10'000};
  std::chrono::milliseconds request_timeout{30'000};
  int workers = 1;  // http: concurrent requests
  http::HttpOutputSettings http;  // mode http: the shared HTTP keys (client, headers, auth)
};

// The gelf_*_key keys and their reading, shared with the http output's
// `format: gelf` (Fluent Bit's names in both).
std::vector<config::KeyDecl> field_key_decls();
FieldKeys read_field_keys(const config::ComponentConfig& cfg);

const config::PluginSchema& schema();
// Validates and reads cfg; ConfigError (cfg.fail) on a bad value.
Settings read_settings(const config::ComponentConfig& cfg, const BuildContext& ctx);

}  // namespace sluice::gelf
