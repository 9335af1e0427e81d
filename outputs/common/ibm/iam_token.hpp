// IBM Cloud IAM's API-key grant as pure functions: the settings of an IAM
// token source, the token request (POST /identity/token) and its answer
// read into a token or a one-line reason that never holds a secret.
#pragma once
#include <chrono>
#include <string>
#include <string_view>

#include "outputs/common/bearer_token_signer.hpp"
#include "outputs/common/http_client.hpp"

namespace sluice::ibm {

inline constexpr std::string_view kDefaultIamEndpoint = "https://iam.cloud.ibm.com";
// For hosts on IBM Cloud's private network (no public egress).
inline constexpr std::string_view kPrivateIamEndpoint = "https://private.iam.cloud.ibm.com";
inline constexpr std::string_view kIamTokenPath = "/identity/token";
inline constexpr std::string_view kApiKeyGrantType = "urn:ibm:params:oauth:grant-type:apikey";

struct IamTokenSettings {
  // An IBM Cloud API key (a user's or a service ID's). Secret: never logged.
  std::string api_key;
  // IAM's base URL; a URL that already ends in /identity/token is taken as
  // is, as IBM's SDKs do.
  std::string iam_endpoint{kDefaultIamEndpoint};
  // To connect, and again to be answered.
  std::chrono::milliseconds http_timeout{10'000};
};

// The token endpoint's URL for these settings ("https://iam.cloud.ibm.com/identity/token").
std::string iam_token_url(const IamTokenSettings& settings);

// Why a signer can't be made from these settings ("api_key is empty",
// "iam_endpoint is not an http(s) URL: …"), or "".
std::string iam_settings_error(const IamTokenSettings& settings);

// POST <path> with Content-Type application/x-www-form-urlencoded, Accept
// application/json and grant_type=urn:ibm:params:oauth:grant-type:apikey&
// apikey=<key> (form-encoded).
http::Request iam_token_request(const std::string& path, std::string_view api_key);

// Reads {"access_token","refresh_token","token_type":"Bearer","expires_in",
// "expiration"}; the lifetime is expires_in, else expiration - now. `who`
// starts each error ("IBM Cloud IAM https://iam.cloud.ibm.com/identity/token"):
// "<who> answered 400: BXNIM0415E: Provided API key could not be found." for
// IAM's {"errorCode","errorMessage"} errors, the start of the body on one
// line for others, "<who> did not answer: <why>" without an answer. Nothing
// of a 2xx body is ever quoted.
http::TokenAnswer read_iam_answer(const http::Response& response, const std::string& who,
                                  std::chrono::system_clock::time_point now);

}  // namespace sluice::ibm
