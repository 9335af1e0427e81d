// Request bodies of the http input → records: JSON (an object, an array of
// objects, or several of either separated by whitespace, which covers NDJSON),
// x-www-form-urlencoded forms, and gzip/deflate/zstd Content-Encoding. Pure: no
// sockets, no Beast, so it is unit-tested and fuzzed on its own.
#pragma once
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "agent/chunk.hpp"

namespace sluice {

class ParseFormat;

enum class BodyFormat : uint8_t { Json, Form };
enum class BodyEncoding : uint8_t { Identity, Gzip, Deflate, Zstd };

// The media type of a Content-Type or the token of a Content-Encoding:
// before any ';' parameters, trimmed, lower-cased ("Application/JSON;
// charset=utf-8" → "application/json").
std::string media_type(std::string_view header);

// The format for a Content-Type (media type compared case-insensitively,
// parameters such as charset ignored): application/json, application/x-ndjson,
// application/ndjson, application/jsonl, application/x-json-stream, text/json,
// any application/<x>+json; application/x-www-form-urlencoded. A missing
// Content-Type reads as JSON. nullopt: unsupported (415).
std::optional<BodyFormat> body_format(std::string_view content_type);
// gzip / x-gzip, deflate (zlib-wrapped, or raw as some clients send it),
// zstd, identity or absent. nullopt: unsupported (415).
std::optional<BodyEncoding> body_encoding(std::string_view content_encoding);

struct BodyError {
  enum class Kind : uint8_t { Invalid, TooLarge } kind = Kind::Invalid;  // 400 or 413
  // One line for the client, e.g. "invalid JSON at byte 17: expected ':'
  // after an object key (line 2, column 5)". Offsets count from 0 in the
  // decompressed body.
  std::string message;
};

// Main thread only: keeps the JSON parser (simdjson, through the core's json
// parse format, so records read exactly as the `json` parser reads lines)
// and scratch buffers from one request to the next.
class BodyDecoder {
 public:
  BodyDecoder();
  ~BodyDecoder();
  BodyDecoder(const BodyDecoder&) = delete;
  BodyDecoder& operator=(const BodyDecoder&) = delete;

  // Decompresses in into out (replaced). More than max_size bytes of output
  // is a TooLarge error: a small gzip body can't expand without bound.
  static std::optional<BodyError> inflate(BodyEncoding encoding, std::string_view in, size_t max_size,
                                          std::string& out);

  // Appends one event per record to chunk (time time_ns, memory in its
  // arena). On error the chunk's new events must be discarded: a request is
  // taken whole or not at all. A form body that starts with '{' or '[' is
  // read as JSON: no form encoder leaves those characters unescaped, and
  // `curl -d '{...}'` labels JSON as a form.
  std::optional<BodyError> decode(BodyFormat format, std::string_view body, int64_t time_ns, Chunk& chunk);

 private:
  std::optional<BodyError> decode_json(std::string_view body, int64_t time_ns, Chunk& chunk);
  std::optional<BodyError> decode_object(std::string_view body, size_t& pos, int64_t time_ns, Chunk& chunk);
  std::optional<BodyError> decode_array(std::string_view body, size_t& pos, int64_t time_ns, Chunk& chunk);
  std::optional<BodyError> decode_form(std::string_view body, int64_t time_ns, Chunk& chunk);

  std::unique_ptr<ParseFormat> json_;
  std::vector<Member> members_;
};

// Where and why text (one JSON value starting at `start`) is not valid JSON
// as the json parse format reads it (RFC 8259, UTF-8, nesting up to 64): the
// byte offset and a short reason. nullopt if the value is valid. Exposed for
// tests; used only on the error path.
struct JsonErrorAt {
  size_t offset;
  std::string what;
};
std::optional<JsonErrorAt> find_json_error(std::string_view text, size_t start);

}  // namespace sluice
