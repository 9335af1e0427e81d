// The assembled agent: builds every component from a loaded configuration,
// runs them, and shuts down in order (stop inputs, flush filters, drain
// outputs within the grace period, commit positions).
#pragma once
#include <memory>

#include "agent/config/yaml_loader.hpp"

namespace sluice {

class Service {
 public:
  // Builds (and so validates) everything; throws config::ConfigError.
  explicit Service(const config::PipelineConfig& cfg);
  ~Service();
  // Runs until SIGTERM/SIGINT or every input finished; returns the exit code.
  // A second signal exits at once.
  int run();
  // For --dry-run: one line saying what would run.
  std::string summary() const;

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace sluice
