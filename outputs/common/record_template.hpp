// Names made from records: "app-$kubernetes['namespace_name']-$TAG[1]" as
// Fluent Bit's cloud outputs read log_group_template and friends. Literal
// text, `$TAG` (the whole tag), `$TAG[n]` (the n-th dot-separated part) and
// record accessors (`$key`, `$key['sub'][0]`).
#pragma once
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "agent/record_accessor.hpp"
#include "agent/value.hpp"

namespace sluice {

// Compiled once at config time; immutable afterwards (render() is const and
// safe from any thread).
class RecordTemplate {
 public:
  // nullopt with *error (what is wrong, at which character) on bad syntax.
  static std::optional<RecordTemplate> compile(std::string_view text, std::string* error);

  // Appends the name for one record to out and returns true; false (out
  // unchanged) when a field it names is missing, or is a map, array or null,
  // or a tag part doesn't exist: the caller falls back to its fixed name.
  bool render(const Value& record, std::string_view tag, std::string& out) const;

  const std::string& text() const { return text_; }

 private:
  struct Part {
    enum class Kind { Literal, Tag, TagPart, Field } kind;
    std::string literal;
    size_t tag_part = 0;
    std::optional<RecordAccessor> field;
  };
  std::string text_;
  std::vector<Part> parts_;
};

}  // namespace sluice
