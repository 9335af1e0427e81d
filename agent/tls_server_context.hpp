// The OpenSSL server context of a listening input's TLS settings
// (agent/config/tls_server_keys.hpp): TLS 1.2 or later, the certificate
// chain and key (with its password), and client certificates checked
// against tls.ca_file when tls.verify is on.
#pragma once
#include <memory>
#include <string>

#include "agent/config/tls_server_keys.hpp"

namespace boost::asio::ssl { class context; }

namespace sluice {

// nullptr when OpenSSL refuses a file: then key is the config key to blame
// ("tls.crt_file", ...) and error OpenSSL's reason.
std::shared_ptr<boost::asio::ssl::context> make_tls_server_context(const TlsServerSettings& tls, std::string& key,
                                                                   std::string& error);

}  // namespace sluice
