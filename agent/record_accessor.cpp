// Record accessor parsing and path walking; see record_accessor.hpp.
#include "agent/record_accessor.hpp"

#include <cstring>

#include "agent/record.hpp"

namespace sluice {

namespace {

bool fail(std::string* error, std::string_view text, size_t pos, const std::string& what) {
  if (error != nullptr)
    *error = "invalid record accessor '" + std::string(text) + "': " + what + " at character " +
             std::to_string(pos + 1);
  return false;
}

// Parses one `[...]` starting at text[i] == '['; advances i past the ']'.
bool parse_subscript(std::string_view text, size_t& i, RecordAccessor::Step& step, std::string* error) {
  size_t open = i++;
  if (i >= text.size()) return fail(error, text, open, "'[' without ']'");
  char c = text[i];
  if (c == '\'' || c == '"') {
    char quote = c;
    ++i;
    std::string key;
    while (i < text.size() && text[i] != quote) {
      if (text[i] == '\\' && i + 1 < text.size() && (text[i + 1] == quote || text[i + 1] == '\\')) ++i;
      key.push_back(text[i++]);
    }
    if (i >= text.size()) return fail(error, text, open, "unterminated quoted key");
    ++i;  // closing quote
    if (key.empty()) return fail(error, text, open, "empty key in brackets");
    step.key = std::move(key);
  } else if (c >= '0' && c <= '9') {
    int64_t n = 0;
    while (i < text.size() && text[i] >= '0' && text[i] <= '9') {
      n = n * 10 + (text[i] - '0');
      if (n > 0xFFFFFFFFLL) return fail(error, text, open, "array index too large");
      ++i;
    }
    step.index = n;
  } else {
    return fail(error, text, i, "expected a quoted key ('name') or an array index inside brackets");
  }
  if (i >= text.size() || text[i] != ']') return fail(error, text, open, "'[' without ']'");
  ++i;
  return true;
}

}  // namespace

std::optional<RecordAccessor> RecordAccessor::compile(std::string_view text, std::string* error) {
  RecordAccessor ra;
  ra.text_ = std::string(text);
  if (text.empty()) {
    fail(error, text, 0, "empty key");
    return std::nullopt;
  }
  if (text[0] != '$') {
    // A plain key is a top-level key, taken literally (Fluent Bit's rule for
    // grep and modify keys written without '$').
    ra.steps_.push_back(Step{std::string(text), -1});
    return ra;
  }
  size_t i = 1;
  size_t name_end = text.find('[', i);
  if (name_end == std::string_view::npos) name_end = text.size();
  if (name_end > i) {
    ra.steps_.push_back(Step{std::string(text.substr(i, name_end - i)), -1});
  } else if (name_end == text.size()) {
    fail(error, text, 0, "'$' must be followed by a key name");
    return std::nullopt;
  }
  i = name_end;
  while (i < text.size()) {
    if (text[i] != '[') {
      fail(error, text, i, std::string("unexpected '") + text[i] + "' (nested keys are written $key['sub'])");
      return std::nullopt;
    }
    Step step;
    if (!parse_subscript(text, i, step, error)) return std::nullopt;
    if (ra.steps_.empty() && step.is_index()) {
      fail(error, text, 1, "the path must start with a key name, not an index");
      return std::nullopt;
    }
    ra.steps_.push_back(std::move(step));
  }
  return ra;
}

const Value* RecordAccessor::get(const Value& record) const {
  const Value* cur = &record;
  for (const auto& step : steps_) {
    if (step.is_index()) {
      if (!cur->is_array() || static_cast<uint64_t>(step.index) >= cur->size()) return nullptr;
      cur = &cur->items()[static_cast<size_t>(step.index)];
    } else {
      cur = cur->find(step.key);
      if (cur == nullptr) return nullptr;
    }
  }
  return cur;
}

Value* RecordAccessor::get(Value& record) const {
  return const_cast<Value*>(get(static_cast<const Value&>(record)));
}

Value* RecordAccessor::parent(Value& record) const {
  Value* cur = &record;
  for (size_t s = 0; s + 1 < steps_.size(); ++s) {
    const Step& step = steps_[s];
    if (step.is_index()) {
      if (!cur->is_array() || static_cast<uint64_t>(step.index) >= cur->size()) return nullptr;
      cur = &cur->items()[static_cast<size_t>(step.index)];
    } else {
      cur = cur->find(step.key);
      if (cur == nullptr) return nullptr;
    }
  }
  return cur;
}

bool RecordAccessor::set(Value& record, Arena& arena, Value v) const {
  Value* cur = &record;
  for (size_t s = 0; s < steps_.size(); ++s) {
    const Step& step = steps_[s];
    bool last = s + 1 == steps_.size();
    if (step.is_index()) {
      if (!cur->is_array() || static_cast<uint64_t>(step.index) >= cur->size()) return false;
      Value& item = cur->items()[static_cast<size_t>(step.index)];
      if (last) {
        item = v;
        return true;
      }
      cur = &item;
      continue;
    }
    if (!cur->is_map()) return false;
    Value* next = cur->find(step.key);
    if (next == nullptr) {
      // A new member: its key must live as long as the record, so it goes
      // into the arena. Missing intermediate maps are created empty.
      record::add(*cur, arena, arena.copy(step.key), last ? v : record::empty_map());
      next = cur->find(step.key);
      if (last) return true;
    } else if (last) {
      *next = v;
      return true;
    }
    cur = next;
  }
  return false;
}

bool RecordAccessor::remove(Value& record) const {
  Value* p = parent(record);
  if (p == nullptr) return false;
  const Step& step = steps_.back();
  if (!step.is_index()) return record::remove(*p, step.key);
  if (!p->is_array() || static_cast<uint64_t>(step.index) >= p->size()) return false;
  auto items = p->items();
  size_t at = static_cast<size_t>(step.index);
  std::memmove(static_cast<void*>(&items[at]), &items[at + 1], (items.size() - at - 1) * sizeof(Value));
  *p = Value::array(items.data(), static_cast<uint32_t>(items.size() - 1));
  return true;
}

}  // namespace sluice
