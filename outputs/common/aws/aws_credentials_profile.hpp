// The shared credentials and config files (~/.aws/credentials,
// ~/.aws/config): which profile applies and what it holds. Pure file
// reading, no network: a role a profile names is assumed by the caller.
#pragma once
#include <map>
#include <optional>
#include <string>
#include <string_view>

#include "outputs/common/aws/sigv4.hpp"

namespace sluice::aws {

// An INI file as the AWS CLI writes it: sections of "key = value" lines;
// comment lines start with '#' or ';'; indented lines (nested settings such
// as "s3 =" blocks) are skipped. Section names as written ("profile x" in
// the config file); keys lowercased.
using IniSections = std::map<std::string, std::map<std::string, std::string>>;
IniSections parse_ini(std::string_view text);

struct ProfileCredentials {
  // The profile's own keys; or, with role_arn, the source profile's keys
  // the role is assumed with.
  Credentials credentials;
  std::string role_arn;  // "" = use credentials as they are
  std::string external_id;
  std::string role_session_name;
  std::string source;  // "profile prod in /root/.aws/credentials", for the log
};

struct ProfileLookup {
  bool configured = false;  // the files name this profile
  std::string error;        // when configured but unusable, or a named profile is missing
  ProfileCredentials profile;
};

// The profile to use: `name` when set, else AWS_PROFILE, else "default";
// files from AWS_SHARED_CREDENTIALS_FILE and AWS_CONFIG_FILE or ~/.aws.
// A missing file is no error; a missing profile is one when it was named.
ProfileLookup lookup_profile(const std::string& name);

}  // namespace sluice::aws
