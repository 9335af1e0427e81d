// One stream through a list of multiline parsers; see multiline_stream.hpp.
#include "agent/parse/multiline_stream.hpp"

#include <algorithm>

#include "agent/parse/parser.hpp"
#include "agent/record.hpp"

namespace sluice {

namespace {
constexpr std::string_view kDefaultKey = "log";

std::optional<std::string_view> string_field(const Value* record, std::string_view key) {
  if (record == nullptr) return std::nullopt;
  const Value* v = record->find(key);
  if (v == nullptr || !v->is_string()) return std::nullopt;
  return v->as_string();
}
}  // namespace

MultilineStream::MultilineStream(std::vector<const MultilineParser*> parsers, Settings settings)
    : parsers_(std::move(parsers)), settings_(std::move(settings)) {}

std::chrono::milliseconds MultilineStream::timeout(const MultilineParser& p) const {
  return settings_.flush_timeout.count() > 0 ? settings_.flush_timeout : p.options().flush_timeout;
}

// What parser p sees of a line: its text (or key_content's), parsed first
// when p has a parser; false when the line isn't for p at all.
bool MultilineStream::resolve(const MultilineParser& p, const MultilineLine& line, Arena& scratch, View& v) const {
  const auto& o = p.options();
  std::string_view source;
  v.time_ns = line.time_ns;
  if (line.record != nullptr) {
    v.key = !settings_.key_override.empty() ? std::string_view(settings_.key_override)
            : !o.key_content.empty()        ? std::string_view(o.key_content)
                                            : kDefaultKey;
    auto s = string_field(line.record, v.key);
    if (!s) return false;
    source = *s;
    v.record = line.record;
  } else {
    source = line.text;
    v.key = o.key_content;
  }
  const Value* fields = line.record;
  if (o.parser != nullptr) {
    auto parsed = o.parser->parse(source, scratch);
    if (!parsed) return false;
    auto* kept = static_cast<Value*>(scratch.allocate(sizeof(Value), alignof(Value)));
    *kept = parsed->record;
    fields = kept;
    v.record = kept;
    v.key = o.key_content;
    auto s = string_field(kept, o.key_content);
    if (!s) return false;
    source = *s;
    if (parsed->time_ns) v.time_ns = *parsed->time_ns;
  }
  v.content = source;
  if (!o.key_group.empty()) v.group = string_field(fields, o.key_group).value_or(std::string_view());
  if (p.type() == MultilineParser::Type::Equal) {
    auto s = string_field(fields, o.key_pattern);
    if (!s) return false;
    v.pattern = *s;
  } else {
    v.pattern = v.content;
  }
  return true;
}

bool MultilineStream::offer(const MultilineLine& line, MultilineSink& sink, Clock::time_point now) {
  Arena scratch(256);
  auto try_parser = [&](size_t i) {
    const MultilineParser& p = *parsers_[i];
    if (p.type() == MultilineParser::Type::FirstLine) {
      if (!step_first_line(p, line, scratch, sink, now)) return false;
      last_ = i;
      return true;
    }
    View v;
    if (!resolve(p, line, scratch, v)) return false;
    if (!step(p, v, line, sink, now)) return false;
    last_ = i;
    return true;
  };
  // The parser that took the last line first: a continuation beats another
  // parser's start.
  if (last_ < parsers_.size() && try_parser(last_)) return true;
  for (size_t i = 0; i < parsers_.size(); ++i)
    if (i != last_ && try_parser(i)) return true;
  flush_all(sink);
  return false;
}

bool MultilineStream::step(const MultilineParser& p, const View& v, const MultilineLine& line, MultilineSink& sink,
                           Clock::time_point now) {
  Open* open = find(p, v.group);
  if (p.type() != MultilineParser::Type::Regex) {
    bool last = p.last_part(v.pattern);
    flush_others(p, sink);
    // Parts of one line join as they are; lines of plain text keep a newline.
    std::string_view separator = line.record == nullptr && p.options().key_content.empty() ? "\n" : "";
    if (open == nullptr) open = &begin(p, v, line);
    else append(*open, v, line, separator, sink, now);
    open = find(p, v.group);
    open->due = now + timeout(p);
    if (last) flush(*open, sink);
    return true;
  }
  const MultilineRule* rule = nullptr;
  if (open != nullptr && open->rule != nullptr && (rule = p.continuation(*open->rule, v.content)) != nullptr) {
    flush_others(p, sink);
    append(*open, v, line, "\n", sink, now);
    open = find(p, v.group);
  } else if ((rule = p.start(v.content)) != nullptr) {
    flush_others(p, sink);
    if (open != nullptr) flush(*open, sink);
    open = &begin(p, v, line);
  } else {
    return false;
  }
  open->rule = rule;
  open->due = now + timeout(p);
  if (rule->completes) flush(*open, sink);
  return true;
}

// Tail's old multiline mode, as Fluent Bit's: a line parser_firstline reads
// opens a record (its fields; the last one, when it is text, gets the lines
// after it joined with \n); a continuation line one of parser_N reads adds
// that parser's fields instead. A first line whose last field isn't text
// takes no raw lines: they go out as records of their own.
bool MultilineStream::step_first_line(const MultilineParser& p, const MultilineLine& line, Arena& scratch,
                                      MultilineSink& sink, Clock::time_point now) {
  const auto& o = p.options();
  if (line.record != nullptr) return false;  // text mode only (tail)
  if (auto parsed = o.parser->parse(line.text, scratch)) {
    flush_others(p, sink);
    if (Open* open = find(p, {})) flush(*open, sink);
    auto* kept = static_cast<Value*>(scratch.allocate(sizeof(Value), alignof(Value)));
    *kept = parsed->record;
    View v;
    v.record = kept;
    v.time_ns = parsed->time_ns.value_or(line.time_ns);
    auto members = kept->members();
    if (!members.empty() && members.back().value.is_string()) {
      v.key = members.back().key.view();
      v.content = members.back().value.as_string();
    }
    Open& opened = begin(p, v, line);
    opened.due = now + timeout(p);
    return true;
  }
  Open* open = find(p, {});
  if (open == nullptr) return false;
  for (const Parser* cp : o.continuation_parsers) {
    auto fields = cp->parse(line.text, scratch);
    if (!fields) continue;
    if (open->has_first)
      for (const Member& m : fields->record.members())
        record::set(open->first, open->arena, open->arena.copy(m.key.view()), record::deep_copy(m.value, open->arena));
    ++open->lines;
    hold_acks(*open, line);
    open->due = now + timeout(p);
    return true;
  }
  if (open->key.empty()) return false;
  View v;
  v.content = line.text;
  v.key = open->key;
  v.time_ns = line.time_ns;
  append(*open, v, line, "\n", sink, now);
  if (Open* current = find(p, {})) current->due = now + timeout(p);
  return true;
}

MultilineStream::Open* MultilineStream::find(const MultilineParser& p, std::string_view group) {
  for (auto& o : open_)
    if (o.parser == &p && o.group == group) return &o;
  return nullptr;
}

MultilineStream::Open& MultilineStream::begin(const MultilineParser& p, const View& v, const MultilineLine& line) {
  Open& o = open_.emplace_back();
  o.parser = &p;
  o.group = std::string(v.group);
  o.text.assign(v.content);
  o.key = std::string(v.key);
  if (v.record != nullptr) {
    o.first = record::deep_copy(*v.record, o.arena);
    o.has_first = true;
  }
  o.time_ns = v.time_ns;
  o.position = line.position;
  o.lines = 1;
  hold_acks(o, line);
  return o;
}

void MultilineStream::append(Open& o, const View& v, const MultilineLine& line, std::string_view separator,
                             MultilineSink& sink, Clock::time_point now) {
  if (o.text.size() + separator.size() + v.content.size() > settings_.max_bytes && o.lines > 0) {
    // Too long to hold: hand out what is held, go on in a new record with
    // the same state (nothing is dropped).
    const MultilineRule* rule = o.rule;
    const MultilineParser& p = *o.parser;
    flush(o, sink, true);
    Open& fresh = begin(p, v, line);
    fresh.rule = rule;
    fresh.due = now + timeout(p);
    return;
  }
  o.text.append(separator);
  o.text.append(v.content);
  ++o.lines;
  hold_acks(o, line);
}

void MultilineStream::hold_acks(Open& o, const MultilineLine& line) {
  if (line.acks == nullptr || line.acks->empty()) return;
  if (line.batch != 0 && o.acks_batch == line.batch) return;  // this chunk's acks are held already
  o.acks.insert(o.acks.end(), line.acks->begin(), line.acks->end());
  o.acks_batch = line.batch;
}

void MultilineStream::flush(Open& o, MultilineSink& sink, bool cut) {
  auto it = std::find_if(open_.begin(), open_.end(), [&](const Open& x) { return &x == &o; });
  std::string_view text = o.text;
  if (o.parser->type() == MultilineParser::Type::Regex) {
    // Blank lines a record waited on (a chained exception that didn't come) aren't part of it.
    while (text.size() > 0 && (text.back() == '\n' || text.back() == '\r') && o.lines > 1) text.remove_suffix(1);
  }
  if (cut) ++cuts_;
  MultilineRecord r;
  r.text = text;
  r.first = o.has_first ? &o.first : nullptr;
  r.key = o.key;
  r.time_ns = o.time_ns;
  r.position = o.position;
  r.lines = o.lines;
  r.cut = cut;
  r.acks = &o.acks;
  // Off the list before the sink runs: the sink may feed this stream again.
  std::list<Open> taken;
  taken.splice(taken.begin(), open_, it);
  sink.joined(r);
}

void MultilineStream::flush_others(const MultilineParser& p, MultilineSink& sink) {
  for (auto it = open_.begin(); it != open_.end();) {
    auto next = std::next(it);
    if (it->parser != &p) flush(*it, sink);
    it = next;
  }
}

void MultilineStream::flush_expired(MultilineSink& sink, Clock::time_point now) {
  for (auto it = open_.begin(); it != open_.end();) {
    auto next = std::next(it);
    if (it->due <= now) flush(*it, sink);
    it = next;
  }
}

void MultilineStream::flush_all(MultilineSink& sink) {
  while (!open_.empty()) flush(open_.front(), sink);
}

std::optional<MultilineStream::Clock::time_point> MultilineStream::next_deadline() const {
  std::optional<Clock::time_point> out;
  for (const auto& o : open_)
    if (!out || o.due < *out) out = o.due;
  return out;
}

std::optional<uint64_t> MultilineStream::oldest_position() const {
  std::optional<uint64_t> out;
  for (const auto& o : open_)
    if (!out || o.position < *out) out = o.position;
  return out;
}

size_t MultilineStream::held_bytes() const {
  size_t n = 0;
  for (const auto& o : open_) n += o.text.capacity() + o.arena.reserved() + sizeof(Open);
  return n;
}

}  // namespace sluice
