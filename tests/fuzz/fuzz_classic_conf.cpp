// libFuzzer target: any text given as a Fluent Bit classic file is either
// translated or refused with a ConfigError, and what it is translated to is
// always valid YAML (a value or key the translator failed to quote would make
// yaml-cpp throw here), which the loader then takes or refuses with a
// ConfigError like any other file.
#include <yaml-cpp/yaml.h>

#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string>

#include "agent/config/classic_conf.hpp"
#include "agent/config/yaml_loader.hpp"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string text(reinterpret_cast<const char*>(data), size);
  sluice::config::TranslatedConfig t;
  try {
    t = sluice::config::translate_classic(text, "fuzz.conf", "/nonexistent");
  } catch (const sluice::config::ConfigError&) {
    return 0;
  }
  try {
    YAML::Load(t.yaml);
  } catch (const YAML::Exception&) {
    std::abort();  // the translator wrote YAML that doesn't parse
  }
  try {
    sluice::config::load_string(t.yaml, "fuzz.yaml", "/nonexistent");
  } catch (const sluice::config::ConfigError&) {
  }
  return 0;
}
