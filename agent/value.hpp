// The record model: JSON-like values whose strings, arrays and maps live in a
// chunk's Arena, so building a record costs no heap allocation per field.
#pragma once
#include <cstdint>
#include <cstring>
#include <span>
#include <string_view>

#include "agent/arena.hpp"

namespace sluice {

enum class Kind : uint8_t { Null, Bool, Int, Double, String, Array, Map };

struct Member;

// A trivially copyable 16-byte handle. Copying a Value copies the handle, not
// the arena memory it points to: both copies see the same strings and members.
class Value {
 public:
  Value() : kind_(Kind::Null), size_(0), i_(0) {}

  static Value null() { return Value(); }
  static Value boolean(bool b) { Value v; v.kind_ = Kind::Bool; v.b_ = b; return v; }
  static Value integer(int64_t i) { Value v; v.kind_ = Kind::Int; v.i_ = i; return v; }
  static Value real(double d) { Value v; v.kind_ = Kind::Double; v.d_ = d; return v; }
  // The view must outlive the value: point it into the arena or at static text.
  static Value string(std::string_view s) {
    Value v; v.kind_ = Kind::String; v.s_ = s.data(); v.size_ = static_cast<uint32_t>(s.size()); return v;
  }
  static Value array(Value* items, uint32_t n) { Value v; v.kind_ = Kind::Array; v.a_ = items; v.size_ = n; return v; }
  static Value map(Member* members, uint32_t n) { Value v; v.kind_ = Kind::Map; v.m_ = members; v.size_ = n; return v; }

  Kind kind() const { return kind_; }
  bool is_null() const { return kind_ == Kind::Null; }
  bool is_bool() const { return kind_ == Kind::Bool; }
  bool is_int() const { return kind_ == Kind::Int; }
  bool is_double() const { return kind_ == Kind::Double; }
  bool is_number() const { return kind_ == Kind::Int || kind_ == Kind::Double; }
  bool is_string() const { return kind_ == Kind::String; }
  bool is_array() const { return kind_ == Kind::Array; }
  bool is_map() const { return kind_ == Kind::Map; }

  bool as_bool() const { return b_; }
  int64_t as_int() const { return i_; }
  double as_double() const { return kind_ == Kind::Int ? static_cast<double>(i_) : d_; }
  std::string_view as_string() const { return {s_, size_}; }
  std::span<Value> items() const { return {a_, size_}; }
  std::span<Member> members() const;
  uint32_t size() const { return size_; }

  // Map lookup by key (linear: records have few keys); nullptr if absent or not a map.
  const Value* find(std::string_view key) const;
  Value* find(std::string_view key);

 private:
  Kind kind_;
  uint32_t size_;
  union {
    bool b_;
    int64_t i_;
    double d_;
    const char* s_;
    Value* a_;
    Member* m_;
  };
};

// Whether two strings have the same bytes. Keys are mostly short: up to 16
// bytes they compare with two loads each, without the memcmp call that
// string_view's == makes (a record lookup compares several keys). Longer
// ones compare their last 8 bytes first: timestamps and ids of the same
// length differ near their end, and are turned away without a call.
inline bool same_bytes(std::string_view a, std::string_view b) {
  const size_t n = a.size();
  if (n != b.size()) return false;
  const char* p = a.data();
  const char* q = b.data();
  auto load8 = [](const char* s) { uint64_t v; std::memcpy(&v, s, 8); return v; };
  auto load4 = [](const char* s) { uint32_t v; std::memcpy(&v, s, 4); return v; };
  if (n >= 8) {
    if (load8(p + n - 8) != load8(q + n - 8)) return false;
    if (n <= 16) return load8(p) == load8(q);
    return std::memcmp(p, q, n - 8) == 0;
  }
  if (n >= 4) return load4(p) == load4(q) && load4(p + n - 4) == load4(q + n - 4);
  for (size_t i = 0; i < n; ++i)
    if (p[i] != q[i]) return false;
  return true;
}

// A map key: its text's address and length packed in one 8-byte word (user
// addresses on x86-64 and AArch64 fit in 48 bits), so a Member is 24 bytes
// instead of 32: with 14 fields a queued record saves 112 bytes, and the
// memory a record is charged stays within 1.5x its JSON (issue 13). Keys are
// at most kMaxSize bytes; the parsers refuse a line with a longer one (it
// stays whole, unparsed), and what builds keys from scripts checks fits().
class Key {
 public:
  static constexpr size_t kMaxSize = 0xFFFF;
  static bool fits(std::string_view s) { return s.size() <= kMaxSize; }

  Key() = default;
  // Implicit: a key is written as text everywhere. A longer text is cut to
  // kMaxSize (callers check fits() first where input decides the key).
  Key(std::string_view s)  // NOLINT(google-explicit-constructor)
      : bits_(reinterpret_cast<uintptr_t>(s.data()) |
              (static_cast<uint64_t>(s.size() < kMaxSize ? s.size() : kMaxSize) << kShift)) {}
  Key(const char* s) : Key(std::string_view(s)) {}  // NOLINT(google-explicit-constructor)

  const char* data() const { return reinterpret_cast<const char*>(static_cast<uintptr_t>(bits_ & kAddressMask)); }
  size_t size() const { return static_cast<size_t>(bits_ >> kShift); }
  bool empty() const { return size() == 0; }
  std::string_view view() const { return {data(), size()}; }
  operator std::string_view() const { return view(); }  // NOLINT(google-explicit-constructor)

  friend bool operator==(Key a, Key b) { return same_bytes(a.view(), b); }
  friend bool operator==(Key a, std::string_view b) { return same_bytes(a.view(), b); }
  friend bool operator==(Key a, const char* b) { return same_bytes(a.view(), std::string_view(b)); }
  friend bool operator<(Key a, Key b) { return a.view() < b.view(); }

 private:
  static constexpr int kShift = 48;
  static constexpr uint64_t kAddressMask = (uint64_t{1} << kShift) - 1;
  uint64_t bits_ = 0;
};

struct Member {
  Key key;
  Value value;
};

static_assert(sizeof(Value) == 16);
static_assert(sizeof(Member) == 24);

inline std::span<Member> Value::members() const { return {m_, size_}; }

inline const Value* Value::find(std::string_view key) const {
  if (kind_ != Kind::Map) return nullptr;
  for (uint32_t i = 0; i < size_; ++i)
    if (m_[i].key == key) return &m_[i].value;
  return nullptr;
}
inline Value* Value::find(std::string_view key) {
  return const_cast<Value*>(static_cast<const Value*>(this)->find(key));
}

}  // namespace sluice
