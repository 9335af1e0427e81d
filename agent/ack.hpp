// Acknowledgement of delivery: lets an input commit its position (a tail
// offset) only after every output that received the data is done with it.
#pragma once
#include <atomic>
#include <cstdint>
#include <utility>

namespace sluice {

// Implemented by inputs that commit positions. acknowledged() is called once
// per token, on whichever thread released the last reference (often an output
// worker), so implementations must hand the work to their own executor.
class AckSink {
 public:
  virtual ~AckSink() = default;
  // delivered is false when some holder failed the token (undelivered at
  // shutdown): the position must then not be committed.
  virtual void acknowledged(uint64_t cookie, bool delivered) = 0;
};

// A shared, reference-counted promise to acknowledge one cookie. Every holder
// of the data (chunk, output queue, aggregator state) holds a reference; the
// sink hears back when the last one lets go.
class AckRef {
 public:
  AckRef() = default;
  AckRef(AckSink* sink, uint64_t cookie) : state_(new State{{1}, {false}, sink, cookie}) {}
  AckRef(const AckRef& o) : state_(o.state_) { if (state_) state_->refs.fetch_add(1, std::memory_order_relaxed); }
  AckRef(AckRef&& o) noexcept : state_(std::exchange(o.state_, nullptr)) {}
  AckRef& operator=(AckRef o) noexcept { std::swap(state_, o.state_); return *this; }
  ~AckRef() { release(); }

  // Marks the data as not delivered: the position will not be committed.
  void fail() const { if (state_) state_->failed.store(true, std::memory_order_relaxed); }
  explicit operator bool() const { return state_ != nullptr; }

 private:
  struct State {
    std::atomic<int> refs;
    std::atomic<bool> failed;
    AckSink* sink;
    uint64_t cookie;
  };
  void release() {
    if (state_ && state_->refs.fetch_sub(1, std::memory_order_acq_rel) == 1) {
      state_->sink->acknowledged(state_->cookie, !state_->failed.load(std::memory_order_relaxed));
      delete state_;
    }
    state_ = nullptr;
  }
  State* state_ = nullptr;
};

}  // namespace sluice
