// Profiles of the shared AWS files; see aws_credentials_profile.hpp.
#include "outputs/common/aws/aws_credentials_profile.hpp"

#include <filesystem>

#include "outputs/common/aws/aws_fetch.hpp"

namespace sluice::aws {

namespace {

using Section = std::map<std::string, std::string>;

std::string lowercase(std::string_view s) {
  std::string out(s);
  for (char& c : out)
    if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
  return out;
}

std::string expand_home(std::string path) {
  if (path.starts_with("~/")) path = env("HOME") + path.substr(1);
  return path;
}

std::string default_path(const char* variable, const char* file) {
  std::string path = env(variable);
  if (!path.empty()) return expand_home(path);
  std::string home = env("HOME");
  return home.empty() ? "" : home + "/.aws/" + file;
}

struct SharedFile {
  std::string path;
  IniSections sections;
  std::string error;  // the file exists but can't be read
};

SharedFile load(std::string path) {
  SharedFile f{std::move(path), {}, ""};
  std::error_code ec;
  if (f.path.empty() || !std::filesystem::exists(f.path, ec)) return f;
  if (auto text = read_small_file(f.path, f.error)) f.sections = parse_ini(*text);
  return f;
}

// A profile's settings: the config file's, overridden by the credentials
// file's (as the SDKs merge them); where to name in messages.
struct Profile {
  Section keys;
  std::string where;
};

std::optional<Profile> find(const SharedFile& credentials, const SharedFile& config, const std::string& name) {
  std::optional<Profile> p;
  auto take = [&](const IniSections& sections, const std::string& section, const std::string& path) {
    auto it = sections.find(section);
    if (it == sections.end()) return;
    if (!p) p.emplace();
    for (const auto& [k, v] : it->second) p->keys[k] = v;
    p->where = "profile " + name + " in " + path;
  };
  if (name == "default") take(config.sections, "default", config.path);
  take(config.sections, "profile " + name, config.path);
  take(credentials.sections, name, credentials.path);
  return p;
}

std::string value(const Profile& p, const char* key) {
  auto it = p.keys.find(key);
  return it == p.keys.end() ? "" : it->second;
}

// The static keys of a profile, or why it has none.
std::optional<Credentials> static_keys(const Profile& p, std::string& error) {
  std::string id = value(p, "aws_access_key_id");
  std::string secret = value(p, "aws_secret_access_key");
  if (!id.empty() && !secret.empty()) return Credentials{id, secret, value(p, "aws_session_token"), std::nullopt};
  if (!id.empty() || !secret.empty()) {
    error = p.where + " has only one of aws_access_key_id and aws_secret_access_key";
  } else {
    error = p.where + " has no aws_access_key_id and aws_secret_access_key";
  }
  return std::nullopt;
}

ProfileLookup fail(std::string error) {
  ProfileLookup r;
  r.configured = true;
  r.error = std::move(error);
  return r;
}

}  // namespace

IniSections parse_ini(std::string_view text) {
  IniSections out;
  Section* current = nullptr;
  while (!text.empty()) {
    size_t eol = text.find('\n');
    std::string_view raw = text.substr(0, eol);
    text.remove_prefix(eol == std::string_view::npos ? text.size() : eol + 1);
    bool indented = !raw.empty() && (raw.front() == ' ' || raw.front() == '\t');
    std::string_view line = trim(raw);
    if (line.empty() || line.front() == '#' || line.front() == ';') continue;
    if (line.front() == '[') {
      size_t close = line.find(']');
      current = close == std::string_view::npos ? nullptr : &out[std::string(trim(line.substr(1, close - 1)))];
      continue;
    }
    if (current == nullptr || indented) continue;
    size_t eq = line.find('=');
    if (eq == std::string_view::npos) continue;
    (*current)[lowercase(trim(line.substr(0, eq)))] = std::string(trim(line.substr(eq + 1)));
  }
  return out;
}

ProfileLookup lookup_profile(const std::string& setting) {
  std::string name = setting;
  if (name.empty()) name = env("AWS_PROFILE");
  const bool named = !name.empty();
  if (name.empty()) name = "default";

  SharedFile credentials = load(default_path("AWS_SHARED_CREDENTIALS_FILE", "credentials"));
  SharedFile config = load(default_path("AWS_CONFIG_FILE", "config"));
  if (!credentials.error.empty()) return fail(credentials.error);
  if (!config.error.empty()) return fail(config.error);

  std::optional<Profile> profile = find(credentials, config, name);
  if (!profile) {
    if (!named) return {};
    return fail("AWS profile " + name + " is in neither " + (credentials.path.empty() ? "~/.aws/credentials" : credentials.path) +
                " nor " + (config.path.empty() ? "~/.aws/config" : config.path));
  }
  for (const char* unsupported : {"credential_process", "sso_session", "sso_start_url", "credential_source",
                                  "web_identity_token_file"}) {
    if (!value(*profile, unsupported).empty()) {
      return fail(profile->where + " uses " + unsupported +
                  ", which sluice does not support (static keys, or role_arn with source_profile)");
    }
  }

  ProfileLookup r;
  r.configured = true;
  r.profile.source = profile->where;
  std::string role_arn = value(*profile, "role_arn");
  if (role_arn.empty()) {
    std::string error;
    auto keys = static_keys(*profile, error);
    if (!keys) {
      if (!named) return {};  // a default profile with only a region: the chain goes on
      return fail(error);
    }
    r.profile.credentials = std::move(*keys);
    return r;
  }

  std::string source_name = value(*profile, "source_profile");
  if (source_name.empty()) return fail(profile->where + " has role_arn without source_profile");
  std::optional<Profile> source = source_name == name ? profile : find(credentials, config, source_name);
  if (!source) return fail("source_profile " + source_name + " of " + profile->where + " is not in the shared files");
  if (source_name != name && !value(*source, "role_arn").empty()) {
    return fail(source->where + " (source_profile of " + name + ") assumes a role itself: chained roles are not supported");
  }
  std::string error;
  auto keys = static_keys(*source, error);
  if (!keys) return fail(error);
  r.profile.credentials = std::move(*keys);
  r.profile.role_arn = role_arn;
  r.profile.external_id = value(*profile, "external_id");
  r.profile.role_session_name = value(*profile, "role_session_name");
  r.profile.source = profile->where + " (role " + role_arn + " with the keys of profile " + source_name + ")";
  return r;
}

}  // namespace sluice::aws
