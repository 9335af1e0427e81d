// Whether a request's Authorization header carries the credentials an
// input serving HTTP asks for (http_user/http_passwd, bearer_token).
#pragma once
#include <string_view>

#include "inputs/http/http_input_settings.hpp"

namespace sluice {

// True when s asks for no credentials, or authorization matches one it asks
// for: the scheme case-insensitively (RFC 9110 §11.1), the credentials in
// time that doesn't depend on where they differ.
bool http_authorized(const HttpInputSettings& s, std::string_view authorization);

}  // namespace sluice
