// The TLS keys of an input that accepts connections (syslog and tcp over
// TCP, forward): tls, tls.verify, tls.crt_file, tls.key_file,
// tls.key_passwd, tls.ca_file and Fluent Bit's tls.vhost, with their checks
// at load. The OpenSSL context they make is agent/tls_server_context.hpp's.
#pragma once
#include <string>
#include <string_view>
#include <vector>

#include "agent/config/component_config.hpp"
#include "agent/config/schema.hpp"

namespace sluice {

struct TlsServerSettings {
  bool enabled = false;
  bool verify = false;  // require a client certificate signed by ca_file
  std::string crt_file, key_file, key_passwd, ca_file;
};

namespace config {

// The keys; tls_help (a literal: schemas hold views) describes `tls: on`
// for this input.
std::vector<KeyDecl> tls_server_keys(std::string_view tls_help);

// Reads them. The files are made absolute (relative to base_dir) and must be
// readable; tls.* keys without `tls: on`, a missing certificate or key, and
// tls.verify without tls.ca_file fail at their line.
TlsServerSettings read_tls_server_settings(const ComponentConfig& cfg, const std::string& base_dir);

}  // namespace config
}  // namespace sluice
