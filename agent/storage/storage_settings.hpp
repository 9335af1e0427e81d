// The filesystem buffer's keys, read once from a loaded configuration:
// service.storage.* , an input's storage.type and an output's
// storage.total_limit_size (Fluent Bit's names and meanings; where sluice
// does something else, a one-line warning at load says what).
#pragma once
#include <cstdint>
#include <string>
#include <vector>

#include "agent/config/yaml_loader.hpp"
#include "agent/router.hpp"
#include "agent/storage/segment_store.hpp"

namespace sluice::storage {

struct ServiceStorage {
  std::string path;  // service.storage.path; empty: none
  Sync sync = Sync::Normal;
};

// Reads the service keys; warns (once per load) about accepted keys sluice
// does not act on.
ServiceStorage service_storage(const config::ComponentConfig& svc);

// True when the input's storage.type is filesystem. ConfigError (at the
// key's line) when it is and there is no service.storage.path.
bool input_uses_filesystem(const config::ComponentConfig& input, const ServiceStorage& svc);

// An output's storage.total_limit_size and what happens when it is reached.
struct OutputLimit {
  enum class Policy { Block, DropNewest, DropOldest };
  std::string output;  // instance name
  uint64_t bytes = 0;
  Policy policy = Policy::Block;
  TagMatcher match;
};
// nullopt when the output sets no storage.total_limit_size.
std::optional<OutputLimit> output_limit(const config::ComponentConfig& output, const std::string& instance);

// Hot reload: storage settings can't change under a running input (its
// segments would change meaning). ConfigError naming the key when the
// storage.type of a running input (same instance name) differs.
void check_reload(const config::ComponentConfig& running_input, const config::ComponentConfig& next_input);

// The input's directory and quarantine directory under the storage path.
StoreOptions store_options(const ServiceStorage& svc, const std::string& instance);

}  // namespace sluice::storage
