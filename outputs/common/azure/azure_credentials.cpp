// Resolving an Azure output's credential source; see azure_credentials.hpp.
#include "outputs/common/azure/azure_credentials.hpp"

#include <cctype>
#include <cstdlib>

#include "outputs/common/azure/entra_token_fetch.hpp"
#include "outputs/common/gcp/google_token_fetch.hpp"
#include "outputs/common/percent_encoding.hpp"

namespace sluice::azure {

namespace {

// A setting, else its environment variable; `from` says which gave it.
std::string setting_or_env(const std::string& value, const char* env, std::string* from = nullptr) {
  if (!value.empty()) return value;
  const char* v = std::getenv(env);
  if (v && *v) {
    if (from) *from = env;
    return v;
  }
  return {};
}

// A tenant is a GUID or a domain; anything else could change the token
// URL's path.
bool valid_tenant(std::string_view t) {
  if (t.empty()) return false;
  for (char c : t)
    if (!(std::isalnum(static_cast<unsigned char>(c)) || c == '-' || c == '.')) return false;
  return true;
}

std::string trim_slashes(std::string url) {
  while (!url.empty() && url.back() == '/') url.pop_back();
  return url;
}

// Tenant, client id and token URL for methods 1-3.
bool resolve_app(const TokenSignerSettings& s, CredentialSource& c, std::string_view what, std::string& error) {
  c.tenant_id = setting_or_env(s.tenant_id, "AZURE_TENANT_ID");
  c.client_id = setting_or_env(s.client_id, "AZURE_CLIENT_ID");
  if (!s.token_url.empty()) {
    if (c.client_id.empty()) {
      error = std::string(what) + " needs client_id (or AZURE_CLIENT_ID)";
      return false;
    }
    c.token_url = s.token_url;
    c.origin = std::string(what) + " of app " + c.client_id + " at " + s.token_url;
    return true;
  }
  if (c.tenant_id.empty() || c.client_id.empty()) {
    error = std::string(what) + " needs tenant_id (or AZURE_TENANT_ID) and client_id (or AZURE_CLIENT_ID)";
    return false;
  }
  if (!valid_tenant(c.tenant_id)) {
    error = "tenant_id is not a tenant id or domain: " + c.tenant_id;
    return false;
  }
  std::string authority = trim_slashes(setting_or_env(s.authority_host, "AZURE_AUTHORITY_HOST"));
  if (authority.empty()) authority = kDefaultAuthorityHost;
  if (!http::parse_http_target(authority, s.http_timeout, false)) {
    error = "authority_host is not an http(s) URL: " + authority;
    return false;
  }
  c.token_url = authority + "/" + c.tenant_id + "/oauth2/v2.0/token";
  c.origin = std::string(what) + " of app " + c.client_id + " in tenant " + c.tenant_id;
  return true;
}

std::optional<CredentialSource> with_secret(const TokenSignerSettings& s, CredentialSource c, std::string secret,
                                            const std::string& from, std::string& error) {
  c.method = AuthMethod::ClientSecret;
  c.client_secret = std::move(secret);
  if (!resolve_app(s, c, from.empty() ? "client_secret" : "client_secret (" + from + ")", error)) return std::nullopt;
  return c;
}

std::optional<CredentialSource> with_certificate(const TokenSignerSettings& s, CredentialSource c,
                                                 const std::string& file, const std::string& from,
                                                 std::string& error) {
  c.method = AuthMethod::ClientCertificate;
  std::optional<ClientCertificate> cert = read_client_certificate(file, s.client_certificate_key_file, error);
  if (!cert) return std::nullopt;
  std::string thumbprint = cert->thumbprint_hex;
  c.certificate = std::make_shared<const ClientCertificate>(std::move(*cert));
  std::string what = "client certificate " + file + (from.empty() ? "" : " (" + from + ")");
  if (!resolve_app(s, c, what, error)) return std::nullopt;
  c.origin += " (thumbprint " + thumbprint + ")";
  return c;
}

std::optional<CredentialSource> with_federated_token(const TokenSignerSettings& s, CredentialSource c,
                                                     const std::string& file, std::string& error) {
  c.method = AuthMethod::WorkloadIdentity;
  c.federated_token_file = file;
  // Read on each token request (kubelet rotates it); here only named.
  if (!resolve_app(s, c, "workload identity (federated token " + file + ")", error)) return std::nullopt;
  return c;
}

std::optional<CredentialSource> with_managed_identity(const TokenSignerSettings& s, CredentialSource c,
                                                      std::string& error) {
  c.method = AuthMethod::ManagedIdentity;
  c.client_id = setting_or_env(s.client_id, "AZURE_CLIENT_ID");
  int ids = !c.client_id.empty() + !s.object_id.empty() + !s.mi_res_id.empty();
  if (ids > 1) {
    error = "a managed identity is named by one of client_id, object_id and mi_res_id, not several";
    return std::nullopt;
  }
  std::string imds = trim_slashes(setting_or_env(s.imds_endpoint, "AZURE_POD_IDENTITY_AUTHORITY_HOST"));
  if (imds.empty()) imds = kDefaultImdsEndpoint;
  if (imds.find("://") == std::string::npos) imds = "http://" + imds;
  if (!http::parse_http_target(imds, s.http_timeout, false)) {
    error = "imds_endpoint is not an http URL: " + imds;
    return std::nullopt;
  }
  std::string resource = scope_to_resource(c.scope);
  c.token_url = imds + std::string(kImdsTokenPath);
  c.imds_query = "api-version=2018-02-01&resource=" + http::percent_encode(resource);
  std::string who;
  if (!c.client_id.empty()) {
    c.imds_query += "&client_id=" + http::percent_encode(c.client_id);
    who = "user-assigned, client_id " + c.client_id;
  } else if (!s.object_id.empty()) {
    c.imds_query += "&object_id=" + http::percent_encode(s.object_id);
    who = "user-assigned, object_id " + s.object_id;
  } else if (!s.mi_res_id.empty()) {
    c.imds_query += "&msi_res_id=" + http::percent_encode(s.mi_res_id);
    who = "user-assigned, " + s.mi_res_id;
  } else {
    who = "system-assigned";
  }
  c.origin = "managed identity (" + who + ") for " + resource;
  return c;
}

}  // namespace

std::optional<AuthMethod> parse_auth_method(std::string_view name) {
  for (AuthMethod m : {AuthMethod::Auto, AuthMethod::ClientSecret, AuthMethod::ClientCertificate,
                       AuthMethod::WorkloadIdentity, AuthMethod::ManagedIdentity})
    if (auth_method_name(m) == name) return m;
  return std::nullopt;
}

std::string_view auth_method_name(AuthMethod method) {
  switch (method) {
    case AuthMethod::Auto: return "auto";
    case AuthMethod::ClientSecret: return "client_secret";
    case AuthMethod::ClientCertificate: return "client_certificate";
    case AuthMethod::WorkloadIdentity: return "workload_identity";
    case AuthMethod::ManagedIdentity: return "managed_identity";
  }
  return "auto";
}

std::string scope_to_resource(std::string_view scope) {
  constexpr std::string_view kDefault = "/.default";
  if (scope.size() > kDefault.size() && scope.substr(scope.size() - kDefault.size()) == kDefault)
    scope.remove_suffix(kDefault.size());
  return std::string(scope);
}

std::optional<CredentialSource> resolve_credentials(const TokenSignerSettings& s, std::string& error) {
  CredentialSource c;
  c.scope = s.scope.empty() ? std::string(kMonitorScope) : s.scope;
  std::string from;
  switch (s.auth_method) {
    case AuthMethod::ClientSecret: {
      std::string secret = setting_or_env(s.client_secret, "AZURE_CLIENT_SECRET", &from);
      if (secret.empty()) {
        error = "auth_method client_secret needs client_secret (or AZURE_CLIENT_SECRET)";
        return std::nullopt;
      }
      return with_secret(s, std::move(c), std::move(secret), from, error);
    }
    case AuthMethod::ClientCertificate: {
      std::string file = setting_or_env(s.client_certificate_file, "AZURE_CLIENT_CERTIFICATE_PATH", &from);
      if (file.empty()) {
        error = "auth_method client_certificate needs client_certificate_file (or AZURE_CLIENT_CERTIFICATE_PATH)";
        return std::nullopt;
      }
      return with_certificate(s, std::move(c), file, from, error);
    }
    case AuthMethod::WorkloadIdentity: {
      std::string file = setting_or_env(s.federated_token_file, "AZURE_FEDERATED_TOKEN_FILE");
      if (file.empty()) {
        error = "auth_method workload_identity needs federated_token_file (or AZURE_FEDERATED_TOKEN_FILE)";
        return std::nullopt;
      }
      return with_federated_token(s, std::move(c), file, error);
    }
    case AuthMethod::ManagedIdentity:
      return with_managed_identity(s, std::move(c), error);
    case AuthMethod::Auto:
      break;
  }
  if (!s.client_secret.empty() && !s.client_certificate_file.empty()) {
    error = "client_secret and client_certificate_file exclude each other";
    return std::nullopt;
  }
  if (!s.client_secret.empty()) return with_secret(s, std::move(c), s.client_secret, "", error);
  if (!s.client_certificate_file.empty()) return with_certificate(s, std::move(c), s.client_certificate_file, "", error);
  if (std::string secret = setting_or_env("", "AZURE_CLIENT_SECRET"); !secret.empty())
    return with_secret(s, std::move(c), std::move(secret), "AZURE_CLIENT_SECRET", error);
  if (std::string file = setting_or_env("", "AZURE_CLIENT_CERTIFICATE_PATH"); !file.empty())
    return with_certificate(s, std::move(c), file, "AZURE_CLIENT_CERTIFICATE_PATH", error);
  if (std::string file = setting_or_env(s.federated_token_file, "AZURE_FEDERATED_TOKEN_FILE"); !file.empty())
    return with_federated_token(s, std::move(c), file, error);
  if (!s.tenant_id.empty()) {
    // An application without its credential would otherwise quietly become
    // a managed identity named by the application's client id.
    error = "tenant_id is set but no client_secret, client_certificate_file or federated_token_file is; "
            "set auth_method managed_identity to use a managed identity";
    return std::nullopt;
  }
  return with_managed_identity(s, std::move(c), error);
}

}  // namespace sluice::azure
