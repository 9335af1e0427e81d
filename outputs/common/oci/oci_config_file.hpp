// The OCI configuration file the CLI and SDKs share (~/.oci/config): its
// profiles, read as Oracle's SDKs read them, with errors that name the file
// and line. Pure file reading: what the values mean is oci_credentials'.
#pragma once
#include <map>
#include <optional>
#include <string>
#include <string_view>

namespace sluice::oci {

inline constexpr std::string_view kDefaultProfile = "DEFAULT";

struct ConfigValue {
  std::string value;
  int line = 0;  // 1-based, in ConfigProfile::file
};

// One profile: its own keys over those of [DEFAULT], which every profile
// inherits (as the SDKs and the CLI do).
struct ConfigProfile {
  std::string file;  // the path read
  std::string name;
  std::map<std::string, ConfigValue, std::less<>> values;

  // The value of key, or nullptr when neither the profile nor DEFAULT has it.
  const ConfigValue* find(std::string_view key) const;
  // "key_file (/root/.oci/config line 5)": where a value came from, for
  // messages; never the value.
  std::string where(std::string_view key) const;
};

// The file's text read as the SDKs do: lines trimmed; blank lines and lines
// starting with '#' skipped; "[name]" starts a profile; every other line is
// "key=value" (both trimmed, the value may hold '='). A key-value line before
// any profile, a line without '=', an empty key or an empty profile name is
// an error naming the file and line; so is a missing profile. Quotes no
// value in an error (a pass_phrase may be one).
std::optional<ConfigProfile> parse_config_profile(std::string_view text, const std::string& file,
                                                  const std::string& profile, std::string& error);
std::optional<ConfigProfile> read_config_profile(const std::string& file, const std::string& profile,
                                                 std::string& error);

// OCI_CONFIG_FILE; else ~/.oci/config; else ~/.oraclebmc/config when only
// that one exists (the SDKs' fallback).
std::string default_config_file();
// OCI_CLI_PROFILE, else DEFAULT.
std::string default_profile();

// "~/x" → "$HOME/x" (the SDKs expand only a leading "~/"); other paths as
// given, so a relative key_file is relative to the working directory, as
// with the CLI.
std::string expand_home(std::string path);

// A whole file of at most max_bytes; nullopt with why in error ("cannot
// read /x: No such file or directory", "… is larger than 65536 bytes").
std::optional<std::string> read_text_file(const std::string& path, size_t max_bytes, std::string& error);

}  // namespace sluice::oci
