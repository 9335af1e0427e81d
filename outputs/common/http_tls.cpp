// The OpenSSL wrapper of the HTTP client; see http_tls.hpp.
#include "outputs/common/http_tls.hpp"

#include <openssl/err.h>
#include <openssl/ssl.h>
#include <openssl/x509v3.h>

#include <boost/asio/ip/address.hpp>
#include <boost/asio/ssl/error.hpp>

namespace sluice::http::tls {

namespace ssl = boost::asio::ssl;

namespace {

std::string file_error(const char* key, const std::string& path, const boost::system::error_code& ec) {
  return std::string("cannot use ") + key + " " + path + ": " + error_text(nullptr, ec);
}

bool is_ip_literal(const std::string& name) {
  boost::system::error_code ec;
  boost::asio::ip::make_address(name, ec);
  return !ec;
}

}  // namespace

std::shared_ptr<ssl::context> make_context(const TlsSettings& settings, std::string& error) {
  auto ctx = std::make_shared<ssl::context>(ssl::context::tls_client);
  SSL_CTX_set_min_proto_version(ctx->native_handle(), TLS1_2_VERSION);
  ctx->set_options(ssl::context::default_workarounds | ssl::context::no_compression);
  boost::system::error_code ec;
  if (settings.verify) {
    ctx->set_verify_mode(ssl::verify_peer, ec);
    if (settings.ca_file.empty()) {
      ctx->set_default_verify_paths(ec);
      if (ec) {
        error = "cannot load the system CA certificates: " + error_text(nullptr, ec);
        return nullptr;
      }
    } else {
      ctx->load_verify_file(settings.ca_file, ec);
      if (ec) {
        error = file_error("tls.ca_file", settings.ca_file, ec);
        return nullptr;
      }
    }
  } else {
    ctx->set_verify_mode(ssl::verify_none, ec);
  }
  if (!settings.crt_file.empty()) {
    ctx->use_certificate_chain_file(settings.crt_file, ec);
    if (ec) {
      error = file_error("tls.crt_file", settings.crt_file, ec);
      return nullptr;
    }
    ctx->use_private_key_file(settings.key_file, ssl::context::pem, ec);
    if (!ec && SSL_CTX_check_private_key(ctx->native_handle()) != 1) {
      ERR_clear_error();
      ec = ssl::error::make_error_code(ssl::error::unspecified_system_error);
    }
    if (ec) {
      // OpenSSL checks the pair while loading the key ("key values mismatch").
      std::string why = error_text(nullptr, ec);
      if (why.find("mismatch") != std::string::npos || ec == ssl::error::unspecified_system_error) {
        error = "tls.key_file " + settings.key_file + " does not match tls.crt_file " + settings.crt_file;
      } else {
        error = file_error("tls.key_file", settings.key_file, ec);
      }
      return nullptr;
    }
  }
  return ctx;
}

bool prepare(SSL* ssl, const std::string& name, bool verify, std::string& error) {
  bool ip = is_ip_literal(name);
  if (!ip && SSL_set_tlsext_host_name(ssl, name.c_str()) != 1) {
    ERR_clear_error();
    error = "cannot use \"" + name + "\" as TLS server name";
    return false;
  }
  if (!verify) return true;
  X509_VERIFY_PARAM* param = SSL_get0_param(ssl);
  int ok;
  if (ip) {
    ok = X509_VERIFY_PARAM_set1_ip_asc(param, name.c_str());
  } else {
    X509_VERIFY_PARAM_set_hostflags(param, X509_CHECK_FLAG_NO_PARTIAL_WILDCARDS);
    ok = X509_VERIFY_PARAM_set1_host(param, name.c_str(), name.size());
  }
  if (ok != 1) {
    ERR_clear_error();
    error = "cannot verify the TLS peer name \"" + name + "\"";
    return false;
  }
  return true;
}

std::string error_text(SSL* ssl, const boost::system::error_code& ec) {
  std::string text;
  if (ec.category() == boost::asio::error::get_ssl_category()) {
    const char* reason = ERR_reason_error_string(static_cast<unsigned long>(ec.value()));
    text = reason ? reason : ec.message();
  } else if (ec == ssl::error::stream_truncated) {
    text = "the peer closed the connection without a TLS close_notify";
  } else {
    text = ec.message();
  }
  if (ssl != nullptr) {
    long verify = SSL_get_verify_result(ssl);
    if (verify != X509_V_OK) text += std::string(" (") + X509_verify_cert_error_string(verify) + ")";
  }
  return text;
}

}  // namespace sluice::http::tls
