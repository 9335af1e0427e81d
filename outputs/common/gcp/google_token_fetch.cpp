// Google token and metadata requests and answers; see google_token_fetch.hpp.
#include "outputs/common/gcp/google_token_fetch.hpp"

#include <simdjson.h>

#include <memory>

#include "outputs/common/http_output_config.hpp"
#include "outputs/common/token_json.hpp"

namespace sluice::gcp {

namespace {

// How much of an error body a reason quotes.
constexpr size_t kQuoteBytes = 200;

// The detail of an error body: an OAuth error ({"error","error_description"},
// RFC 6749 section 5.2), a Google API error ({"error":{"code","status",
// "message"}}), else the body's text.
std::string error_detail(const http::Response& response) {
  simdjson::dom::parser parser;
  simdjson::dom::element doc;
  if (parser.parse(response.body).get(doc) == simdjson::SUCCESS && doc.is_object()) {
    std::string_view error = http::member_string(doc, "error");
    if (!error.empty()) {
      std::string out = http::one_line(error, false, kQuoteBytes);
      std::string_view description = http::member_string(doc, "error_description");
      if (!description.empty()) out += ": " + http::one_line(description, false, kQuoteBytes);
      return out;
    }
    simdjson::dom::element api;
    if (doc["error"].get(api) == simdjson::SUCCESS && api.is_object()) {
      std::string out = http::one_line(http::member_string(api, "status"), false, kQuoteBytes);
      std::string_view message = http::member_string(api, "message");
      if (!message.empty()) out += (out.empty() ? "" : ": ") + http::one_line(message, false, kQuoteBytes);
      if (!out.empty()) return out;
    }
  }
  return http::body_one_line(response, kQuoteBytes);
}

bool from_metadata_server(const http::Response& response) {
  const std::string* flavor = response.header("Metadata-Flavor");
  return flavor && *flavor == "Google";
}

}  // namespace

http::Request jwt_grant_request(const std::string& path, std::string_view assertion) {
  http::Request r;
  r.method = "POST";
  r.target = path.empty() ? "/" : path;
  r.headers.push_back({"Content-Type", "application/x-www-form-urlencoded"});
  r.headers.push_back({"Accept", "application/json"});
  // A JWS holds only base64url characters and '.', none of which a form
  // value needs to escape.
  r.body = "grant_type=urn%3Aietf%3Aparams%3Aoauth%3Agrant-type%3Ajwt-bearer&assertion=";
  r.body += assertion;
  return r;
}

http::Request metadata_request(const std::string& path) {
  http::Request r;
  r.method = "GET";
  r.target = path;
  r.headers.push_back({"Metadata-Flavor", "Google"});
  return r;
}

std::string describe_failure(const http::Response& response, const std::string& who) {
  if (response.status == 0) return who + " did not answer: " + (response.error.empty() ? "no answer" : response.error);
  std::string out = who + " answered " + std::to_string(response.status);
  std::string detail = error_detail(response);
  if (!detail.empty()) out += ": " + detail;
  return out;
}

TokenAnswer read_token_answer(const http::Response& response, const std::string& who, bool from_metadata) {
  TokenAnswer a;
  if (response.status < 200 || response.status > 299) {
    a.error = describe_failure(response, who);
    return a;
  }
  if (from_metadata && !from_metadata_server(response)) {
    a.error = who + " answered " + std::to_string(response.status) +
              " without \"Metadata-Flavor: Google\": not a metadata server";
    return a;
  }
  simdjson::dom::parser parser;
  simdjson::dom::element doc;
  std::string_view token;
  if (!http::read_bearer_json(response, who, parser, doc, token, a.error)) return a;
  int64_t expires_in = 0;
  simdjson::dom::element value;
  if (doc["expires_in"].get(value) != simdjson::SUCCESS) {
    expires_in = 3600;  // RFC 6749 5.1 makes it optional; Google always sends it and lives an hour
  } else if (value.get_int64().get(expires_in) != simdjson::SUCCESS) {
    double d = 0;
    if (value.get_double().get(d) != simdjson::SUCCESS) {
      a.error = who + " answered an expires_in that is not a number";
      return a;
    }
    expires_in = static_cast<int64_t>(d);
  }
  if (expires_in <= 0) {
    a.error = who + " answered a token that has already expired (expires_in " + std::to_string(expires_in) + ")";
    return a;
  }
  a.token = AccessToken{std::string(token), std::chrono::seconds(expires_in)};
  return a;
}

std::string read_metadata_text(const http::Response& response, const std::string& who, std::string& error) {
  if (response.status < 200 || response.status > 299) {
    error = describe_failure(response, who);
    return {};
  }
  if (!from_metadata_server(response)) {
    error = who + " answered without \"Metadata-Flavor: Google\": not a metadata server";
    return {};
  }
  std::string text = http::one_line(response.body, false, kQuoteBytes);
  if (text.empty()) error = who + " answered an empty value";
  return text;
}

void fetch_metadata_project_id(http::Client& client, const std::string& path_prefix, const std::string& server_url,
                               ProjectIdDone done) {
  std::string who = "GCE metadata server " + server_url + std::string(kMetadataProjectIdPath);
  client.send(metadata_request(path_prefix + std::string(kMetadataProjectIdPath)),
              [who, done = std::move(done)](http::Response response) {
                std::string error;
                std::string id = read_metadata_text(response, who, error);
                done(error.empty() ? id : std::string(), error);
              });
}

std::string fetch_metadata_project_id(const std::string& metadata_server, std::chrono::milliseconds timeout,
                                      std::string& error) {
  std::optional<HttpTarget> target = parse_http_target(metadata_server, timeout, false);
  if (!target) {
    error = "the metadata server is not an http(s) URL: " + metadata_server;
    return {};
  }
  boost::asio::io_context io;
  http::Client client(io, target->client);
  std::optional<std::string> id;
  fetch_metadata_project_id(client, target->path, metadata_server, [&](std::string project_id, std::string why) {
    id = std::move(project_id);
    error = std::move(why);
  });
  // The client's own timeouts end the fetch; this deadline only guards
  // against a bug leaving the loop waiting.
  auto deadline = std::chrono::steady_clock::now() + 2 * timeout + std::chrono::seconds(1);
  while (!id && std::chrono::steady_clock::now() < deadline) io.run_one_for(std::chrono::milliseconds(100));
  if (!id) {
    error = "GCE metadata server " + metadata_server + " did not answer within " +
            std::to_string(std::chrono::duration_cast<std::chrono::seconds>(timeout).count()) + " s";
    return {};
  }
  return *id;
}

}  // namespace sluice::gcp
