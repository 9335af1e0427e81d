// The `dead-letter` subcommand's arguments; see dead_letter_cli.hpp.
#include "agent/dead_letter_cli.hpp"

#include <CLI/CLI.hpp>

#include <filesystem>
#include <iostream>
#include <memory>

#include "agent/config/component_config.hpp"
#include "agent/config/suggest.hpp"
#include "agent/dead_letter.hpp"
#include "agent/dead_letter_list.hpp"
#include "agent/dead_letter_reader.hpp"
#include "agent/dead_letter_replay.hpp"
#include "agent/log.hpp"

namespace sluice {

namespace {

struct Args {
  std::string config, file, output, since, timeout = "60s";
  bool verbose = false, json = false, dry_run = false;
};

// Which files and lines: from --file or the configuration's outputs, checked.
// Returns 0, or the exit status of a usage error (said on stderr).
int choose_lines(const Args& a, const config::PipelineConfig& cfg, DeadLetterSelection& sel) {
  if (!a.output.empty()) {
    std::vector<std::string> names;
    for (size_t i = 0; i < cfg.outputs.size(); ++i) names.push_back(output_instance_name(cfg.outputs[i], i));
    if (std::find(names.begin(), names.end(), a.output) == names.end()) {
      std::string all;
      for (const auto& n : names) all += (all.empty() ? "" : ", ") + n;
      std::vector<std::string_view> candidates(names.begin(), names.end());
      std::string near = config::nearest(a.output, candidates);
      std::cerr << "sluice: dead-letter: " << cfg.path << " has no output named '" << a.output << "'"
                << (near.empty() ? "" : "; did you mean '" + near + "'?") << " (outputs: " << all << ")\n";
      return 2;
    }
    sel.output = a.output;
  }
  if (!a.since.empty()) {
    sel.since_ns = parse_since(a.since, DeadLetter::now_ns());
    if (!sel.since_ns) {
      std::cerr << "sluice: dead-letter: --since '" << a.since
                << "': expected a duration back from now (30m, 2h, 7d) or an RFC 3339 time (2026-11-21T08:00:00Z)\n";
      return 2;
    }
  }
  if (!a.file.empty()) {
    if (!std::filesystem::exists(a.file)) {
      std::cerr << "sluice: dead-letter: " << a.file << ": no such file\n";
      return 2;
    }
    sel.files = {a.file};
    return 0;
  }
  for (const auto& f : dead_letter_files(cfg)) {
    if (std::filesystem::exists(f)) sel.files.push_back(f);
    else std::cerr << f << ": no such file: nothing dead-lettered there\n";  // stdout stays --json
  }
  return 0;
}

int run(const Args& a, bool replay) {
  if (a.config.empty()) {
    std::cerr << "sluice: dead-letter: no configuration: use -c FILE (the outputs and their dead-letter files)\n";
    return 2;
  }
  try {
    auto cfg = config::load_file(a.config);
    log::init(cfg.service.get_string("log_level"));
    DeadLetterSelection sel;
    if (int status = choose_lines(a, cfg, sel)) return status;
    if (!replay) {
      ListOptions o{sel, a.verbose, a.json};
      return list_dead_letters(o, std::cout, std::cerr);
    }
    ReplayOptions o{sel, a.dry_run};
    auto timeout = config::parse_duration(a.timeout);
    if (!timeout || timeout->count() <= 0) {
      std::cerr << "sluice: dead-letter: --timeout '" << a.timeout << "': expected a duration (30s, 5m)\n";
      return 2;
    }
    o.timeout = *timeout;
    return replay_dead_letters(cfg, o, std::cout, std::cerr);
  } catch (const config::ConfigError& e) {
    std::cerr << "sluice: configuration error: " << e.what() << "\n";
    return 2;
  }
}

}  // namespace

std::function<std::optional<int>()> add_dead_letter_command(CLI::App& app, const std::string& main_config) {
  auto args = std::make_shared<Args>();
  CLI::App* dl = app.add_subcommand("dead-letter", "List or re-send the records in the dead-letter files");
  dl->require_subcommand(1);
  CLI::App* list = dl->add_subcommand("list", "Summarize the dead letters per output and reason");
  CLI::App* replay = dl->add_subcommand(
      "replay", "Re-send dead letters through their output (as configured now) and mark them as replayed");
  for (CLI::App* c : {list, replay}) {
    c->add_option("-c,--config", args->config, "The YAML pipeline file: its outputs and dead-letter files");
    c->add_option("--file", args->file, "Read this dead-letter file instead of the configuration's");
    c->add_option("--output", args->output, "Only the records of this output (its name, e.g. es.0 or its alias)");
    c->add_option("--since", args->since, "Only records dead-lettered since: a duration back (30m, 2h) or RFC 3339");
  }
  list->add_flag("-v,--verbose", args->verbose, "Print every record too");
  list->add_flag("--json", args->json, "Print every record as one JSON object per line");
  replay->add_flag("--dry-run", args->dry_run, "Say what would be re-sent, send nothing");
  replay->add_option("--timeout", args->timeout,
                     "How long an output may take, with its retries (default 60s); what is left is not marked");
  return [args, list, replay, &main_config]() -> std::optional<int> {
    if (args->config.empty()) args->config = main_config;
    if (list->parsed()) return run(*args, false);
    if (replay->parsed()) return run(*args, true);
    return std::nullopt;
  };
}

}  // namespace sluice
