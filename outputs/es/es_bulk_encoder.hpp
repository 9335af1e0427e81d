// Events → _bulk NDJSON bodies (action line + source line per event, every
// line ending in '\n'), split so that no body exceeds max_request_bytes.
// A pure function of its input apart from time-format caches and
// current_time_index: golden-tested without a network.
#pragma once
#include <cstdint>
#include <memory>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "agent/chunk.hpp"
#include "agent/output.hpp"
#include "outputs/common/record_id.hpp"
#include "outputs/es/es_settings.hpp"

namespace sluice::es {

struct BulkItem {
  uint32_t event;  // index into the flush's events
  bool own_id;     // we chose its _id (generate_id, or id_key found): a 409 means already stored
  bool update = false;  // an update/upsert: a 409 is a concurrent change of the document, tried again
};

struct BulkBody {
  std::string body;
  std::vector<BulkItem> items;  // in body order, one per action line
};

struct EncodeResult {
  std::vector<BulkBody> bodies;
  std::vector<uint32_t> too_big;  // events whose two lines alone exceed max_request_bytes
};

// Runs on the output's worker thread; not thread-safe (it keeps caches).
class BulkEncoder {
 public:
  explicit BulkEncoder(EncoderSettings settings);
  ~BulkEncoder();
  BulkEncoder(const BulkEncoder&) = delete;
  BulkEncoder& operator=(const BulkEncoder&) = delete;

  // Appends to out the bodies for events[i] for each i in `which` (ascending).
  void encode(std::span<const EventRef> events, std::span<const uint32_t> which, EncodeResult& out);
  // The same for every event.
  void encode(std::span<const EventRef> events, EncodeResult& out);

  // The generated _id of one event (32 hex digits): exposed for tests.
  std::string generated_id(const std::string& tag, const Event& event);

  const EncoderSettings& settings() const { return settings_; }

 private:
  class TimeCache;

  // Appends the action line and the source line of one event to out.
  // Returns whether the item carries an _id we chose.
  bool append_item(std::string& out, const EventRef& ref);
  void reserve(BulkBody& body, size_t items);
  void append_source(std::string& out, const EventRef& ref);
  void append_document(std::string& out, const EventRef& ref);
  void append_action(std::string& out, const EventRef& ref, std::string_view id);
  void append_index_name(std::string& out, const EventRef& ref, int64_t secs);
  void append_key(std::string& out, std::string_view key);  // with the ':'
  void append_map(std::string& out, const Value& map);
  void append_value(std::string& out, const Value& v);
  bool id_from_record(const Value& record, std::string& id);

  EncoderSettings settings_;
  bool dynamic_index_;
  std::string doc_head_;       // update/upsert: what wraps the source (`{"doc":`); empty for create/index
  std::string action_head_;    // `{"create":{"_index":` (the action, up to the index value)
  std::string static_index_;   // the index as a JSON string, when it has no strftime pattern
  std::string type_part_;      // `,"_type":"..."` or empty
  std::string separator_;      // logstash_prefix_separator, JSON-escaped
  std::unique_ptr<TimeCache> index_cache_;
  std::unique_ptr<TimeCache> date_cache_;  // logstash date part, with logstash_prefix_key
  std::unique_ptr<TimeCache> time_key_cache_;
  RecordIdHasher hasher_;
  size_t bytes_per_item_ = 256;  // encoded size of an item, from the last batch
  std::string source_scratch_;
  std::string id_scratch_;
  std::string key_scratch_;
};

}  // namespace sluice::es
