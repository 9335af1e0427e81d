// Credentials from the metadata endpoints: the container endpoint (ECS task
// roles, EKS Pod Identity) and EC2's instance metadata service (IMDSv2).
// Both answer JSON with AccessKeyId, SecretAccessKey, Token and Expiration.
#pragma once
#include <optional>
#include <string>
#include <string_view>

#include "outputs/common/aws/aws_credentials.hpp"
#include "outputs/common/aws/aws_fetch.hpp"

namespace sluice::aws {

// http://169.254.170.2 + AWS_CONTAINER_CREDENTIALS_RELATIVE_URI, else
// AWS_CONTAINER_CREDENTIALS_FULL_URI; nullopt when neither is set, and also
// (with error set: check it first) when FULL_URI is no URL or plain http to
// a host other than loopback and the ECS / EKS Pod Identity addresses, which
// the SDKs refuse too.
std::optional<Endpoint> container_endpoint(std::string& error);

// GET the endpoint with AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE's content
// (read on each call) or AWS_CONTAINER_AUTHORIZATION_TOKEN as Authorization.
void fetch_container_credentials(HttpClients& clients, const Endpoint& endpoint, CredentialsDone done);

// AWS_EC2_METADATA_SERVICE_ENDPOINT, else http://169.254.169.254 (or
// http://[fd00:ec2::254] with AWS_EC2_METADATA_SERVICE_ENDPOINT_MODE=IPv6);
// nullopt when AWS_EC2_METADATA_DISABLED=true, and also (with error set:
// check it first) when the endpoint is no http(s) URL.
std::optional<Endpoint> imds_endpoint(std::string& error);

// IMDSv2: PUT /latest/api/token (X-aws-ec2-metadata-token-ttl-seconds),
// then with that token GET /latest/meta-data/iam/security-credentials/ for
// the role name and GET …/<role> for its credentials.
void fetch_imds_credentials(HttpClients& clients, const Endpoint& endpoint, CredentialsDone done);

// The JSON credentials document, or why it is not one. who names the
// endpoint in the reason.
CredentialsResult parse_json_credentials(const std::string& who, std::string_view body);

}  // namespace sluice::aws
