// Fluent Bit's service keys that map onto sluice's own settings, applied once
// after the whole configuration is loaded: `scheduler.base`/`scheduler.cap`
// become every output's default retry_base/retry_cap, and `daemon on` is
// refused (sluice runs in the foreground).
#pragma once
#include "agent/config/yaml_loader.hpp"

namespace sluice::config {

// Throws ConfigError for `daemon on`; fills outputs' unset retry_base and
// retry_cap from scheduler.base and scheduler.cap (the output's own keys win).
void apply_service_compat(PipelineConfig& cfg);

}  // namespace sluice::config
