// Where a filesystem input's chunks report back that every output is done
// with them. AckRefs are released on any thread (often an output's worker);
// the inbox batches them and hands them to the main thread in one posted
// handler. It outlives its owner while AckRefs to it remain (a chunk still
// queued in an output when a reload removed its input): it deletes itself
// when the owner has let go, no AckRef is left and no handler is pending.
#pragma once
#include <cstdint>
#include <functional>
#include <mutex>
#include <utility>
#include <vector>

#include "agent/ack.hpp"
#include "agent/asio.hpp"

namespace sluice::storage {

class AckInbox final : public AckSink {
 public:
  using Batch = std::vector<std::pair<uint64_t, bool>>;  // cookie, delivered
  // deliver runs on io's thread with each batch.
  static AckInbox* make(boost::asio::io_context& io, std::function<void(Batch&)> deliver) {
    return new AckInbox(io, std::move(deliver));
  }
  // A reference for one chunk.
  AckRef ref(uint64_t cookie) {
    std::lock_guard lock(mu_);
    ++refs_;
    return AckRef(this, cookie);
  }
  // The owner is gone: batches are dropped from now on (their chunks stay on
  // disk, unacknowledged: delivered again at the next start).
  void detach() {
    std::unique_lock lock(mu_);
    deliver_ = nullptr;
    maybe_delete(lock);
  }

  void acknowledged(uint64_t cookie, bool delivered) override {
    std::unique_lock lock(mu_);
    --refs_;
    if (deliver_) {
      bool post = pending_.empty();
      pending_.emplace_back(cookie, delivered);
      if (post) {
        ++posts_;
        lock.unlock();
        boost::asio::post(io_, Runner{this});
        return;
      }
    }
    maybe_delete(lock);
  }

 private:
  // Runs a batch; destroyed unrun when the io_context goes first.
  struct Runner {
    AckInbox* inbox;
    Runner(AckInbox* i) : inbox(i) {}
    Runner(Runner&& o) noexcept : inbox(std::exchange(o.inbox, nullptr)) {}
    Runner(const Runner&) = delete;
    ~Runner() {
      if (inbox != nullptr) inbox->posted_done();
    }
    void operator()() {
      AckInbox* in = std::exchange(inbox, nullptr);
      in->run();
      in->posted_done();
    }
  };

  AckInbox(boost::asio::io_context& io, std::function<void(Batch&)> deliver) : io_(io), deliver_(std::move(deliver)) {}

  void run() {
    Batch batch;
    std::function<void(Batch&)> deliver;
    {
      std::lock_guard lock(mu_);
      batch.swap(pending_);
      deliver = deliver_;
    }
    if (deliver) deliver(batch);
  }
  void posted_done() {
    std::unique_lock lock(mu_);
    --posts_;
    maybe_delete(lock);
  }
  void maybe_delete(std::unique_lock<std::mutex>& lock) {
    if (deliver_ || refs_ > 0 || posts_ > 0) return;
    lock.unlock();
    delete this;
  }

  boost::asio::io_context& io_;
  std::mutex mu_;
  std::function<void(Batch&)> deliver_;
  Batch pending_;
  uint64_t refs_ = 0;
  uint64_t posts_ = 0;
};

}  // namespace sluice::storage
