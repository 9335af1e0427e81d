// libFuzzer target: any text given as a pipeline file either loads or is
// refused with a ConfigError; nothing else may escape, crash or leak.
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "agent/config/yaml_loader.hpp"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string_view text(reinterpret_cast<const char*>(data), size);
  try {
    sluice::config::load_string(text, "fuzz.yaml", "/nonexistent");
  } catch (const sluice::config::ConfigError&) {
  }
  return 0;
}
