// IBM Cloud IAM token requests and answers; see iam_token.hpp.
#include "outputs/common/ibm/iam_token.hpp"

#include <simdjson.h>

#include <cctype>
#include <utility>

#include "outputs/common/http_output_config.hpp"
#include "outputs/common/percent_encoding.hpp"
#include "outputs/common/token_json.hpp"

namespace sluice::ibm {

namespace {

// How much of an error body a reason quotes.
constexpr size_t kQuoteBytes = 200;

// IAM's error JSON ({"errorCode","errorMessage","errorDetails"?,"context"})
// as "code: message"; an OAuth-style {"error","error_description"}
// likewise; else the body's text.
std::string error_detail(const http::Response& response) {
  simdjson::dom::parser parser;
  simdjson::dom::element doc;
  if (parser.parse(response.body).get(doc) == simdjson::SUCCESS && doc.is_object()) {
    for (auto [code_key, message_key] : {std::pair{"errorCode", "errorMessage"}, std::pair{"error", "error_description"}}) {
      std::string code = http::one_line(http::member_string(doc, code_key), false, kQuoteBytes);
      std::string message = http::one_line(http::member_string(doc, message_key), false, kQuoteBytes);
      if (!code.empty() || !message.empty()) return code.empty() || message.empty() ? code + message : code + ": " + message;
    }
  }
  return http::one_line(response.body, false, kQuoteBytes);
}

}  // namespace

std::string iam_token_url(const IamTokenSettings& settings) {
  std::string url = settings.iam_endpoint;
  while (!url.empty() && url.back() == '/') url.pop_back();
  if (!url.ends_with(kIamTokenPath)) url += kIamTokenPath;
  return url;
}

std::string iam_settings_error(const IamTokenSettings& settings) {
  if (settings.api_key.empty()) return "api_key is empty";
  if (!http::parse_http_target(iam_token_url(settings), settings.http_timeout, false)) {
    return "iam_endpoint is not an http(s) URL: " + settings.iam_endpoint;
  }
  return {};
}

http::Request iam_token_request(const std::string& path, std::string_view api_key) {
  http::Request r;
  r.method = "POST";
  r.target = path;
  r.headers.push_back({"Content-Type", "application/x-www-form-urlencoded"});
  r.headers.push_back({"Accept", "application/json"});
  r.body = "grant_type=" + http::percent_encode(kApiKeyGrantType) + "&apikey=" + http::percent_encode(api_key);
  return r;
}

http::TokenAnswer read_iam_answer(const http::Response& response, const std::string& who,
                                  std::chrono::system_clock::time_point now) {
  http::TokenAnswer a;
  std::string answered = who + " answered " + std::to_string(response.status);
  if (response.status == 0) {
    a.error = who + " did not answer: " + (response.error.empty() ? "no answer" : response.error);
    return a;
  }
  if (response.status < 200 || response.status > 299) {
    std::string detail = error_detail(response);
    a.error = detail.empty() ? answered : answered + ": " + detail;
    return a;
  }
  simdjson::dom::parser parser;
  simdjson::dom::element doc;
  std::string_view token;
  if (!http::read_bearer_json(response, who, parser, doc, token, a.error)) return a;
  int64_t lifetime = 0;
  double number = 0;
  if (doc["expires_in"].get_double().get(number) == simdjson::SUCCESS) {
    lifetime = static_cast<int64_t>(number);
  } else if (doc["expiration"].get_double().get(number) == simdjson::SUCCESS) {
    lifetime = static_cast<int64_t>(number) - std::chrono::duration_cast<std::chrono::seconds>(now.time_since_epoch()).count();
  } else {
    a.error = answered + " without expires_in or expiration";
    return a;
  }
  if (lifetime <= 0) {
    a.error = who + " answered a token that has already expired (lifetime " + std::to_string(lifetime) + " s)";
    return a;
  }
  a.token = http::BearerToken{std::string(token), std::chrono::seconds(lifetime)};
  return a;
}

}  // namespace sluice::ibm
