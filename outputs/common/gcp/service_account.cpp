// Reading service-account keys; see service_account.hpp.
#include "outputs/common/gcp/service_account.hpp"

#include <simdjson.h>

#include <cerrno>
#include <cstring>
#include <filesystem>
#include <fstream>

#include "outputs/common/http_output_config.hpp"

namespace sluice::gcp {

namespace {

// A key file is a few kB; anything much bigger is the wrong file.
constexpr std::streamsize kMaxKeyFileBytes = 1 << 20;

bool is_http_url(std::string_view url) {
  return (url.starts_with("https://") || url.starts_with("http://")) && http::parse_endpoint(url).has_value();
}

// "…\n…" typed into a one-line config value: the two characters '\' 'n'
// where the PEM needs line breaks.
std::string unescape_newlines(std::string_view pem) {
  if (pem.find('\n') != std::string_view::npos || pem.find("\\n") == std::string_view::npos) return std::string(pem);
  std::string out;
  out.reserve(pem.size());
  for (size_t i = 0; i < pem.size(); ++i) {
    if (pem[i] == '\\' && i + 1 < pem.size() && pem[i + 1] == 'n') {
      out += '\n';
      ++i;
    } else {
      out += pem[i];
    }
  }
  return out;
}

// A string member: nullopt when absent or null; error set when present but
// not a string.
std::optional<std::string> string_member(simdjson::dom::object obj, std::string_view name, const std::string& what,
                                         std::string& error) {
  simdjson::dom::element value;
  if (obj[name].get(value) != simdjson::SUCCESS || value.is_null()) return std::nullopt;
  std::string_view text;
  if (value.get_string().get(text) != simdjson::SUCCESS) {
    error = what + ": \"" + std::string(name) + "\" is not a string";
    return std::nullopt;
  }
  return std::string(text);
}

}  // namespace

std::optional<ServiceAccount> parse_service_account_json(std::string_view json, const std::string& what,
                                                         std::string& error) {
  simdjson::dom::parser parser;
  simdjson::padded_string padded(json);
  simdjson::dom::element doc;
  // simdjson's messages say what is wrong without quoting the text.
  if (auto e = parser.parse(padded).get(doc); e != simdjson::SUCCESS) {
    error = what + " is not JSON (" + simdjson::error_message(e) + ")";
    return std::nullopt;
  }
  simdjson::dom::object obj;
  if (doc.get_object().get(obj) != simdjson::SUCCESS) {
    error = what + " is not a JSON object";
    return std::nullopt;
  }
  auto member = [&](std::string_view name) { return string_member(obj, name, what, error); };
  std::optional<std::string> type = member("type");
  if (!error.empty()) return std::nullopt;
  if (type && *type != "service_account") {
    error = what + " holds credentials of type \"" + *type + "\"";
    if (*type == "authorized_user") error += " (a user's, from gcloud auth application-default login)";
    error += "; sluice needs a service account key (type \"service_account\")";
    return std::nullopt;
  }
  ServiceAccount account;
  std::optional<std::string> email = member("client_email");
  std::optional<std::string> pem = member("private_key");
  std::optional<std::string> key_id = member("private_key_id");
  std::optional<std::string> project = member("project_id");
  std::optional<std::string> token_uri = member("token_uri");
  if (!error.empty()) return std::nullopt;
  if (!pem || pem->empty()) {
    error = what + " has no \"private_key\"";
    return std::nullopt;
  }
  if (!email || email->empty()) {
    error = what + " has no \"client_email\"";
    return std::nullopt;
  }
  std::string key_error;
  std::optional<crypto::RsaPrivateKey> key = crypto::RsaPrivateKey::from_pem(*pem, key_error);
  if (!key) {
    error = what + ": \"private_key\" is unusable: " + key_error;
    return std::nullopt;
  }
  if (token_uri && !token_uri->empty() && !is_http_url(*token_uri)) {
    error = what + ": \"token_uri\" is not an http(s) URL: " + *token_uri;
    return std::nullopt;
  }
  account.client_email = std::move(*email);
  account.key = std::move(*key);
  account.private_key_id = key_id.value_or("");
  account.project_id = project.value_or("");
  account.token_uri = token_uri && !token_uri->empty() ? *token_uri : std::string(kDefaultTokenUri);
  return account;
}

std::optional<ServiceAccount> read_service_account_file(const std::string& path, std::string& error) {
  std::string what = "Google credentials file " + path;
  std::error_code ec;
  if (std::filesystem::is_directory(path, ec)) {
    error = what + " is a directory";
    return std::nullopt;
  }
  std::ifstream in(path, std::ios::binary);
  if (!in) {
    error = "cannot read " + what + ": " + std::strerror(errno);
    return std::nullopt;
  }
  std::string text(static_cast<size_t>(kMaxKeyFileBytes) + 1, '\0');
  in.read(text.data(), static_cast<std::streamsize>(text.size()));
  if (in.bad()) {
    error = "cannot read " + what + ": " + std::strerror(errno);
    return std::nullopt;
  }
  text.resize(static_cast<size_t>(in.gcount()));
  if (text.empty()) {
    error = what + " is empty";
    return std::nullopt;
  }
  if (text.size() > static_cast<size_t>(kMaxKeyFileBytes)) {
    error = what + " is larger than 1 MiB: not a service account key file";
    return std::nullopt;
  }
  return parse_service_account_json(text, what, error);
}

std::optional<ServiceAccount> service_account_from_key(std::string email, std::string_view pem, std::string& error) {
  if (email.empty()) {
    error = "service_account_secret needs service_account_email";
    return std::nullopt;
  }
  if (pem.empty()) {
    error = "service_account_email needs service_account_secret (the service account's PEM private key)";
    return std::nullopt;
  }
  std::string key_error;
  std::optional<crypto::RsaPrivateKey> key = crypto::RsaPrivateKey::from_pem(unescape_newlines(pem), key_error);
  if (!key) {
    error = "service_account_secret is unusable: " + key_error;
    return std::nullopt;
  }
  ServiceAccount account;
  account.client_email = std::move(email);
  account.key = std::move(*key);
  account.token_uri = std::string(kDefaultTokenUri);
  return account;
}

}  // namespace sluice::gcp
