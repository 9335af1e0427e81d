// What the core builds around components from their configuration: an
// input's or output's processors, an input's conditional routes, a
// component's own log level. See service_impl.hpp.
#include "agent/config/suggest.hpp"
#include "agent/join.hpp"
#include "agent/log.hpp"
#include "agent/service_impl.hpp"
#include "filters/registry.hpp"

namespace sluice {

int component_log_level(const config::ComponentConfig& cfg) {
  return cfg.has("log_level") ? log::level_number(cfg.get_string("log_level")) : -1;
}

std::unique_ptr<ProcessorChain> build_processors(const config::ComponentConfig& owner, const std::string& owner_name,
                                                 const BuildContext& build) {
  if (owner.processors.empty()) return nullptr;
  std::vector<ProcessorUnit> units;
  for (size_t i = 0; i < owner.processors.size(); ++i) {
    const auto& p = owner.processors[i];
    const config::ComponentConfig& fc = p.filter;
    const FilterPlugin* plugin = nullptr;
    for (const auto& f : filter_plugins())
      if (f.name == fc.plugin()) plugin = &f;
    if (plugin == nullptr) std::abort();  // the loader only accepts registered names
    ProcessorUnit unit;
    unit.instance = fc.has("alias") ? fc.get_string("alias")
                                    : owner_name + "/" + std::string(fc.plugin()) + "." + std::to_string(i);
    unit.filter = plugin->make(fc, build);
    if (!p.condition.rules.empty()) unit.condition = Condition::compile(p.condition);
    unit.log_level = component_log_level(fc);
    units.push_back(std::move(unit));
  }
  return std::make_unique<ProcessorChain>(std::move(units));
}

std::shared_ptr<const ConditionalRoutes> build_routes(const config::ComponentConfig& input,
                                                      const config::PipelineConfig& cfg) {
  if (input.routes.empty()) return nullptr;
  std::vector<std::string> instances, plugins;
  for (size_t i = 0; i < cfg.outputs.size(); ++i) {
    instances.push_back(instance_name(cfg.outputs[i], i));
    plugins.emplace_back(cfg.outputs[i].plugin());
  }
  // Routes name outputs as Fluent Bit does (alias, instance name or plugin
  // name); the pipeline finds them by instance name.
  std::vector<config::RouteConfig> named = input.routes;
  for (auto& route : named) {
    for (auto& out : route.outputs) {
      size_t at = find_route_output(out, instances, plugins);
      if (at == std::string::npos) {
        std::vector<std::string_view> known(instances.begin(), instances.end());
        std::string near = config::nearest(out, known);
        throw config::ConfigError(route.to_mark, input.display_name() + ": route '" + route.name +
                                                     "' sends to output '" + out + "', which the pipeline doesn't have" +
                                                     (near.empty() ? " (outputs: " + join(known) + ")"
                                                                   : "; did you mean '" + near + "'?"));
      }
      out = instances[at];
    }
  }
  return ConditionalRoutes::compile(named);
}

}  // namespace sluice
