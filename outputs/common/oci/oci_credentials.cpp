// OCI credential sources; see oci_credentials.hpp.
#include "outputs/common/oci/oci_credentials.hpp"

#include <filesystem>

#include "outputs/common/crypto/digest.hpp"
#include "outputs/common/oci/oci_config_file.hpp"
#include "outputs/common/oci/oci_instance_principal.hpp"
#include "outputs/common/oci/oci_signature.hpp"

namespace sluice::oci {

namespace {

constexpr size_t kMaxKeyBytes = 64 * 1024;
constexpr size_t kMaxTokenBytes = 64 * 1024;

std::string_view trim(std::string_view s) {
  auto blank = [](char c) { return c == ' ' || c == '\t' || c == '\r' || c == '\n'; };
  while (!s.empty() && blank(s.front())) s.remove_prefix(1);
  while (!s.empty() && blank(s.back())) s.remove_suffix(1);
  return s;
}

std::string lowercase(std::string_view s) {
  std::string out(s);
  for (char& c : out)
    if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
  return out;
}

// "aa:bb:…:ff", 16 pairs of hex digits.
bool is_md5_fingerprint(std::string_view f) {
  if (f.size() != 47) return false;
  for (size_t i = 0; i < f.size(); ++i) {
    char c = f[i];
    bool hex = (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F');
    if (i % 3 == 2 ? c != ':' : !hex) return false;
  }
  return true;
}

// One value: the setting when set, else the profile's; `where` names it.
struct Value {
  std::string value;
  std::string where;
};

class Source {
 public:
  explicit Source(const ConfigProfile* profile) : profile_(profile) {}

  Value get(std::string_view key, const std::string& setting) const {
    if (!setting.empty()) return {setting, "the " + std::string(key) + " setting"};
    if (profile_) {
      if (const ConfigValue* v = profile_->find(key)) return {v->value, profile_->where(key)};
    }
    return {};
  }
  // Why a required value is missing.
  std::string missing(std::string_view key) const {
    if (profile_) return "profile " + profile_->name + " of " + profile_->file + " has no " + std::string(key);
    return std::string(key) + " is not set";
  }

 private:
  const ConfigProfile* profile_;
};

std::optional<Credentials> resolve_api_key(const SignerSettings& s, std::string& error) {
  bool complete = !s.key_file.empty() &&
                  (!s.security_token_file.empty() || (!s.user.empty() && !s.tenancy.empty() && !s.fingerprint.empty()));
  std::optional<ConfigProfile> profile;
  Credentials c;
  c.auth_type = AuthType::ApiKey;
  if (!complete) {
    std::string file = s.config_file.empty() ? default_config_file() : expand_home(s.config_file);
    std::string name = s.profile.empty() ? default_profile() : s.profile;
    std::error_code ec;
    if (s.config_file.empty() && !std::filesystem::exists(file, ec)) {
      error = "no OCI credentials: " + file +
              " does not exist, and user, tenancy, fingerprint and key_file are not all set";
      return std::nullopt;
    }
    profile = read_config_profile(file, name, error);
    if (!profile) return std::nullopt;
    c.origin = "profile " + name + " of " + file;
  } else {
    c.origin = s.security_token_file.empty() ? "the user, tenancy, fingerprint and key_file settings"
                                             : "the security_token_file and key_file settings";
  }
  Source src(profile ? &*profile : nullptr);

  Value key_file = src.get("key_file", s.key_file);
  if (key_file.value.empty()) {
    error = src.missing("key_file");
    return std::nullopt;
  }
  Value token_file = src.get("security_token_file", s.security_token_file);
  Value user = src.get("user", s.user);
  Value tenancy = src.get("tenancy", s.tenancy);
  Value fingerprint = src.get("fingerprint", s.fingerprint);
  if (token_file.value.empty()) {
    for (const auto* v : {&user, &tenancy, &fingerprint}) {
      if (v->value.empty()) {
        const char* name = v == &user ? "user" : v == &tenancy ? "tenancy" : "fingerprint";
        error = src.missing(name) + " (an API key needs user, tenancy, fingerprint and key_file)";
        return std::nullopt;
      }
    }
    if (!tenancy.value.starts_with("ocid1.tenancy.")) {
      error = tenancy.where + " is not a tenancy OCID (ocid1.tenancy.oc1..…)";
      return std::nullopt;
    }
    if (!user.value.starts_with("ocid1.user.")) {
      error = user.where + " is not a user OCID (ocid1.user.oc1..…)";
      return std::nullopt;
    }
    if (!is_md5_fingerprint(fingerprint.value)) {
      error = fingerprint.where + " is not a key fingerprint (16 pairs of hex digits joined by ':')";
      return std::nullopt;
    }
  } else {
    c.security_token_file = expand_home(token_file.value);
    std::string why;
    if (!read_security_token(c.security_token_file, why)) {
      error = token_file.where + ": " + why;
      return std::nullopt;
    }
  }

  std::string key_path = expand_home(key_file.value);
  std::optional<std::string> pem = read_text_file(key_path, kMaxKeyBytes, error);
  if (!pem) {
    error = key_file.where + ": " + error;
    return std::nullopt;
  }
  Value pass_phrase = src.get("pass_phrase", s.pass_phrase);
  std::string why;
  std::optional<crypto::RsaPrivateKey> key = crypto::RsaPrivateKey::from_pem(*pem, why, pass_phrase.value);
  if (!key) {
    error = key_file.where + " " + key_path + ": " + why;
    if (why.find("encrypted") != std::string::npos) error += " (set pass_phrase)";
    return std::nullopt;
  }
  if (token_file.value.empty()) {
    std::string actual = api_key_fingerprint(*key);
    if (!actual.empty() && actual != lowercase(fingerprint.value)) {
      error = fingerprint.where + " is not the fingerprint of " + key_path + " (its public key's is " + actual +
              "): the key or the fingerprint is from another API key";
      return std::nullopt;
    }
    c.key_id = api_key_id(tenancy.value, user.value, fingerprint.value);
  }
  c.key = std::make_shared<const crypto::RsaPrivateKey>(std::move(*key));
  c.region = src.get("region", s.region).value;
  return c;
}

std::optional<Credentials> resolve_instance_principal(const SignerSettings& s, std::string& error) {
  Credentials c;
  c.auth_type = AuthType::InstancePrincipal;
  c.metadata_url = s.metadata_url.empty() ? std::string(kDefaultMetadataUrl) : s.metadata_url;
  while (c.metadata_url.ends_with('/')) c.metadata_url.pop_back();
  c.http_timeout = s.http_timeout;
  c.region = s.region;
  if (!s.federation_endpoint.empty()) {
    c.federation_endpoint = s.federation_endpoint;
  } else {
    if (c.region.empty()) {
      std::optional<RegionInfo> info = fetch_region_info(c.metadata_url, s.http_timeout, error);
      if (!info) {
        error = "instance_principal needs the region (set region, or run on an OCI instance): " + error;
        return std::nullopt;
      }
      c.region = info->region;
      c.realm_domain = info->realm_domain;
    }
    c.federation_endpoint = "https://auth." + c.region + "." + c.realm_domain;
  }
  while (c.federation_endpoint.ends_with('/')) c.federation_endpoint.pop_back();
  c.origin = "instance principal (metadata service " + c.metadata_url + ")";
  return c;
}

}  // namespace

std::string api_key_fingerprint(const crypto::RsaPrivateKey& key) {
  std::string digest = crypto::md5(key.public_key_der());
  return digest.empty() ? std::string() : crypto::colon_hex(digest);
}

std::optional<std::string> read_security_token(const std::string& path, std::string& error) {
  std::optional<std::string> text = read_text_file(path, kMaxTokenBytes, error);
  if (!text) return std::nullopt;
  std::string token(trim(*text));
  if (token.empty()) {
    error = path + " is empty (no security token)";
    return std::nullopt;
  }
  return token;
}

std::optional<Credentials> resolve_credentials(const SignerSettings& settings, std::string& error) {
  if (settings.auth_type == AuthType::InstancePrincipal) return resolve_instance_principal(settings, error);
  return resolve_api_key(settings, error);
}

}  // namespace sluice::oci
