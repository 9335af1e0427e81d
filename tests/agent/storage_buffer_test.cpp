// A filesystem input's buffer (InputBuffer): stored chunks go on at once
// while the pipeline has room and stay on disk (loaded later, in order)
// while it is full; the input's own acks are released once stored; acks of
// delivered chunks free the disk; storage.total_limit_size under block,
// drop_newest and drop_oldest.
#include <catch2/catch.hpp>

#include <unistd.h>

#include <filesystem>
#include <optional>

#include "agent/storage/input_buffer.hpp"
#include "tests/agent/storage_test_support.hpp"

namespace sluice::SLUICE_UNITY_ID {
namespace {

using namespace std::chrono_literals;

// Counts acknowledgements, as a tail input would.
struct CountingSink : AckSink {
  int delivered = 0;
  void acknowledged(uint64_t, bool ok) override { delivered += ok ? 1 : 0; }
};

struct Harness {
  test::TempDir dir;
  boost::asio::io_context io;
  Metrics metrics;
  storage::StorageLimits limits{metrics};
  std::vector<ChunkPtr> submitted;  // what reached the "pipeline"
  bool full = false;
  std::unique_ptr<storage::InputBuffer> buffer;

  explicit Harness(std::optional<storage::OutputLimit> l = std::nullopt) {
    std::vector<storage::OutputLimit> all;
    if (l) all.push_back(std::move(*l));
    limits.configure(std::move(all));
    open();
  }
  void open() {
    storage::RecoveryReport r;
    auto store = storage::SegmentStore::open(test::store_opts(dir), &r);
    buffer = std::make_unique<storage::InputBuffer>(
        std::move(store), r, io, metrics, limits,
        storage::InputBuffer::Feed{[this](ChunkPtr c) { submitted.push_back(std::move(c)); }, [this] { return full; }});
    buffer->start();
  }
  void run(std::chrono::milliseconds d = 30ms) {
    io.run_for(d);
    io.restart();
  }
  std::vector<int64_t> seqs() const {
    std::vector<int64_t> out;
    for (const auto& c : submitted)
      for (const auto& e : c->events) out.push_back(e.record.find("n")->as_int());
    return out;
  }
  // Delivers (releases) everything submitted so far.
  void deliver() {
    submitted.clear();
    run();
  }
  uint64_t metric(std::string_view name) const { return metrics.value(name, "in"); }
};

storage::OutputLimit limit(uint64_t bytes, storage::OutputLimit::Policy p) {
  storage::OutputLimit l;
  l.output = "es.0";
  l.bytes = bytes;
  l.policy = p;
  l.match = TagMatcher::glob("*");
  return l;
}

TEST_CASE("buffer: a stored chunk goes on at once while the pipeline has room, and the input hears it was stored",
          "[storage]") {
  Harness h;
  CountingSink tail;
  auto c = test::numbered(1);
  c->acks.push_back(AckRef(&tail, 7));
  REQUIRE(h.buffer->offer(c));
  CHECK_FALSE(c);
  CHECK(tail.delivered == 1);  // stored: a tail may commit its offset now
  REQUIRE(h.submitted.size() == 1);
  CHECK(h.submitted[0]->acks.size() == 1);  // the buffer's own, released on delivery
  CHECK(h.metric("sluice_storage_chunks_written_total") == 1);
  h.deliver();
  // Acknowledged: a restart finds nothing to deliver again.
  h.buffer.reset();
  h.open();
  h.run();
  CHECK(h.submitted.empty());
}

TEST_CASE("buffer: while the pipeline is full chunks stay on disk, then come in order, before newer ones",
          "[storage]") {
  Harness h;
  h.full = true;
  for (int i = 1; i <= 5; ++i) {
    auto c = test::numbered(i);
    REQUIRE(h.buffer->offer(c));
  }
  h.run();
  CHECK(h.submitted.empty());
  CHECK(h.buffer->backlog() == 5);
  CHECK(h.metric("sluice_storage_backlog_chunks") == 5);
  CHECK(h.buffer->blocked_reason().empty());  // a full pipeline doesn't pause a filesystem input
  h.full = false;
  auto late = test::numbered(6);
  REQUIRE(h.buffer->offer(late));  // behind the backlog, not before it
  h.run();
  CHECK(h.seqs() == std::vector<int64_t>{1, 2, 3, 4, 5, 6});
  CHECK(h.buffer->backlog() == 0);
  bool empty_called = false;
  h.buffer->when_backlog_empty([&] { empty_called = true; });
  CHECK(empty_called);
}

TEST_CASE("buffer: a large backlog is loaded as fast as the pipeline takes it, not in slices held until delivery",
          "[storage]") {
  // 12 MB of backlog, none of it delivered yet: while the pipeline has room
  // all of it goes on (a cap of its own used to stop at 5 MB loaded, below
  // an output's batch, so each batch waited for `flush`).
  Harness h;
  h.full = true;
  const std::string pad(100 * 1024, 'x');
  for (int i = 1; i <= 120; ++i) {
    auto c = test::numbered(i, pad);
    REQUIRE(h.buffer->offer(c));
  }
  CHECK(h.buffer->backlog() == 120);
  h.full = false;
  for (int turn = 0; turn < 50 && h.buffer->backlog() > 0; ++turn) h.run(5ms);
  CHECK(h.buffer->backlog() == 0);
  CHECK(h.submitted.size() == 120);
  // And the pipeline's own budget still stops it: full again, loading waits.
  h.submitted.clear();
  h.full = true;
  for (int i = 121; i <= 125; ++i) {
    auto c = test::numbered(i, pad);
    REQUIRE(h.buffer->offer(c));
  }
  h.run();
  CHECK(h.submitted.empty());
  CHECK(h.buffer->backlog() == 5);
}

TEST_CASE("buffer: what was not delivered is delivered after a restart, in order", "[storage]") {
  Harness h;
  for (int i = 1; i <= 3; ++i) {
    auto c = test::numbered(i);
    REQUIRE(h.buffer->offer(c));
  }
  h.submitted[0].reset();  // chunk 1 delivered
  h.run();
  for (auto& c : h.submitted)
    if (c) c->fail_acks();  // 2 and 3 still queued at shutdown
  h.submitted.clear();
  h.run();
  h.buffer.reset();
  h.open();
  h.run();
  CHECK(h.seqs() == std::vector<int64_t>{2, 3});
}

TEST_CASE("buffer: storage.total_limit_size under block refuses until delivery frees the disk", "[storage]") {
  Harness h(limit(1, storage::OutputLimit::Policy::Block));
  auto a = test::numbered(1);
  REQUIRE(h.buffer->offer(a));  // under the limit when offered
  auto b = test::numbered(2);
  CHECK_FALSE(h.buffer->offer(b));
  CHECK(b);  // left to the input
  CHECK(h.buffer->blocked_reason().find("storage.total_limit_size") != std::string::npos);
  CHECK(h.metric("sluice_storage_refused_total") == 1);
  CHECK(h.metrics.value("sluice_output_storage_bytes", "es.0") > 0);
  h.deliver();
  CHECK(h.buffer->blocked_reason().empty());
  CHECK(h.buffer->offer(b));
}

TEST_CASE("buffer: drop_newest drops the new chunk, counted, and the input may go on", "[storage]") {
  Harness h(limit(1, storage::OutputLimit::Policy::DropNewest));
  auto a = test::numbered(1);
  REQUIRE(h.buffer->offer(a));
  CountingSink sink;
  auto b = test::numbered(2);
  b->acks.push_back(AckRef(&sink, 1));
  CHECK(h.buffer->offer(b));
  CHECK(sink.delivered == 1);
  CHECK(h.metric("sluice_storage_dropped_records_total") == 1);
  CHECK(h.seqs() == std::vector<int64_t>{1});
}

TEST_CASE("buffer: drop_oldest drops the oldest chunks still on disk", "[storage]") {
  Harness h(limit(1, storage::OutputLimit::Policy::DropOldest));
  h.full = true;
  for (int i = 1; i <= 3; ++i) {
    auto c = test::numbered(i);
    REQUIRE(h.buffer->offer(c));
  }
  // Each new chunk made room by dropping the one before it.
  CHECK(h.metric("sluice_storage_dropped_records_total") == 2);
  h.full = false;
  h.run();
  CHECK(h.seqs() == std::vector<int64_t>{3});
}

TEST_CASE("buffer: a disk that refuses writes pauses the input, nothing torn, retried", "[storage]") {
  Harness h;
  auto dir = test::store_opts(h.dir).dir;
  // Make the directory unwritable for the next segment: a new segment can't be created.
  auto a = test::numbered(1);
  REQUIRE(h.buffer->offer(a));
  h.deliver();
  h.buffer.reset();
  h.open();
  std::filesystem::permissions(dir, std::filesystem::perms::owner_read | std::filesystem::perms::owner_exec);
  if (::access(dir.c_str(), W_OK) == 0) {
    std::filesystem::permissions(dir, std::filesystem::perms::owner_all);
    WARN("running as root: directory permissions don't stop writes here; skipped");
    return;
  }
  auto b = test::numbered(2);
  CHECK_FALSE(h.buffer->offer(b));
  CHECK(h.buffer->blocked_reason().find("cannot write") != std::string::npos);
  CHECK(h.metric("sluice_storage_write_errors_total") == 1);
  std::filesystem::permissions(dir, std::filesystem::perms::owner_all);
}

}  // namespace
}  // namespace sluice::SLUICE_UNITY_ID
