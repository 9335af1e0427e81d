// libFuzzer target for the opentelemetry input's body decoders: any bytes,
// as protobuf (first byte even) or OTLP/JSON (odd), become events or an
// error, never a crash. Every event has a map record and a metadata map,
// and both re-encode to JSON.
#include <cstdint>
#include <cstdlib>
#include <string_view>

#include "agent/json_writer.hpp"
#include "inputs/opentelemetry/otlp_logs.hpp"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace sluice;
  static OtlpJsonDecoder json_decoder;  // reused, as in the input
  if (size == 0) return 0;
  std::string_view body(reinterpret_cast<const char*>(data + 1), size - 1);
  OtlpLogOptions options;
  options.metadata_in_record = (data[0] & 2) != 0;
  if (data[0] & 4) options.body_key = "message";
  Chunk chunk("fuzz");
  auto error = (data[0] & 1) ? json_decoder.decode(body, options, 1, chunk)
                             : decode_otlp_logs_protobuf(body, options, 1, chunk);
  if (error) {
    if (error->empty()) std::abort();
    return 0;
  }
  if (chunk.metadata.size() != chunk.events.size()) std::abort();
  for (size_t i = 0; i < chunk.events.size(); ++i) {
    if (!chunk.events[i].record.is_map() || !chunk.metadata[i].is_map()) std::abort();
    json::to_string(chunk.events[i].record);
    json::to_string(chunk.metadata[i]);
  }
  return 0;
}
