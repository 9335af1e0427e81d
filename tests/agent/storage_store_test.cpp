// The segment store: chunks written come back in order, acks survive a
// restart, segments roll and are deleted once done, and recovery cuts torn
// tails and moves damaged segments aside while delivering the rest.
#include <catch2/catch.hpp>

#include <unistd.h>

#include <filesystem>

#include "agent/storage/recovery.hpp"
#include "agent/storage/segment_format.hpp"
#include "tests/agent/storage_test_support.hpp"

namespace sluice::SLUICE_UNITY_ID {
namespace {

using storage::SegmentStore;
using State = SegmentStore::State;
namespace fs = std::filesystem;

std::vector<std::string> seg_files(const std::string& dir) {
  std::vector<std::string> out;
  std::error_code ec;
  for (const auto& e : fs::directory_iterator(dir, ec))
    if (e.path().extension() == ".seg") out.push_back(e.path().string());
  std::sort(out.begin(), out.end());
  return out;
}

size_t files_in(const std::string& dir) {
  std::error_code ec;
  size_t n = 0;
  for (const auto& e : fs::directory_iterator(dir, ec)) n += e.is_regular_file() ? 1 : 0;
  return n;
}

// Writes chunks numbered from..to as Down and closes the store; returns each
// chunk's frame end offset in the (single) segment.
std::vector<uint64_t> write_segment(const test::TempDir& dir, int from, int to) {
  storage::RecoveryReport r;
  auto s = SegmentStore::open(test::store_opts(dir), &r);
  std::vector<uint64_t> ends;
  for (int i = from; i <= to; ++i) {
    REQUIRE(s->append(*test::numbered(i), State::Down).error == 0);
    ends.push_back(s->disk_bytes());
  }
  return ends;
}

TEST_CASE("stored chunks come back in order, across a restart") {
  test::TempDir dir;
  storage::RecoveryReport r;
  {
    auto s = SegmentStore::open(test::store_opts(dir), &r);
    CHECK(r.segments.empty());
    for (int i = 1; i <= 5; ++i) REQUIRE(s->append(*test::numbered(i), State::Down).error == 0);
    CHECK(s->down() == 5);
    std::string problem;
    uint64_t q = 0;
    auto first = s->load_next(&problem, &q);
    REQUIRE(first);
    CHECK(first->chunk->events[0].record.find("n")->as_int() == 1);
    CHECK(first->chunk->tag == "app");
    CHECK(s->down() == 4);
    s->done(first->cookie);
    s->flush_acks();
  }
  // A restart: chunk 1 was acknowledged, 2..5 were not (2 was never loaded).
  auto s = SegmentStore::open(test::store_opts(dir), &r);
  CHECK(r.torn_tails == 0);
  CHECK(r.damaged_segments == 0);
  CHECK(s->down() == 4);
  CHECK(test::load_all(*s) == std::vector<int64_t>{2, 3, 4, 5});
}

TEST_CASE("up chunks are not read back, a down chunk after them is") {
  test::TempDir dir;
  storage::RecoveryReport r;
  auto s = SegmentStore::open(test::store_opts(dir), &r);
  auto up = s->append(*test::numbered(1), State::Up);
  REQUIRE(up.error == 0);
  REQUIRE(s->append(*test::numbered(2), State::Down).error == 0);
  CHECK(test::load_all(*s) == std::vector<int64_t>{2});
  s->done(up.cookie);
  s->flush_acks();
  s.reset();
  // After a restart the unacknowledged one (2) is delivered again; 1 is not.
  s = SegmentStore::open(test::store_opts(dir), &r);
  CHECK(test::load_all(*s) == std::vector<int64_t>{2});
}

TEST_CASE("segments roll at their size and are deleted once every chunk is done") {
  test::TempDir dir;
  storage::RecoveryReport r;
  auto s = SegmentStore::open(test::store_opts(dir, 1024), &r);
  std::vector<storage::Cookie> cookies;
  for (int i = 0; i < 40; ++i) {
    auto a = s->append(*test::numbered(i, std::string(100, 'x')), State::Up);
    REQUIRE(a.error == 0);
    cookies.push_back(a.cookie);
  }
  size_t rolled = seg_files(dir.file("in")).size();
  CHECK(rolled >= 5);
  CHECK(s->segment_count() == rolled);
  // Done out of order: a segment goes only when all of its chunks are done.
  for (size_t i = 1; i < cookies.size(); ++i) s->done(cookies[i]);
  s->flush_acks();
  CHECK(seg_files(dir.file("in")).size() >= 2);  // the first (chunk 0 pending) and the active one
  s->done(cookies[0]);
  s->flush_acks();
  CHECK(seg_files(dir.file("in")).size() == 1);  // only the active one
  CHECK(s->disk_bytes() == fs::file_size(seg_files(dir.file("in"))[0]));
  s.reset();
  s = SegmentStore::open(test::store_opts(dir, 1024), &r);
  CHECK(s->down() == 0);
  CHECK(seg_files(dir.file("in")).empty());  // nothing in it was needed: removed at start
}

TEST_CASE("a torn tail is cut back to the last whole frame, at every byte offset of the last frame") {
  test::TempDir src;
  std::vector<uint64_t> ends = write_segment(src, 1, 3);
  std::string whole = test::read_file(seg_files(src.file("in"))[0]);
  REQUIRE(whole.size() == ends.back());
  for (uint64_t cut = ends[1] + 1; cut < ends[2]; ++cut) {
    test::TempDir dir;
    fs::create_directories(dir.file("in"));
    std::string seg = dir.file("in") + "/" + fs::path(seg_files(src.file("in"))[0]).filename().string();
    test::write_file(seg, whole.substr(0, cut));
    storage::RecoveryReport r;
    auto s = SegmentStore::open(test::store_opts(dir), &r);
    INFO("cut at " << cut);
    CHECK(r.torn_tails == 1);
    CHECK(r.torn_bytes == cut - ends[1]);
    CHECK(r.damaged_segments == 0);
    CHECK(fs::file_size(seg) == ends[1]);
    CHECK(test::load_all(*s) == std::vector<int64_t>{1, 2});
    // New chunks go to a new segment after it.
    REQUIRE(s->append(*test::numbered(9), State::Down).error == 0);
    CHECK(test::load_all(*s) == std::vector<int64_t>{9});
  }
}

TEST_CASE("a bit flip anywhere in a segment quarantines it and the intact chunks are delivered") {
  test::TempDir src;
  std::vector<uint64_t> ends = write_segment(src, 1, 3);
  std::string seg_name = fs::path(seg_files(src.file("in"))[0]).filename().string();
  std::string whole = test::read_file(src.file("in") + "/" + seg_name);
  // Every byte of the file: the segment header, each frame's header, payload and trailer.
  for (size_t at = 0; at < whole.size(); ++at) {
    test::TempDir dir;
    fs::create_directories(dir.file("in"));
    std::string bad = whole;
    bad[at] = static_cast<char>(bad[at] ^ 0x20);
    test::write_file(dir.file("in") + "/" + seg_name, bad);
    storage::RecoveryReport r;
    auto s = SegmentStore::open(test::store_opts(dir), &r);
    INFO("flipped byte " << at);
    CHECK(r.damaged_segments == 1);
    REQUIRE(r.quarantined.size() == 1);
    CHECK(test::read_file(r.quarantined[0]) == bad);  // the original, as evidence
    std::vector<int64_t> got = test::load_all(*s);
    // The chunk the flip hit is lost; the others arrive, in order.
    std::vector<int64_t> want;
    uint64_t seg_header = ends[0] - (ends[1] - ends[0]);  // frames are equal in size here
    if (at < seg_header) want = {1, 2, 3};
    for (int i = 1; i <= 3; ++i) {
      uint64_t start = i == 1 ? seg_header : ends[i - 2];
      if (at >= seg_header && !(at >= start && at < ends[i - 1])) want.push_back(i);
    }
    CHECK(got == want);
    // Repaired in place: the next start finds nothing wrong.
    s.reset();
    s = SegmentStore::open(test::store_opts(dir), &r);
    CHECK(r.damaged_segments == 0);
  }
}

TEST_CASE("an unreadable or foreign file never stops recovery") {
  test::TempDir dir;
  write_segment(dir, 1, 2);
  fs::create_directories(dir.file("in"));
  test::write_file(dir.file("in") + "/00000000000000000000.seg", "not a segment at all");
  test::write_file(dir.file("in") + "/notes.txt", "ignored");
  test::write_file(dir.file("in") + "/00000000000000000099.seg.tmp", "a rewrite a crash interrupted");
  storage::RecoveryReport r;
  auto s = SegmentStore::open(test::store_opts(dir), &r);
  CHECK(r.damaged_segments == 1);
  CHECK(test::load_all(*s) == std::vector<int64_t>{1, 2});
  CHECK_FALSE(fs::exists(dir.file("in") + "/00000000000000000099.seg.tmp"));
  CHECK(files_in(dir.file("quarantine/in")) == 1);
}

TEST_CASE("a frame damaged after start is moved aside when loaded, the rest delivered") {
  test::TempDir dir;
  storage::RecoveryReport r;
  auto s = SegmentStore::open(test::store_opts(dir), &r);
  for (int i = 1; i <= 3; ++i) REQUIRE(s->append(*test::numbered(i), State::Down).error == 0);
  std::string seg = seg_files(dir.file("in"))[0];
  uint64_t size = fs::file_size(seg);
  uint64_t frame = (size - storage::segment_header("in").size()) / 3;
  // A byte in the payload of chunk 2 changes on disk.
  std::string data = test::read_file(seg);
  size_t at = storage::segment_header("in").size() + frame + storage::kFrameHeaderSize + 3;
  data[at] = static_cast<char>(data[at] ^ 0x01);
  test::write_file(seg, data);
  uint64_t quarantined = 0;
  CHECK(test::load_all(*s, &quarantined) == std::vector<int64_t>{1, 3});
  CHECK(quarantined == 1);
  CHECK(files_in(dir.file("quarantine/in")) == 1);
}

TEST_CASE("drop_oldest_down drops the oldest chunks on disk of a tag") {
  test::TempDir dir;
  storage::RecoveryReport r;
  auto s = SegmentStore::open(test::store_opts(dir), &r);
  REQUIRE(s->append(*test::chunk_of("a", {R"({"n":1})"}), State::Down).error == 0);
  REQUIRE(s->append(*test::chunk_of("b", {R"({"n":2})", R"({"n":3})"}), State::Down).error == 0);
  REQUIRE(s->append(*test::chunk_of("b", {R"({"n":4})"}), State::Down).error == 0);
  uint32_t records = 0, bytes = 0;
  REQUIRE(s->drop_oldest_down([](const std::string& t) { return t == "b"; }, &records, &bytes));
  CHECK(records == 2);
  CHECK(bytes > 0);
  CHECK(test::load_all(*s) == std::vector<int64_t>{1, 4});
}

}  // namespace
}  // namespace sluice::SLUICE_UNITY_ID
