// RFC 3986 percent-encoding, shared by every output that builds a query, a
// form body or a signed path: A-Z a-z 0-9 - _ . ~ kept, every other byte
// %XX in uppercase hex (what SigV4 requires, and also a valid
// application/x-www-form-urlencoded value).
#pragma once
#include <string>
#include <string_view>

namespace sluice::http {

std::string percent_encode(std::string_view text);

}  // namespace sluice::http
