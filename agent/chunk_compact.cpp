// Compacting a chunk before it is queued; see chunk_compact.hpp.
#include "agent/chunk_compact.hpp"

#include <algorithm>
#include <vector>

#include "agent/record.hpp"

namespace sluice {

namespace {

// What Arena::allocate_array takes for n elements, at most: the bytes, one
// for an empty array, and padding up to the element's alignment.
size_t array_bytes(size_t n, size_t elem, size_t align) { return n * elem + (n == 0) + (align - 1); }

// Bytes record::deep_copy allocates for v, at most.
size_t value_bytes(const Value& v) {
  switch (v.kind()) {
    case Kind::String: return v.size();
    case Kind::Array: {
      size_t b = array_bytes(v.size(), sizeof(Value), alignof(Value));
      for (const Value& item : v.items()) b += value_bytes(item);
      return b;
    }
    case Kind::Map: {
      size_t b = array_bytes(v.size(), sizeof(Member), alignof(Member));
      for (const Member& m : v.members()) b += m.key.size() + value_bytes(m.value);
      return b;
    }
    default: return 0;
  }
}

// Records of one chunk mostly have the same keys in the same order (lines of
// one application), and many fields repeat (level, host, ...): a top-level
// key or string value equal to the previous record's at the same position
// is shared, not copied (arena strings are never changed in place).
const Member* same_position(const Value* prev, size_t i) {
  return prev != nullptr && prev->is_map() && i < prev->size() ? &prev->members()[i] : nullptr;
}
bool same_key(const Member* p, std::string_view key) { return p != nullptr && p->key == key; }
bool same_string(const Member* p, const Value& v) {
  return p != nullptr && v.is_string() && p->value.is_string() && p->value.as_string() == v.as_string();
}

size_t event_bytes(const Value& record, const Value* prev) {
  if (!record.is_map()) return value_bytes(record);
  size_t b = array_bytes(record.size(), sizeof(Member), alignof(Member));
  for (size_t i = 0; i < record.size(); ++i) {
    const Member& m = record.members()[i];
    const Member* p = same_position(prev, i);
    if (!same_key(p, m.key)) b += m.key.size();
    if (!same_string(p, m.value)) b += value_bytes(m.value);
  }
  return b;
}

Value copy_event(const Value& record, const Value* prev, Arena& arena) {
  if (!record.is_map()) return record::deep_copy(record, arena);
  Member* members = arena.allocate_array<Member>(record.size());
  for (size_t i = 0; i < record.size(); ++i) {
    const Member& m = record.members()[i];
    const Member* p = same_position(prev, i);
    members[i].key = same_key(p, m.key) ? p->key : Key(arena.copy(m.key));
    members[i].value = same_string(p, m.value) ? p->value : record::deep_copy(m.value, arena);
  }
  return Value::map(members, record.size());
}

constexpr size_t kPage = 4096;
constexpr size_t kLargestBlock = 1 << 20;  // the block pool's largest class
constexpr size_t kBlockHeader = 16;        // Arena's per-block header, at most

// Room for the next block: the largest pool block that the bytes still to
// copy fill (so it is never mostly empty), or exactly those bytes when they
// don't fill a page; at least the next record.
size_t next_block(size_t remaining, size_t next_record) {
  if (remaining + kBlockHeader < kPage) return remaining;
  size_t block = kPage;
  while (block * 2 <= remaining + kBlockHeader && block * 2 <= kLargestBlock) block *= 2;
  return std::max(block - kBlockHeader, next_record);
}

// Compacting pays when the room the chunk is charged for but doesn't use is
// more than this share of it (and more than kMinGain): a big chunk's half
// empty last block is not worth a copy, a small chunk's mostly empty first
// block is.
constexpr size_t kSlackShare = 8;  // 1/8
constexpr size_t kMinGain = 1024;

}  // namespace

size_t record_bytes(const Chunk& chunk) {
  size_t total = 0;
  const Value* prev = nullptr;
  for (const Event& e : chunk.events) {
    total += event_bytes(e.record, prev);
    prev = &e.record;
  }
  return total;
}

bool compact(Chunk& chunk, bool keep_metadata) {
  // Metadata lives along the filters only (agent/chunk.hpp), unless an
  // output sends it: a queued chunk is not charged for what no output reads.
  if (!keep_metadata || chunk.metadata.empty()) chunk.metadata = {};
  if (chunk.metadata.capacity() > chunk.metadata.size()) chunk.metadata.shrink_to_fit();
  if (chunk.events.capacity() > chunk.events.size()) chunk.events.shrink_to_fit();
  const size_t reserved = chunk.arena.reserved();
  const size_t unused = reserved - chunk.arena.used();
  if (unused <= kMinGain || unused <= reserved / kSlackShare) return false;

  std::vector<size_t> sizes;
  sizes.reserve(chunk.events.size());
  size_t remaining = 0;
  const Value* prev = nullptr;
  for (size_t i = 0; i < chunk.events.size(); ++i) {
    const Event& e = chunk.events[i];
    const Value* meta = chunk.metadata_of(i);
    sizes.push_back(event_bytes(e.record, prev) + (meta != nullptr ? value_bytes(*meta) : 0));
    remaining += sizes.back();
    prev = &e.record;
  }
  Arena fresh(kPage);
  prev = nullptr;
  for (size_t i = 0; i < chunk.events.size(); ++i) {
    if (fresh.available() < sizes[i]) fresh.start_block(next_block(remaining, sizes[i]));
    Event& e = chunk.events[i];
    e.record = copy_event(e.record, prev, fresh);
    if (i < chunk.metadata.size()) chunk.metadata[i] = record::deep_copy(chunk.metadata[i], fresh);
    prev = &e.record;
    remaining -= sizes[i];
  }
  chunk.arena = std::move(fresh);
  return true;
}

}  // namespace sluice
