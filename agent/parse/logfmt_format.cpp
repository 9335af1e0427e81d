// The `logfmt` parse format; see logfmt_format.hpp. The grammar is Fluent
// Bit's (flb_parser_logfmt.c, after brandur.org/logfmt):
//   ident_byte = any byte > ' ' except '=' and '"'
//   pair = key '=' value | key '=' | key;  value = ident | '"' { byte | '\' byte } '"'
//   message = { garbage pair } garbage
#include "agent/parse/logfmt_format.hpp"

#include <vector>

#include "agent/parse/key_dedup.hpp"
#include "agent/record.hpp"
#include "agent/utf8.hpp"

namespace sluice {

namespace {

bool ident_byte(char c) {
  auto u = static_cast<unsigned char>(c);
  return u > ' ' && c != '=' && c != '"';
}

int hex_digit(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

// Four hex digits at s[i..i+4), or -1.
int32_t hex4(std::string_view s, size_t i) {
  if (i + 4 > s.size()) return -1;
  int32_t v = 0;
  for (size_t k = i; k < i + 4; ++k) {
    int d = hex_digit(s[k]);
    if (d < 0) return -1;
    v = v * 16 + d;
  }
  return v;
}

// Unescapes a quoted value's body into the arena. The output is never longer
// than the input (\uXXXX, 6 bytes, becomes at most 3; a surrogate pair, 12
// bytes, 4), so one allocation of the input's size suffices.
std::string_view unescape(std::string_view s, Arena& arena) {
  char* out = static_cast<char*>(arena.allocate(s.size(), 1));
  size_t n = 0;
  for (size_t i = 0; i < s.size(); ++i) {
    char c = s[i];
    if (c != '\\' || i + 1 >= s.size()) {
      out[n++] = c;
      continue;
    }
    char e = s[++i];
    switch (e) {
      case 'n': out[n++] = '\n'; break;
      case 't': out[n++] = '\t'; break;
      case 'r': out[n++] = '\r'; break;
      case 'b': out[n++] = '\b'; break;
      case 'f': out[n++] = '\f'; break;
      case '"': case '\\': case '/': out[n++] = e; break;
      case 'u': {
        int32_t cp = hex4(s, i + 1);
        if (cp < 0) {
          out[n++] = '\\';
          out[n++] = 'u';
          break;
        }
        i += 4;
        if (cp >= 0xD800 && cp <= 0xDBFF && i + 2 < s.size() && s[i + 1] == '\\' && s[i + 2] == 'u') {
          int32_t lo = hex4(s, i + 3);
          if (lo >= 0xDC00 && lo <= 0xDFFF) {
            cp = 0x10000 + ((cp - 0xD800) << 10) + (lo - 0xDC00);
            i += 6;
          }
        }
        if (cp >= 0xD800 && cp <= 0xDFFF) cp = 0xFFFD;  // a lone surrogate is not a character
        n += put_utf8(out + n, static_cast<uint32_t>(cp));
        break;
      }
      default:  // unknown escape: kept as written
        out[n++] = '\\';
        out[n++] = e;
    }
  }
  return {out, n};
}

// Not thread-safe (shared scratch vector); its owner runs on the main thread.
class LogfmtFormat final : public ParseFormat {
 public:
  explicit LogfmtFormat(bool no_bare_keys) : no_bare_keys_(no_bare_keys) {}
  bool parse(std::string_view text, Arena& arena, Value& out) override {
    scratch_.clear();
    MapBuilder map(arena, scratch_);  // add() only: duplicates go in finish()
    size_t i = 0;
    const size_t end = text.size();
    while (i < end) {
      while (i < end && !ident_byte(text[i])) {
        if (text[i] == '\n') return finish(map, out);  // one record per line
        ++i;
      }
      if (i == end) break;
      size_t key_start = i;
      while (i < end && ident_byte(text[i])) ++i;
      if (!Key::fits(text.substr(key_start, i - key_start))) return false;  // the line stays whole, unparsed
      std::string_view key = arena.copy(text.substr(key_start, i - key_start));
      if (i >= end || text[i] != '=') {
        if (no_bare_keys_) return false;
        map.add(key, Value::boolean(true));  // a bare key, as Fluent Bit does
        continue;
      }
      ++i;
      if (i < end && text[i] == '"') {
        i = quoted(text, i + 1, arena, key, map);
      } else {
        size_t value_start = i;
        while (i < end && ident_byte(text[i])) ++i;
        map.add(key, Value::string(arena.copy(text.substr(value_start, i - value_start))));
      }
    }
    return finish(map, out);
  }

 private:
  // Reads a quoted value starting after its opening quote; an unterminated
  // one runs to the end of the text. Returns the index after the value.
  static size_t quoted(std::string_view text, size_t i, Arena& arena, std::string_view key, MapBuilder& map) {
    const size_t start = i;
    bool escaped = false;
    while (i < text.size() && text[i] != '"') {
      if (text[i] == '\\') {
        escaped = true;
        if (++i == text.size()) break;
      }
      ++i;
    }
    std::string_view body = text.substr(start, i - start);
    map.add(key, Value::string(escaped ? unescape(body, arena) : arena.copy(body)));
    return i < text.size() ? i + 1 : i;
  }

  bool finish(MapBuilder& map, Value& out) {
    if (map.size() == 0) return false;  // no key at all: not logfmt
    dedup_.run(scratch_, 0);            // the last value of a repeated key wins
    out = map.finish();
    return true;
  }

  bool no_bare_keys_;
  std::vector<Member> scratch_;
  KeyDedup dedup_;
};

}  // namespace

std::unique_ptr<ParseFormat> make_logfmt_format(bool no_bare_keys) {
  return std::make_unique<LogfmtFormat>(no_bare_keys);
}

}  // namespace sluice
