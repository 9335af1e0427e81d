// Where an Azure output's access tokens come from: an Entra ID application
// (client secret or certificate), workload identity (AKS: a federated token
// file) or a managed identity (the VM's IMDS), chosen once from the
// output's settings and the environment when the output is built.
#pragma once
#include <chrono>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

#include "outputs/common/azure/client_certificate.hpp"

namespace sluice::azure {

inline constexpr std::string_view kDefaultAuthorityHost = "https://login.microsoftonline.com";
inline constexpr std::string_view kMonitorScope = "https://monitor.azure.com/.default";
inline constexpr std::string_view kDefaultImdsEndpoint = "http://169.254.169.254";
inline constexpr std::string_view kImdsTokenPath = "/metadata/identity/oauth2/token";

enum class AuthMethod {
  Auto,               // the Azure SDKs' order, see resolve_credentials
  ClientSecret,
  ClientCertificate,
  WorkloadIdentity,
  ManagedIdentity,
};
// "auto", "client_secret", "client_certificate", "workload_identity",
// "managed_identity"; nullopt for anything else.
std::optional<AuthMethod> parse_auth_method(std::string_view name);
std::string_view auth_method_name(AuthMethod method);

// What the output's config reader fills. Empty strings mean "not set": the
// environment variable named in brackets (as the Azure SDKs and the AKS
// workload-identity webhook set them) fills the field, else the default.
struct TokenSignerSettings {
  AuthMethod auth_method = AuthMethod::Auto;
  // [AZURE_TENANT_ID] The directory (tenant) id or domain; not used by
  // managed identities.
  std::string tenant_id;
  // [AZURE_CLIENT_ID] The application (client) id; with a managed identity,
  // the client id of a user-assigned identity ("" = the system-assigned one).
  std::string client_id;
  // [AZURE_CLIENT_SECRET] A secret of the application. Never logged.
  std::string client_secret;
  // [AZURE_CLIENT_CERTIFICATE_PATH] PEM with the application's certificate
  // and (unless client_certificate_key_file is set) its unencrypted RSA key.
  std::string client_certificate_file;
  std::string client_certificate_key_file;
  // [AZURE_AUTHORITY_HOST] Entra ID's host: https://login.microsoftonline.com,
  // https://login.microsoftonline.us (US Gov), https://login.chinacloudapi.cn,
  // or a proxy / stand-in (http:// allowed).
  std::string authority_host;
  // Fluent Bit's auth_url: the whole token endpoint of the application flows
  // (secret, certificate, workload identity) instead of
  // <authority_host>/<tenant>/oauth2/v2.0/token; tenant_id is then not
  // needed. https, or http to localhost / 127.0.0.1 (a stand-in).
  std::string token_url;
  // What the token is for; Logs Ingestion needs monitor.azure.com's
  // (.us / .cn in sovereign clouds). Managed identities ask IMDS for the
  // resource: the scope without "/.default".
  std::string scope{kMonitorScope};
  // [AZURE_FEDERATED_TOKEN_FILE] Workload identity: the projected service
  // account token, read again for every token request (kubelet rotates it).
  std::string federated_token_file;
  // [AZURE_POD_IDENTITY_AUTHORITY_HOST] The Instance Metadata Service's base
  // URL (a bare host[:port] means http://); default http://169.254.169.254.
  std::string imds_endpoint;
  // A user-assigned managed identity by object id or Azure resource id
  // (sent as IMDS's msi_res_id) instead of client_id; at most one of the three.
  std::string object_id;
  std::string mi_res_id;
  // Each token request: to connect, and again to be answered.
  std::chrono::milliseconds http_timeout{10'000};
};

// The source resolved from the settings and the environment.
struct CredentialSource {
  AuthMethod method = AuthMethod::ManagedIdentity;  // never Auto
  std::string tenant_id;
  std::string client_id;  // the application's, or a user-assigned identity's ("" = system-assigned)
  std::string client_secret;
  std::shared_ptr<const ClientCertificate> certificate;
  std::string federated_token_file;
  std::string scope;
  // Entra ID methods: <authority>/<tenant>/oauth2/v2.0/token (also the
  // certificate assertion's aud); managed identity: <imds>/metadata/identity/oauth2/token.
  std::string token_url;
  // Managed identity: the query after "?" (api-version, resource, the
  // user-assigned identity's id).
  std::string imds_query;
  // For log lines, never a secret: "client_secret (AZURE_CLIENT_SECRET) of
  // app <id> in tenant <t>", "managed identity (system-assigned)", …
  std::string origin;
};

// With auth_method Auto, the first that applies, as DefaultAzureCredential
// orders them:
//  1. client_secret, or client_certificate_file, from the settings (both: an error)
//  2. AZURE_CLIENT_SECRET, else AZURE_CLIENT_CERTIFICATE_PATH
//  3. a federated token file (settings or AZURE_FEDERATED_TOKEN_FILE): workload identity
//  4. a managed identity: user-assigned when client_id (or AZURE_CLIENT_ID),
//     object_id or mi_res_id is set, else system-assigned.
// Methods 1-3 need a tenant id and a client id (settings or environment).
// nullopt with a one-line error for a configuration that can't work (a
// missing id, an unreadable certificate, a bad URL or tenant, a tenant_id
// set in the settings that would fall through to a managed identity): a
// source that is configured but broken is an error, never a silent fall
// back to the next one.
std::optional<CredentialSource> resolve_credentials(const TokenSignerSettings& settings, std::string& error);

// "https://monitor.azure.com/.default" -> "https://monitor.azure.com" (and
// ".../" for "//.default"), as the Azure SDKs map a scope to IMDS's resource.
std::string scope_to_resource(std::string_view scope);

}  // namespace sluice::azure
