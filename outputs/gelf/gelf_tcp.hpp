// GELF over TCP and TLS: NUL-framed JSON on one long-lived connection,
// reconnecting after errors. Asio's ssl stays inside gelf_tcp.cpp.
#pragma once
#include <memory>
#include <stdexcept>
#include <string>

#include "outputs/gelf/gelf_transport.hpp"

namespace sluice::gelf {

// A client TLS context (boost::asio::ssl::context), opaque to other files.
struct TlsContext;

// A tls.* file OpenSSL refused; key names the setting.
struct TlsSetupError : std::runtime_error {
  TlsSetupError(std::string k, const std::string& what) : std::runtime_error(what), key(std::move(k)) {}
  std::string key;
};

// Loads the CA, client certificate and key of tls (done once at build time,
// so unusable files are configuration errors). Throws TlsSetupError.
std::shared_ptr<TlsContext> make_tls_context(const http::TlsSettings& tls);

// tls is null for plain TCP. s must outlive the transport.
std::unique_ptr<Transport> make_tcp_transport(boost::asio::io_context& io, const Settings& s, const Counters& c,
                                              std::shared_ptr<TlsContext> tls);

}  // namespace sluice::gelf
