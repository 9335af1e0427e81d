// The assembled agent: builds every component from a loaded configuration,
// runs them, and shuts down in order (stop inputs, flush filters, drain
// outputs within the grace period, commit positions).
#pragma once
#include <functional>
#include <memory>
#include <string>

#include "agent/config/yaml_loader.hpp"

namespace sluice {

// The answer to a hot reload request.
struct ReloadResult {
  bool ok = false;
  std::string message;  // what changed, or why the file was refused
};
using ReloadDone = std::function<void(const ReloadResult&)>;

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
  // A pipeline without inputs validates (--dry-run) but run() refuses it.
  bool has_inputs() const;
  // Hot reload (service.hot_reload: on): reads the file again and rebuilds
  // the components whose configuration changed; see docs/hot-reload.md.
  // Main thread (the status server's handlers run there); done runs there too.
  void reload(ReloadDone done);

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace sluice
