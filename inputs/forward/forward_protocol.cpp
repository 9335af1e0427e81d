// The Forward protocol's messages; see forward_protocol.hpp.
#include "inputs/forward/forward_protocol.hpp"

#include "agent/msgpack_reader.hpp"
#include "agent/zlib_codec.hpp"

namespace sluice::forward {

namespace {

using msgpack::Cursor;

struct Options {
  std::string chunk;
  bool gzip = false;
};

// option: a map; only chunk and compressed matter here (size is a hint).
bool read_options(Cursor& c, Options& o) {
  if (c.nil()) return true;
  uint32_t n = 0;
  if (!c.map_header(n)) return false;
  for (uint32_t i = 0; i < n; ++i) {
    std::string_view key, text;
    if (!c.text(key)) return false;
    if ((key == "chunk" || key == "compressed") && c.text(text)) {
      if (key == "chunk") o.chunk = std::string(text);
      else o.gzip = text == "gzip";
    } else if (!c.skip()) {
      return false;
    }
  }
  return true;
}

// An entry [time, record] (or [[time, metadata], record]) into chunk.
std::string read_entry(Cursor& c, Chunk& chunk, DecodedMessage& out) {
  uint32_t n = 0;
  if (!c.array_header(n) || n < 2) return "an entry is not an array [time, record]";
  int64_t time_ns = 0;
  Cursor with_metadata = c;
  uint32_t pair = 0;
  if (with_metadata.array_header(pair) && pair == 2 && with_metadata.event_time(time_ns) && with_metadata.skip()) {
    c = with_metadata;
  } else if (!c.event_time(time_ns)) {
    return "an entry's time is not seconds or an EventTime";
  }
  Value record;
  if (!c.value(chunk.arena, record)) return "an entry's record is not MessagePack";
  for (uint32_t i = 2; i < n; ++i)
    if (!c.skip()) return "an entry ends early";
  if (!record.is_map()) {
    ++out.skipped;
    return "";
  }
  chunk.events.push_back(Event{time_ns, record});
  ++out.events;
  return "";
}

}  // namespace

std::string decode_message(std::string_view message, Chunk& chunk, DecodedMessage& out, size_t max_unpacked) {
  Cursor c(message);
  uint32_t n = 0;
  if (!c.array_header(n) || n < 2 || n > 4) return "a message is not an array [tag, ...] of 2 to 4 items";
  std::string_view tag;
  if (!c.text(tag)) return "a message's tag is not a string";
  out.tag = std::string(tag);
  Options options;
  Cursor probe = c;
  uint32_t entries = 0;
  std::string_view packed;
  if (probe.array_header(entries)) {  // Forward mode
    c = probe;
    for (uint32_t i = 0; i < entries; ++i)
      if (std::string why = read_entry(c, chunk, out); !why.empty()) return why;
    if (n > 2 && !read_options(c, options)) return "a message's option is not a map";
  } else if (probe.text(packed)) {  // PackedForward, maybe compressed
    c = probe;
    if (n > 2 && !read_options(c, options)) return "a message's option is not a map";
    std::string inflated;
    if (options.gzip) {
      if (auto e = zlib::inflate(packed, zlib::Wrapper::Gzip, max_unpacked, inflated))
        return e->too_large ? "its gzipped entries inflate past buffer_max_size"
                            : "its gzipped entries don't inflate: " + e->why;
      packed = inflated;
    }
    Cursor p(packed);
    while (!p.at_end())
      if (std::string why = read_entry(p, chunk, out); !why.empty()) return why;
  } else {  // Message mode: [tag, time, record, option?]
    if (n < 3) return "a message [tag, time, record] has no record";
    int64_t time_ns = 0;
    if (!c.event_time(time_ns)) return "a message's time is not seconds or an EventTime";
    Value record;
    if (!c.value(chunk.arena, record)) return "a message's record is not MessagePack";
    if (n > 3 && !read_options(c, options)) return "a message's option is not a map";
    if (record.is_map()) {
      chunk.events.push_back(Event{time_ns, record});
      ++out.events;
    } else {
      ++out.skipped;
    }
  }
  out.chunk_id = std::move(options.chunk);
  return "";
}

std::optional<std::string_view> message_tag(std::string_view message) {
  Cursor c(message);
  uint32_t n = 0;
  std::string_view tag;
  if (!c.array_header(n) || n < 2 || n > 4 || !c.text(tag)) return std::nullopt;
  return tag;
}

std::string chunk_option(std::string_view message) {
  Cursor c(message);
  uint32_t n = 0;
  if (!c.array_header(n) || n < 3 || n > 4) return "";
  for (uint32_t i = 0; i + 1 < n; ++i)
    if (!c.skip()) return "";
  Options options;
  if (!read_options(c, options)) return "";
  return options.chunk;
}

std::string ack_for(std::string_view chunk_id) {
  std::string out;
  out += '\x81';  // a map of one
  out += "\xa3"
         "ack";
  if (chunk_id.size() < 32) {
    out += static_cast<char>(0xa0 | chunk_id.size());
  } else if (chunk_id.size() < 256) {
    out += '\xd9';
    out += static_cast<char>(chunk_id.size());
  } else {
    out += '\xda';
    out += static_cast<char>((chunk_id.size() >> 8) & 0xff);
    out += static_cast<char>(chunk_id.size() & 0xff);
  }
  out.append(chunk_id.substr(0, 0xffff));
  return out;
}

}  // namespace sluice::forward
