// The `parser` filter; see parser_filter.hpp.
#include "filters/parser/parser_filter.hpp"

#include <algorithm>
#include <cctype>
#include <string>
#include <vector>

#include "agent/config/compat_keys.hpp"
#include "agent/join.hpp"
#include "agent/log.hpp"
#include "agent/parse/parser.hpp"
#include "agent/record.hpp"

namespace sluice {

namespace {

struct ParserFilterConfig {
  std::string key_name;
  std::vector<const Parser*> parsers;  // tried in order; owned by the ParserSet
  std::string parser_names;            // "json, logfmt", for log lines
  bool reserve_data = false;
  bool preserve_key = false;
};

// Runs on the main thread (the pipeline's filter chain). Parsed records are
// built in a fresh arena that then replaces the chunk's: the raw lines and
// the input's records are freed once parsed instead of being queued (and
// charged against the memory budgets) beside what was made of them. What a
// record keeps of its original (reserve_data, preserve_key, a record no
// parser could read) is copied over.
class ParserFilter final : public Filter {
 public:
  ParserFilter(ParserFilterConfig config, std::unique_ptr<ParserSet> own_parsers)
      : config_(std::move(config)), own_parsers_(std::move(own_parsers)) {}

  void start(FilterContext& ctx) override {
    parsed_ = &ctx.metrics().counter("sluice_filter_parsed_records_total", "filter", ctx.instance(), false,
                                     "Records the parser filter parsed.");
    failures_ = &ctx.metrics().counter("sluice_filter_parse_failures_total", "filter", ctx.instance(), false,
                                       "Records whose field no parser could read (kept unchanged).");
    instance_ = ctx.instance();
  }

  void filter(Chunk& chunk) override {
    uint64_t parsed = 0;
    Arena fresh(first_block(chunk));
    unparsed_.clear();
    for (size_t i = 0; i < chunk.events.size(); ++i) {
      if (process(chunk.events[i], fresh)) ++parsed;
      else unparsed_.push_back(i);
    }
    if (parsed > 0) {
      // Nothing in the chunk may point into the old arena once it goes.
      for (size_t i : unparsed_) chunk.events[i].record = record::deep_copy(chunk.events[i].record, fresh);
      chunk.arena = std::move(fresh);
      parsed_->add(parsed);
    }
    if (!unparsed_.empty()) failures_->add(unparsed_.size());
  }

 private:
  // Parsed records take about what their text took (strings copied, the
  // JSON punctuation gone, a member handle per field), and the texts are most
  // of what the chunk's arena holds: start with that, so a small chunk gets a
  // small block. Capped at the arena's largest block: a big chunk then leaves
  // at most part of one such block unused.
  static size_t first_block(const Chunk& chunk) {
    return std::min<size_t>(chunk.arena.used() * 3 / 2 + 256, Arena::kMaxBlock);
  }

  // Returns false when the record is kept as it came. Parsed records are
  // built in `out`; the event's original record stays where it is.
  bool process(Event& event, Arena& out) {
    const Value* field = event.record.find(config_.key_name);
    if (field == nullptr || !field->is_string()) {
      // Common when the filter matches several inputs: counted, not warned.
      log::debug("filter parser ({}): key '{}' {}; record kept as it came", instance_, config_.key_name,
                 field == nullptr ? "is missing" : "is not a string");
      return false;
    }
    const Value original = *field;
    for (const Parser* parser : config_.parsers) {
      std::optional<ParsedText> parsed = parser->parse(original.as_string(), out);
      if (!parsed) continue;
      event.record = merge(event.record, original, parsed->record, out);
      if (parsed->time_ns) event.time_ns = *parsed->time_ns;
      return true;
    }
    report_failure(original.as_string());
    return false;
  }

  // The parsed map, then (reserve_data) the original fields it doesn't
  // have, and (preserve_key) key_name itself, which wins over a parsed field
  // of the same name since the user asked to keep it. Original fields are
  // copied into `out`, where the parsed map is.
  Value merge(const Value& record, const Value& original, const Value& parsed, Arena& out_arena) {
    if (!config_.reserve_data && !config_.preserve_key) return parsed;
    scratch_.clear();
    MapBuilder out(out_arena, scratch_);
    for (const Member& m : parsed.members()) out.add(m.key, m.value);
    for (const Member& m : record.members()) {
      if (m.key == config_.key_name) {
        if (config_.preserve_key) out.set(out_arena.copy(m.key), record::deep_copy(original, out_arena));
      } else if (config_.reserve_data && parsed.find(m.key) == nullptr) {
        out.add(out_arena.copy(m.key), record::deep_copy(m.value, out_arena));
      }
    }
    return out.finish();
  }

  void report_failure(std::string_view text) {
    if (uint64_t n = failure_log_.hit()) {
      log::warn("filter parser ({}): key '{}' did not parse with parser(s) {}; record kept as it came ({} such "
                "records so far)",
                instance_, config_.key_name, config_.parser_names, n);
    }
    log::debug("filter parser ({}): could not parse '{}'", instance_, text.substr(0, 200));
  }

  ParserFilterConfig config_;
  std::unique_ptr<ParserSet> own_parsers_;  // built-ins, when the core lent no set
  Counter fallback_parsed_, fallback_failures_;
  Counter* parsed_ = &fallback_parsed_;  // until start() hands out the real ones
  Counter* failures_ = &fallback_failures_;
  std::string instance_ = "parser";
  log::RateLimit failure_log_{1000};
  std::vector<Member> scratch_;
  std::vector<size_t> unparsed_;  // events of the chunk being filtered that kept their record
};

// "json", "json, logfmt" or a YAML list of names.
std::vector<std::string> split_names(const std::vector<std::string>& entries) {
  std::vector<std::string> names;
  for (const auto& entry : entries) {
    std::string name;
    for (char c : entry + ",") {
      if (c == ',' || std::isspace(static_cast<unsigned char>(c))) {
        if (!name.empty()) names.push_back(std::move(name));
        name.clear();
      } else {
        name += c;
      }
    }
  }
  return names;
}

}  // namespace

const config::PluginSchema& parser_filter_schema() {
  using config::KeyType;
  static const config::PluginSchema schema{
      "parser",
      "Parses a string field of each record (json, regex, logfmt parsers) and replaces the record with the result.",
      {
          // name, type, default, description, required, secret, choices
          {"key_name", KeyType::String, "", "Field holding the text to parse.", true, false, {}},
          {"parser", KeyType::Multi, "", "Parser name(s), tried in order until one succeeds.", true, false, {}},
          {"reserve_data", KeyType::Bool, "off", "Keep the record's other fields beside the parsed ones.", false,
           false, {}},
          {"preserve_key", KeyType::Bool, "off", "Keep key_name itself in the parsed record.", false, false, {}},
          config::compat_note("unescape_key", KeyType::Bool, "it does nothing in Fluent Bit either (deprecated there)."),
      }};
  return schema;
}

std::unique_ptr<Filter> make_parser_filter(const config::ComponentConfig& cfg, const BuildContext& ctx) {
  ParserFilterConfig config;
  config.key_name = cfg.get_string("key_name");
  if (config.key_name.empty()) cfg.fail("key_name", "must name the field to parse, e.g. log");
  config.reserve_data = cfg.get_bool("reserve_data");
  config.preserve_key = cfg.get_bool("preserve_key");

  std::unique_ptr<ParserSet> own;
  const ParserSet* set = ctx.parsers;
  if (set == nullptr) {
    own = std::make_unique<ParserSet>(ParserSet::build({}));
    set = own.get();
  }
  std::vector<std::string> names = split_names(cfg.get_list("parser"));
  if (names.empty()) cfg.fail("parser", "expected one or more parser names");
  for (const auto& name : names) {
    const Parser* parser = set->find(name);
    if (parser == nullptr) cfg.fail("parser", "unknown parser '" + name + "'; known parsers: " + join(set->names()));
    config.parsers.push_back(parser);
  }
  config.parser_names = join(names);
  return std::make_unique<ParserFilter>(std::move(config), std::move(own));
}

}  // namespace sluice
