// A push request before it is encoded: events grouped into streams by their
// label set, each stream's entries sorted by time (stable), each entry's line
// and structured metadata already rendered. The protobuf and JSON encoders
// both read this.
#pragma once
#include <cstdint>
#include <string>
#include <string_view>
#include <unordered_map>
#include <utility>
#include <vector>

#include "agent/chunk.hpp"
#include "outputs/loki/loki_labels.hpp"
#include "outputs/loki/loki_line.hpp"

namespace sluice::loki {

// Offsets into PushBatch::text (it grows while the batch is built, so no views).
struct TextSpan {
  size_t begin = 0;
  size_t size = 0;
};

struct PushEntry {
  int64_t time_ns = 0;
  uint32_t stream = 0;
  TextSpan line;
  uint32_t meta_begin = 0;  // index into PushBatch::metadata
  uint32_t meta_count = 0;
};

struct MetaPair {
  TextSpan name;
  TextSpan value;
};

struct PushStream {
  std::string selector;                                     // {a="1", b="x"}
  std::vector<std::pair<std::string, std::string>> labels;  // the same, for JSON
  uint32_t first = 0;                                       // its entries: [first, first + count)
  uint32_t count = 0;
};

struct PushBatch {
  std::vector<PushStream> streams;  // in order of first appearance
  std::vector<PushEntry> entries;   // by stream, then by time
  std::vector<MetaPair> metadata;
  std::string text;                 // lines, metadata names and values

  std::string_view view(TextSpan s) const { return {text.data() + s.begin, s.size}; }
  void clear();
};

// What the encoding of records into streams needs from the config.
struct StreamRules {
  LabelRules labels;
  std::vector<KvRule> metadata;               // structured_metadata
  std::vector<RecordAccessor> metadata_maps;  // structured_metadata_map_keys
  LineFormat line_format = LineFormat::Json;
  DropSingleKey drop_single_key = DropSingleKey::Off;
  std::vector<RecordAccessor> removed;  // remove_keys and every accessor used above
};

// Builds a PushBatch event by event. Runs on the output's worker thread and
// keeps its buffers between batches (clear() keeps capacity).
class PushBatchBuilder {
 public:
  explicit PushBatchBuilder(const StreamRules& rules);

  void clear();
  void add(const Event& event);
  // Sorts each stream's entries by time and returns the finished batch.
  const PushBatch& finish();

 private:
  uint32_t stream_of(const Value& record);
  void add_metadata(PushEntry& entry, const Value& record);
  TextSpan append_text(std::string_view s);

  const StreamRules& rules_;
  LineEncoder line_;
  PushBatch batch_;
  std::unordered_map<std::string, uint32_t> stream_index_;  // by LabelRules::append_key
  std::string key_;
  std::string scratch_;
};

}  // namespace sluice::loki
