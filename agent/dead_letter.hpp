// The dead-letter file: records that failed permanently or ran out of
// retries, one JSON object per line, so nothing is dropped silently.
#pragma once
#include <mutex>
#include <string>
#include <string_view>

#include "agent/chunk.hpp"

namespace sluice {

// Thread-safe: every output worker may write. The file is opened on first use.
class DeadLetter {
 public:
  explicit DeadLetter(std::string path) : path_(std::move(path)) {}
  ~DeadLetter();
  DeadLetter(const DeadLetter&) = delete;
  DeadLetter& operator=(const DeadLetter&) = delete;

  // Appends one line per event: {"time","output","reason","tag","timestamp","record"}.
  // Returns false if the file can't be written; the caller then logs the
  // records themselves so they still aren't lost without a trace.
  bool write(std::string_view output, std::string_view reason, std::string_view tag, const Event& event);
  // Encodes the line without writing it (for the log fallback and tests).
  static std::string encode(std::string_view output, std::string_view reason, std::string_view tag,
                            const Event& event, int64_t now_ns);
  const std::string& path() const { return path_; }

 private:
  std::mutex mu_;
  std::string path_;
  int fd_ = -1;
};

}  // namespace sluice
