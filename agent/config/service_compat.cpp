// Fluent Bit's service keys that map onto sluice's settings; see service_compat.hpp.
#include "agent/config/service_compat.hpp"

namespace sluice::config {

void apply_service_compat(PipelineConfig& cfg) {
  const ComponentConfig& svc = cfg.service;
  if (svc.has("daemon") && svc.get_bool("daemon"))
    svc.fail("daemon",
             "sluice runs in the foreground only: run it under systemd (Type=simple), a container or another "
             "supervisor, and remove 'daemon on' (or set it off)");
  // Fluent Bit's scheduler retries every output with one backoff base and
  // cap; sluice's are per output, so these are the defaults of each.
  for (auto [service_key, output_key] : {std::pair{"scheduler.base", "retry_base"}, {"scheduler.cap", "retry_cap"}}) {
    if (!svc.has(service_key)) continue;
    Setting s = svc.settings().find(service_key)->second;
    for (auto& out : cfg.outputs)
      if (!out.has(output_key)) out.set(output_key, s);
  }
}

}  // namespace sluice::config
