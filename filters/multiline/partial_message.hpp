// The multiline filter's mode partial_message: joins the records a container
// runtime split from one long line (Docker's fluentd log driver, Fluent Bit's
// docker input): each part carries partial_message "true", the line's
// partial_id, partial_ordinal and, on the last part, partial_last "true".
// Main thread only (the filter chain and its timer).
#pragma once
#include <chrono>
#include <cstdint>
#include <list>
#include <optional>
#include <string>
#include <vector>

#include "agent/ack.hpp"
#include "agent/arena.hpp"
#include "agent/chunk.hpp"
#include "agent/value.hpp"

namespace sluice {

class PartialMessageSink {
 public:
  virtual ~PartialMessageSink() = default;
  // A joined line: record lives in the joiner's memory and is valid during
  // the call only; acks may be moved from (the holder of the record takes them).
  virtual void joined(const std::string& tag, int64_t time_ns, const Value& record, std::vector<AckRef>& acks,
                      size_t parts) = 0;
};

class PartialMessageJoiner {
 public:
  using Clock = std::chrono::steady_clock;

  // key_content: the key whose text parts are concatenated (multiline.key_content).
  PartialMessageJoiner(std::string key_content, std::chrono::milliseconds flush_ms)
      : key_(std::move(key_content)), flush_ms_(flush_ms) {}

  // Offers one event of a chunk tagged tag. True: it was a part, now held,
  // or its line's joined record went to sink (it was the last part). False:
  // not a part (no partial_message "true", or no partial_id or key_content
  // text): the caller keeps it as it came. acks are the chunk's; batch (one
  // per chunk, non-zero) makes a line hold them once.
  bool offer(const std::string& tag, const Event& e, const std::vector<AckRef>& acks, uint64_t batch,
             Clock::time_point now, PartialMessageSink& sink);
  // Hands out the lines that got no part for flush_ms.
  void flush_expired(Clock::time_point now, PartialMessageSink& sink);
  // Hands out every open line, oldest first.
  void flush_all(PartialMessageSink& sink);

  bool has_open() const { return !open_.empty(); }
  std::optional<Clock::time_point> next_deadline() const;
  size_t held_bytes() const;

 private:
  struct Open {
    std::string tag;
    std::string id;
    Arena arena{512};
    Value first;  // the first part's record (a deep copy in arena) without key_content and partial_*
    std::string text;
    int64_t time_ns = 0;
    size_t parts = 0;
    Clock::time_point last_write;
    std::vector<AckRef> acks;
    uint64_t acks_batch = 0;
  };

  Open* find(const std::string& tag, std::string_view id);
  Open& begin(const std::string& tag, std::string_view id, const Event& e);
  void hand_out(std::list<Open>::iterator it, PartialMessageSink& sink);

  std::string key_;
  std::chrono::milliseconds flush_ms_;
  std::list<Open> open_;  // oldest first
};

}  // namespace sluice
