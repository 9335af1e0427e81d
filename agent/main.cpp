// sluice's command line: run a pipeline, check one (--dry-run), or describe
// a plugin's keys (--help-plugin).
#include <CLI/CLI.hpp>

#include <iostream>

#include "agent/config/common_keys.hpp"
#include "agent/config/yaml_loader.hpp"
#include "agent/log.hpp"
#include "agent/parse/parser.hpp"
#include "agent/service.hpp"
#include "filters/registry.hpp"
#include "inputs/registry.hpp"
#include "outputs/registry.hpp"

namespace {

using sluice::config::PluginSchema;

void print_schema(const PluginSchema& schema, const std::string& kind) {
  const PluginSchema& s = sluice::config::effective_schema(schema, kind);
  std::cout << kind << " " << s.name << ": " << s.description << "\n\nkeys:\n";
  for (const auto& k : s.keys) {
    std::cout << "  " << k.name << " (" << sluice::config::type_name(k.type);
    if (k.required) std::cout << ", required";
    if (!k.default_value.empty()) std::cout << ", default " << k.default_value;
    std::cout << ")\n      " << k.description;
    if (!k.choices.empty()) {
      std::cout << " One of:";
      for (auto c : k.choices) std::cout << " " << c;
      std::cout << ".";
    }
    std::cout << "\n";
  }
}

// Prints NAME's keys; returns false if no plugin has that name.
bool help_plugin(const std::string& name) {
  bool found = false;
  for (const auto& p : sluice::input_plugins())
    if (p.schema->name == name) { print_schema(*p.schema, "input"); found = true; }
  for (const auto& p : sluice::filter_plugins())
    if (p.schema->name == name) { if (found) std::cout << "\n"; print_schema(*p.schema, "filter"); found = true; }
  for (const auto& p : sluice::output_plugins())
    if (p.schema->name == name) { if (found) std::cout << "\n"; print_schema(*p.schema, "output"); found = true; }
  if (name == "service") { print_schema(sluice::config::service_schema(), "service"); found = true; }
  if (name == "parser") { print_schema(sluice::parser_schema(), "parser"); found = true; }
  return found;
}

std::string plugin_list() {
  std::string s = "inputs:";
  for (const auto& p : sluice::input_plugins()) s += " " + std::string(p.schema->name);
  s += "\nfilters:";
  for (const auto& p : sluice::filter_plugins()) s += " " + std::string(p.schema->name);
  s += "\noutputs:";
  for (const auto& p : sluice::output_plugins()) s += " " + std::string(p.schema->name);
  return s + "\nsections: service parser\n";
}

}  // namespace

int main(int argc, char** argv) {
  CLI::App app{"sluice: a log-forwarding agent (tail, parse, filter, deliver without losing data)", "sluice"};
  std::string config_path, plugin;
  bool dry_run = false, version = false;
  app.add_option("-c,--config", config_path, "The YAML pipeline file");
  app.add_flag("--dry-run", dry_run, "Validate the configuration (and build every component), then exit");
  app.add_option("--help-plugin", plugin, "Describe the keys of an input, filter or output (or 'service', 'parser')");
  app.add_flag("-V,--version", version, "Print the version and exit");
  app.footer("Plugins:\n" + plugin_list());
  CLI11_PARSE(app, argc, argv);

  if (version) {
    std::cout << "sluice " << SLUICE_VERSION << "\n";
    return 0;
  }
  if (!plugin.empty()) {
    if (help_plugin(plugin)) return 0;
    std::cerr << "sluice: no plugin named '" << plugin << "'\n" << plugin_list();
    return 2;
  }
  if (config_path.empty()) {
    std::cerr << "sluice: no configuration: use -c FILE (see --help)\n";
    return 2;
  }
  try {
    auto cfg = sluice::config::load_file(config_path);
    sluice::log::init(dry_run ? "warn" : cfg.service.get_string("log_level"));
    sluice::Service service(cfg);
    if (dry_run) {
      std::cout << config_path << ": configuration OK (" << service.summary() << ")\n";
      return 0;
    }
    return service.run();
  } catch (const sluice::config::ConfigError& e) {
    std::cerr << "sluice: configuration error: " << e.what() << "\n";
    return 2;
  }
}
