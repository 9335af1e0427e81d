// What the token fetchers of Google, Azure and IBM share when they read a
// token endpoint's answer: its JSON object and access token, numbers of
// seconds, and a backend's text quoted on one line in an error. The
// provider files keep only what differs (their error formats and expiry
// fields).
#pragma once
#include <simdjson.h>

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "outputs/common/http_client.hpp"

namespace sluice::http {

// A backend's text for an error message: on one line (whitespace runs made
// one space, control bytes dropped, an HTML page's tags dropped when html),
// cut at max_bytes with "…".
std::string one_line(std::string_view text, bool html = false, size_t max_bytes = 300);
// The answer's body so, as HTML when its Content-Type says it is.
std::string body_one_line(const Response& response, size_t max_bytes = 300);

// obj[name] as a string; "" when absent or not a string.
std::string_view member_string(simdjson::dom::element obj, std::string_view name);
// obj[name] as whole seconds: a JSON number, or a string of digits (IMDS
// sends those); nullopt when absent or neither.
std::optional<int64_t> member_seconds(simdjson::dom::element obj, std::string_view name);

// A 2xx token answer: true with doc the body's object and token its
// access_token; else false with error "<who> answered <status> with a body
// that is not a JSON object" / "… without an access_token" / "<who>
// answered a token of type "mac", not Bearer". Nothing of the body is ever
// quoted but the token type. parser must outlive doc and token.
bool read_bearer_json(const Response& response, const std::string& who, simdjson::dom::parser& parser,
                      simdjson::dom::element& doc, std::string_view& token, std::string& error);

}  // namespace sluice::http
