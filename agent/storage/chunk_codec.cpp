// Chunk encoding; see chunk_codec.hpp.
#include "agent/storage/chunk_codec.hpp"

#include <algorithm>
#include <cstring>

namespace sluice::storage {

namespace {

enum Tag : uint8_t { kNull = 0, kFalse = 1, kTrue = 2, kInt = 3, kDouble = 4, kString = 5, kArray = 6, kMap = 7 };

// Records nested deeper than this are refused when decoding (a damaged file
// must not run the decoder's recursion out of stack); the JSON parser keeps
// records far shallower.
constexpr int kMaxDepth = 200;

uint64_t zigzag(int64_t v) { return (static_cast<uint64_t>(v) << 1) ^ static_cast<uint64_t>(v >> 63); }
int64_t unzigzag(uint64_t v) { return static_cast<int64_t>(v >> 1) ^ -static_cast<int64_t>(v & 1); }

// Writes into a std::string used as raw storage from `at` on: the string
// only grows (a reused buffer keeps its size, so no byte is zero-filled
// twice) and every field is written through a raw pointer after one room
// check. The caller tracks how much is used.
class Out {
 public:
  Out(std::string& buf, size_t at) : buf_(buf), start_(at) {
    if (buf_.size() < at + 4096) buf_.resize(at + 4096);
    p_ = buf_.data() + at;
    end_ = buf_.data() + buf_.size();
  }

  void ensure(size_t n) {
    if (static_cast<size_t>(end_ - p_) >= n) return;
    size_t used = static_cast<size_t>(p_ - buf_.data());
    buf_.resize(std::max(used + n, buf_.size() * 2));
    p_ = buf_.data() + used;
    end_ = buf_.data() + buf_.size();
  }
  // The callers made room (ensure) first.
  void byte(uint8_t b) { *p_++ = static_cast<char>(b); }
  void varint(uint64_t v) {
    while (v >= 0x80) {
      *p_++ = static_cast<char>(v | 0x80);
      v >>= 7;
    }
    *p_++ = static_cast<char>(v);
  }
  void bytes(std::string_view s) {
    ensure(s.size() + 11);
    varint(s.size());
    if (!s.empty()) std::memcpy(p_, s.data(), s.size());  // an empty view may hold a null pointer
    p_ += s.size();
  }
  size_t written() const { return static_cast<size_t>(p_ - buf_.data()) - start_; }

  void value(const Value& v) {
    ensure(11);  // a tag and a varint, or a tag and a double
    switch (v.kind()) {
      case Kind::Null: return byte(kNull);
      case Kind::Bool: return byte(v.as_bool() ? kTrue : kFalse);
      case Kind::Int: byte(kInt); return varint(zigzag(v.as_int()));
      case Kind::Double: {
        byte(kDouble);
        uint64_t bits;
        double d = v.as_double();
        std::memcpy(&bits, &d, 8);
        for (int i = 0; i < 8; ++i) *p_++ = static_cast<char>(bits >> (8 * i));
        return;
      }
      case Kind::String: {
        std::string_view s = v.as_string();
        byte(kString);
        return bytes(s);
      }
      case Kind::Array:
        byte(kArray);
        varint(v.size());
        for (const Value& item : v.items()) value(item);
        return;
      case Kind::Map:
        byte(kMap);
        varint(v.size());
        for (const Member& m : v.members()) {
          bytes(m.key);
          value(m.value);
        }
        return;
    }
  }

 private:
  std::string& buf_;
  size_t start_;
  char* p_;
  char* end_;
};

// Reads an encoding copied into the chunk's arena; strings stay there.
class In {
 public:
  In(const char* p, size_t n, Arena& arena) : p_(p), end_(p + n), arena_(arena) {}

  bool ok() const { return error_ == nullptr; }
  const char* error() const { return error_; }
  bool at_end() const { return p_ == end_; }
  size_t left() const { return static_cast<size_t>(end_ - p_); }

  uint64_t varint() {
    uint64_t v = 0;
    for (int shift = 0; shift < 64; shift += 7) {
      if (p_ == end_) return fail("truncated number");
      auto b = static_cast<uint8_t>(*p_++);
      v |= static_cast<uint64_t>(b & 0x7F) << shift;
      if ((b & 0x80) == 0) return v;
    }
    return fail("number longer than 10 bytes");
  }
  std::string_view bytes() {
    uint64_t n = varint();
    if (!ok()) return {};
    if (n > left()) return fail("string longer than what is left"), std::string_view{};
    std::string_view s(p_, n);
    p_ += n;
    return s;
  }
  Value value(int depth) {
    if (depth > kMaxDepth) return fail("record nested too deeply"), Value{};
    if (p_ == end_) return fail("truncated value"), Value{};
    auto tag = static_cast<uint8_t>(*p_++);
    switch (tag) {
      case kNull: return Value::null();
      case kFalse: return Value::boolean(false);
      case kTrue: return Value::boolean(true);
      case kInt: return Value::integer(unzigzag(varint()));
      case kDouble: {
        if (left() < 8) return fail("truncated double"), Value{};
        uint64_t bits = 0;
        for (int i = 0; i < 8; ++i) bits |= static_cast<uint64_t>(static_cast<uint8_t>(p_[i])) << (8 * i);
        p_ += 8;
        double d;
        std::memcpy(&d, &bits, 8);
        return Value::real(d);
      }
      case kString: {
        std::string_view s = bytes();
        if (s.size() > UINT32_MAX) return fail("string too long"), Value{};
        return Value::string(s);
      }
      case kArray: {
        uint64_t n = varint();
        if (!ok()) return {};
        if (n > left() || n > UINT32_MAX) return fail("array longer than what is left"), Value{};
        Value* items = arena_.allocate_array<Value>(n);
        for (uint64_t i = 0; i < n && ok(); ++i) items[i] = value(depth + 1);
        return ok() ? Value::array(items, static_cast<uint32_t>(n)) : Value{};
      }
      case kMap: {
        uint64_t n = varint();
        if (!ok()) return {};
        if (n > left() / 2 || n > UINT32_MAX) return fail("map longer than what is left"), Value{};
        Member* members = arena_.allocate_array<Member>(n);
        for (uint64_t i = 0; i < n && ok(); ++i) {
          std::string_view key = bytes();
          Value v = ok() ? value(depth + 1) : Value{};
          new (&members[i]) Member{key, v};
        }
        return ok() ? Value::map(members, static_cast<uint32_t>(n)) : Value{};
      }
      default: return fail("unknown value type"), Value{};
    }
  }

  uint64_t fail(const char* why) {
    if (error_ == nullptr) error_ = why;
    p_ = end_;
    return 0;
  }

 private:
  const char* p_;
  const char* end_;
  Arena& arena_;
  const char* error_ = nullptr;
};

}  // namespace

size_t encode_chunk(const Chunk& chunk, std::string& out, size_t at) {
  Out o(out, at);
  o.bytes(chunk.tag);
  o.ensure(10);
  o.varint(chunk.events.size());
  for (const Event& e : chunk.events) {
    o.ensure(10);
    o.varint(zigzag(e.time_ns));
    o.value(e.record);
  }
  if (!chunk.metadata.empty()) {
    o.ensure(10);
    o.varint(chunk.events.size());
    for (size_t i = 0; i < chunk.events.size(); ++i) {
      const Value* m = chunk.metadata_of(i);
      o.value(m != nullptr ? *m : Value());
    }
  }
  return o.written();
}

size_t encode_chunk(const Chunk& chunk, std::string& out) {
  size_t at = out.size();
  size_t n = encode_chunk(chunk, out, at);
  out.resize(at + n);
  return n;
}

bool decode_chunk_into(std::string_view payload, Chunk& chunk, bool in_arena, std::string* error) {
  auto say = [&](const char* why) {
    if (error != nullptr) *error = why;
    return false;
  };
  // The tag and count are read from the untrusted bytes first.
  Arena scratch(64);
  In head(payload.data(), payload.size(), scratch);
  std::string_view tag = head.bytes();
  uint64_t count = head.varint();
  if (!head.ok()) return say(head.error());
  if (count > head.left() / 2) return say("more events than bytes");
  size_t body_at = payload.size() - head.left();
  size_t body_size = payload.size() - body_at;
  const char* body = payload.data() + body_at;
  if (!in_arena) {
    // Strings point into the chunk's own copy.
    char* copy = static_cast<char*>(chunk.arena.allocate(body_size + 1, 1));
    std::memcpy(copy, body, body_size);
    body = copy;
  }
  chunk.tag.assign(tag);
  In in(body, body_size, chunk.arena);
  chunk.events.clear();
  chunk.events.reserve(count);
  for (uint64_t i = 0; i < count && in.ok(); ++i) {
    int64_t t = unzigzag(in.varint());
    Value record = in.value(0);
    if (in.ok() && !record.is_map()) in.fail("a record that is not a map");
    if (in.ok()) chunk.events.push_back({t, record});
  }
  chunk.metadata.clear();
  if (in.ok() && !in.at_end()) {
    if (in.varint() != count) in.fail("metadata for a different number of events");
    chunk.metadata.reserve(count);
    for (uint64_t i = 0; i < count && in.ok(); ++i) {
      Value m = in.value(0);
      if (in.ok() && !m.is_map() && !m.is_null()) in.fail("metadata that is not a map");
      chunk.metadata.push_back(m);
    }
  }
  if (in.ok() && !in.at_end()) in.fail("bytes after the last event's metadata");
  if (!in.ok()) {
    chunk.events.clear();
    chunk.metadata.clear();
    return say(in.error());
  }
  return true;
}

ChunkPtr decode_chunk(std::string_view payload, std::string* error) {
  // Members and values take more room than their encoding: start the arena
  // large enough that most chunks fit in its first block.
  auto chunk = std::make_unique<Chunk>(std::string(), std::clamp<size_t>(payload.size() * 3, 4096, 1024 * 1024));
  if (!decode_chunk_into(payload, *chunk, false, error)) return nullptr;
  return chunk;
}

}  // namespace sluice::storage
