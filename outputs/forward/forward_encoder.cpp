// The `forward` output's messages; see forward_encoder.hpp.
#include "outputs/forward/forward_encoder.hpp"

#include "agent/base64.hpp"
#include "agent/msgpack_writer.hpp"
#include "agent/zlib_codec.hpp"

namespace sluice::forward_out {

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
  entries_.clear();
  count_ = 0;
  first_ = 0;
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
    if (count_ > 0 && (*out_tag != tag_ || entries_.size() >= kMessageBytes)) close_message(out);
    if (count_ == 0) {
      tag_ = *out_tag;
      first_ = index;
    }
    msgpack::Writer w(entries_);
    w.array_header(2);
    if (s_.time_as_integer) {
      int64_t sec = e.time_ns / 1'000'000'000;
      if (e.time_ns < 0 && e.time_ns % 1'000'000'000 != 0) --sec;  // floor
      w.integer(sec);
    } else {
      w.event_time(e.time_ns);
    }
    w.value(e.record);
    ++count_;
    ++index;
  });
  if (count_ > 0) close_message(out);
  return out;
}

void Encoder::close_message(std::vector<Message>& out) {
  Message m;
  m.first = first_;
  m.count = count_;
  if (s_.require_ack) m.chunk = next_chunk_id();
  msgpack::Writer w(m.bytes);
  w.array_header(s_.send_options ? 3 : 2);
  w.str(tag_);
  if (s_.gzip) {
    zlib::compress(entries_, zlib::Wrapper::Gzip, zlib::kFastest, gzip_);
    w.bin(gzip_);
  } else {
    w.array_header(count_);
    m.bytes += entries_;
  }
  if (s_.send_options) {
    uint32_t n = 2 + (s_.require_ack ? 1 : 0) + (s_.gzip ? 1 : 0) + static_cast<uint32_t>(s_.extra_options.size());
    w.map_header(n);
    if (s_.require_ack) {
      w.str("chunk");
      w.str(m.chunk);
    }
    w.str("size");
    w.uinteger(count_);
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
  entries_.clear();
  count_ = 0;
}

}  // namespace sluice::forward_out
