// Request bodies → records, and Content-Type / Content-Encoding sorting; see http_body_decoder.hpp.
#include "inputs/http/http_body_decoder.hpp"

#include <algorithm>
#include <cstring>

#include "agent/parse/json_format.hpp"
#include "agent/parse/key_dedup.hpp"
#include "agent/zlib_codec.hpp"
#include "agent/zstd_codec.hpp"

namespace sluice {

namespace {

constexpr size_t npos = std::string_view::npos;

bool is_ws(char c) { return c == ' ' || c == '\n' || c == '\r' || c == '\t'; }

size_t skip_ws(std::string_view s, size_t pos) {
  while (pos < s.size() && is_ws(s[pos])) ++pos;
  return pos;
}

char lower(char c) { return (c >= 'A' && c <= 'Z') ? static_cast<char>(c + 32) : c; }

BodyError invalid(std::string message) { return {BodyError::Kind::Invalid, std::move(message)}; }

// "invalid JSON at byte 17: <what> (line 2, column 5)"; line and column count from 1.
BodyError invalid_json(std::string_view body, size_t offset, const std::string& what) {
  offset = std::min(offset, body.size());
  std::string_view before = body.substr(0, offset);
  size_t line = 1 + static_cast<size_t>(std::count(before.begin(), before.end(), '\n'));
  size_t last_nl = before.rfind('\n');
  size_t column = offset - (last_nl == npos ? 0 : last_nl + 1) + 1;
  return invalid("invalid JSON at byte " + std::to_string(offset) + ": " + what + " (line " + std::to_string(line) +
                 ", column " + std::to_string(column) + ")");
}

// The exact reason why the value at start was refused, from the slow
// validator; the parser's own refusal when the validator finds nothing.
BodyError json_error(std::string_view body, size_t start) {
  if (auto e = find_json_error(body, start)) return invalid_json(body, e->offset, e->what);
  return invalid_json(body, start, "this value was refused by the JSON parser");
}

// Index just past the object or array starting at pos, found by matching
// brackets outside strings; npos if it is unterminated, mismatched, or nested
// deeper than kMaxJsonDepth. Validity is checked by the parser afterwards.
size_t value_end(std::string_view s, size_t pos) {
  const char* begin = s.data();
  const char* end = begin + s.size();
  uint64_t objects = 0;  // one bit per open level: 1 = object, 0 = array
  int depth = 0;
  for (const char* p = begin + pos; p < end; ++p) {
    switch (*p) {
      case '"': {
        // The closing quote is the first one preceded by an even number of backslashes.
        const char* q = p + 1;
        for (;;) {
          q = static_cast<const char*>(std::memchr(q, '"', static_cast<size_t>(end - q)));
          if (q == nullptr) return npos;
          const char* b = q;
          while (b > p + 1 && b[-1] == '\\') --b;
          if (((q - b) & 1) == 0) break;
          ++q;
        }
        p = q;
        break;
      }
      case '{':
      case '[':
        if (depth == kMaxJsonDepth) return npos;
        objects = (objects << 1) | (*p == '{' ? 1 : 0);
        ++depth;
        break;
      case '}':
      case ']':
        if (depth == 0 || (objects & 1) != (*p == '}' ? 1u : 0u)) return npos;
        objects >>= 1;
        if (--depth == 0) return static_cast<size_t>(p - begin) + 1;
        break;
      default:
        break;
    }
  }
  return npos;
}

int hex_value(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  c = lower(c);
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  return -1;
}

// Form decoding in place, as Python's urllib.parse.unquote_plus: '+' is a
// space, %XX a byte, and a '%' without two hex digits stays as it is.
std::string_view unescape_form(char* s, size_t n) {
  size_t w = 0;
  for (size_t r = 0; r < n; ++r) {
    char c = s[r];
    if (c == '+') {
      c = ' ';
    } else if (c == '%' && r + 2 < n) {
      int hi = hex_value(s[r + 1]), lo = hex_value(s[r + 2]);
      if (hi >= 0 && lo >= 0) {
        c = static_cast<char>(hi * 16 + lo);
        r += 2;
      }
    }
    s[w++] = c;
  }
  return {s, w};
}

// zlib header: CMF/FLG with method 8 and a check value divisible by 31 (RFC 1950).
bool looks_zlib(std::string_view in) {
  if (in.size() < 2) return false;
  auto cmf = static_cast<unsigned char>(in[0]), flg = static_cast<unsigned char>(in[1]);
  return (cmf & 0x0f) == 8 && (cmf * 256 + flg) % 31 == 0;
}

}  // namespace

std::string media_type(std::string_view header) {
  header = header.substr(0, header.find(';'));
  size_t b = 0, e = header.size();
  while (b < e && (header[b] == ' ' || header[b] == '\t')) ++b;
  while (e > b && (header[e - 1] == ' ' || header[e - 1] == '\t')) --e;
  std::string out(header.substr(b, e - b));
  std::transform(out.begin(), out.end(), out.begin(), lower);
  return out;
}


std::optional<BodyFormat> body_format(std::string_view content_type) {
  std::string t = media_type(content_type);
  if (t.empty()) return BodyFormat::Json;
  if (t == "application/x-www-form-urlencoded") return BodyFormat::Form;
  static constexpr std::string_view kJson[] = {"application/json",     "application/x-ndjson",
                                               "application/ndjson",   "application/jsonl",
                                               "application/x-jsonl",  "application/x-json-stream",
                                               "application/jsonlines", "text/json"};
  for (auto j : kJson)
    if (t == j) return BodyFormat::Json;
  if (t.starts_with("application/") && t.ends_with("+json")) return BodyFormat::Json;
  return std::nullopt;
}

std::optional<BodyEncoding> body_encoding(std::string_view content_encoding) {
  std::string e = media_type(content_encoding);
  if (e.empty() || e == "identity") return BodyEncoding::Identity;
  if (e == "gzip" || e == "x-gzip") return BodyEncoding::Gzip;
  if (e == "deflate") return BodyEncoding::Deflate;
  if (e == "zstd") return BodyEncoding::Zstd;
  return std::nullopt;
}

BodyDecoder::BodyDecoder() : json_(make_json_format()) {}
BodyDecoder::~BodyDecoder() = default;

std::optional<BodyError> BodyDecoder::inflate(BodyEncoding encoding, std::string_view in, size_t max_size,
                                              std::string& out) {
  // Auto: a gzip or zlib header, detected. Some clients send raw deflate as
  // "deflate" (RFC 9110 says zlib): Raw reads that.
  auto wrapper = (encoding == BodyEncoding::Deflate && !looks_zlib(in)) ? zlib::Wrapper::Raw : zlib::Wrapper::Auto;
  auto error = encoding == BodyEncoding::Zstd ? zstd::decompress(in, max_size, out)
                                              : zlib::inflate(in, wrapper, max_size, out);
  if (!error) return std::nullopt;
  if (error->too_large) {
    return BodyError{BodyError::Kind::TooLarge,
                     "body is larger than max_body_size (" + std::to_string(max_size) + " bytes) once decompressed"};
  }
  const char* name = encoding == BodyEncoding::Deflate ? "deflate" : encoding == BodyEncoding::Zstd ? "zstd" : "gzip";
  return invalid("invalid " + std::string(name) + " data at byte " + std::to_string(error->at) + ": " + error->why);
}

std::optional<BodyError> BodyDecoder::decode(BodyFormat format, std::string_view body, int64_t time_ns,
                                             Chunk& chunk) {
  if (format == BodyFormat::Form) {
    size_t first = skip_ws(body, 0);
    if (first == body.size() || (body[first] != '{' && body[first] != '[')) return decode_form(body, time_ns, chunk);
  }
  return decode_json(body, time_ns, chunk);
}

std::optional<BodyError> BodyDecoder::decode_json(std::string_view body, int64_t time_ns, Chunk& chunk) {
  size_t pos = body.starts_with("\xEF\xBB\xBF") ? 3 : 0;  // a UTF-8 byte order mark
  pos = skip_ws(body, pos);
  if (pos == body.size())
    return invalid("empty body: expected a JSON object, an array of objects, or NDJSON (one object per line)");
  chunk.events.reserve(chunk.events.size() + body.size() / 256 + 1);
  while (pos < body.size()) {
    std::optional<BodyError> error;
    if (body[pos] == '{') {
      error = decode_object(body, pos, time_ns, chunk);
    } else if (body[pos] == '[') {
      error = decode_array(body, pos, time_ns, chunk);
    } else {
      return invalid_json(body, pos,
                          "expected a JSON object or an array of objects (several objects go one per line)");
    }
    if (error) return error;
    pos = skip_ws(body, pos);
  }
  return std::nullopt;
}

std::optional<BodyError> BodyDecoder::decode_object(std::string_view body, size_t& pos, int64_t time_ns,
                                                    Chunk& chunk) {
  Value record;
  // NDJSON's fast path: a line that parses as one object is one (the parser
  // refuses trailing text); anything else is delimited by matching brackets.
  if (size_t nl = body.find('\n', pos); nl != npos) {
    size_t end = nl;
    while (end > pos && is_ws(body[end - 1])) --end;
    if (body[end - 1] == '}' && json_->parse(body.substr(pos, end - pos), chunk.arena, record)) {
      chunk.events.push_back({time_ns, record});
      pos = nl + 1;
      return std::nullopt;
    }
  }
  size_t end = value_end(body, pos);
  if (end == npos || !json_->parse(body.substr(pos, end - pos), chunk.arena, record)) return json_error(body, pos);
  chunk.events.push_back({time_ns, record});
  pos = end;
  return std::nullopt;
}

std::optional<BodyError> BodyDecoder::decode_array(std::string_view body, size_t& pos, int64_t time_ns,
                                                   Chunk& chunk) {
  const size_t start = pos;
  pos = skip_ws(body, pos + 1);
  if (pos < body.size() && body[pos] == ']') {
    ++pos;
    return std::nullopt;
  }
  for (size_t item = 0;; ++item) {
    if (pos >= body.size()) return json_error(body, start);
    if (body[pos] != '{') {
      // Invalid JSON up to here is the better answer; else a valid non-object.
      if (auto e = find_json_error(body, start); e && e->offset <= pos) return invalid_json(body, e->offset, e->what);
      return invalid_json(body, pos, "array item " + std::to_string(item) + " is not an object");
    }
    if (auto error = decode_object(body, pos, time_ns, chunk)) return error;
    pos = skip_ws(body, pos);
    if (pos < body.size() && body[pos] == ',') {
      pos = skip_ws(body, pos + 1);
      continue;
    }
    if (pos < body.size() && body[pos] == ']') {
      ++pos;
      return std::nullopt;
    }
    return json_error(body, start);
  }
}

std::optional<BodyError> BodyDecoder::decode_form(std::string_view body, int64_t time_ns, Chunk& chunk) {
  size_t b = skip_ws(body, 0), e = body.size();
  while (e > b && is_ws(body[e - 1])) --e;
  if (b == e) return invalid("empty body: expected form fields (key=value&key=value)");
  // Decoded text is never longer: one copy into the arena, decoded in place.
  const size_t n = e - b;
  char* text = static_cast<char*>(chunk.arena.allocate(n, 1));
  std::memcpy(text, body.data() + b, n);
  members_.clear();
  for (size_t i = 0; i <= n;) {
    const char* amp = static_cast<const char*>(std::memchr(text + i, '&', n - i));
    size_t field_end = amp != nullptr ? static_cast<size_t>(amp - text) : n;
    if (field_end > i) {
      const char* eq = static_cast<const char*>(std::memchr(text + i, '=', field_end - i));
      size_t key_end = eq != nullptr ? static_cast<size_t>(eq - text) : field_end;
      if (key_end == i) {
        return invalid("invalid form body at byte " + std::to_string(b + i) + ": a field has no name (expected key=value)");
      }
      std::string_view key = unescape_form(text + i, key_end - i);
      std::string_view value = eq != nullptr ? unescape_form(text + key_end + 1, field_end - key_end - 1) : std::string_view();
      members_.push_back({key, Value::string(value)});
    }
    i = field_end + 1;
  }
  if (members_.empty()) return invalid("empty body: expected form fields (key=value&key=value)");
  KeyDedup dedup;
  dedup.run(members_, 0);
  Member* members = chunk.arena.allocate_array<Member>(members_.size());
  std::copy(members_.begin(), members_.end(), members);
  chunk.events.push_back({time_ns, Value::map(members, static_cast<uint32_t>(members_.size()))});
  return std::nullopt;
}

}  // namespace sluice
