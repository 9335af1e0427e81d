// The `nest` filter; see nest_filter.hpp. What Fluent Bit 5.1 does, read from
// its filter_nest/nest.c:
// - nest: keys matching a wildcard (exact, or a prefix when it ends in `*`;
//   case counts) leave their places and go, in their order, into one map
//   appended under `nest_under`; a record with no such key is left as it is;
// - lift: a top-level `nested_under` whose value is a map is removed and its
//   keys are appended at the top level, in their order; a value that isn't a
//   map stays where it is (Fluent Bit warns for each such record; sluice
//   counts them and warns once);
// - `add_prefix` (`prefix_with`) or `remove_prefix` (only where the key
//   starts with it) renames the keys moved;
// - where a moved key meets one already there, Fluent Bit writes the key
//   twice and JSON readers take the second: sluice removes the first,
//   giving those readers the same record.
#include "filters/nest/nest_filter.hpp"

#include <string>
#include <vector>

#include "agent/log.hpp"
#include "agent/metrics.hpp"
#include "agent/record.hpp"
#include "filters/common/rule_syntax.hpp"

namespace sluice {

namespace {

using rule_syntax::KeyPattern;

struct NestSettings {
  bool lift = false;
  std::vector<KeyPattern> wildcards;
  std::string key;  // nest_under or nested_under
  std::string add_prefix, remove_prefix;
};

// Runs on the pipeline thread (FilterContext's main thread).
class NestFilter final : public Filter {
 public:
  explicit NestFilter(NestSettings s) : s_(std::move(s)) {}

  void start(FilterContext& ctx) override { instance_ = ctx.instance(); }

  void filter(Chunk& chunk) override {
    for (auto& event : chunk.events) {
      if (!event.record.is_map()) continue;
      if (s_.lift) lift(event.record, chunk.arena);
      else nest(event.record, chunk.arena);
    }
  }

 private:
  bool nested(std::string_view key) const {
    for (const auto& w : s_.wildcards)
      if (w.matches(key)) return true;
    return false;
  }

  std::string_view renamed(std::string_view key, Arena& arena) {
    if (!s_.add_prefix.empty()) {
      name_.assign(s_.add_prefix);
      name_ += key;
      return arena.copy(name_);
    }
    if (!s_.remove_prefix.empty() && key.starts_with(s_.remove_prefix)) return key.substr(s_.remove_prefix.size());
    return key;
  }

  void nest(Value& record, Arena& arena) {
    inner_.clear();
    MapBuilder out(arena, kept_);
    for (const Member& m : record.members()) {
      if (nested(m.key.view())) inner_.push_back({renamed(m.key.view(), arena), m.value});
      else out.add(m.key.view(), m.value);
    }
    if (inner_.empty()) {
      kept_.clear();
      return;
    }
    Member* members = arena.allocate_array<Member>(inner_.size());
    std::copy(inner_.begin(), inner_.end(), members);
    out.add_last(arena.copy(s_.key), Value::map(members, static_cast<uint32_t>(inner_.size())));
    record = out.finish();
  }

  void lift(Value& record, Arena& arena) {
    moved_.clear();
    MapBuilder out(arena, kept_);
    bool lifted = false;
    for (const Member& m : record.members()) {
      if (m.key != s_.key || !m.value.is_map()) {
        if (m.key == s_.key && !warned_) {
          log::warn("filter nest ({}): '{}' is not a map in some records; they are left as they are", instance_,
                    s_.key);
          warned_ = true;
        }
        out.add(m.key.view(), m.value);
        continue;
      }
      lifted = true;
      for (const Member& inner : m.value.members()) moved_.push_back({renamed(inner.key.view(), arena), inner.value});
    }
    if (!lifted) {
      kept_.clear();
      return;
    }
    // After every kept key, as Fluent Bit appends them.
    for (const Member& m : moved_) out.add_last(m.key.view(), m.value);
    record = out.finish();
  }

  NestSettings s_;
  std::string instance_;
  bool warned_ = false;
  std::vector<Member> kept_, inner_, moved_;  // scratch, reused per record
  std::string name_;                          // a prefixed key being built
};

}  // namespace

const config::PluginSchema& nest_filter_schema() {
  using config::KeyType;
  static const config::PluginSchema schema{
      "nest",
      "Moves top-level keys into a map (operation nest) or a map's keys up to the top level (operation lift), "
      "as Fluent Bit's nest filter.",
      {
          {"operation", KeyType::String, "", "nest or lift.", true, false, {"nest", "lift"}},
          {"wildcard", KeyType::Multi, "",
           "nest: a key to move (exact; KEY* moves every key starting with KEY). Repeat for more.", false, false,
           {}},
          {"nest_under", KeyType::String, "", "nest: the key of the map the moved keys go into.", false, false, {}},
          {"nested_under", KeyType::String, "", "lift: the key whose map's keys move up.", false, false, {}},
          {"add_prefix", KeyType::String, "", "Put this in front of every key moved.", false, false, {}},
          {"prefix_with", KeyType::String, "", "Fluent Bit's older name for add_prefix.", false, false, {}},
          {"remove_prefix", KeyType::String, "", "Remove this from the start of every key moved that has it.", false,
           false, {}},
      }};
  return schema;
}

std::unique_ptr<Filter> make_nest_filter(const config::ComponentConfig& cfg, const BuildContext& /*ctx*/) {
  NestSettings s;
  s.lift = cfg.get_string("operation") == "lift";
  s.add_prefix = cfg.get_string("add_prefix");
  if (s.add_prefix.empty()) s.add_prefix = cfg.get_string("prefix_with");
  s.remove_prefix = cfg.get_string("remove_prefix");
  if (!s.add_prefix.empty() && !s.remove_prefix.empty())
    cfg.fail("remove_prefix", "add_prefix and remove_prefix exclude each other (as in Fluent Bit): set one");
  if (s.lift) {
    s.key = cfg.get_string("nested_under");
    if (s.key.empty()) cfg.fail("operation", "operation lift needs nested_under: the key whose map's keys move up");
    if (cfg.has("wildcard") || cfg.has("nest_under"))
      cfg.fail("operation", "operation lift takes nested_under; wildcard and nest_under are for operation nest");
  } else {
    s.key = cfg.get_string("nest_under");
    if (s.key.empty()) cfg.fail("operation", "operation nest needs nest_under: the key of the map to move keys into");
    for (const auto& w : cfg.get_list("wildcard")) {
      if (w.empty()) cfg.fail("wildcard", "a wildcard can't be empty");
      s.wildcards.push_back(KeyPattern::parse(w));
    }
    if (s.wildcards.empty()) cfg.fail("operation", "operation nest needs at least one wildcard: the keys to move");
    if (cfg.has("nested_under"))
      cfg.fail("operation", "operation nest takes nest_under; nested_under is for operation lift");
  }
  return std::make_unique<NestFilter>(std::move(s));
}

}  // namespace sluice
