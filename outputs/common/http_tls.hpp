// Internal to the HTTP client: the thin wrapper around OpenSSL (context from
// TlsSettings, SNI and peer name checks, readable error texts).
#pragma once
#include <memory>
#include <string>

#include <boost/asio/ssl/context.hpp>

#include "outputs/common/http_client.hpp"

namespace sluice::http::tls {

// A client context: TLS 1.2 or newer, the CAs and client certificate of
// settings, peer verification unless settings.verify is off. nullptr with
// error set when a file can't be used.
std::shared_ptr<boost::asio::ssl::context> make_context(const TlsSettings& settings, std::string& error);

// Prepares a connection before its handshake: SNI (host names only, RFC 6066
// 3) and, when verifying, the name or IP address the certificate must carry.
// name is tls.vhost or the host.
bool prepare(SSL* ssl, const std::string& name, bool verify, std::string& error);

// "certificate verify failed (unable to get local issuer certificate)" style
// text for a failed TLS operation on ssl (nullptr: no connection state).
std::string error_text(SSL* ssl, const boost::system::error_code& ec);

}  // namespace sluice::http::tls
