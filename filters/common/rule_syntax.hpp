// Config-time helpers the grep and modify filters share: Fluent Bit's rule
// text ("KEY VALUE" with quotes), and compiling patterns with a config
// error that names the rule. (Keys: config::accessor_at.)
#pragma once
#include <charconv>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "agent/config/component_config.hpp"
#include "agent/record_accessor.hpp"
#include "agent/regex.hpp"

namespace sluice::rule_syntax {

inline Regex compile_regex(const config::ComponentConfig& cfg, std::string_view key, std::string_view pattern) {
  std::string error;
  auto re = Regex::compile(pattern, &error);  // /pattern/imx literals too
  if (!re) cfg.fail(key, "regular expression '" + std::string(pattern) + "' does not compile: " + error);
  return std::move(*re);
}

// Reads a quoted token starting at text[i] (a " or '), with backslash escapes
// of the quote and of backslash; advances i past the closing quote. False if it never closes.
inline bool read_quoted(std::string_view text, size_t& i, std::string& token) {
  char quote = text[i++];
  while (i < text.size() && text[i] != quote) {
    if (text[i] == '\\' && i + 1 < text.size() && (text[i + 1] == quote || text[i + 1] == '\\')) ++i;
    token.push_back(text[i++]);
  }
  if (i >= text.size()) return false;
  ++i;
  return true;
}

// Splits rule text on blanks into at most max_parts tokens; a token may be
// quoted with " or ', and a `$key['a b']` record accessor keeps its
// bracketed blanks. The last allowed token is the rest of the text; with
// unquote_rest its trailing blanks are trimmed and, if the whole rest is one
// quoted string, it is unquoted. Returns nullopt for an unterminated quote.
inline std::optional<std::vector<std::string>> split(std::string_view text, size_t max_parts,
                                                     bool unquote_rest = true) {
  std::vector<std::string> out;
  auto is_blank = [](char c) { return c == ' ' || c == '\t'; };
  // A regex (unquote_rest false) keeps its trailing blanks, as in Fluent Bit.
  if (unquote_rest)
    while (!text.empty() && is_blank(text.back())) text.remove_suffix(1);
  size_t i = 0;
  while (i < text.size() && is_blank(text[i])) ++i;
  while (i < text.size()) {
    std::string token;
    char c = text[i];
    if (out.size() + 1 == max_parts) {
      size_t j = i;
      if (unquote_rest && (c == '"' || c == '\'') && read_quoted(text, j, token) && j == text.size()) {
        out.push_back(std::move(token));
      } else {
        out.emplace_back(text.substr(i));
      }
      return out;
    }
    if (c == '"' || c == '\'') {
      if (!read_quoted(text, i, token)) return std::nullopt;
    } else {
      char in_quote = 0;  // inside a quoted subkey of a $key['...'] accessor
      bool accessor = c == '$';
      while (i < text.size() && (in_quote != 0 || !is_blank(text[i]))) {
        if (accessor && (text[i] == '\'' || text[i] == '"')) {
          if (in_quote == 0) in_quote = text[i];
          else if (in_quote == text[i]) in_quote = 0;
        }
        token.push_back(text[i++]);
      }
    }
    out.push_back(std::move(token));
    while (i < text.size() && is_blank(text[i])) ++i;
  }
  return out;
}

// A key name as record_modifier's remove_key / allowlist_key and nest's
// wildcard take it (Fluent Bit's rule): the whole name, or with a trailing
// '*' every key it starts.
struct KeyPattern {
  std::string text;  // without the '*'
  bool prefix = false;

  static KeyPattern parse(std::string_view name) {
    const bool star = !name.empty() && name.back() == '*';
    return {std::string(star ? name.substr(0, name.size() - 1) : name), star};
  }
  bool matches(std::string_view key, bool any_case = false) const {
    if (prefix ? key.size() < text.size() : key.size() != text.size()) return false;
    if (!any_case) return key.substr(0, text.size()) == text;
    auto lower = [](char c) { return c >= 'A' && c <= 'Z' ? static_cast<char>(c - 'A' + 'a') : c; };
    for (size_t i = 0; i < text.size(); ++i)
      if (lower(key[i]) != lower(text[i])) return false;
    return true;
  }
};

// The text a rule matches a value by: strings as they are, numbers and
// booleans as their JSON text (so `status ^5` sees 503). False for a
// missing key, null, array or map: those never match.
inline bool value_text(const Value* v, char (&buf)[32], std::string_view& out) {
  if (v == nullptr) return false;
  switch (v->kind()) {
    case Kind::String: out = v->as_string(); return true;
    case Kind::Bool: out = v->as_bool() ? "true" : "false"; return true;
    case Kind::Int: {
      auto r = std::to_chars(buf, buf + sizeof buf, v->as_int());
      out = std::string_view(buf, static_cast<size_t>(r.ptr - buf));
      return true;
    }
    case Kind::Double: {
      auto r = std::to_chars(buf, buf + sizeof buf, v->as_double());
      out = std::string_view(buf, static_cast<size_t>(r.ptr - buf));
      return true;
    }
    default: return false;
  }
}

}  // namespace sluice::rule_syntax
