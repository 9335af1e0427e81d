// libFuzzer target for the http input's body decoders: any bytes, as any
// Content-Type and Content-Encoding, are answered with records or an error,
// never a crash. The first byte picks the mode: bit 0 form (else JSON), bit 1
// compressed, bit 2 deflate (else gzip), bit 3 (with bit 1) zstd. Records re-encode to JSON; a JSON
// error's byte offset lies within the body.
#include <cstdint>
#include <cstdlib>
#include <string>
#include <string_view>

#include "agent/json_writer.hpp"
#include "inputs/http/http_body_decoder.hpp"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace sluice;
  static BodyDecoder decoder;  // reused, as in the input
  if (size == 0) return 0;
  const uint8_t mode = data[0];
  std::string_view body(reinterpret_cast<const char*>(data + 1), size - 1);
  std::string inflated;
  if (mode & 2) {
    auto encoding = (mode & 8) ? BodyEncoding::Zstd : (mode & 4) ? BodyEncoding::Deflate : BodyEncoding::Gzip;
    if (auto error = BodyDecoder::inflate(encoding, body, 1 << 20, inflated)) {
      if (error->message.empty() || inflated.size() > (1u << 20) + 1) std::abort();
      return 0;
    }
    body = inflated;
  }
  Chunk chunk("fuzz");
  auto format = (mode & 1) ? BodyFormat::Form : BodyFormat::Json;
  if (auto error = decoder.decode(format, body, 0, chunk)) {
    constexpr std::string_view kPrefix = "invalid JSON at byte ";
    if (error->message.empty()) std::abort();
    if (error->message.starts_with(kPrefix)) {
      size_t offset = std::strtoull(error->message.c_str() + kPrefix.size(), nullptr, 10);
      if (offset > body.size()) std::abort();
    }
  } else {
    for (const auto& e : chunk.events) {
      if (!e.record.is_map()) std::abort();
      json::to_string(e.record);
    }
  }
  // The error locator on its own, from anywhere.
  if (!body.empty()) find_json_error(body, mode % body.size());
  return 0;
}
