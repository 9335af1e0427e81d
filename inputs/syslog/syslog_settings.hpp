// The syslog input's validated configuration (immutable once built).
#pragma once
#include <cstddef>
#include <cstdint>
#include <string>

#include "agent/config/component_config.hpp"
#include "agent/input.hpp"
#include "inputs/syslog/syslog_framing.hpp"
#include "inputs/syslog/syslog_parse.hpp"

namespace sluice {

class Parser;

namespace syslog {

enum class Mode : uint8_t { Udp, Tcp, UnixUdp, UnixTcp };

struct TlsSettings {
  bool enabled = false;
  bool verify = false;  // require a client certificate signed by ca_file
  std::string crt_file, key_file, key_passwd, ca_file;
};

struct SyslogSettings {
  Mode mode = Mode::UnixUdp;
  std::string tag;
  std::string listen = "0.0.0.0";
  uint16_t port = 5140;
  std::string path;
  unsigned unix_perm = 0644;
  Format format = Format::Auto;
  const Parser* parser = nullptr;  // a named parser instead of the syslog formats
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

const char* mode_name(Mode mode);

}  // namespace syslog
}  // namespace sluice
