// The HTTP side of Azure credentials: the client-credentials grant posted to
// Entra ID's token endpoint (secret, certificate assertion or federated
// token), the managed-identity request to IMDS, and their answers read into
// a token or a one-line reason that never holds a secret. Pure functions; the
// signer sends the requests.
#pragma once
#include <chrono>
#include <optional>
#include <string>
#include <string_view>

#include "outputs/common/bearer_token_signer.hpp"
#include "outputs/common/http_client.hpp"

namespace sluice::azure {

// A token, or why there is none as one line ("Entra ID token endpoint
// https://login.microsoftonline.com/<t>/oauth2/v2.0/token answered 401:
// invalid_client: AADSTS7000215: Invalid client secret provided. …").
using AccessToken = http::BearerToken;
using TokenAnswer = http::TokenAnswer;

// POST <path>, form client_id, scope, grant_type=client_credentials and the
// credential (OAuth 2.0 client credentials flow, Microsoft identity platform).
// credential_fields is "client_secret=…" or "client_assertion_type=…&client_assertion=…"
// (see secret_fields / assertion_fields).
http::Request client_credentials_request(const std::string& path, std::string_view client_id, std::string_view scope,
                                         std::string_view credential_fields);
std::string secret_fields(std::string_view secret);
// A certificate assertion or a federated token (RFC 7523 section 2.2).
std::string assertion_fields(std::string_view assertion);

// GET <path>?<query> with "Metadata: true", which IMDS requires (a
// mitigation against request forgery: a browser can't be made to send it).
http::Request imds_request(const std::string& path, const std::string& query);

// Reads {"access_token","expires_in","token_type":"Bearer",…} from Entra ID
// (expires_in a number) or IMDS (expires_in a string, expires_on the
// epoch); `who` starts each error ("Entra ID token endpoint <url>", "Azure
// IMDS <url>"). now: for a token that has only expires_on.
TokenAnswer read_token_answer(const http::Response& response, const std::string& who,
                              std::chrono::system_clock::time_point now = std::chrono::system_clock::now());

// "<who> answered 401: invalid_client: AADSTS7000215: Invalid client secret
// provided. …" / "<who> did not answer: <transport error>". Quotes on one
// line: an OAuth error and the first line of its description (Entra appends
// trace and correlation ids and a timestamp on the next lines: dropped), an
// Azure API error's code and message, else the start of the body's text.
std::string describe_failure(const http::Response& response, const std::string& who);

}  // namespace sluice::azure
