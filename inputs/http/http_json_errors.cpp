// The slow, exact JSON validator behind the http input's 400 answers: it runs
// only after the parser refused a body, to say where and why. See
// find_json_error in http_body_decoder.hpp.
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <string>

#include "agent/parse/json_format.hpp"
#include "inputs/http/http_body_decoder.hpp"

namespace sluice {

namespace {

bool is_digit(char c) { return c >= '0' && c <= '9'; }
bool is_hex(char c) { return is_digit(c) || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F'); }

// Length of the UTF-8 sequence at s[i] (RFC 3629: no overlongs, no
// surrogates, nothing above U+10FFFF), or 0 if it is not one.
size_t utf8_length(std::string_view s, size_t i) {
  auto byte = [&](size_t k) { return i + k < s.size() ? static_cast<unsigned char>(s[i + k]) : 0u; };
  auto cont = [&](size_t k) { return (byte(k) & 0xC0) == 0x80; };
  unsigned c = byte(0);
  if (c < 0xC2) return 0;
  if (c < 0xE0) return cont(1) ? 2 : 0;
  if (c < 0xF0) {
    unsigned lo = c == 0xE0 ? 0xA0 : 0x80, hi = c == 0xED ? 0x9F : 0xBF;
    return byte(1) >= lo && byte(1) <= hi && cont(2) ? 3 : 0;
  }
  if (c < 0xF5) {
    unsigned lo = c == 0xF0 ? 0x90 : 0x80, hi = c == 0xF4 ? 0x8F : 0xBF;
    return byte(1) >= lo && byte(1) <= hi && cont(2) && cont(3) ? 4 : 0;
  }
  return 0;
}

// Recursive descent over one value; depth is bounded by kMaxJsonDepth.
class Validator {
 public:
  explicit Validator(std::string_view s) : s_(s) {}

  std::optional<JsonErrorAt> run(size_t start) {
    pos_ = start;
    if (value(1)) return std::nullopt;
    return error_;
  }

 private:
  bool fail(size_t at, std::string what) {
    error_ = JsonErrorAt{at, std::move(what)};
    return false;
  }
  bool at_end() const { return pos_ >= s_.size(); }
  void skip_ws() {
    while (!at_end() && (s_[pos_] == ' ' || s_[pos_] == '\n' || s_[pos_] == '\r' || s_[pos_] == '\t')) ++pos_;
  }
  // The character at pos_ for a message: 'x', or byte 0x1f, or end of body.
  std::string found() const {
    if (at_end()) return "the end of the body";
    auto c = static_cast<unsigned char>(s_[pos_]);
    if (c >= 0x20 && c < 0x7f) return std::string("'") + static_cast<char>(c) + "'";
    char buf[16];
    std::snprintf(buf, sizeof buf, "byte 0x%02x", c);
    return buf;
  }

  bool value(int depth) {
    skip_ws();
    if (at_end()) return fail(pos_, "expected a value, found the end of the body");
    char c = s_[pos_];
    if (c == '{') return object(depth);
    if (c == '[') return array(depth);
    if (c == '"') return string();
    if (c == 't') return literal("true");
    if (c == 'f') return literal("false");
    if (c == 'n') return literal("null");
    if (c == '-' || is_digit(c)) return number();
    return fail(pos_, "expected a value, found " + found());
  }

  bool object(int depth) {
    if (depth > kMaxJsonDepth) return fail(pos_, "nested deeper than " + std::to_string(kMaxJsonDepth) + " levels");
    ++pos_;
    skip_ws();
    if (!at_end() && s_[pos_] == '}') return ++pos_, true;
    for (;;) {
      skip_ws();
      if (at_end() || s_[pos_] != '"') return fail(pos_, "expected a string key, found " + found());
      if (!string()) return false;
      skip_ws();
      if (at_end() || s_[pos_] != ':') return fail(pos_, "expected ':' after an object key, found " + found());
      ++pos_;
      if (!value(depth + 1)) return false;
      skip_ws();
      if (!at_end() && s_[pos_] == ',') {
        ++pos_;
        continue;
      }
      if (!at_end() && s_[pos_] == '}') return ++pos_, true;
      return fail(pos_, "expected ',' or '}' after an object member, found " + found());
    }
  }

  bool array(int depth) {
    if (depth > kMaxJsonDepth) return fail(pos_, "nested deeper than " + std::to_string(kMaxJsonDepth) + " levels");
    ++pos_;
    skip_ws();
    if (!at_end() && s_[pos_] == ']') return ++pos_, true;
    for (;;) {
      if (!value(depth + 1)) return false;
      skip_ws();
      if (!at_end() && s_[pos_] == ',') {
        ++pos_;
        continue;
      }
      if (!at_end() && s_[pos_] == ']') return ++pos_, true;
      return fail(pos_, "expected ',' or ']' after an array item, found " + found());
    }
  }

  bool string() {
    const size_t open = pos_++;
    for (;;) {
      if (at_end()) return fail(pos_, "the string that starts at byte " + std::to_string(open) + " is not closed");
      auto c = static_cast<unsigned char>(s_[pos_]);
      if (c == '"') return ++pos_, true;
      if (c == '\\') {
        if (!escape()) return false;
      } else if (c < 0x20) {
        return fail(pos_, "unescaped control character (" + found() + ") in a string");
      } else if (c < 0x80) {
        ++pos_;
      } else {
        size_t n = utf8_length(s_, pos_);
        if (n == 0) return fail(pos_, "invalid UTF-8 (" + found() + ") in a string");
        pos_ += n;
      }
    }
  }

  // At a backslash inside a string.
  bool escape() {
    const size_t at = pos_++;
    if (at_end()) return fail(pos_, "the string ends inside an escape sequence");
    char c = s_[pos_];
    if (c != 'u') {
      if (std::string_view("\"\\/bfnrt").find(c) == std::string_view::npos)
        return fail(at, "invalid escape sequence '\\" + std::string(1, c) + "' in a string");
      return ++pos_, true;
    }
    unsigned unit = 0;
    if (!hex4(at, unit)) return false;
    if (unit >= 0xDC00 && unit <= 0xDFFF) return fail(at, "a \\u escape is a lone UTF-16 low surrogate");
    if (unit >= 0xD800 && unit <= 0xDBFF) {
      unsigned low = 0;
      bool paired = s_.substr(pos_, 2) == "\\u";
      if (paired) {
        ++pos_;
        paired = hex4(at, low) && low >= 0xDC00 && low <= 0xDFFF;
      }
      if (!paired) return fail(at, "a \\u escape is a UTF-16 high surrogate without its low surrogate");
    }
    return true;
  }

  // At the 'u' of an escape that started at `at`: reads its four hex digits.
  bool hex4(size_t at, unsigned& unit) {
    ++pos_;
    for (int i = 0; i < 4; ++i, ++pos_) {
      if (at_end() || !is_hex(s_[pos_])) return fail(at, "a \\u escape needs four hex digits");
      char c = s_[pos_];
      unit = unit * 16 + static_cast<unsigned>(is_digit(c) ? c - '0' : (c | 0x20) - 'a' + 10);
    }
    return true;
  }

  bool number() {
    const size_t start = pos_;
    if (s_[pos_] == '-') ++pos_;
    if (at_end() || !is_digit(s_[pos_])) return fail(pos_, "expected a digit in a number, found " + found());
    if (s_[pos_] == '0') {
      ++pos_;
      if (!at_end() && is_digit(s_[pos_])) return fail(pos_, "a number may not have a leading zero");
    }
    digits();
    if (!at_end() && s_[pos_] == '.') {
      ++pos_;
      if (at_end() || !is_digit(s_[pos_])) return fail(pos_, "expected a digit after '.', found " + found());
      digits();
    }
    if (!at_end() && (s_[pos_] == 'e' || s_[pos_] == 'E')) {
      ++pos_;
      if (!at_end() && (s_[pos_] == '+' || s_[pos_] == '-')) ++pos_;
      if (at_end() || !is_digit(s_[pos_])) return fail(pos_, "expected a digit in the exponent, found " + found());
      digits();
    }
    std::string text(s_.substr(start, pos_ - start));
    double d = std::strtod(text.c_str(), nullptr);
    if (std::isinf(d)) return fail(start, "number out of range: " + text);
    return true;
  }

  void digits() {
    while (!at_end() && is_digit(s_[pos_])) ++pos_;
  }

  bool literal(std::string_view word) {
    if (s_.substr(pos_, word.size()) != word) return fail(pos_, "expected a value, found " + found());
    pos_ += word.size();
    return true;
  }

  std::string_view s_;
  size_t pos_ = 0;
  JsonErrorAt error_{0, ""};
};

}  // namespace

std::optional<JsonErrorAt> find_json_error(std::string_view text, size_t start) {
  return Validator(text).run(start);
}

}  // namespace sluice
