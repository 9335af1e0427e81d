// The YAML pipeline loader; see yaml_loader.hpp.
#include "agent/config/yaml_loader.hpp"

#include <yaml-cpp/yaml.h>

#include <algorithm>
#include <cstdlib>
#include <filesystem>
#include <map>
#include <set>

#include "agent/ascii_case.hpp"
#include "agent/config/classic_conf.hpp"
#include "agent/config/common_keys.hpp"
#include "agent/config/service_compat.hpp"
#include "agent/config/suggest.hpp"
#include "agent/config/yaml_routes.hpp"
#include "agent/host_name.hpp"
#include "agent/join.hpp"
#include "agent/parse/parser.hpp"
#include "filters/registry.hpp"
#include "inputs/registry.hpp"
#include "outputs/registry.hpp"

namespace sluice::config {

namespace {

namespace fs = std::filesystem;


// Loads one file (and its includes) into `out`.
class Loader {
 public:
  explicit Loader(PipelineConfig& out) : out_(out) {}

  void load_file(const std::string& path) {
    std::string canonical = fs::weakly_canonical(path).string();
    if (!loading_.insert(canonical).second) throw ConfigError("include cycle: " + path + " includes itself");
    if (is_classic_file(path)) {
      TranslatedConfig t = translate_classic_file(path);
      load_text(t.yaml, path, fs::path(path).parent_path().string(), std::move(t.origin));
      loading_.erase(canonical);
      return;
    }
    YAML::Node root;
    try {
      root = YAML::LoadFile(path);
    } catch (const YAML::BadFile&) {
      throw ConfigError("cannot read configuration file " + path);
    } catch (const YAML::Exception& e) {
      throw ConfigError(mark(path, e.mark), "invalid YAML: " + e.msg);
    }
    guarded(path, [&] { load_root(root, path, fs::path(path).parent_path().string()); });
    loading_.erase(canonical);
  }

  // origin: for YAML translated from the classic format, where each of its
  // lines came from (errors then point into the classic file).
  void load_text(std::string_view text, const std::string& name, const std::string& dir,
                 std::vector<Mark> origin = {}) {
    if (!origin.empty()) origins_[name] = std::move(origin);
    YAML::Node root;
    try {
      root = YAML::Load(std::string(text));
    } catch (const YAML::Exception& e) {
      throw ConfigError(mark(name, e.mark), "invalid YAML: " + e.msg);
    }
    guarded(name, [&] { load_root(root, name, dir); });
  }

  // yaml-cpp reports odd documents (aliases to nowhere, bad conversions) by
  // exceptions of its own: they become ConfigErrors like everything else.
  template <class Fn>
  void guarded(const std::string& file, Fn&& fn) {
    try {
      fn();
    } catch (const YAML::Exception& e) {
      throw ConfigError(mark(file, e.mark), "invalid configuration: " + e.msg);
    }
  }

  Mark mark(const std::string& file, const YAML::Mark& m) const {
    if (m.is_null()) return Mark{file, 0, 0};
    if (auto it = origins_.find(file); it != origins_.end()) {
      if (m.line >= 0 && static_cast<size_t>(m.line) < it->second.size()) return it->second[m.line];
      return Mark{file, 0, 0};
    }
    return Mark{file, m.line + 1, m.column + 1};
  }

  // Validates one component map against schema (name excluded); `skip`
  // names keys the caller reads itself.
  ComponentConfig component(const YAML::Node& node, const PluginSchema& plugin, const std::string& kind,
                            const std::string& file, std::initializer_list<std::string_view> skip = {}) {
    const PluginSchema& schema = effective_schema(plugin, kind);
    ComponentConfig cfg(&schema, kind, mark(file, node.Mark()));
    for (auto it = node.begin(); it != node.end(); ++it) {
      std::string key = ascii_lower(key_text(it->first, file));
      if (std::find(skip.begin(), skip.end(), key) != skip.end()) continue;
      add_setting(cfg, schema, key, it->first, it->second, file);
    }
    for (const auto& decl : schema.keys) {
      if (decl.required && !cfg.has(decl.name))
        throw ConfigError(cfg.mark(), cfg.display_name() + ": missing required key '" + std::string(decl.name) + "'");
    }
    return cfg;
  }

 private:
  void load_root(const YAML::Node& root, const std::string& file, const std::string& dir) {
    if (root.IsNull()) return;
    if (!root.IsMap()) throw ConfigError(mark(file, root.Mark()), "the configuration must be a map of sections");
    static const std::vector<std::string_view> kSections = {"service",  "pipeline", "parsers", "multiline_parsers",
                                                            "includes", "env"};
    // env first: its variables may be used by every other section.
    if (auto env = root["env"]) load_env(env, file);
    for (auto it = root.begin(); it != root.end(); ++it) {
      std::string key = ascii_lower(key_text(it->first, file));
      YAML::Node value = it->second;  // a copy: the iterator's pair is a temporary
      if (parsers_only_ && key != "parsers" && key != "multiline_parsers")
        throw ConfigError(mark(file, it->first.Mark()),
                          "a parsers file holds only 'parsers' and 'multiline_parsers', not '" + key + "'");
      if (key == "multiline_parsers") {
        for (const auto& item : sequence(value, file, "multiline_parsers"))
          out_.multiline_parsers.push_back(multiline_parser(item, file));
      } else if (key == "service") {
        expect_map(value, file, "service");
        ComponentConfig svc = component(value, service_schema(), "service", file);
        for (auto& [k, s] : svc.settings())
          if (!out_.service.has(k)) out_.service.set(k, s);
        if (svc.has("parsers_file"))
          for (const auto& f : svc.get_list("parsers_file")) load_parsers_file(f, dir, svc.mark_of("parsers_file"));
      } else if (key == "pipeline") {
        load_pipeline(value, file);
      } else if (key == "parsers") {
        for (const auto& item : sequence(value, file, "parsers")) {
          expect_map(item, file, "a parser");
          out_.parsers.push_back(component(item, parser_schema(), "parser", file));
        }
      } else if (key == "includes") {
        for (const auto& item : sequence(value, file, "includes")) {
          std::string inc = scalar(item, file, "includes");
          fs::path p = fs::path(inc).is_absolute() ? fs::path(inc) : fs::path(dir) / inc;
          if (!fs::exists(p)) throw ConfigError(mark(file, item.Mark()), "included file not found: " + p.string());
          load_file(p.string());
        }
      } else if (key == "env") {
        // already loaded
      } else {
        unknown(mark(file, it->first.Mark()), "section", key, kSections, "the configuration");
      }
    }
  }

  // A multiline_parsers entry: its keys, and `rules` as a list of
  // {state, regex, next_state} maps (what classic_conf makes of `rule` lines).
  MultilineParserConfig multiline_parser(const YAML::Node& item, const std::string& file) {
    expect_map(item, file, "a multiline parser");
    MultilineParserConfig mc;
    mc.settings = component(item, multiline_parser_schema(), "multiline_parser", file, {"rules"});
    for (auto it = item.begin(); it != item.end(); ++it) {
      if (ascii_lower(key_text(it->first, file)) != "rules") continue;
      size_t n = 0;
      for (const auto& rule : sequence(it->second, file, "rules")) {
        ++n;
        Mark at = mark(file, rule.Mark());
        expect_map(rule, file, "a rule (state, regex, next_state)");
        MultilineRuleConfig rc;
        rc.mark = at;
        bool has_state = false, has_regex = false;
        for (auto r = rule.begin(); r != rule.end(); ++r) {
          std::string k = ascii_lower(key_text(r->first, file));
          std::string v = interpolate(scalar(r->second, file, k), mark(file, r->second.Mark()));
          if (k == "state") rc.state = v, has_state = true;
          else if (k == "regex") rc.regex = v, has_regex = true;
          else if (k == "next_state") rc.next_state = v;
          else unknown(mark(file, r->first.Mark()), "key", k, {"state", "regex", "next_state"},
                       "rule " + std::to_string(n) + " of multiline parser '" + mc.settings.get_string("name") + "'");
        }
        if (!has_state || !has_regex)
          throw ConfigError(at, "rule " + std::to_string(n) + " of multiline parser '" +
                                    mc.settings.get_string("name") + "': missing '" +
                                    (has_state ? "regex" : "state") + "'");
        mc.rules.push_back(std::move(rc));
      }
    }
    return mc;
  }

  // service.parsers_file: a YAML file with `parsers:` or Fluent Bit's classic
  // parsers.conf, relative to the folder of the file that names it.
  void load_parsers_file(const std::string& name, const std::string& dir, const Mark& at) {
    fs::path p = fs::path(name).is_absolute() ? fs::path(name) : fs::path(dir) / name;
    if (!fs::exists(p)) throw ConfigError(at, "parsers_file not found: " + p.string());
    bool was = std::exchange(parsers_only_, true);
    load_file(p.string());
    parsers_only_ = was;
  }

  void load_env(const YAML::Node& env, const std::string& file) {
    expect_map(env, file, "env");
    for (auto it = env.begin(); it != env.end(); ++it)
      out_.env[key_text(it->first, file)] = env_[key_text(it->first, file)] =
          scalar(it->second, file, key_text(it->first, file));
  }

  void load_pipeline(const YAML::Node& node, const std::string& file) {
    expect_map(node, file, "pipeline");
    static const std::vector<std::string_view> kKinds = {"inputs", "filters", "outputs"};
    for (auto it = node.begin(); it != node.end(); ++it) {
      std::string key = ascii_lower(key_text(it->first, file));
      if (key == "inputs") {
        for (const auto& item : sequence(it->second, file, "pipeline.inputs"))
          out_.inputs.push_back(plugin_component(item, "input", file));
      } else if (key == "filters") {
        for (const auto& item : sequence(it->second, file, "pipeline.filters"))
          out_.filters.push_back(plugin_component(item, "filter", file));
      } else if (key == "outputs") {
        for (const auto& item : sequence(it->second, file, "pipeline.outputs"))
          out_.outputs.push_back(plugin_component(item, "output", file));
      } else {
        unknown(mark(file, it->first.Mark()), "key", key, kKinds, "pipeline");
      }
    }
  }

  // kind "processor": a filter run as an input's or output's processor.
  ComponentConfig plugin_component(const YAML::Node& item, const std::string& kind, const std::string& file) {
    expect_map(item, file, "an " + kind);
    YAML::Node name_node;
    bool has_name = false;
    for (auto it = item.begin(); it != item.end(); ++it) {
      if (ascii_lower(key_text(it->first, file)) == "name") {
        name_node = it->second;
        has_name = true;
      }
    }
    if (!has_name) throw ConfigError(mark(file, item.Mark()), kind + " without 'name' (which plugin to run)");
    // yaml-cpp reads `name: null` as a null node: that is the null output.
    unset_.clear();
    std::string name = name_node.IsNull()
                           ? std::string("null")
                           : ascii_lower(interpolate(scalar(name_node, file, "name"), mark(file, name_node.Mark())));
    if (!unset_.empty())
      throw ConfigError(mark(file, name_node.Mark()), kind + " 'name': environment variable '" + unset_.front() +
                                                          "' is not set");
    std::vector<std::string_view> known;
    const PluginSchema* schema = nullptr;
    auto scan = [&](const auto& plugins) {
      for (const auto& p : plugins) {
        known.push_back(p.name);
        if (p.name == name) schema = &p.schema();
      }
    };
    if (kind == "input") scan(input_plugins());
    if (kind == "filter" || kind == "processor") scan(filter_plugins());
    if (kind == "output") scan(output_plugins());
    if (schema == nullptr && kind == "processor")
      unknown(mark(file, name_node.Mark()), "processor", name, known,
              "sluice (its filters run as processors; Fluent Bit's own processors are not there)");
    if (schema == nullptr) unknown(mark(file, name_node.Mark()), kind + " plugin", name, known, "sluice");
    if (kind == "processor") return processor(item, *schema, file);
    ComponentConfig cfg = component(item, *schema, kind, file, {"processors", "routes"});
    for (auto it = item.begin(); it != item.end(); ++it) {
      std::string key = ascii_lower(key_text(it->first, file));
      if (key != "processors" && key != "routes") continue;
      if (kind == "filter" || (kind == "output" && key == "routes"))
        throw ConfigError(mark(file, it->first.Mark()),
                          cfg.display_name() + ": '" + key + "' belongs on " +
                              (key == "routes" ? "an input" : "an input or an output"));
      YAML::Node value = it->second;
      if (key == "routes") cfg.routes = read_routes(value, reader(file));
      else load_processors(cfg, value, file);
    }
    return cfg;
  }

  YamlReader reader(const std::string& file) {
    YamlReader r;
    r.mark = [this, file](const YAML::Node& n) { return mark(file, n.Mark()); };
    r.scalar = [this, file](const YAML::Node& n, const std::string& what) {
      return interpolate(scalar(n, file, what), mark(file, n.Mark()));
    };
    r.warnings = &out_.warnings;
    return r;
  }

  // `processors: {logs: [...]}` of an input or output: sluice's filters,
  // run in that order at that position. Metrics and traces have nothing to
  // run on in sluice.
  void load_processors(ComponentConfig& owner, const YAML::Node& node, const std::string& file) {
    expect_map(node, file, owner.display_name() + ": processors");
    for (auto it = node.begin(); it != node.end(); ++it) {
      std::string signal = ascii_lower(key_text(it->first, file));
      if (signal == "logs") {
        for (const auto& item : sequence(it->second, file, "processors.logs")) {
          YAML::Node p = item;
          auto cfg = plugin_component(p, "processor", file);
          ComponentConfig::Processor unit{std::move(cfg), {}};
          for (auto k = p.begin(); k != p.end(); ++k)
            if (ascii_lower(key_text(k->first, file)) == "condition")
              unit.condition = read_condition(k->second, reader(file), false);
          owner.processors.push_back(std::move(unit));
        }
      } else if (signal == "metrics" || signal == "traces" || signal == "profiles") {
        out_.warnings.push_back(mark(file, it->first.Mark()).str() + ": " + owner.display_name() + ": processors." +
                                signal + " are ignored: sluice carries logs only");
      } else {
        unknown(mark(file, it->first.Mark()), "key", signal, {"logs", "metrics", "traces", "profiles"},
                owner.display_name() + " processors");
      }
    }
  }

  // A filter as a processor: its own keys; match does nothing there (it runs
  // on every record of its input or output, as in Fluent Bit).
  ComponentConfig processor(const YAML::Node& item, const PluginSchema& plugin, const std::string& file) {
    ComponentConfig cfg = component(item, plugin, "filter", file, {"condition"});
    for (const char* key : {"match", "match_regex"})
      if (cfg.has(key))
        out_.warnings.push_back(cfg.mark_of(key).str() + ": " + cfg.display_name() + ": '" + key +
                                "' does nothing on a processor: it runs on every record of its input or output "
                                "(a condition selects records)");
    return cfg;
  }

  void add_setting(ComponentConfig& cfg, const PluginSchema& schema, std::string key, const YAML::Node& key_node,
                   const YAML::Node& value, const std::string& file) {
    Mark at = mark(file, key_node.Mark());
    if (value.IsMap() && schema.find(key) == nullptr) {
      // Nested map: tls: {verify: off} means tls.verify.
      for (auto it = value.begin(); it != value.end(); ++it)
        add_setting(cfg, schema, key + "." + ascii_lower(key_text(it->first, file)), it->first, it->second, file);
      return;
    }
    const KeyDecl* decl = schema.find(key);
    if (decl == nullptr) {
      std::vector<std::string_view> names;
      for (const auto& k : schema.keys) names.push_back(k.name);
      if (cfg.kind() == "service") {
        // Fluent Bit ignores service keys it doesn't know (its own test and
        // example configs carry some): a warning, so such a config runs.
        std::string near = nearest(key, names);
        out_.warnings.push_back(at.str() + ": " + cfg.display_name() + ": unknown key '" + key +
                                "' is ignored, as Fluent Bit ignores it" +
                                (near.empty() ? "" : "; did you mean '" + near + "'?"));
        return;
      }
      unknown(at, "key", key, names, cfg.display_name());
    }
    if (!decl->compat_note.empty())
      out_.warnings.push_back(at.str() + ": " + cfg.display_name() + ": '" + key +
                              "' is accepted for Fluent Bit and does nothing here: " + std::string(decl->compat_note));
    std::string fluent_bit_name;
    if (!decl->alias_of.empty()) {
      // Fluent Bit's name for one of the plugin's keys: stored as that key.
      fluent_bit_name = key;
      key = std::string(decl->alias_of);
      decl = schema.find(key);
    }
    if (cfg.has(key))
      throw ConfigError(at, cfg.display_name() + ": key '" + key + "' is set twice" +
                                (fluent_bit_name.empty() ? "" : " (as '" + fluent_bit_name + "', Fluent Bit's name for it)"));
    Setting s;
    s.mark = at;
    unset_.clear();
    if (key == "name" && (cfg.kind() == "input" || cfg.kind() == "filter" || cfg.kind() == "output")) {
      s.values.push_back(std::string(schema.name));  // the plugin, already resolved (`name: null` included)
      cfg.set(key, std::move(s));
      return;
    }
    if (value.IsSequence()) {
      if (decl->type != KeyType::List && decl->type != KeyType::Multi)
        throw ConfigError(at, cfg.display_name() + ": key '" + key + "' takes one value, not a list");
      for (const auto& item : value) s.values.push_back(interpolate(scalar(item, file, key), mark(file, item.Mark())));
    } else if (value.IsNull()) {
      throw ConfigError(at, cfg.display_name() + ": key '" + key + "' has no value; expected " +
                                std::string(type_name(decl->type)));
    } else if (value.IsMap()) {
      throw ConfigError(at, cfg.display_name() + ": key '" + key + "' takes " + std::string(type_name(decl->type)) +
                                ", not a map");
    } else {
      std::string v = interpolate(value.Scalar(), at);
      if (decl->type == KeyType::List) {
        size_t start = 0;
        while (start <= v.size()) {
          size_t comma = v.find(',', start);
          std::string part = v.substr(start, comma == std::string::npos ? std::string::npos : comma - start);
          part.erase(0, part.find_first_not_of(" \t"));
          part.erase(part.find_last_not_of(" \t") + 1);
          if (!part.empty()) s.values.push_back(part);
          if (comma == std::string::npos) break;
          start = comma + 1;
        }
      } else {
        s.values.push_back(v);
      }
    }
    try {
      if (!unset_.empty() && (s.values.empty() || std::all_of(s.values.begin(), s.values.end(),
                                                               [](const std::string& v) { return v.empty(); })))
        throw ConfigError(at, cfg.display_name() + ": key '" + key + "' has no value");
      for (const auto& v : s.values) check_type(cfg, *decl, v, at);
    } catch (const ConfigError& e) {
      if (unset_.empty()) throw;
      // The value came out wrong because a variable was missing: say which.
      std::string msg = e.what(), prefix = e.mark().str() + ": ";
      if (msg.rfind(prefix, 0) == 0) msg.erase(0, prefix.size());
      throw ConfigError(e.mark(), msg + " (environment variable '" + unset_.front() + "' is not set; use ${" +
                                      unset_.front() + ":-default} for a default)");
    }
    cfg.set(key, std::move(s));
  }

  static void check_type(const ComponentConfig& cfg, const KeyDecl& decl, const std::string& v, const Mark& at) {
    bool ok = true;
    switch (decl.type) {
      case KeyType::Int: ok = parse_int(v).has_value(); break;
      case KeyType::Double: ok = parse_double(v).has_value(); break;
      case KeyType::Bool: ok = parse_bool(v).has_value(); break;
      case KeyType::Duration: ok = parse_duration(v).has_value(); break;
      case KeyType::Size: ok = parse_size(v).has_value(); break;
      default: break;
    }
    std::string shown = decl.secret ? std::string("<secret>") : "'" + v + "'";
    if (!ok) {
      std::string bound = decl.type == KeyType::Duration ? " of at most " + std::string(kMaxDurationText)
                          : decl.type == KeyType::Size   ? " of at most " + std::string(kMaxSizeText)
                                                         : "";
      throw ConfigError(at, cfg.display_name() + ": key '" + std::string(decl.name) + "' expects " +
                                std::string(type_name(decl.type)) + bound + ", got " + shown);
    }
    if (!decl.choices.empty() &&
        std::find(decl.choices.begin(), decl.choices.end(), ascii_lower(v)) == decl.choices.end()) {
      std::string msg = cfg.display_name() + ": key '" + std::string(decl.name) + "' expects one of " +
                        join(decl.choices) + ", got " + shown;
      std::string near = nearest(v, decl.choices);
      if (!near.empty()) msg += "; did you mean '" + near + "'?";
      throw ConfigError(at, msg);
    }
  }

  [[noreturn]] static void unknown(const Mark& at, const std::string& what, const std::string& got,
                                   const std::vector<std::string_view>& known, const std::string& where) {
    std::string msg = "unknown " + what + " '" + got + "' in " + where;
    std::string near = nearest(got, known);
    if (!near.empty()) msg += "; did you mean '" + near + "'?";
    else msg += " (known: " + join(known) + ")";
    throw ConfigError(at, msg);
  }

  // ${VAR} and ${VAR:-default}, from the env section or the process
  // environment (and ${HOSTNAME} from gethostname when neither has it).
  std::string interpolate(const std::string& v, const Mark& at) {
    if (v.find("${") == std::string::npos) return v;
    std::string out;
    size_t i = 0;
    while (i < v.size()) {
      size_t start = v.find("${", i);
      if (start == std::string::npos) {
        out += v.substr(i);
        break;
      }
      out += v.substr(i, start - i);
      size_t end = v.find('}', start);
      if (end == std::string::npos) throw ConfigError(at, "unterminated '${' in '" + v + "'");
      std::string expr = v.substr(start + 2, end - start - 2);
      std::string name = expr, fallback;
      bool has_default = false;
      if (size_t d = expr.find(":-"); d != std::string::npos) {
        name = expr.substr(0, d);
        fallback = expr.substr(d + 2);
        has_default = true;
      }
      if (name.empty()) throw ConfigError(at, "empty variable name in '" + v + "'");
      if (auto it = env_.find(name); it != env_.end() && !(has_default && it->second.empty())) {
        out += it->second;
      } else if (const char* e = std::getenv(name.c_str()); e != nullptr && !(has_default && *e == '\0')) {
        out += e;
      } else if (name == "HOSTNAME") {
        // As Fluent Bit: the machine's host name when the environment has
        // none (a shell doesn't export it; a container or a systemd unit may
        // not set it), so `record hostname ${HOSTNAME}` works anywhere.
        out += host_name();
      } else if (has_default) {
        out += fallback;
      } else {
        // As Fluent Bit: an empty string and a warning. add_setting turns it
        // into an error naming the variable when the key then has no valid value.
        unset_.push_back(name);
        out_.warnings.push_back(at.str() + ": environment variable '" + name +
                                "' is not set; using an empty value (${" + name + ":-default} gives a default)");
      }
      i = end + 1;
    }
    return out;
  }

  void expect_map(const YAML::Node& n, const std::string& file, const std::string& what) const {
    if (!n.IsMap()) throw ConfigError(mark(file, n.Mark()), what + " must be a map of keys");
  }
  std::vector<YAML::Node> sequence(const YAML::Node& n, const std::string& file, const std::string& what) const {
    if (n.IsNull()) return {};
    if (!n.IsSequence()) throw ConfigError(mark(file, n.Mark()), what + " must be a list (YAML sequence)");
    return {n.begin(), n.end()};
  }
  std::string key_text(const YAML::Node& n, const std::string& file) const {
    if (!n.IsScalar()) throw ConfigError(mark(file, n.Mark()), "a key must be a plain word, not a list or map");
    return n.Scalar();
  }
  std::string scalar(const YAML::Node& n, const std::string& file, const std::string& what) const {
    if (!n.IsScalar()) throw ConfigError(mark(file, n.Mark()), "'" + what + "' must be a single value");
    return n.Scalar();
  }

  PipelineConfig& out_;
  std::set<std::string> loading_;
  std::map<std::string, std::string> env_;
  std::map<std::string, std::vector<Mark>> origins_;  // by file name: see load_text
  bool parsers_only_ = false;                          // loading a service.parsers_file
  std::vector<std::string> unset_;                     // variables of the value being read that were unset
};

PipelineConfig with_service(PipelineConfig cfg) {
  ComponentConfig svc(&effective_schema(service_schema(), "service"), "service", Mark{cfg.path, 0, 0});
  for (auto& [k, s] : cfg.service.settings()) svc.set(k, s);
  cfg.service = std::move(svc);
  apply_service_compat(cfg);
  return cfg;
}

}  // namespace

PipelineConfig load_file(const std::string& path) {
  PipelineConfig cfg;
  cfg.path = path;
  cfg.base_dir = fs::absolute(path).parent_path().string();
  cfg.service = ComponentConfig(&effective_schema(service_schema(), "service"), "service", Mark{path, 0, 0});
  Loader(cfg).load_file(path);
  return with_service(std::move(cfg));
}

PipelineConfig load_string(std::string_view yaml, const std::string& name, const std::string& base_dir) {
  PipelineConfig cfg;
  cfg.path = name;
  cfg.base_dir = base_dir;
  cfg.service = ComponentConfig(&effective_schema(service_schema(), "service"), "service", Mark{name, 0, 0});
  Loader(cfg).load_text(yaml, name, base_dir);
  return with_service(std::move(cfg));
}

ComponentConfig load_component(const PluginSchema& schema, const std::string& kind, std::string_view yaml_map) {
  PipelineConfig scratch;
  YAML::Node node;
  try {
    node = YAML::Load(std::string(yaml_map));
  } catch (const YAML::Exception& e) {
    throw ConfigError(Mark{"<test>", e.mark.line + 1, e.mark.column + 1}, "invalid YAML: " + e.msg);
  }
  if (node.IsNull()) node = YAML::Node(YAML::NodeType::Map);
  if (!node.IsMap()) throw ConfigError("component config must be a map");
  if (kind == "input" || kind == "filter" || kind == "output") node["name"] = std::string(schema.name);
  return Loader(scratch).component(node, schema, kind, "<test>");
}

}  // namespace sluice::config
