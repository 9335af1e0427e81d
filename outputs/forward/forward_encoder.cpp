// The `forward` output's messages; see forward_encoder.hpp.
#include "outputs/forward/forward_encoder.hpp"

#include <algorithm>

#include "agent/base64.hpp"
#include "agent/msgpack_writer.hpp"
#include "agent/zlib_codec.hpp"

namespace sluice::forward_out {

namespace {

// The room a message's buffer starts with: its records at the last
// message's size each, up to one message (and one record's spill).
constexpr size_t kMaxReserve = kMessageBytes + 64 * 1024;

}  // namespace

Encoder::Encoder(const Settings& s) : s_(s), random_(std::random_device{}()) {}

std::string Encoder::next_chunk_id() {
  // 128 random bits, base64: the form Fluentd and Fluent Bit send.
  char bytes[16];
  for (int i = 0; i < 16; i += 8) {
    uint64_t r = random_();
    for (int j = 0; j < 8; ++j) bytes[i + j] = static_cast<char>(r >> (8 * j));
  }
  return base64_encode(std::string_view(bytes, 16));
}

std::vector<Message> Encoder::encode(const Batch& batch) {
  std::vector<Message> out;
  const size_t total = batch.size();
  uint32_t index = 0;
  batch.for_each([&](const std::string& tag, const Event& e) {
    const std::string* out_tag = &tag;
    if (s_.tag) {
      rendered_.clear();
      if (s_.tag_is_static) {
        out_tag = &s_.tag->text();
      } else if (s_.tag->render(e.record, tag, rendered_)) {
        out_tag = &rendered_;
      }
    }
    if (is_open_) {
      size_t gathered = (s_.gzip ? entries_.size() : open_.bytes.size() - entries_at_);
      if (gathered >= kMessageBytes || !same_bytes(*out_tag, current_tag_)) close_message(out);
    }
    if (!is_open_) open_message(*out_tag, index, total - index);
    std::string& into = s_.gzip ? entries_ : open_.bytes;
    msgpack::Writer w(into);
    w.array_header(2);
    if (s_.time_as_integer) {
      int64_t sec = e.time_ns / 1'000'000'000;
      if (e.time_ns < 0 && e.time_ns % 1'000'000'000 != 0) --sec;  // floor
      w.integer(sec);
    } else {
      w.event_time(e.time_ns);
    }
    w.value(e.record);
    ++open_.count;
    ++index;
  });
  if (is_open_) close_message(out);
  return out;
}

void Encoder::open_message(const std::string& tag, uint32_t first, size_t remaining) {
  is_open_ = true;
  current_tag_ = tag;
  open_ = Message{};
  open_.first = first;
  size_t reserve = std::min(kMaxReserve, remaining * bytes_per_record_ + tag.size() + 256);
  std::string& into = s_.gzip ? entries_ : open_.bytes;
  entries_.clear();
  into.reserve(reserve);
  msgpack::Writer w(open_.bytes);
  w.array_header(s_.send_options ? 3 : 2);
  w.str(tag);
  if (!s_.gzip) {
    // array32 with the count written at the end: valid MessagePack, if not the shortest form.
    open_.bytes.push_back(static_cast<char>(0xdd));
    count_at_ = open_.bytes.size();
    open_.bytes.append(4, '\0');
  }
  entries_at_ = open_.bytes.size();
}

void Encoder::close_message(std::vector<Message>& out) {
  Message& m = open_;
  size_t entry_bytes = s_.gzip ? entries_.size() : m.bytes.size() - entries_at_;
  bytes_per_record_ = std::max<size_t>(16, entry_bytes / std::max<uint32_t>(m.count, 1) + 1);
  if (s_.require_ack) m.chunk = next_chunk_id();
  msgpack::Writer w(m.bytes);
  if (s_.gzip) {
    zlib::compress(entries_, zlib::Wrapper::Gzip, zlib::kFastest, gzip_);
    w.bin(gzip_);
  } else {
    for (int i = 0; i < 4; ++i) m.bytes[count_at_ + i] = static_cast<char>(m.count >> (8 * (3 - i)));
  }
  if (s_.send_options) {
    uint32_t n = 2 + (s_.require_ack ? 1 : 0) + (s_.gzip ? 1 : 0) + static_cast<uint32_t>(s_.extra_options.size());
    w.map_header(n);
    if (s_.require_ack) {
      w.str("chunk");
      w.str(m.chunk);
    }
    w.str("size");
    w.uinteger(m.count);
    if (s_.gzip) {
      w.str("compressed");
      w.str("gzip");
    }
    w.str("fluent_signal");
    w.uinteger(0);
    for (const auto& [name, value] : s_.extra_options) {
      w.str(name);
      w.str(value);
    }
  }
  out.push_back(std::move(m));
  is_open_ = false;
}

}  // namespace sluice::forward_out
