// A journal entry as a record; see journal_record.hpp.
#include "inputs/systemd/journal_record.hpp"

#include "agent/record.hpp"

namespace sluice::journal {

Value entry_record(const std::vector<std::string_view>& fields, const RecordOptions& options, Arena& arena,
                   size_t* malformed) {
  // Keys in first-seen order, each with its values (most fields have one).
  struct Field {
    std::string_view key;
    std::vector<std::string_view> values;
  };
  std::vector<Field> out;
  size_t kept = 0;
  for (std::string_view f : fields) {
    size_t eq = f.find('=');
    if (eq == std::string_view::npos || eq == 0) {
      if (malformed != nullptr) ++*malformed;
      continue;
    }
    if (kept == options.max_fields) break;
    ++kept;
    std::string_view key = f.substr(0, eq);
    if (options.strip_underscores && key.size() > 1 && key.front() == '_') key.remove_prefix(1);
    if (options.lowercase) {
      char* lower = static_cast<char*>(arena.allocate(key.size(), 1));
      for (size_t i = 0; i < key.size(); ++i)
        lower[i] = (key[i] >= 'A' && key[i] <= 'Z') ? static_cast<char>(key[i] - 'A' + 'a') : key[i];
      key = std::string_view(lower, key.size());
    }
    std::string_view value = f.substr(eq + 1);
    Field* same = nullptr;
    for (auto& o : out)
      if (o.key == key) same = &o;
    if (same != nullptr) same->values.push_back(value);
    else out.push_back({key, {value}});
  }
  Member* members = arena.allocate_array<Member>(out.size());
  for (size_t i = 0; i < out.size(); ++i) {
    const auto& f = out[i];
    Value v;
    if (f.values.size() == 1) {
      v = record::string(arena, f.values[0]);
    } else {
      Value* items = arena.allocate_array<Value>(f.values.size());
      for (size_t j = 0; j < f.values.size(); ++j) items[j] = record::string(arena, f.values[j]);
      v = Value::array(items, static_cast<uint32_t>(f.values.size()));
    }
    members[i] = Member{options.lowercase ? f.key : arena.copy(f.key), v};
  }
  return Value::map(members, static_cast<uint32_t>(out.size()));
}

std::string entry_tag(std::string_view tag, std::string_view unit) {
  size_t star = tag.find('*');
  if (star == std::string_view::npos) return std::string(tag);
  std::string out(tag.substr(0, star));
  out += unit.empty() ? std::string_view("unknown") : unit;
  out += tag.substr(star + 1);
  return out;
}

}  // namespace sluice::journal
