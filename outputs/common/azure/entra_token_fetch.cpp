// Entra ID and IMDS token requests and answers; see entra_token_fetch.hpp.
#include "outputs/common/azure/entra_token_fetch.hpp"

#include <simdjson.h>

#include <cctype>
#include <charconv>

#include "outputs/common/percent_encoding.hpp"
#include "outputs/common/token_json.hpp"

namespace sluice::azure {

namespace {

// How much of an error a reason quotes.
constexpr size_t kQuoteBytes = 300;

// Entra's error_description: "AADSTS…: text\r\nTrace ID: …\r\nCorrelation
// ID: …\r\nTimestamp: …". The ids change with every request and help only
// Microsoft's support; the first line is the reason.
std::string first_line(std::string_view description) {
  size_t end = description.find_first_of("\r\n");
  std::string_view line = description.substr(0, end);
  if (size_t trace = line.find(" Trace ID:"); trace != std::string_view::npos) line = line.substr(0, trace);
  return http::one_line(line, false, kQuoteBytes);
}

std::string error_detail(const http::Response& response) {
  simdjson::dom::parser parser;
  simdjson::dom::element doc;
  if (parser.parse(response.body).get(doc) == simdjson::SUCCESS && doc.is_object()) {
    std::string_view error = http::member_string(doc, "error");
    if (!error.empty()) {  // OAuth (RFC 6749 5.2), as Entra ID and IMDS answer
      std::string out = http::one_line(error, false, kQuoteBytes);
      std::string description = first_line(http::member_string(doc, "error_description"));
      if (!description.empty()) out += ": " + description;
      return out;
    }
    simdjson::dom::element api;
    if (doc["error"].get(api) == simdjson::SUCCESS && api.is_object()) {  // {"error":{"code","message"}}
      std::string out = http::one_line(http::member_string(api, "code"), false, kQuoteBytes);
      std::string message = http::one_line(http::member_string(api, "message"), false, kQuoteBytes);
      if (!message.empty()) out += (out.empty() ? "" : ": ") + message;
      if (!out.empty()) return out;
    }
  }
  return http::body_one_line(response, kQuoteBytes);
}

}  // namespace

http::Request client_credentials_request(const std::string& path, std::string_view client_id, std::string_view scope,
                                         std::string_view credential_fields) {
  http::Request r;
  r.method = "POST";
  r.target = path.empty() ? "/" : path;
  r.headers.push_back({"Content-Type", "application/x-www-form-urlencoded"});
  r.headers.push_back({"Accept", "application/json"});
  r.body = "client_id=" + http::percent_encode(client_id) + "&scope=" + http::percent_encode(scope) +
           "&grant_type=client_credentials&" + std::string(credential_fields);
  return r;
}

std::string secret_fields(std::string_view secret) { return "client_secret=" + http::percent_encode(secret); }

std::string assertion_fields(std::string_view assertion) {
  return "client_assertion_type=urn%3Aietf%3Aparams%3Aoauth%3Aclient-assertion-type%3Ajwt-bearer&client_assertion=" +
         http::percent_encode(assertion);
}

http::Request imds_request(const std::string& path, const std::string& query) {
  http::Request r;
  r.method = "GET";
  r.target = path + "?" + query;
  r.headers.push_back({"Metadata", "true"});
  return r;
}

std::string describe_failure(const http::Response& response, const std::string& who) {
  if (response.status == 0) return who + " did not answer: " + (response.error.empty() ? "no answer" : response.error);
  std::string out = who + " answered " + std::to_string(response.status);
  std::string detail = error_detail(response);
  if (!detail.empty()) out += ": " + detail;
  return out;
}

TokenAnswer read_token_answer(const http::Response& response, const std::string& who,
                              std::chrono::system_clock::time_point now) {
  TokenAnswer a;
  if (response.status < 200 || response.status > 299) {
    a.error = describe_failure(response, who);
    return a;
  }
  std::string answered = who + " answered " + std::to_string(response.status);
  simdjson::dom::parser parser;
  simdjson::dom::element doc;
  std::string_view token;
  if (!http::read_bearer_json(response, who, parser, doc, token, a.error)) return a;
  std::optional<int64_t> expires_in = http::member_seconds(doc, "expires_in");
  if (!expires_in) {
    if (std::optional<int64_t> on = http::member_seconds(doc, "expires_on")) {
      expires_in = *on - std::chrono::duration_cast<std::chrono::seconds>(now.time_since_epoch()).count();
    }
  }
  if (!expires_in) {
    a.error = answered + " without a number in expires_in or expires_on";
    return a;
  }
  if (*expires_in <= 0) {
    a.error = answered + " with a token that has already expired (expires_in " + std::to_string(*expires_in) + ")";
    return a;
  }
  a.token = AccessToken{std::string(token), std::chrono::seconds(*expires_in)};
  return a;
}

}  // namespace sluice::azure
