// The `record_modifier` filter; see record_modifier_filter.hpp. What Fluent
// Bit 5.1 does, read from its filter_record_modifier.c:
// - `remove_key` and `allowlist_key` match key names without regard to case;
//   a name ending in `*` matches every key it starts (`kubernetes_*`);
// - with any `remove_key`, `allowlist_key` is ignored; `whitelist_key` is
//   its older name, and both lists count;
// - `record` fields are appended after the kept keys, in the order written,
//   as strings (a value is the rest of the line: Fluent Bit skips, with an
//   error, a value of several words that isn't quoted; sluice takes it
//   whole). Fluent Bit appends one even when the record has that key,
//   so its output holds the key twice and readers take the last: here the
//   earlier one is removed, which gives those readers the same record;
// - `uuid_key` comes last: a random (version 4) UUID per record.
#include "filters/record_modifier/record_modifier_filter.hpp"

#include <array>
#include <random>
#include <string>
#include <vector>

#include "agent/hex.hpp"
#include "agent/log.hpp"
#include "agent/record.hpp"
#include "filters/common/rule_syntax.hpp"

namespace sluice {

namespace {

using rule_syntax::KeyPattern;

// Runs on the pipeline thread (FilterContext's main thread).
class RecordModifierFilter final : public Filter {
 public:
  RecordModifierFilter(std::vector<KeyPattern> patterns, bool remove, std::vector<std::pair<std::string, std::string>> fields,
                       std::string uuid_key)
      : patterns_(std::move(patterns)), remove_(remove), fields_(std::move(fields)), uuid_key_(std::move(uuid_key)) {
    if (!uuid_key_.empty()) {
      std::random_device device;
      std::seed_seq seed{device(), device(), device(), device(), device(), device(), device(), device()};
      random_.seed(seed);
    }
  }

  void filter(Chunk& chunk) override {
    // The appended keys and values must live as long as the chunk: copied
    // into its arena once per chunk.
    texts_.clear();
    for (const auto& [key, value] : fields_) texts_.push_back({chunk.arena.copy(key), Value::string(chunk.arena.copy(value))});
    const std::string_view uuid_key = uuid_key_.empty() ? std::string_view() : chunk.arena.copy(uuid_key_);
    for (auto& event : chunk.events) {
      if (!event.record.is_map()) continue;
      MapBuilder builder(chunk.arena, scratch_);
      for (const Member& m : event.record.members())
        if (keep(m.key.view())) builder.add(m.key.view(), m.value);
      for (const Member& t : texts_) builder.add_last(t.key.view(), t.value);
      if (!uuid_key.empty()) builder.add_last(uuid_key, record::string(chunk.arena, uuid()));
      event.record = builder.finish();
    }
  }

 private:
  bool keep(std::string_view key) const {
    if (patterns_.empty()) return true;
    bool hit = false;
    for (const auto& p : patterns_) hit = hit || p.matches(key, /*any_case=*/true);
    return remove_ ? !hit : hit;
  }

  std::string_view uuid() {
    std::array<uint8_t, 16> b{};
    for (size_t i = 0; i < b.size(); i += 8) {
      uint64_t r = random_();
      for (size_t j = 0; j < 8; ++j) b[i + j] = static_cast<uint8_t>(r >> (8 * j));
    }
    b[6] = static_cast<uint8_t>((b[6] & 0x0F) | 0x40);  // version 4
    b[8] = static_cast<uint8_t>((b[8] & 0x3F) | 0x80);  // RFC 4122 variant
    size_t n = 0;
    for (size_t i = 0; i < b.size(); ++i) {
      if (i == 4 || i == 6 || i == 8 || i == 10) uuid_[n++] = '-';
      uuid_[n++] = hex::kDigits[b[i] >> 4];
      uuid_[n++] = hex::kDigits[b[i] & 0x0F];
    }
    return {uuid_.data(), n};
  }

  std::vector<KeyPattern> patterns_;
  bool remove_;  // patterns_ are remove_key's (else allowlist_key's)
  std::vector<std::pair<std::string, std::string>> fields_;
  std::string uuid_key_;
  std::mt19937_64 random_;
  std::array<char, 36> uuid_{};
  std::vector<Member> texts_;  // fields_ in the current chunk's arena
  std::vector<Member> scratch_;
};

std::vector<KeyPattern> patterns(const std::vector<std::string>& names) {
  std::vector<KeyPattern> out;
  for (const auto& name : names) out.push_back(KeyPattern::parse(name));
  return out;
}

}  // namespace

const config::PluginSchema& record_modifier_filter_schema() {
  using config::KeyType;
  static const config::PluginSchema schema{
      "record_modifier",
      "Appends fixed fields to each record, removes keys or keeps only some, and can add a UUID per record "
      "(Fluent Bit's record_modifier).",
      {
          {"record", KeyType::Multi, "",
           "KEY VALUE: append KEY with the string VALUE (the rest of the line; quote it to keep edge blanks) to "
           "every record, after its other keys; a key the record has is replaced.",
           false, false, {}},
          {"remove_key", KeyType::Multi, "",
           "KEY: remove KEY (any case); KEY* removes every key starting with KEY. With any remove_key, "
           "allowlist_key is ignored (as in Fluent Bit).",
           false, false, {}},
          {"allowlist_key", KeyType::Multi, "",
           "KEY: keep only the keys listed (any case; KEY* keeps every key starting with KEY); record and "
           "uuid_key fields are added after.",
           false, false, {}},
          {"whitelist_key", KeyType::Multi, "", "Fluent Bit's older name for allowlist_key; both lists count.", false,
           false, {}},
          {"uuid_key", KeyType::String, "", "Add this key with a random (version 4) UUID to every record.", false,
           false, {}},
      }};
  return schema;
}

std::unique_ptr<Filter> make_record_modifier_filter(const config::ComponentConfig& cfg, const BuildContext& /*ctx*/) {
  std::vector<std::pair<std::string, std::string>> fields;
  for (const auto& text : cfg.get_list("record")) {
    auto parts = rule_syntax::split(text, 2);
    if (!parts) cfg.fail("record", "unterminated quote in '" + text + "'");
    if (parts->size() != 2)
      cfg.fail("record", "expected 'KEY VALUE' (a key, a space, the value), got '" + text + "'");
    fields.emplace_back((*parts)[0], (*parts)[1]);
  }
  const auto removed = cfg.get_list("remove_key");
  auto allowed = cfg.get_list("allowlist_key");
  for (auto& name : cfg.get_list("whitelist_key")) allowed.push_back(std::move(name));
  if (!removed.empty() && !allowed.empty())
    log::warn("filter record_modifier: both remove_key and allowlist_key are set; allowlist_key is ignored, "
              "as Fluent Bit ignores it");
  const bool remove = !removed.empty();
  return std::make_unique<RecordModifierFilter>(patterns(remove ? removed : allowed), remove, std::move(fields),
                                                cfg.get_string("uuid_key"));
}

}  // namespace sluice
