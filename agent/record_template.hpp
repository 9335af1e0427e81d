// Names made from records: "app-$kubernetes['namespace_name']-$TAG[1]" as
// Fluent Bit's cloud outputs read log_group_template and friends, and its
// rewrite_tag filter its new tags. Literal text, `$TAG` (the whole tag),
// `$TAG[n]` (the n-th dot-separated part), record accessors (`$key`,
// `$key['sub'][0]`) and, for rewrite_tag, a regex's captures (`$0`..`$9`).
#pragma once
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "agent/record_accessor.hpp"
#include "agent/value.hpp"

namespace sluice {

namespace config {
class ComponentConfig;
}

// Compiled once at config time; immutable afterwards (render() is const and
// safe from any thread).
class RecordTemplate {
 public:
  // What rewrite_tag's new tags read besides the outputs' names: `$0`..`$9`
  // are the regex's captures, and a `$` with no name after it is text.
  struct Options {
    bool captures = false;
    bool lone_dollar_is_text = false;
  };

  // nullopt with *error (what is wrong, at which character) on bad syntax.
  static std::optional<RecordTemplate> compile(std::string_view text, std::string* error);
  static std::optional<RecordTemplate> compile(std::string_view text, std::string* error, Options options);

  // Appends the name for one record to out and returns true; false (out
  // unchanged) when a field it names is missing, or is a map, array or null,
  // or a tag part doesn't exist: the caller falls back to its fixed name.
  bool render(const Value& record, std::string_view tag, std::string& out) const;
  // Appends every part that has a value, with captures for `$0`..`$9`; a
  // part with none (a missing field, tag part or capture) adds nothing.
  void render_present(const Value& record, std::string_view tag, const std::vector<std::string_view>& captures,
                      std::string& out) const;

  const std::string& text() const { return text_; }

 private:
  struct Part {
    enum class Kind { Literal, Tag, TagPart, Field, Capture } kind;
    std::string literal;
    size_t tag_part = 0;  // or the capture's number
    std::optional<RecordAccessor> field;
  };
  // Appends the part's text; false if it has none.
  static bool append(const Part& p, const Value& record, std::string_view tag,
                     const std::vector<std::string_view>& captures, std::string& out);
  std::string text_;
  std::vector<Part> parts_;
};

// A component's template key: `text` (its value) compiled, or the key
// failed with what is wrong (config::ConfigError at the key's line).
RecordTemplate compile_template_key(const config::ComponentConfig& cfg, std::string_view key, const std::string& text);
// The same for a key that may be left empty: nullopt then.
std::optional<RecordTemplate> read_template_key(const config::ComponentConfig& cfg, std::string_view key);

// A component's record accessor key ($log, $kubernetes['pod_name']):
// `text` compiled, or the key failed with what is wrong (not starting with
// '$', or the accessor's syntax error).
RecordAccessor compile_accessor_key(const config::ComponentConfig& cfg, std::string_view key, const std::string& text);
// The same for a key that may be left empty: nullopt then.
std::optional<RecordAccessor> read_accessor_key(const config::ComponentConfig& cfg, std::string_view key);

}  // namespace sluice
