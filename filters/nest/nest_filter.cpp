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

namespace sluice {

namespace {

struct Wildcard {
  std::string text;  // without the trailing '*'
  bool prefix;
};

struct NestSettings {
  bool lift = false;
  std::vector<Wildcard> wildcards;
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
      if (w.prefix ? key.substr(0, w.text.size()) == w.text : key == w.text) return true;
    return false;
  }

  std::string_view renamed(std::string_view key, Arena& arena) const {
    if (!s_.add_prefix.empty()) {
      std::string name = s_.add_prefix;
      name += key;
      return arena.copy(name);
    }
    if (!s_.remove_prefix.empty() && key.substr(0, s_.remove_prefix.size()) == s_.remove_prefix)
      return key.substr(s_.remove_prefix.size());
    return key;
  }

  // Appends the moved members to the kept ones; a kept key a moved one
  // names is dropped (the moved one is what readers of Fluent Bit's
  // duplicate keys see).
  static Value join(std::vector<Member>& kept, std::vector<Member>& moved, Arena& arena) {
    std::vector<Member> all;
    all.reserve(kept.size() + moved.size());
    for (const Member& k : kept) {
      bool shadowed = false;
      for (const Member& m : moved) shadowed = shadowed || m.key == k.key.view();
      if (!shadowed) all.push_back(k);
    }
    all.insert(all.end(), moved.begin(), moved.end());
    Member* members = arena.allocate_array<Member>(all.size());
    std::copy(all.begin(), all.end(), members);
    return Value::map(members, static_cast<uint32_t>(all.size()));
  }

  void nest(Value& record, Arena& arena) {
    kept_.clear();
    inner_.clear();
    for (const Member& m : record.members()) {
      if (nested(m.key.view())) inner_.push_back({renamed(m.key.view(), arena), m.value});
      else kept_.push_back(m);
    }
    if (inner_.empty()) return;
    Member* members = arena.allocate_array<Member>(inner_.size());
    std::copy(inner_.begin(), inner_.end(), members);
    moved_.assign(1, Member{arena.copy(s_.key), Value::map(members, static_cast<uint32_t>(inner_.size()))});
    record = join(kept_, moved_, arena);
  }

  void lift(Value& record, Arena& arena) {
    kept_.clear();
    moved_.clear();
    bool lifted = false;
    for (const Member& m : record.members()) {
      if (m.key != s_.key) {
        kept_.push_back(m);
        continue;
      }
      if (!m.value.is_map()) {
        kept_.push_back(m);
        if (!warned_) {
          log::warn("filter nest ({}): '{}' is not a map in some records; they are left as they are", instance_,
                    s_.key);
          warned_ = true;
        }
        continue;
      }
      lifted = true;
      for (const Member& inner : m.value.members()) moved_.push_back({renamed(inner.key.view(), arena), inner.value});
    }
    if (lifted) record = join(kept_, moved_, arena);
  }

  NestSettings s_;
  std::string instance_;
  bool warned_ = false;
  std::vector<Member> kept_, inner_, moved_;
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
      bool prefix = w.back() == '*';
      s.wildcards.push_back({prefix ? w.substr(0, w.size() - 1) : w, prefix});
    }
    if (s.wildcards.empty()) cfg.fail("operation", "operation nest needs at least one wildcard: the keys to move");
    if (cfg.has("nested_under"))
      cfg.fail("operation", "operation nest takes nest_under; nested_under is for operation lift");
  }
  return std::make_unique<NestFilter>(std::move(s));
}

}  // namespace sluice
