// The `forward` output's configuration: Fluent Bit's out_forward keys and
// the immutable settings read from them once at build time.
#pragma once
#include <chrono>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "agent/config/component_config.hpp"
#include "agent/input.hpp"
#include "agent/record_template.hpp"
#include "outputs/common/http_client.hpp"

namespace sluice::forward_out {

// The entries of one message stay below this many bytes (uncompressed); a
// bigger batch goes as several messages. Fluent Bit's forward input refuses
// a message above its buffer_max_size (6 MB by default) and Fluentd warns
// above its chunk_size_warn_limit: 1 MiB keeps well inside both.
constexpr size_t kMessageBytes = 1 << 20;

struct Settings {
  http::ClientSettings server;  // host, port, tls.*, connect_timeout, request_timeout
  std::string unix_path;        // a unix socket to send to instead of host and port

  // `tag`: the tag the records are sent with, instead of their own. Static
  // text, or a template ($key, $TAG[n]) rendered per record.
  std::optional<RecordTemplate> tag;
  bool tag_is_static = false;

  bool time_as_integer = false;  // seconds as an integer (Fluentd v0.12), not EventTime
  bool send_options = false;     // the option map: size, fluent_signal, add_option
  bool require_ack = false;      // a chunk id in the options; wait for {"ack": id}
  bool gzip = false;             // CompressedPackedForward
  std::vector<std::pair<std::string, std::string>> extra_options;  // add_option

  // The shared-key handshake (HELO, PING, PONG) before any message.
  bool secure = false;  // shared_key set, or empty_shared_key
  std::string shared_key;
  std::string self_hostname;
  std::string username;
  std::string password;
};

const config::PluginSchema& schema();
// Validates and reads cfg; ConfigError (cfg.fail) on a bad value.
Settings read_settings(const config::ComponentConfig& cfg, const BuildContext& ctx);

}  // namespace sluice::forward_out
