// Onigmo patterns for PCRE2; see regex_onigmo.hpp.
#include "agent/regex_onigmo.hpp"

#include <algorithm>
#include <cstdio>
#include <map>
#include <string>

namespace sluice {

namespace {

bool name_char(char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_' ||
         static_cast<unsigned char>(c) >= 0x80;  // Onigmo and PCRE2 (UTF) take letters beyond ASCII
}

class Translator {
 public:
  Translator(std::string_view pattern, size_t max_length) : p_(pattern), max_(max_length) {
    // Stand-ins must not collide with the pattern's own names.
    for (size_t at = p_.find("_sluice_"); at != std::string_view::npos; at = p_.find("_sluice_", at + 1)) ++next_;
  }

  OnigmoTranslation run() {
    while (i_ < p_.size()) {
      char c = p_[i_];
      if (c == '\\') {
        escape();
      } else if (c == '[') {
        char_class();
      } else if (p_.compare(i_, 2, "(?") == 0) {
        group_start();
      } else {
        out_ += c;
        ++i_;
      }
    }
    OnigmoTranslation r;
    r.pattern = std::move(out_);
    for (auto& [original, standin] : standins_) r.names.emplace_back(standin, original);
    return r;
  }

 private:
  // Copies p_[i_, i_ + n) as it is.
  void copy(size_t n) {
    n = std::min(n, p_.size() - i_);
    out_.append(p_.substr(i_, n));
    i_ += n;
  }

  // At a name ending in `close`: copies it, or its stand-in if it is long.
  // Anything that is not a name (a number, a relative reference) is copied.
  void name(char close) {
    size_t end = i_;
    while (end < p_.size() && name_char(p_[end])) ++end;
    std::string_view n = p_.substr(i_, end - i_);
    if (end < p_.size() && p_[end] == close && n.size() > max_ && !(n[0] >= '0' && n[0] <= '9')) {
      out_ += standin(n);
      i_ = end;
    } else {
      copy(end - i_);
    }
  }

  const std::string& standin(std::string_view original) {
    auto [it, added] = standins_.try_emplace(std::string(original));
    if (added) it->second = "_sluice_" + std::to_string(next_++);
    return it->second;
  }

  void escape() {
    if (i_ + 1 >= p_.size()) return copy(1);
    char e = p_[i_ + 1];
    if (e == 'Q') {  // \Q...\E: literal text
      size_t end = p_.find("\\E", i_ + 2);
      return copy(end == std::string_view::npos ? p_.size() - i_ : end + 2 - i_);
    }
    if (e == 'u' && i_ + 6 <= p_.size() && hex4(p_.substr(i_ + 2, 4))) return code_point(false);
    if ((e == 'k' || e == 'g') && i_ + 2 < p_.size()) {
      char open = p_[i_ + 2];
      char close = open == '<' ? '>' : open == '\'' ? '\'' : open == '{' ? '}' : 0;
      if (close != 0) {
        copy(3);
        return name(close);
      }
    }
    copy(2);
  }

  static bool hex4(std::string_view s) {
    for (char c : s)
      if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F'))) return false;
    return true;
  }

  // [...] up to its closing bracket: a ']' first (or after '^') is literal,
  // [:alpha:] is one item, escapes are copied (\uHHHH translated).
  void char_class() {
    copy(1);
    if (i_ < p_.size() && p_[i_] == '^') copy(1);
    if (i_ < p_.size() && p_[i_] == ']') copy(1);
    while (i_ < p_.size() && p_[i_] != ']') {
      if (p_[i_] == '\\') {
        class_escape();
      } else if (p_.compare(i_, 2, "[:") == 0) {
        size_t end = p_.find(":]", i_ + 2);
        copy(end == std::string_view::npos ? 1 : end + 2 - i_);
      } else {
        copy(1);
      }
    }
    copy(1);
  }

  void class_escape() {
    if (i_ + 6 <= p_.size() && p_[i_ + 1] == 'u' && hex4(p_.substr(i_ + 2, 4))) return code_point(true);
    copy(2);
  }

  // At \uHHHH. sluice's PCRE2 matches bytes (Fluent Bit's Onigmo, UTF-8
  // characters): ASCII is \x{HH}; another character, outside a class, its
  // UTF-8 bytes as one group. In a class a character of several bytes can't
  // be written: it is left for PCRE2 to refuse.
  void code_point(bool in_class) {
    unsigned cp = static_cast<unsigned>(std::stoul(std::string(p_.substr(i_ + 2, 4)), nullptr, 16));
    char buf[16];
    if (cp < 0x80) {
      std::snprintf(buf, sizeof buf, "\\x{%02X}", cp);
      out_ += buf;
    } else if (in_class) {
      return copy(6);
    } else {
      unsigned char bytes[3];
      size_t n = 0;
      if (cp < 0x800) {
        bytes[n++] = static_cast<unsigned char>(0xC0 | (cp >> 6));
      } else {
        bytes[n++] = static_cast<unsigned char>(0xE0 | (cp >> 12));
        bytes[n++] = static_cast<unsigned char>(0x80 | ((cp >> 6) & 0x3F));
      }
      bytes[n++] = static_cast<unsigned char>(0x80 | (cp & 0x3F));
      out_ += "(?:";
      for (size_t k = 0; k < n; ++k) {
        std::snprintf(buf, sizeof buf, "\\x{%02X}", bytes[k]);
        out_ += buf;
      }
      out_ += ')';
    }
    i_ += 6;
  }

  void group_start() {
    std::string_view rest = p_.substr(i_);
    auto starts = [&](std::string_view s) { return rest.compare(0, s.size(), s) == 0; };
    // Definitions and references with a name right after the opener.
    static constexpr std::pair<std::string_view, char> kForms[] = {
        {"(?P<", '>'}, {"(?P=", ')'}, {"(?P>", ')'}, {"(?&", ')'}, {"(?(<", '>'}, {"(?('", '\''}, {"(?'", '\''},
    };
    for (auto [opener, close] : kForms) {
      if (starts(opener)) {
        copy(opener.size());
        return name(close);
      }
    }
    // (?<name> but not the lookbehinds (?<= and (?<!.
    if (starts("(?<") && rest.size() > 3 && rest[3] != '=' && rest[3] != '!') {
      copy(3);
      return name('>');
    }
    // (?(name)...: a condition on a named group (R, R1, DEFINE and numbers are copied as they are).
    if (starts("(?(") && rest.size() > 3 && name_char(rest[3])) {
      copy(3);
      return name(')');
    }
    copy(2);
  }

  std::string_view p_;
  size_t max_;
  size_t i_ = 0;
  std::string out_;
  std::map<std::string, std::string> standins_;  // original → stand-in
  size_t next_ = 0;
};

}  // namespace

OnigmoLiteral onigmo_literal(std::string_view p) {
  OnigmoLiteral lit{p};
  if (p.size() < 2 || p.front() != '/') return lit;
  size_t last = p.rfind('/');
  if (last != 0 && last + 1 < p.size()) {  // "/body/options": every letter an option, else the whole text
    OnigmoLiteral opts{p.substr(1, last - 1)};
    for (char c : p.substr(last + 1)) {
      if (c == 'i') opts.ignore_case = true;
      else if (c == 'm') opts.dot_all = true;
      else if (c == 'x') opts.extended = true;
      else if (c != 'o') return lit;  // Fluent Bit ignores o (once), and takes nothing else
    }
    if (opts.ignore_case || opts.dot_all || opts.extended) return opts;
    return lit;  // only o: no option set, and no slash at the end to strip
  }
  if (p.back() == '/') lit.body = p.substr(1, p.size() - 2);
  return lit;
}

OnigmoTranslation translate_onigmo(std::string_view pattern, size_t max_length) {
  return Translator(pattern, max_length).run();
}

}  // namespace sluice
