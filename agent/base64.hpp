// RFC 4648 base64: Basic credentials, Elasticsearch API keys and cloud ids.
#pragma once
#include <optional>
#include <string>
#include <string_view>

namespace sluice {

// With padding.
std::string base64_encode(std::string_view data);
// Accepts missing padding and the URL-safe alphabet ('-', '_'); nullopt on
// any other character or a dangling partial byte.
std::optional<std::string> base64_decode(std::string_view text);

}  // namespace sluice
