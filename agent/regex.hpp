// The one wrapper around PCRE2 (8-bit, JIT when available): compile once at
// config time, match on the data path without allocating.
#pragma once
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace sluice {

// Immutable after construction; match() reuses per-thread match data, so one
// Regex may be used from several threads.
class Regex {
 public:
  // Reads pattern as Fluent Bit does (regex_onigmo.hpp): "/body/imx"
  // literals, ^ and $ at line boundaries as in Ruby. Returns nullopt and
  // fills *error ("missing ) at offset 7") when it doesn't compile.
  static std::optional<Regex> compile(std::string_view pattern, std::string* error);
  Regex(Regex&&) noexcept;
  Regex& operator=(Regex&&) noexcept;
  ~Regex();

  // True if the pattern matches anywhere in text.
  bool search(std::string_view text) const;
  // Named capture groups in declaration order (for regex parsers).
  const std::vector<std::string>& group_names() const;
  // Matches text and calls fn(group_name, captured_text) for every named
  // group that participated. Returns false if there is no match.
  template <class Fn>
  bool named_captures(std::string_view text, Fn&& fn) const {
    std::vector<std::pair<size_t, size_t>>& spans = spans_scratch();
    if (!match_spans(text, spans)) return false;
    for (size_t i = 0; i < names_.size(); ++i) {
      auto [begin, end] = spans[i];
      if (begin != SIZE_MAX) fn(std::string_view(names_[i]), text.substr(begin, end - begin));
    }
    return true;
  }
  // Matches text and fills groups with the numbered captures: [0] the whole
  // match, [n] group n (empty when it didn't participate). Returns false if
  // there is no match. The views point into text.
  bool numbered_captures(std::string_view text, std::vector<std::string_view>& groups) const;
  const std::string& pattern() const { return pattern_; }  // as written, slashes and all

 private:
  Regex() = default;
  bool match_spans(std::string_view text, std::vector<std::pair<size_t, size_t>>& spans) const;
  static std::vector<std::pair<size_t, size_t>>& spans_scratch();

  struct Impl;
  std::unique_ptr<Impl> impl_;
  std::vector<std::string> names_;  // group names, ordered as in names_index_
  std::string pattern_;
};

}  // namespace sluice
