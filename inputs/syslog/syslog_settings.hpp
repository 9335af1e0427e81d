// The syslog input's validated configuration (immutable once built).
#pragma once
#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

#include "agent/config/component_config.hpp"
#include "agent/config/tls_server_keys.hpp"
#include "agent/input.hpp"
#include "inputs/syslog/syslog_framing.hpp"
#include "inputs/syslog/syslog_parse.hpp"

namespace sluice {

class Parser;

namespace syslog {

enum class Mode : uint8_t { Udp, Tcp, UnixUdp, UnixTcp };

// What a message is: syslog (this input), or for the `tcp` and `udp` inputs
// (Fluent Bit's in_tcp/in_udp, built on these listeners) a JSON object or a
// line of text.
enum class Payload : uint8_t { Syslog, Json, Lines };

using TlsSettings = TlsServerSettings;

struct SyslogSettings {
  Mode mode = Mode::UnixUdp;
  std::string plugin = "syslog";  // for messages: the tcp and udp inputs use these settings too
  std::string tag;
  std::string listen = "0.0.0.0";
  uint16_t port = 5140;
  std::string path;
  unsigned unix_perm = 0644;
  Payload payload = Payload::Syslog;
  std::string line_key = "log";    // Json and Lines: where a message that is kept as text goes
  Format format = Format::Auto;
  const Parser* parser = nullptr;  // a named parser instead of the syslog formats (or for Lines)
  Framing framing = Framing::Auto;
  size_t buffer_chunk_size = 32 * 1024;
  size_t buffer_max_size = 32 * 1024;
  size_t receive_buffer_size = 0;  // SO_RCVBUF; 0 = the system's
  std::string source_address_key;
  std::string raw_message_key;
  TlsSettings tls;
  config::Mark bind_mark;  // where port or path was set, for "cannot listen" errors

  bool stream() const { return mode == Mode::Tcp || mode == Mode::UnixTcp; }
};

// Validates cfg (semantics; the loader checked types): throws ConfigError
// naming the key.
SyslogSettings make_settings(const config::ComponentConfig& cfg, const BuildContext& ctx);

// The TLS keys (agent/config/tls_server_keys.hpp), shared with the tcp
// input, and their reading into s (mode tcp only).
std::vector<config::KeyDecl> tls_key_decls();
void read_tls(const config::ComponentConfig& cfg, const BuildContext& ctx, SyslogSettings& s);

const char* mode_name(Mode mode);
// "syslog", "JSON" or "lines", for log lines.
const char* payload_name(Payload payload);

}  // namespace syslog
}  // namespace sluice
