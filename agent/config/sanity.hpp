// Settings that are each valid alone but can never work, alone or together
// (a memory budget of 0, a budget below one batch, a flush of 0, ...):
// refused at load, with the file:line of the key and the reason, so that
// `--dry-run` catches them instead of a pipeline that stalls at run time.
#pragma once
#include "agent/config/yaml_loader.hpp"

namespace sluice::config {

// Throws ConfigError at the first value that can never work. Checks the
// service section and every output's core keys (plugins check their own).
void check_sanity(const PipelineConfig& cfg);

}  // namespace sluice::config
