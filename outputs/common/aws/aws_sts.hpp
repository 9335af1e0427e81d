// AWS STS's query API, the two calls the credential chain makes:
// AssumeRoleWithWebIdentity (unsigned, with an OIDC token: EKS IRSA) and
// AssumeRole (SigV4-signed with the credentials it starts from). Form POST
// to the endpoint, XML answer.
#pragma once
#include <chrono>
#include <initializer_list>
#include <string>
#include <string_view>

#include "outputs/common/aws/aws_credentials.hpp"
#include "outputs/common/aws/aws_fetch.hpp"

namespace sluice::aws {

struct StsTarget {
  Endpoint endpoint;
  std::string region;  // signs AssumeRole
  std::string url() const { return endpoint.origin() + endpoint.path; }
};

// settings.sts_endpoint, else AWS_ENDPOINT_URL_STS, else the regional
// endpoint of settings.region (or AWS_REGION, AWS_DEFAULT_REGION), else
// the global one; "" in error when sts_endpoint is not an http(s) URL.
StsTarget resolve_sts(const CredentialsSettings& settings, std::string& error);

struct AssumeRoleParams {
  std::string role_arn;
  std::string session_name;
  std::string external_id;  // "" = none
  std::chrono::seconds duration{3600};
};

// Both run on clients' io_context and call done once (not after clients.stop()).
void assume_role(HttpClients& clients, const StsTarget& sts, const Credentials& base, const AssumeRoleParams& params,
                 CredentialsDone done);
void assume_role_with_web_identity(HttpClients& clients, const StsTarget& sts, const AssumeRoleParams& params,
                                   const std::string& token, CredentialsDone done);

// An STS answer as credentials, or as "STS <action> at <url> answered 403:
// AccessDenied: <message>"; secrets (what the request sent) never quoted.
CredentialsResult parse_sts_answer(std::string_view action, const std::string& url, const http::Response& response,
                                   std::initializer_list<std::string_view> secrets);

// The text of the first <tag>…</tag> with XML's character references
// decoded; "" when absent.
std::string xml_text(std::string_view xml, std::string_view tag);

// "sluice-<unix seconds>" unless configured.
std::string session_name_or_default(const std::string& configured);

}  // namespace sluice::aws
