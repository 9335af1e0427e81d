// Helpers of the AWS credential and signer tests: a clean AWS environment,
// the credentials stand-in (tests/peers/aws_credentials_standin.py) and what
// it saw, sluice's log captured, and an io_context run until a condition.
#pragma once
#include <simdjson.h>
#include <strings.h>

#include <chrono>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <sstream>
#include <stdexcept>
#include <string>
#include <vector>

#include "agent/asio.hpp"
#include "outputs/common/aws/aws_credentials.hpp"
#include "tests/outputs/http_test_peers.hpp"
#include "tests/support/log_capture.hpp"

#include "tests/support/run_until.hpp"

namespace sluice::test {

inline constexpr const char* kTestKeyId = "AKIDEXAMPLE";
inline constexpr const char* kTestSecret = "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY";

// Every variable the credential chain reads unset, HOME an empty temporary
// directory (no ~/.aws), instance metadata disabled and no proxy, for one
// test; set() changes one more. Restored in reverse order on destruction.
class CleanAwsEnv {
 public:
  CleanAwsEnv() {
    for (const char* name :
         {"AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN", "AWS_ROLE_ARN",
          "AWS_WEB_IDENTITY_TOKEN_FILE", "AWS_ROLE_SESSION_NAME", "AWS_PROFILE", "AWS_SHARED_CREDENTIALS_FILE",
          "AWS_CONFIG_FILE", "AWS_CONTAINER_CREDENTIALS_RELATIVE_URI", "AWS_CONTAINER_CREDENTIALS_FULL_URI",
          "AWS_CONTAINER_AUTHORIZATION_TOKEN", "AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE",
          "AWS_EC2_METADATA_SERVICE_ENDPOINT", "AWS_EC2_METADATA_SERVICE_ENDPOINT_MODE", "AWS_REGION",
          "AWS_DEFAULT_REGION", "AWS_ENDPOINT_URL_STS", "HTTP_PROXY", "http_proxy", "HTTPS_PROXY", "https_proxy"}) {
      unset(name);
    }
    set("HOME", home_.path());
    set("AWS_EC2_METADATA_DISABLED", "true");
  }
  ~CleanAwsEnv() {
    while (!vars_.empty()) vars_.pop_back();
  }
  CleanAwsEnv(const CleanAwsEnv&) = delete;
  CleanAwsEnv& operator=(const CleanAwsEnv&) = delete;

  void set(const char* name, const std::string& value) { vars_.push_back(std::make_unique<ScopedEnv>(name, value.c_str())); }
  void unset(const char* name) { vars_.push_back(std::make_unique<ScopedEnv>(name, nullptr)); }
  const std::string& home() const { return home_.path(); }

 private:
  TempDir home_;
  std::vector<std::unique_ptr<ScopedEnv>> vars_;
};

// One request as the stand-in logged it.
struct StandinRequest {
  std::string kind;  // imds_token, imds_list, imds_role, container, sts, signed
  std::string method, path, error;
  int64_t status = 0;
  bool is_signed = false;
  std::optional<bool> verified;
  std::map<std::string, std::string> headers;  // names as sent
  std::map<std::string, std::string> params;   // STS form parameters
  std::string minted_key, minted_secret, minted_token;
  std::string header(const std::string& name) const {
    for (const auto& [n, v] : headers)
      if (strcasecmp(n.c_str(), name.c_str()) == 0) return v;
    return "";
  }
  std::string param(const std::string& name) const {
    auto it = params.find(name);
    return it == params.end() ? "" : it->second;
  }
};

class AwsStandin {
 public:
  explicit AwsStandin(std::vector<std::string> extra = {}) {
    std::vector<std::string> args{"--log", log_, "--control", control_,
                                  "--known-key", std::string(kTestKeyId) + ":" + kTestSecret};
    args.insert(args.end(), extra.begin(), extra.end());
    peer_ = std::make_unique<PythonPeer>("aws_credentials_standin.py", args);
  }
  std::string url() const { return "http://127.0.0.1:" + std::to_string(peer_->port()); }
  std::string err() const { return peer_->err(); }
  // The control file (see the stand-in's header), e.g. R"({"fail": {"sts": 403}})".
  void control(const std::string& json) const { write_file(control_, json); }

  std::vector<StandinRequest> requests(const std::string& kind = "") const {
    std::vector<StandinRequest> out;
    simdjson::dom::parser parser;
    for (const auto& line : read_lines(log_)) {
      if (line.empty()) continue;
      simdjson::dom::element doc = parser.parse(line);
      StandinRequest r;
      r.kind = std::string(std::string_view(doc["kind"]));
      if (!kind.empty() && r.kind != kind) continue;
      r.method = std::string(std::string_view(doc["method"]));
      r.path = std::string(std::string_view(doc["path"]));
      if (doc["status"].is_int64()) r.status = int64_t(doc["status"]);
      if (doc["error"].is_string()) r.error = std::string(std::string_view(doc["error"]));
      if (doc["signed"].is_bool()) r.is_signed = bool(doc["signed"]);
      if (doc["verified"].is_bool()) r.verified = bool(doc["verified"]);
      for (auto field : simdjson::dom::object(doc["headers"]))
        r.headers[std::string(field.key)] = std::string(std::string_view(field.value));
      if (doc["params"].is_object()) {
        for (auto field : simdjson::dom::object(doc["params"]))
          r.params[std::string(field.key)] = std::string(std::string_view(field.value));
      }
      if (doc["minted"].is_object()) {
        r.minted_key = std::string(std::string_view(doc["minted"]["access_key_id"]));
        r.minted_secret = std::string(std::string_view(doc["minted"]["secret_access_key"]));
        r.minted_token = std::string(std::string_view(doc["minted"]["session_token"]));
      }
      out.push_back(std::move(r));
    }
    return out;
  }

 private:
  TempDir dir_;
  std::string log_ = dir_.file("requests.jsonl");
  std::string control_ = dir_.file("control.json");
  std::unique_ptr<PythonPeer> peer_;
};

// provider.get(), io run until the answer is in (30 s at most).
inline aws::CredentialsResult get_credentials(boost::asio::io_context& io, aws::CredentialsProvider& provider) {
  std::optional<aws::CredentialsResult> out;
  provider.get([&](aws::CredentialsResult r) { out = std::move(r); });
  if (!run_until(io, [&] { return out.has_value(); })) throw std::runtime_error("no credentials answer within 30 s");
  return std::move(*out);
}

}  // namespace sluice::test
