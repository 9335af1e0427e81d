// A listening input's OpenSSL context; see tls_server_context.hpp.
#include "agent/tls_server_context.hpp"

#include "agent/asio.hpp"
#include <boost/asio/ssl.hpp>

namespace sluice {

namespace ssl = boost::asio::ssl;

std::shared_ptr<ssl::context> make_tls_server_context(const TlsServerSettings& tls, std::string& key,
                                                      std::string& error) {
  auto ctx = std::make_shared<ssl::context>(ssl::context::tls_server);
  boost::system::error_code ec;
  ctx->set_options(ssl::context::default_workarounds | ssl::context::no_sslv2 | ssl::context::no_sslv3 |
                       ssl::context::no_tlsv1 | ssl::context::no_tlsv1_1 | ssl::context::single_dh_use,
                   ec);
  if (!tls.key_passwd.empty()) {
    std::string passwd = tls.key_passwd;
    ctx->set_password_callback([passwd](size_t, ssl::context::password_purpose) { return passwd; }, ec);
  }
  auto failed = [&](const char* k) {
    key = k;
    error = ec.message();
    return nullptr;
  };
  ctx->use_certificate_chain_file(tls.crt_file, ec);
  if (ec) return failed("tls.crt_file");
  ctx->use_private_key_file(tls.key_file, ssl::context::pem, ec);
  if (ec) return failed("tls.key_file");
  if (!tls.ca_file.empty()) {
    ctx->load_verify_file(tls.ca_file, ec);
    if (ec) return failed("tls.ca_file");
  }
  if (tls.verify) ctx->set_verify_mode(ssl::verify_peer | ssl::verify_fail_if_no_peer_cert, ec);
  return ctx;
}

}  // namespace sluice
