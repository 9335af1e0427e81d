// The TLS keys of listening inputs; see tls_server_keys.hpp.
#include "agent/config/tls_server_keys.hpp"

#include <unistd.h>

#include "agent/config/config_path.hpp"

namespace sluice::config {

namespace {

// Fluent Bit's generic TLS key: the SNI name a client asks for. A server has
// one certificate here, so there is nothing to choose by it.
KeyDecl tls_vhost_key() {
  KeyDecl k{"tls.vhost", KeyType::String, "", "Fluent Bit's TLS virtual host (SNI) name.", false, false, {}};
  k.compat_note =
      "this input presents its one certificate (tls.crt_file) to every client, whatever name the client asks "
      "for (SNI); clients checking the host name need it in that certificate.";
  return k;
}

}  // namespace

std::vector<KeyDecl> tls_server_keys(std::string_view tls_help) {
  return {
      {"tls", KeyType::Bool, "off", tls_help},
      {"tls.verify", KeyType::Bool, "off",
       "Require clients to present a certificate signed by tls.ca_file (handshakes without one fail and are "
       "counted)."},
      {"tls.crt_file", KeyType::String, "", "Server certificate chain (PEM)."},
      {"tls.key_file", KeyType::String, "", "Server private key (PEM)."},
      {"tls.key_passwd", KeyType::String, "", "Password of tls.key_file, if encrypted.", false, true},
      {"tls.ca_file", KeyType::String, "", "CA certificates (PEM) that client certificates must chain to."},
      tls_vhost_key(),
  };
}

TlsServerSettings read_tls_server_settings(const ComponentConfig& cfg, const std::string& base_dir) {
  TlsServerSettings tls;
  tls.enabled = cfg.get_bool("tls");
  tls.verify = cfg.get_bool("tls.verify");
  if (!tls.enabled) {
    for (const char* key : {"tls.verify", "tls.crt_file", "tls.key_file", "tls.ca_file", "tls.key_passwd"})
      if (cfg.has(key)) cfg.fail(key, "is used only with tls: on");
    return tls;
  }
  auto file = [&](const char* key, bool required) {
    std::string path = path_from_config_dir(base_dir, cfg.get_string(key));
    if (path.empty()) {
      if (required) cfg.fail(key, "is required with tls: on");
      return path;
    }
    if (::access(path.c_str(), R_OK) != 0) cfg.fail(key, "cannot read '" + path + "'");
    return path;
  };
  tls.crt_file = file("tls.crt_file", true);
  tls.key_file = file("tls.key_file", true);
  tls.ca_file = file("tls.ca_file", false);
  tls.key_passwd = cfg.get_string("tls.key_passwd");
  if (tls.verify && tls.ca_file.empty())
    cfg.fail("tls.verify", "needs tls.ca_file: the CA that client certificates must be signed by");
  return tls;
}

}  // namespace sluice::config
