// Parser decoders; see field_decoders.hpp. The rule semantics follow Fluent
// Bit's flb_parser_decoder.c: per field, at most one decode_field_as and one
// decode_field result are used; a decode_field_as result is what later rules
// of that field decode, unless it is already an object.
#include "agent/parse/field_decoders.hpp"

#include <cctype>
#include <optional>

#include "agent/ascii_case.hpp"
#include "agent/parse/json_format.hpp"
#include "agent/record.hpp"
#include "agent/utf8.hpp"

namespace sluice {

namespace {

int hex_value(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

// Up to max hex digits at in[i..]; advances i past them. -1 when there are none.
int64_t hex_digits(std::string_view in, size_t& i, size_t max) {
  int64_t v = -1;
  for (size_t n = 0; n < max && i < in.size() && hex_value(in[i]) >= 0; ++n, ++i) v = (v < 0 ? 0 : v * 16) + hex_value(in[i]);
  return v;
}

// The code point of the numeric escape at in[i] (the byte after the
// backslash: an octal digit, x, u or U); advances i past it. Without digits,
// x, u and U stand for themselves.
uint32_t numeric_escape(std::string_view in, size_t& i) {
  const char c = in[i];
  if (c >= '0' && c <= '7') {
    uint32_t v = 0;
    for (size_t n = 0; n < 3 && i < in.size() && in[i] >= '0' && in[i] <= '7'; ++n, ++i) v = v * 8 + (in[i] - '0');
    return v;
  }
  ++i;
  if (c == 'x' || c == 'U') {
    int64_t v = hex_digits(in, i, c == 'x' ? 2 : 8);
    return v < 0 ? static_cast<uint32_t>(c) : static_cast<uint32_t>(v);
  }
  size_t start = i;
  int64_t v = hex_digits(in, i, 4);
  if (v < 0) return 'u';
  if (i - start != 4 || (v >= 0xDC00 && v <= 0xDFFF)) return 0xFFFD;  // short, or a lone low surrogate
  if (v < 0xD800 || v > 0xDBFF) return static_cast<uint32_t>(v);
  // A high surrogate needs \uDC00-\uDFFF right after it.
  if (i + 1 >= in.size() || in[i] != '\\' || in[i + 1] != 'u') return 0xFFFD;
  size_t low_at = i + 2;
  int64_t low = hex_digits(in, low_at, 4);
  if (low_at - (i + 2) != 4 || low < 0xDC00 || low > 0xDFFF) return 0xFFFD;
  i = low_at;
  return 0x10000 + ((static_cast<uint32_t>(v) - 0xD800) << 10) + (static_cast<uint32_t>(low) - 0xDC00);
}

// The byte a C escape letter stands for (\n, \t, ...); any other byte,
// \\ \" \' and \/ among them, stands for itself.
char c_escape(char e) {
  switch (e) {
    case 'n': return '\n';
    case 't': return '\t';
    case 'r': return '\r';
    case 'a': return '\a';
    case 'b': return '\b';
    case 'f': return '\f';
    case 'v': return '\v';
    default: return e;
  }
}

}  // namespace

namespace decode {

std::string_view escaped(std::string_view in, Arena& arena) {
  char* out = static_cast<char*>(arena.allocate(in.size() + 1, 1));
  size_t n = 0;
  for (size_t i = 0; i < in.size(); ++i) {
    if (in[i] != '\\' || i + 1 == in.size()) {
      out[n++] = in[i];
      continue;
    }
    out[n++] = c_escape(in[++i]);
  }
  return {out, n};
}

std::string_view escaped_utf8(std::string_view in, Arena& arena) {
  // Every escape takes at least as many bytes as its UTF-8 (\377 is 4 bytes
  // for 2, \U0010FFFF 10 for 4), so the input's size suffices.
  char* out = static_cast<char*>(arena.allocate(in.size() + 1, 1));
  size_t n = 0;
  size_t i = 0;
  while (i < in.size()) {
    if (in[i] != '\\' || i + 1 == in.size()) {
      out[n++] = in[i++];
      continue;
    }
    const char e = in[++i];
    if ((e >= '0' && e <= '7') || e == 'x' || e == 'u' || e == 'U') {
      n += put_utf8(out + n, numeric_escape(in, i));
      continue;
    }
    out[n++] = c_escape(e);
    ++i;
  }
  return {out, n};
}

std::string_view mysql_quoted(std::string_view in, Arena& arena) {
  if (in.size() < 2 || (in.front() != '\'' && in.front() != '"') || in.back() != in.front()) return in;
  std::string_view body = in.substr(1, in.size() - 2);
  char* out = static_cast<char*>(arena.allocate(body.size() + 1, 1));
  size_t n = 0;
  for (size_t i = 0; i < body.size(); ++i) {
    if (body[i] != '\\' || i + 1 == body.size()) {
      out[n++] = body[i];
      continue;
    }
    char e = body[++i];
    switch (e) {
      case 'n': out[n++] = '\n'; break;
      case 'r': out[n++] = '\r'; break;
      case 't': out[n++] = '\t'; break;
      case '0': out[n++] = '\0'; break;
      case 'Z': out[n++] = '\x1a'; break;
      case '\\': case '\'': case '"': out[n++] = e; break;
      default:  // not an escape MySQL writes: kept as it is
        out[n++] = '\\';
        out[n++] = e;
    }
  }
  return {out, n};
}

}  // namespace decode

FieldDecoders::FieldDecoders() = default;
FieldDecoders::~FieldDecoders() = default;
FieldDecoders::FieldDecoders(FieldDecoders&&) noexcept = default;
FieldDecoders& FieldDecoders::operator=(FieldDecoders&&) noexcept = default;

std::string FieldDecoders::add(Kind kind, std::string_view text) {
  std::vector<std::string_view> words;
  size_t i = 0;
  while (i < text.size()) {
    while (i < text.size() && std::isspace(static_cast<unsigned char>(text[i]))) ++i;
    size_t start = i;
    while (i < text.size() && !std::isspace(static_cast<unsigned char>(text[i]))) ++i;
    if (start < i) words.push_back(text.substr(start, i - start));
  }
  if (words.size() < 2 || words.size() > 3)
    return "'" + std::string(text) + "' is not DECODER FIELD [ACTION] (e.g. 'json log' or 'escaped log do_next')";
  Rule rule{kind, Backend::Json, Action::None};
  std::string backend = ascii_lower(words[0]);
  if (backend == "json") rule.backend = Backend::Json;
  else if (backend == "escaped") rule.backend = Backend::Escaped;
  else if (backend == "escaped_utf8") rule.backend = Backend::EscapedUtf8;
  else if (backend == "mysql_quoted") rule.backend = Backend::MysqlQuoted;
  else return "unknown decoder '" + std::string(words[0]) + "' (expected json, escaped, escaped_utf8 or mysql_quoted)";
  if (words.size() == 3) {
    std::string action = ascii_lower(words[2]);
    if (action == "try_next") rule.action = Action::TryNext;
    else if (action == "do_next") rule.action = Action::DoNext;
    else return "unknown action '" + std::string(words[2]) + "' (expected try_next or do_next, or none)";
  }
  if (kind == Kind::Field && rule.backend != Backend::Json) text_field_rule_ = true;
  if (rule.backend == Backend::Json && !json_) json_ = make_json_format();
  std::string field(words[1]);
  for (auto& f : fields_) {
    if (f.field != field) continue;
    f.rules.push_back(rule);
    return {};
  }
  fields_.push_back({std::move(field), {rule}});
  return {};
}

bool FieldDecoders::decode(Backend backend, std::string_view in, Arena& arena, Value& out) {
  switch (backend) {
    case Backend::Json: {
      // Fluent Bit's rule: only a JSON object, after leading spaces.
      size_t start = in.find_first_not_of(' ');
      if (start == std::string_view::npos || in[start] != '{') return false;
      return json_->parse(in.substr(start), arena, out);
    }
    case Backend::Escaped: out = Value::string(decode::escaped(in, arena)); return true;
    case Backend::EscapedUtf8: out = Value::string(decode::escaped_utf8(in, arena)); return true;
    case Backend::MysqlQuoted: out = Value::string(decode::mysql_quoted(in, arena)); return true;
  }
  return false;
}

void FieldDecoders::apply(Value& record, Arena& arena) {
  if (!record.is_map()) return;
  for (const auto& f : fields_) {
    Value* field = record.find(f.field);
    if (field == nullptr || !field->is_string()) continue;
    Value current = *field;  // what the next rule decodes
    bool decoded_as = false;
    std::optional<Value> extra;  // decode_field's object, whose keys go into the record
    for (const Rule& rule : f.rules) {
      if (rule.kind == Kind::Field && rule.action == Action::DoNext && extra) continue;
      if (decoded_as && !current.is_string()) break;  // an object is decoded no further
      Value out;
      if (!decode(rule.backend, current.as_string(), arena, out)) {
        if (rule.action != Action::None) continue;
        break;
      }
      if (rule.kind == Kind::FieldAs) {
        current = out;
        decoded_as = true;
      } else if (out.is_map()) {
        extra = out;
      } else {
        extra = record::empty_map();  // text can't become keys: Fluent Bit discards it too
      }
      if (rule.action != Action::DoNext) break;
    }
    if (decoded_as) *field = current;  // field is still valid: nothing was added to record yet
    if (extra)
      for (const auto& m : extra->members()) record::set(record, arena, m.key, m.value);
  }
}

}  // namespace sluice
