// The HTTP side of Google credentials: the JWT-bearer grant posted to the
// token endpoint, the GCE/GKE metadata server's token and project id, and
// their answers read into a token or a one-line reason that never holds a
// secret. Requests and answers are pure functions; the fetches run on an
// http::Client.
#pragma once
#include <chrono>
#include <functional>
#include <optional>
#include <string>
#include <string_view>

#include "outputs/common/bearer_token_signer.hpp"
#include "outputs/common/http_client.hpp"
#include "outputs/common/http_output_config.hpp"

namespace sluice::gcp {

inline constexpr std::string_view kMetadataTokenPath = "/computeMetadata/v1/instance/service-accounts/default/token";
inline constexpr std::string_view kMetadataProjectIdPath = "/computeMetadata/v1/project/project-id";

using http::HttpTarget;
using http::parse_http_target;

// A token, or why there is none as one line ("Google token endpoint
// https://oauth2.googleapis.com/token answered 400: invalid_grant: Invalid
// JWT Signature.").
using AccessToken = http::BearerToken;
using TokenAnswer = http::TokenAnswer;

// POST <path> with the form grant_type=…jwt-bearer&assertion=<jwt> (RFC 7523
// section 2.1; protocols.md section 5 step 4).
http::Request jwt_grant_request(const std::string& path, std::string_view assertion);
// GET <path> with Metadata-Flavor: Google, which the metadata server
// requires (and which a browser can't be made to send).
http::Request metadata_request(const std::string& path);

// Reads {"access_token","expires_in","token_type":"Bearer"}, from the token
// endpoint or the metadata server; `who` starts each error ("Google token
// endpoint <url>", "GCE metadata server <url>"). from_metadata: the answer
// must carry Metadata-Flavor: Google (anything else answering for
// metadata.google.internal is not the metadata server).
TokenAnswer read_token_answer(const http::Response& response, const std::string& who, bool from_metadata = false);

// A metadata value's text (the project id), trimmed; "" with error set
// when the answer isn't one.
std::string read_metadata_text(const http::Response& response, const std::string& who, std::string& error);

// "<who> answered 400: invalid_grant: Invalid JWT Signature." /
// "<who> did not answer: <transport error>": the reason for an answer that
// isn't a success. Quotes at most the start of the body on one line: Google's
// OAuth error and description, a Google API error's message, an HTML page's
// text.
std::string describe_failure(const http::Response& response, const std::string& who);

// The metadata server's project id (project/project-id). ProjectIdDone gets
// the id or "" and why.
using ProjectIdDone = std::function<void(std::string project_id, std::string error)>;
// On client's io_context; path_prefix is the server URL's path ("" normally).
void fetch_metadata_project_id(http::Client& client, const std::string& path_prefix, const std::string& server_url,
                               ProjectIdDone done);
// Blocking: runs the fetch on a private io_context for at most timeout (an
// output calls it once while it starts, when no project id is configured and
// the credentials carry none).
std::string fetch_metadata_project_id(const std::string& metadata_server, std::chrono::milliseconds timeout,
                                      std::string& error);

}  // namespace sluice::gcp
