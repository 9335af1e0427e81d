// OpenSSL's error queue as a message; see openssl_error.hpp.
#include "outputs/common/crypto/openssl_error.hpp"

#include <openssl/err.h>

namespace sluice::crypto {

std::string take_openssl_error() {
  unsigned long code = ERR_peek_last_error();
  std::string out;
  if (code != 0) {
    const char* reason = ERR_reason_error_string(code);
    out = reason ? reason : "error " + std::to_string(code);
  }
  ERR_clear_error();
  return out.empty() ? "unknown OpenSSL error" : out;
}

}  // namespace sluice::crypto
