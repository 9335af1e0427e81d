// Reading token endpoints' answers; see token_json.hpp.
#include "outputs/common/token_json.hpp"

#include <charconv>

namespace sluice::http {

std::string one_line(std::string_view text, bool html, size_t max_bytes) {
  std::string out;
  bool in_tag = false;
  for (char c : text) {
    if (html && c == '<') in_tag = true;
    if (in_tag) {
      if (c == '>') {
        in_tag = false;
        if (!out.empty() && out.back() != ' ') out += ' ';
      }
      continue;
    }
    if (c == ' ' || c == '\t' || c == '\r' || c == '\n') {
      if (!out.empty() && out.back() != ' ') out += ' ';
    } else if (static_cast<unsigned char>(c) >= 0x20) {
      out += c;
    }
    if (out.size() >= max_bytes) {
      out += "…";
      break;
    }
  }
  while (!out.empty() && out.back() == ' ') out.pop_back();
  return out;
}

std::string body_one_line(const Response& response, size_t max_bytes) {
  const std::string* type = response.header("Content-Type");
  return one_line(response.body, type && type->find("html") != std::string::npos, max_bytes);
}

std::string_view member_string(simdjson::dom::element obj, std::string_view name) {
  std::string_view s;
  if (obj[name].get_string().get(s) != simdjson::SUCCESS) return {};
  return s;
}

std::optional<int64_t> member_seconds(simdjson::dom::element obj, std::string_view name) {
  simdjson::dom::element v;
  if (obj[name].get(v) != simdjson::SUCCESS) return std::nullopt;
  int64_t n = 0;
  if (v.get_int64().get(n) == simdjson::SUCCESS) return n;
  double d = 0;
  if (v.get_double().get(d) == simdjson::SUCCESS) return static_cast<int64_t>(d);
  std::string_view s;
  if (v.get_string().get(s) != simdjson::SUCCESS) return std::nullopt;
  auto [end, ec] = std::from_chars(s.data(), s.data() + s.size(), n);
  if (ec != std::errc() || end != s.data() + s.size()) return std::nullopt;
  return n;
}

bool read_bearer_json(const Response& response, const std::string& who, simdjson::dom::parser& parser,
                      simdjson::dom::element& doc, std::string_view& token, std::string& error) {
  // The body holds a token: no part of it goes into an error.
  std::string answered = who + " answered " + std::to_string(response.status);
  if (parser.parse(response.body).get(doc) != simdjson::SUCCESS || !doc.is_object()) {
    error = answered + " with a body that is not a JSON object";
    return false;
  }
  token = member_string(doc, "access_token");
  if (token.empty()) {
    error = answered + " without an access_token";
    return false;
  }
  std::string_view type = member_string(doc, "token_type");
  if (!type.empty() && type != "Bearer" && type != "bearer") {
    error = who + " answered a token of type \"" + one_line(type) + "\", not Bearer";
    return false;
  }
  return true;
}

}  // namespace sluice::http
