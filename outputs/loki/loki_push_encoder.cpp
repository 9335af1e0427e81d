// Protobuf PushRequest encoding and snappy; see loki_push_encoder.hpp.
#include "outputs/loki/loki_push_encoder.hpp"

#include <snappy.h>

#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <vector>

namespace sluice::loki {

namespace pb {

size_t varint_size(uint64_t v) {
  size_t n = 1;
  while (v >= 0x80) {
    v >>= 7;
    ++n;
  }
  return n;
}

char* put_varint(char* p, uint64_t v) {
  while (v >= 0x80) {
    *p++ = static_cast<char>((v & 0x7F) | 0x80);
    v >>= 7;
  }
  *p++ = static_cast<char>(v);
  return p;
}

void append_varint(std::string& out, uint64_t v) {
  char buf[10];
  out.append(buf, put_varint(buf, v));
}

}  // namespace pb

namespace {

using pb::put_varint;
using pb::varint_size;

// Field keys: (field number << 3) | wire type (0 varint, 2 length-delimited).
constexpr char kStreams = 0x0A;       // PushRequest.streams = 1
constexpr char kLabels = 0x0A;        // StreamAdapter.labels = 1
constexpr char kEntries = 0x12;       // StreamAdapter.entries = 2
constexpr char kTimestamp = 0x0A;     // EntryAdapter.timestamp = 1
constexpr char kLine = 0x12;          // EntryAdapter.line = 2
constexpr char kMetadata = 0x1A;      // EntryAdapter.structuredMetadata = 3
constexpr char kPairName = 0x0A;      // LabelPairAdapter.name = 1
constexpr char kPairValue = 0x12;     // LabelPairAdapter.value = 2
constexpr char kSeconds = 0x08;       // Timestamp.seconds = 1
constexpr char kNanos = 0x10;         // Timestamp.nanos = 2

struct Timestamp {
  int64_t seconds;
  int32_t nanos;  // 0..999,999,999 also before 1970 (seconds rounds down)
};

Timestamp split(int64_t time_ns) {
  int64_t s = time_ns / 1'000'000'000;
  int64_t n = time_ns % 1'000'000'000;
  if (n < 0) {
    n += 1'000'000'000;
    s -= 1;
  }
  return {s, static_cast<int32_t>(n)};
}

// A length-delimited field's size with its key and length prefix.
size_t field_size(size_t payload) { return 1 + varint_size(payload) + payload; }
// A string field, left out when empty (proto3 default).
size_t string_field_size(size_t n) { return n == 0 ? 0 : field_size(n); }

size_t timestamp_size(Timestamp t) {
  // int64 seconds: negative numbers are 10-byte two's complement varints.
  return (t.seconds != 0 ? 1 + varint_size(static_cast<uint64_t>(t.seconds)) : 0) +
         (t.nanos != 0 ? 1 + varint_size(static_cast<uint64_t>(t.nanos)) : 0);
}

size_t pair_size(const MetaPair& p) { return string_field_size(p.name.size) + string_field_size(p.value.size); }

size_t entry_size(const PushBatch& b, const PushEntry& e) {
  size_t n = field_size(timestamp_size(split(e.time_ns))) + string_field_size(e.line.size);
  for (uint32_t i = 0; i < e.meta_count; ++i) n += field_size(pair_size(b.metadata[e.meta_begin + i]));
  return n;
}

size_t stream_size(const PushBatch& b, const PushStream& s) {
  size_t n = string_field_size(s.selector.size());
  for (uint32_t i = s.first; i < s.first + s.count; ++i) n += field_size(entry_size(b, b.entries[i]));
  return n;
}

char* put_bytes(char* p, char key, std::string_view bytes) {
  if (bytes.empty()) return p;
  *p++ = key;
  p = put_varint(p, bytes.size());
  std::memcpy(p, bytes.data(), bytes.size());
  return p + bytes.size();
}

char* put_header(char* p, char key, size_t payload) {
  *p++ = key;
  return put_varint(p, payload);
}

char* put_entry(char* p, const PushBatch& b, const PushEntry& e) {
  Timestamp t = split(e.time_ns);
  p = put_header(p, kTimestamp, timestamp_size(t));
  if (t.seconds != 0) {
    *p++ = kSeconds;
    p = put_varint(p, static_cast<uint64_t>(t.seconds));
  }
  if (t.nanos != 0) {
    *p++ = kNanos;
    p = put_varint(p, static_cast<uint64_t>(t.nanos));
  }
  p = put_bytes(p, kLine, b.view(e.line));
  for (uint32_t i = 0; i < e.meta_count; ++i) {
    const MetaPair& pair = b.metadata[e.meta_begin + i];
    p = put_header(p, kMetadata, pair_size(pair));
    p = put_bytes(p, kPairName, b.view(pair.name));
    p = put_bytes(p, kPairValue, b.view(pair.value));
  }
  return p;
}

}  // namespace

void encode_push_request(const PushBatch& batch, std::string& out) {
  // Sizes first (every length prefix precedes its message), then one pass
  // writing into a buffer of the exact size.
  std::vector<size_t> sizes(batch.streams.size());
  size_t total = 0;
  for (size_t i = 0; i < batch.streams.size(); ++i) {
    if (batch.streams[i].count == 0) continue;
    sizes[i] = stream_size(batch, batch.streams[i]);
    total += field_size(sizes[i]);
  }
  out.resize(total);
  char* p = out.data();
  for (size_t k = 0; k < batch.streams.size(); ++k) {
    const PushStream& s = batch.streams[k];
    if (s.count == 0) continue;
    p = put_header(p, kStreams, sizes[k]);
    p = put_bytes(p, kLabels, s.selector);
    for (uint32_t i = s.first; i < s.first + s.count; ++i) {
      const PushEntry& e = batch.entries[i];
      p = put_header(p, kEntries, entry_size(batch, e));
      p = put_entry(p, batch, e);
    }
  }
  if (p != out.data() + out.size()) {
    std::fprintf(stderr, "loki: bug: protobuf sizes computed %zu bytes, wrote %td\n", out.size(), p - out.data());
    std::abort();
  }
}

void snappy_compress(std::string_view in, std::string& out) {
  out.resize(snappy::MaxCompressedLength(in.size()));
  size_t n = 0;
  snappy::RawCompress(in.data(), in.size(), out.data(), &n);
  out.resize(n);
}

}  // namespace sluice::loki
