// Joining a container runtime's partial records; see partial_message.hpp.
#include "filters/multiline/partial_message.hpp"

#include <algorithm>

#include "agent/record.hpp"

namespace sluice {

namespace {

constexpr std::string_view kPartialPrefix = "partial_";

// "true" as Docker's fluentd driver writes it (a string; any case), or a boolean.
bool is_true(const Value* v) {
  if (v == nullptr) return false;
  if (v->is_bool()) return v->as_bool();
  if (!v->is_string()) return false;
  std::string_view s = v->as_string();
  if (s.size() < 4) return false;
  for (size_t i = 0; i < 4; ++i)
    if ((s[i] | 0x20) != "true"[i]) return false;
  return true;
}

}  // namespace

bool PartialMessageJoiner::offer(const std::string& tag, const Event& e, const std::vector<AckRef>& acks,
                                 uint64_t batch, Clock::time_point now, PartialMessageSink& sink) {
  if (!e.record.is_map() || !is_true(e.record.find("partial_message"))) return false;
  const Value* id = e.record.find("partial_id");
  const Value* content = e.record.find(key_);
  if (id == nullptr || !id->is_string() || content == nullptr || !content->is_string()) return false;
  Open* o = find(tag, id->as_string());
  if (o == nullptr) o = &begin(tag, id->as_string(), e);
  o->text.append(content->as_string());
  ++o->parts;
  o->last_write = now;
  if (!acks.empty() && (batch == 0 || o->acks_batch != batch)) {
    o->acks.insert(o->acks.end(), acks.begin(), acks.end());
    o->acks_batch = batch;
  }
  if (is_true(e.record.find("partial_last"))) {
    auto it = std::find_if(open_.begin(), open_.end(), [&](const Open& x) { return &x == o; });
    hand_out(it, sink);
  }
  return true;
}

PartialMessageJoiner::Open* PartialMessageJoiner::find(const std::string& tag, std::string_view id) {
  for (auto& o : open_)
    if (o.id == id && o.tag == tag) return &o;
  return nullptr;
}

// The joined record is the first part's fields without the partial_* keys,
// and key_content last (it gets the joined text), as Fluent Bit writes it.
PartialMessageJoiner::Open& PartialMessageJoiner::begin(const std::string& tag, std::string_view id,
                                                        const Event& e) {
  Open& o = open_.emplace_back();
  o.tag = tag;
  o.id = std::string(id);
  o.time_ns = e.time_ns;
  auto members = e.record.members();
  auto* kept = o.arena.allocate_array<Member>(members.size());
  uint32_t n = 0;
  std::string_view content_key;
  for (const Member& m : members) {
    std::string_view k = m.key.view();
    if (k == key_) {
      content_key = o.arena.copy(k);
      continue;
    }
    if (k.starts_with(kPartialPrefix)) continue;
    kept[n++] = Member{o.arena.copy(k), record::deep_copy(m.value, o.arena)};
  }
  kept[n++] = Member{content_key, Value::string({})};
  o.first = Value::map(kept, n);
  return o;
}

void PartialMessageJoiner::hand_out(std::list<Open>::iterator it, PartialMessageSink& sink) {
  // Off the list before the sink runs.
  std::list<Open> taken;
  taken.splice(taken.begin(), open_, it);
  Open& o = taken.front();
  auto members = o.first.members();
  members.back().value = Value::string(o.text);
  sink.joined(o.tag, o.time_ns, o.first, o.acks, o.parts);
}

void PartialMessageJoiner::flush_expired(Clock::time_point now, PartialMessageSink& sink) {
  for (auto it = open_.begin(); it != open_.end();) {
    auto next = std::next(it);
    if (it->last_write + flush_ms_ <= now) hand_out(it, sink);
    it = next;
  }
}

void PartialMessageJoiner::flush_all(PartialMessageSink& sink) {
  while (!open_.empty()) hand_out(open_.begin(), sink);
}

std::optional<PartialMessageJoiner::Clock::time_point> PartialMessageJoiner::next_deadline() const {
  std::optional<Clock::time_point> out;
  for (const auto& o : open_)
    if (!out || o.last_write + flush_ms_ < *out) out = o.last_write + flush_ms_;
  return out;
}

size_t PartialMessageJoiner::held_bytes() const {
  size_t n = 0;
  for (const auto& o : open_) n += o.text.capacity() + o.arena.reserved() + sizeof(Open);
  return n;
}

}  // namespace sluice
