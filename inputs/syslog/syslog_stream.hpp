// Stream listeners of the syslog input: tcp (optionally TLS) and unix_tcp.
// Every connection is read asynchronously on the main io_context (no thread
// per connection); a slow, idle or half-open client holds only its socket.
#pragma once
#include <memory>
#include <string>

#include "inputs/syslog/syslog_receiver.hpp"

namespace sluice::syslog {

// An OpenSSL server context (boost::asio::ssl, kept inside syslog_stream.cpp).
class TlsContext;

// Loads the certificate chain, key and CA of tls. On failure returns nullptr
// and sets key to the offending config key and error to OpenSSL's reason.
std::shared_ptr<TlsContext> make_tls_context(const TlsSettings& tls, std::string& key, std::string& error);

// Binds (tcp: listen:port; unix_tcp: path, with unix_perm) and starts
// accepting. Throws config::ConfigError when it cannot listen.
std::shared_ptr<Listener> start_stream_listener(const std::shared_ptr<Receiver>& rx, std::shared_ptr<TlsContext> tls);

}  // namespace sluice::syslog
