// Deterministic record ids: 128 bits of SHA-256 over the tag, the time and
// the encoded record, in hex. A batch sent again after a lost answer carries
// the same ids, so a backend that dedups on them (Elasticsearch's _id with
// generate_id, Cloud Logging's insertId) stores each record once.
#pragma once
#include <cstdint>
#include <memory>
#include <string_view>

namespace sluice {

// Not thread-safe (it reuses one digest context); one per encoder.
class RecordIdHasher {
 public:
  static constexpr size_t kHexLength = 32;

  RecordIdHasher();
  ~RecordIdHasher();
  RecordIdHasher(const RecordIdHasher&) = delete;
  RecordIdHasher& operator=(const RecordIdHasher&) = delete;

  // Writes kHexLength lowercase hex digits to out. The same inputs give the
  // same id in every process, so a batch sent again maps onto the documents
  // the first attempt may have stored.
  void id(std::string_view tag, int64_t time_ns, std::string_view source, char* out);

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace sluice
