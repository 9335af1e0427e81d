// Deterministic document ids for generate_id: 128 bits of SHA-256 over the
// tag, the time and the encoded source, in hex. The only OpenSSL user of the
// es output.
#pragma once
#include <cstdint>
#include <memory>
#include <string_view>

namespace sluice::es {

// Not thread-safe (it reuses one digest context); one per encoder.
class DocIdHasher {
 public:
  static constexpr size_t kHexLength = 32;

  DocIdHasher();
  ~DocIdHasher();
  DocIdHasher(const DocIdHasher&) = delete;
  DocIdHasher& operator=(const DocIdHasher&) = delete;

  // Writes kHexLength lowercase hex digits to out. The same inputs give the
  // same id in every process, so a batch sent again maps onto the documents
  // the first attempt may have stored.
  void id(std::string_view tag, int64_t time_ns, std::string_view source, char* out);

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace sluice::es
