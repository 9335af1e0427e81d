// Hands delivery acknowledgements from whichever thread releases a chunk to
// the tail input on the main io_context. Outlives the input while any
// acknowledgement is outstanding, so a late one never touches freed memory.
#pragma once
#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <utility>
#include <vector>

#include "agent/ack.hpp"
#include "agent/asio.hpp"

namespace sluice::tail {

class AckInbox final : public AckSink, public std::enable_shared_from_this<AckInbox> {
 public:
  using Ack = std::pair<uint64_t, bool>;  // cookie, delivered
  using Handler = std::function<void(const std::vector<Ack>&)>;

  explicit AckInbox(boost::asio::io_context& io) : io_(io) {}

  // Main thread. The handler runs on the main thread; detach() before its owner dies.
  void attach(Handler h) { handler_ = std::move(h); }
  void detach() { handler_ = nullptr; }

  // Main thread: an AckRef for cookie is about to be handed out.
  AckRef issue(uint64_t cookie) {
    std::lock_guard lock(mu_);
    if (outstanding_++ == 0) self_ = shared_from_this();
    return AckRef(this, cookie);
  }

  // Any thread.
  void acknowledged(uint64_t cookie, bool delivered) override {
    std::shared_ptr<AckInbox> last;  // destroyed after the lock is released
    std::unique_lock lock(mu_);
    queue_.emplace_back(cookie, delivered);
    if (!posted_) {
      posted_ = true;
      boost::asio::post(io_, [self = shared_from_this()] { self->deliver(); });
    }
    if (--outstanding_ == 0) last = std::move(self_);
    lock.unlock();
  }

  // Main thread: runs the handler on everything queued (finish() calls this
  // directly, since the io_context may no longer run).
  void deliver() {
    std::vector<Ack> batch;
    {
      std::lock_guard lock(mu_);
      batch.swap(queue_);
      posted_ = false;
    }
    if (handler_ && !batch.empty()) handler_(batch);
  }

 private:
  boost::asio::io_context& io_;
  Handler handler_;
  std::mutex mu_;
  std::vector<Ack> queue_;
  bool posted_ = false;
  uint64_t outstanding_ = 0;
  std::shared_ptr<AckInbox> self_;  // keeps this alive while AckRefs are out
};

}  // namespace sluice::tail
