// Entra ID and IMDS token requests and answers; see entra_token_fetch.hpp.
#include "outputs/common/azure/entra_token_fetch.hpp"

#include <simdjson.h>

#include <cctype>
#include <charconv>

#include "outputs/common/percent_encoding.hpp"

namespace sluice::azure {

namespace {

// How much of an error a reason quotes.
constexpr size_t kQuoteBytes = 300;

// Text on one line: an HTML page's tags dropped, whitespace runs made one
// space, cut at kQuoteBytes.
std::string one_line(std::string_view text, bool html) {
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
    if (out.size() >= kQuoteBytes) {
      out += "…";
      break;
    }
  }
  while (!out.empty() && out.back() == ' ') out.pop_back();
  return out;
}

// Entra's error_description: "AADSTS…: text\r\nTrace ID: …\r\nCorrelation
// ID: …\r\nTimestamp: …". The ids change with every request and help only
// Microsoft's support; the first line is the reason.
std::string first_line(std::string_view description) {
  size_t end = description.find_first_of("\r\n");
  std::string_view line = description.substr(0, end);
  if (size_t trace = line.find(" Trace ID:"); trace != std::string_view::npos) line = line.substr(0, trace);
  return one_line(line, false);
}

std::string_view member_string(simdjson::dom::element obj, std::string_view name) {
  std::string_view s;
  if (obj[name].get_string().get(s) != simdjson::SUCCESS) return {};
  return s;
}

// A number of seconds as a JSON number or a string of digits (IMDS).
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

std::string error_detail(const http::Response& response) {
  simdjson::dom::parser parser;
  simdjson::dom::element doc;
  if (parser.parse(response.body).get(doc) == simdjson::SUCCESS && doc.is_object()) {
    std::string_view error = member_string(doc, "error");
    if (!error.empty()) {  // OAuth (RFC 6749 5.2), as Entra ID and IMDS answer
      std::string out = one_line(error, false);
      std::string description = first_line(member_string(doc, "error_description"));
      if (!description.empty()) out += ": " + description;
      return out;
    }
    simdjson::dom::element api;
    if (doc["error"].get(api) == simdjson::SUCCESS && api.is_object()) {  // {"error":{"code","message"}}
      std::string out = one_line(member_string(api, "code"), false);
      std::string message = one_line(member_string(api, "message"), false);
      if (!message.empty()) out += (out.empty() ? "" : ": ") + message;
      if (!out.empty()) return out;
    }
  }
  const std::string* type = response.header("Content-Type");
  return one_line(response.body, type && type->find("html") != std::string::npos);
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
  // From here on the body holds a token: no part of it goes into an error.
  std::string answered = who + " answered " + std::to_string(response.status);
  simdjson::dom::parser parser;
  simdjson::dom::element doc;
  if (parser.parse(response.body).get(doc) != simdjson::SUCCESS || !doc.is_object()) {
    a.error = answered + " with a body that is not a JSON object";
    return a;
  }
  std::string_view token = member_string(doc, "access_token");
  if (token.empty()) {
    a.error = answered + " without an access_token";
    return a;
  }
  std::string_view type = member_string(doc, "token_type");
  if (!type.empty() && type != "Bearer" && type != "bearer") {
    a.error = who + " answered a token of type \"" + one_line(type, false) + "\", not Bearer";
    return a;
  }
  std::optional<int64_t> expires_in = member_seconds(doc, "expires_in");
  if (!expires_in) {
    if (std::optional<int64_t> on = member_seconds(doc, "expires_on")) {
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
