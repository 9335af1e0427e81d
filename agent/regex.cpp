// PCRE2 wrapper; see regex.hpp.
#define PCRE2_CODE_UNIT_WIDTH 8
#include "agent/regex.hpp"

#include <pcre2.h>

#include "agent/regex_onigmo.hpp"

#include <algorithm>
#include <cstdint>

namespace sluice {

struct Regex::Impl {
  pcre2_code* code = nullptr;
  std::vector<uint32_t> group_numbers;  // capture number of names_[i]
  ~Impl() { pcre2_code_free(code); }
};

namespace {

constexpr size_t kMaxPcre2NameLength = 32;  // MAX_NAME_SIZE of PCRE2 10.42 (Debian 12)

// Match data per thread, grown to the largest pattern seen.
pcre2_match_data* thread_match_data(const pcre2_code* code) {
  struct Holder {
    pcre2_match_data* md = nullptr;
    uint32_t pairs = 0;
    ~Holder() { pcre2_match_data_free(md); }
  };
  thread_local Holder holder;
  uint32_t needed = 0;
  pcre2_pattern_info(code, PCRE2_INFO_CAPTURECOUNT, &needed);
  needed += 1;
  if (holder.md == nullptr || holder.pairs < needed) {
    pcre2_match_data_free(holder.md);
    holder.pairs = needed < 16 ? 16 : needed;
    holder.md = pcre2_match_data_create(holder.pairs, nullptr);
  }
  return holder.md;
}
}  // namespace

std::optional<Regex> Regex::compile(std::string_view text, std::string* error) {
  // Fluent Bit's patterns are Onigmo's in Ruby syntax: "/.../i" literals,
  // and ^ and $ that match at every line's start and end, not only the
  // text's (a grep for ^Caused finds that line in a joined stack trace).
  OnigmoLiteral literal = onigmo_literal(text);
  std::string_view pattern = literal.body;
  uint32_t options = PCRE2_DUPNAMES | PCRE2_MULTILINE;
  if (literal.ignore_case) options |= PCRE2_CASELESS;
  if (literal.dot_all) options |= PCRE2_DOTALL;
  if (literal.extended) options |= PCRE2_EXTENDED;
  int code_error = 0;
  PCRE2_SIZE offset = 0;
  pcre2_code* code = pcre2_compile(reinterpret_cast<PCRE2_SPTR>(pattern.data()), pattern.size(), options,
                                   &code_error, &offset, nullptr);
  OnigmoTranslation renamed;
  bool translated = false;
  if (code == nullptr && (code_error == PCRE2_ERROR_SUBPATTERN_NAME_TOO_LONG ||
                          code_error == PCRE2_ERROR_UNSUPPORTED_ESCAPE_SEQUENCE)) {
    // Fluent Bit's Onigmo syntax PCRE2 refuses (long group names, \uHHHH):
    // compiled as PCRE2's, groups reported under their own names.
    renamed = translate_onigmo(pattern, kMaxPcre2NameLength);
    translated = true;
    code = pcre2_compile(reinterpret_cast<PCRE2_SPTR>(renamed.pattern.data()), renamed.pattern.size(), options,
                         &code_error, &offset, nullptr);
  }
  if (code == nullptr) {
    PCRE2_UCHAR buf[256];
    pcre2_get_error_message(code_error, buf, sizeof buf);
    if (error != nullptr)
      *error = std::string(reinterpret_cast<char*>(buf)) + " at offset " + std::to_string(offset) +
               (translated ? " (of the pattern as translated from Onigmo's syntax: \\uHHHH as UTF-8 bytes, group names "
                             "over 32 characters shortened)"
                           : "");
    return std::nullopt;
  }
  pcre2_jit_compile(code, PCRE2_JIT_COMPLETE);  // best effort: falls back to the interpreter
  Regex re;
  re.impl_ = std::make_unique<Impl>();
  re.impl_->code = code;
  re.pattern_ = std::string(text);
  uint32_t count = 0, entry_size = 0;
  PCRE2_SPTR table = nullptr;
  pcre2_pattern_info(code, PCRE2_INFO_NAMECOUNT, &count);
  pcre2_pattern_info(code, PCRE2_INFO_NAMEENTRYSIZE, &entry_size);
  pcre2_pattern_info(code, PCRE2_INFO_NAMETABLE, &table);
  // The name table is sorted by name; keep declaration (group number) order.
  std::vector<std::pair<uint32_t, std::string>> groups;
  for (uint32_t i = 0; i < count; ++i) {
    PCRE2_SPTR entry = table + i * entry_size;
    uint32_t number = (static_cast<uint32_t>(entry[0]) << 8) | entry[1];
    groups.emplace_back(number, std::string(reinterpret_cast<const char*>(entry + 2)));
  }
  std::sort(groups.begin(), groups.end());
  for (auto& [n, name] : groups) {
    for (const auto& [standin, original] : renamed.names)
      if (name == standin) name = original;
    re.impl_->group_numbers.push_back(n);
    re.names_.push_back(std::move(name));
  }
  return re;
}

Regex::Regex(Regex&&) noexcept = default;
Regex& Regex::operator=(Regex&&) noexcept = default;
Regex::~Regex() = default;

bool Regex::search(std::string_view text) const {
  pcre2_match_data* md = thread_match_data(impl_->code);
  int rc = pcre2_match(impl_->code, reinterpret_cast<PCRE2_SPTR>(text.data()), text.size(), 0, 0, md, nullptr);
  return rc >= 0;
}

const std::vector<std::string>& Regex::group_names() const { return names_; }

std::vector<std::pair<size_t, size_t>>& Regex::spans_scratch() {
  thread_local std::vector<std::pair<size_t, size_t>> spans;
  return spans;
}

bool Regex::match_spans(std::string_view text, std::vector<std::pair<size_t, size_t>>& spans) const {
  pcre2_match_data* md = thread_match_data(impl_->code);
  int rc = pcre2_match(impl_->code, reinterpret_cast<PCRE2_SPTR>(text.data()), text.size(), 0, 0, md, nullptr);
  if (rc < 0) return false;
  PCRE2_SIZE* ov = pcre2_get_ovector_pointer(md);
  uint32_t pairs = pcre2_get_ovector_count(md);
  spans.assign(names_.size(), {SIZE_MAX, SIZE_MAX});
  for (size_t i = 0; i < names_.size(); ++i) {
    uint32_t g = impl_->group_numbers[i];
    if (g < pairs && g < static_cast<uint32_t>(rc) && ov[2 * g] != PCRE2_UNSET)
      spans[i] = {ov[2 * g], ov[2 * g + 1]};
  }
  return true;
}

bool Regex::numbered_captures(std::string_view text, std::vector<std::string_view>& groups) const {
  pcre2_match_data* md = thread_match_data(impl_->code);
  int rc = pcre2_match(impl_->code, reinterpret_cast<PCRE2_SPTR>(text.data()), text.size(), 0, 0, md, nullptr);
  if (rc < 0) return false;
  PCRE2_SIZE* ov = pcre2_get_ovector_pointer(md);
  uint32_t pairs = pcre2_get_ovector_count(md);
  groups.clear();
  for (uint32_t g = 0; g < pairs && g < static_cast<uint32_t>(rc); ++g) {
    if (ov[2 * g] == PCRE2_UNSET) groups.emplace_back();
    else groups.push_back(text.substr(ov[2 * g], ov[2 * g + 1] - ov[2 * g]));
  }
  return true;
}

}  // namespace sluice
