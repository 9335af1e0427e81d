// The `rewrite_tag` filter; see rewrite_tag_filter.hpp. What Fluent Bit 5.1
// does, read from its filter_rewrite_tag and record accessor code:
// - `rule KEY REGEX NEW_TAG KEEP`, repeatable; rules are tried in order and
//   the first whose REGEX matches the value at KEY (a record accessor,
//   `$key` or `$key['sub'][0]`) decides;
// - NEW_TAG is text with `$TAG`, `$TAG[n]` (the n-th dot-separated part of
//   the tag), `$0`..`$9` (the regex's captures) and record accessors;
// - the new record enters the pipeline from its start (an emitter input);
//   records the filter emitted don't pass through it again;
// - KEEP (true/false) keeps the original record where it was, or drops it.
// Where sluice differs (docs/filters/rewrite_tag.md): a number or boolean
// at KEY matches by its text (Fluent Bit matches strings only), as in
// sluice's grep; the re-emitted chunk carries the original's
// acknowledgements, so an input's position is committed only once both are
// delivered; and emitter_* keys are accepted without effect (there is no
// separate emitter buffer: the records share the pipeline's).
#include "filters/rewrite_tag/rewrite_tag_filter.hpp"

#include <string>
#include <vector>

#include "agent/config/accessor_key.hpp"
#include "agent/config/compat_keys.hpp"
#include "agent/log.hpp"
#include "agent/metrics.hpp"
#include "agent/record.hpp"
#include "agent/record_accessor.hpp"
#include "agent/record_template.hpp"
#include "agent/regex.hpp"
#include "filters/common/keep_events.hpp"
#include "filters/common/rule_syntax.hpp"

namespace sluice {

namespace {

struct RewriteRule {
  RecordAccessor key;
  Regex regex;
  RecordTemplate tag;  // NEW_TAG
  bool keep;
  std::string text;  // as written, for messages
};

// Runs on the pipeline thread (FilterContext's main thread).
class RewriteTagFilter final : public Filter {
 public:
  explicit RewriteTagFilter(std::vector<RewriteRule> rules) : rules_(std::move(rules)) {}

  void start(FilterContext& ctx) override {
    ctx_ = &ctx;
    emitted_ = &ctx.metrics().counter("sluice_filter_rewrite_tag_emitted_total", "filter", ctx.instance(), false,
                                     "Records re-emitted under a new tag.");
    dropped_ = &ctx.metrics().counter("sluice_filter_records_dropped_total", "filter", ctx.instance(), false,
                                     "Records the filter dropped on purpose.");
  }

  void filter(Chunk& chunk) override {
    out_.clear();
    size_t index = 0;
    size_t emitted = 0;
    size_t removed = keep_events(chunk, [&](const Event& e) {
      const size_t i = index++;
      const RewriteRule* rule = first_match(e.record);
      if (rule == nullptr) return true;
      tag_.clear();
      rule->tag.render_present(e.record, chunk.tag, captures_, tag_);
      if (tag_.empty()) {
        if (uint64_t n = empty_tag_log_.hit())
          log::warn("filter rewrite_tag ({}): rule '{}' made an empty tag; the record stays as it is ({} so far)",
                    ctx_ != nullptr ? ctx_->instance() : "rewrite_tag", rule->text, n);
        return true;
      }
      Chunk& to = chunk_for(chunk, tag_);
      to.events.push_back(Event{e.time_ns, record::deep_copy(e.record, to.arena)});
      if (const Value* meta = chunk.metadata_of(i)) {
        to.metadata.resize(to.events.size() - 1);
        to.metadata.push_back(record::deep_copy(*meta, to.arena));
      }
      ++emitted;
      return rule->keep;
    });
    if (removed > 0 && dropped_ != nullptr) dropped_->add(removed);
    if (emitted > 0 && emitted_ != nullptr) emitted_->add(emitted);
    // After the chunk's own events are settled: the re-emitted chunks run
    // through the pipeline now, before this chunk goes on. That may call
    // this filter again (two rewrite_tag filters sending records back and
    // forth), so they leave out_ first.
    std::vector<ChunkPtr> pending;
    pending.swap(out_);
    for (auto& c : pending) {
      if (!c->metadata.empty()) c->metadata.resize(c->events.size());
      if (ctx_ != nullptr) ctx_->reemit(std::move(c));
    }
  }

 private:
  // The first rule whose REGEX matches, its captures in captures_ (views of
  // the record's string, or of number_text_ for a number).
  const RewriteRule* first_match(const Value& record) {
    for (const RewriteRule& rule : rules_) {
      std::string_view text;
      if (!rule_syntax::value_text(rule.key.get(record), number_text_, text)) continue;
      if (rule.regex.numbered_captures(text, captures_)) return &rule;
    }
    return nullptr;
  }

  // The chunk for records re-emitted under tag: one per tag per input
  // chunk, carrying its acknowledgements (the input commits once both the
  // original and the copies are delivered).
  Chunk& chunk_for(const Chunk& from, const std::string& tag) {
    for (auto& c : out_)
      if (c->tag == tag) return *c;
    auto c = std::make_unique<Chunk>(tag);
    c->acks = from.acks;
    out_.push_back(std::move(c));
    return *out_.back();
  }

  std::vector<RewriteRule> rules_;
  FilterContext* ctx_ = nullptr;
  Counter* emitted_ = nullptr;
  Counter* dropped_ = nullptr;
  std::vector<ChunkPtr> out_;                // re-emitted chunks of the chunk being filtered
  std::vector<std::string_view> captures_;   // scratch
  char number_text_[32];                     // scratch: a number at KEY, as text
  std::string tag_;                          // scratch
  log::RateLimit empty_tag_log_{1000};
};

}  // namespace

const config::PluginSchema& rewrite_tag_filter_schema() {
  using config::KeyType;
  static const config::PluginSchema schema{
      "rewrite_tag",
      "Sends a record whose KEY matches REGEX again, under a new tag, through the whole pipeline (keeping or "
      "dropping the original), as Fluent Bit's rewrite_tag filter.",
      {
          {"rule", KeyType::Multi, "",
           "KEY REGEX NEW_TAG KEEP: KEY a record accessor ($log, $kubernetes['labels']['app']); NEW_TAG text with "
           "$TAG, $TAG[n], $0..$9 (captures) and record accessors; KEEP true or false (keep the original). "
           "Repeat for more; the first that matches decides.",
           true, false, {}},
          config::compat_note("emitter_name", KeyType::String,
                              "sluice re-emits into its own pipeline; there is no separate emitter input to name."),
          config::compat_note("emitter_storage.type", KeyType::String,
                              "re-emitted records share the pipeline's buffers and their storage settings."),
          config::compat_note("emitter_mem_buf_limit", KeyType::Size,
                              "re-emitted records count against the pipeline's memory budget."),
      }};
  return schema;
}

namespace {

RecordTemplate new_tag(const config::ComponentConfig& cfg, std::string_view text) {
  std::string error;
  auto t = RecordTemplate::compile(text, &error, {.captures = true, .lone_dollar_is_text = true});
  if (!t) cfg.fail("rule", "the new tag '" + std::string(text) + "': " + error);
  return std::move(*t);
}

}  // namespace

std::unique_ptr<Filter> make_rewrite_tag_filter(const config::ComponentConfig& cfg, const BuildContext& /*ctx*/) {
  std::vector<RewriteRule> rules;
  for (const std::string& text : cfg.get_list("rule")) {
    auto parts = rule_syntax::split(text, 4);
    if (!parts || parts->size() != 4)
      cfg.fail("rule", "expected KEY REGEX NEW_TAG KEEP (e.g. $level ^error$ alert.$TAG false), got '" + text + "'");
    const std::string& keep = (*parts)[3];
    bool keep_record;
    if (keep == "true" || keep == "on" || keep == "yes") keep_record = true;
    else if (keep == "false" || keep == "off" || keep == "no") keep_record = false;
    else cfg.fail("rule", "KEEP must be true or false, got '" + keep + "' in '" + text + "'");
    std::string key = (*parts)[0];
    if (key.empty() || key[0] != '$')
      cfg.fail("rule", "KEY must be a record accessor starting with $ (e.g. $log), got '" + key + "' in '" + text + "'");
    rules.push_back(RewriteRule{config::accessor_at(cfg, "rule", key),
                                rule_syntax::compile_regex(cfg, "rule", (*parts)[1]),
                                new_tag(cfg, (*parts)[2]), keep_record, text});
  }
  if (rules.empty()) cfg.fail("rule", "rewrite_tag needs at least one rule: KEY REGEX NEW_TAG KEEP");
  return std::make_unique<RewriteTagFilter>(std::move(rules));
}

}  // namespace sluice
