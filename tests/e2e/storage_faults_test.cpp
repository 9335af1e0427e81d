// The filesystem buffer under faults, with the real binary and the
// Elasticsearch stand-in (a stand-in, see es_standin.hpp):
//  - a truncated and a bit-flipped segment at start: moved aside, the rest
//    delivered before new records, health and metrics show it;
//  - the disk under the buffer full (a 256 KiB tmpfs in a mount namespace of
//    sluice's own): a clear error, the http input answers 503, nothing
//    acknowledged is lost or torn, and it takes records again once delivery
//    frees space;
//  - the backend down for 20 s under load: resident memory stays flat while
//    the disk grows, and nothing is lost once it is back.
#include <catch2/catch.hpp>

#include <filesystem>
#include <fstream>
#include <set>

#include "agent/storage/recovery.hpp"
#include "agent/storage/segment_format.hpp"
#include "agent/storage/segment_store.hpp"
#include "agent/parse/json_format.hpp"
#include "tests/e2e/storage_support.hpp"

namespace SLUICE_UNITY_ID {

using namespace sluice;
using namespace sluice::test;
using namespace std::chrono_literals;
namespace fs = std::filesystem;

namespace {

std::vector<std::string> segments_in(const std::string& dir) {
  std::vector<std::string> out;
  std::error_code ec;
  for (const auto& e : fs::directory_iterator(dir, ec))
    if (e.path().extension() == ".seg") out.push_back(e.path().string());
  std::sort(out.begin(), out.end());
  return out;
}

ChunkPtr seq_chunk(int seq) {
  auto c = std::make_unique<Chunk>("app", 4096);
  auto json = make_json_format();
  Value v;
  std::string text = "{\"seq\":" + std::to_string(seq) + ",\"pad\":\"" + std::string(150, 'p') + "\"}";
  json->parse(text, c->arena, v);
  c->events.push_back({1'700'000'000'000'000'000 + seq, v});
  return c;
}

std::string ndjson(int from, int n) {
  std::string body;
  for (int i = from; i < from + n; ++i) body += "{\"seq\":" + std::to_string(i) + ",\"msg\":\"" + std::string(40, 'm') + "\"}\n";
  return body;
}

}  // namespace

TEST_CASE("storage e2e: a truncated and a bit-flipped segment at start are moved aside, the rest delivered first",
          "[e2e][storage]") {
  TempDir dir;
  // What a previous run left: three segments of two chunks each (seq 0..5).
  {
    storage::StoreOptions o;
    o.dir = dir.file("buf/http.0");
    o.quarantine_dir = dir.file("buf/quarantine/http.0");
    o.instance = "http.0";
    o.segment_size = 600;
    storage::RecoveryReport r;
    auto store = storage::SegmentStore::open(o, &r);
    for (int seq = 0; seq < 6; ++seq) REQUIRE(store->append(*seq_chunk(seq), storage::SegmentStore::State::Down).error == 0);
  }
  auto segs = segments_in(dir.file("buf/http.0"));
  REQUIRE(segs.size() == 3);
  // The second segment loses the end of its last frame (seq 3) ...
  fs::resize_file(segs[1], fs::file_size(segs[1]) - 20);
  // ... and a bit of the third's first chunk (seq 4) flips.
  std::string third = read_file(segs[2]);
  size_t at = storage::segment_header("http.0").size() + storage::kFrameHeaderSize + 10;
  third[at] = static_cast<char>(third[at] ^ 0x08);
  write_file(segs[2], third);

  EsStandIn es(dir);
  uint16_t port = free_tcp_port();
  BufferedSluice s(dir, es,
                   "    - name: http\n      listen: 127.0.0.1\n      port: " + std::to_string(port) +
                       "\n      storage.type: filesystem\n");
  s.start();
  REQUIRE(wait_until([&] { return port_listening(port); }, 15s));
  REQUIRE(http_post(port, "/app", "{\"seq\":100}\n") == 201);
  bool arrived = wait_until([&] { return seq_counts(es.stored()).count(100) == 1; }, 20s);
  INFO(s.all_logs());
  REQUIRE(arrived);
  std::vector<int> order;
  for (const auto& [seq, n] : seq_counts(es.stored())) order.push_back(seq);
  CHECK(order == std::vector<int>{0, 1, 2, 5, 100});
  // Recovered chunks went before the new one.
  auto stored = es.stored();
  CHECK(stored.back().find("\"seq\":100") != std::string::npos);

  std::string health = s.health();
  INFO(health);
  CHECK(health.find("\"torn_tails\":1") != std::string::npos);
  CHECK(health.find("\"quarantined\":1") != std::string::npos);
  CHECK(health.find(dir.file("buf/quarantine/http.0")) != std::string::npos);
  CHECK(s.all_logs().find("is damaged") != std::string::npos);
  CHECK(s.all_logs().find("torn write") != std::string::npos);
  size_t quarantined_files = 0;
  for (const auto& e : fs::directory_iterator(dir.file("buf/quarantine/http.0"))) quarantined_files += e.is_regular_file();
  CHECK(quarantined_files == 2);

  // A restart finds nothing wrong any more: no crash loop, no second quarantine.
  s.stop();
  s.start();
  REQUIRE(wait_until([&] { return port_listening(port); }, 15s));
  CHECK(s.health().find("\"quarantined\":0") != std::string::npos);
  s.stop();
  CHECK(seq_counts(es.stored()) == std::map<int, int>{{0, 1}, {1, 1}, {2, 1}, {5, 1}, {100, 1}});
}

TEST_CASE("storage e2e: a full disk under the buffer pushes back, loses nothing and recovers", "[e2e][storage]") {
  // A small tmpfs in a mount namespace of sluice's own (user namespaces let
  // an unprivileged test mount one); the test reaches it through /proc/PID/root.
  {
    Process probe({"/usr/bin/unshare", "-Urm", "/bin/true"});
    if (probe.wait(10s) != 0) {
      WARN("unshare -Urm is not available here: the disk-full test is skipped");
      return;
    }
  }
  TempDir dir;
  fs::create_directories(dir.file("buf"));
  EsStandIn es(dir);
  write_file(dir.file("control.json"), R"({"faults":[{"type":"status","status":503,"count":1000000}]})");
  uint16_t port = free_tcp_port();
  BufferedSluice s(dir, es,
                   "    - name: http\n      listen: 127.0.0.1\n      port: " + std::to_string(port) +
                       "\n      storage.type: filesystem\n");
  s.start({"/usr/bin/unshare", "-Urm", "/bin/sh", "-c",
           "mount -t tmpfs -o size=256k none " + dir.file("buf") + " && exec \"$0\" \"$@\""});
  REQUIRE(wait_until([&] { return port_listening(port) || !s.process->running(); }, 15s));
  INFO(s.all_logs());
  REQUIRE(s.process->running());

  // Post until the disk is full: sluice answers 503 (and logs why) instead of 2xx.
  std::set<int> acked;
  int next = 0, busy = 0;
  for (int i = 0; i < 2000 && busy < 3; ++i) {
    int status = http_post(port, "/app", ndjson(next, 20));
    if (status == 201) {
      for (int k = 0; k < 20; ++k) acked.insert(next + k);
    } else {
      REQUIRE(status == 503);
      ++busy;
    }
    next += 20;
  }
  REQUIRE(busy == 3);
  CHECK(acked.size() > 100);
  std::string health = s.health();
  INFO(health);
  CHECK(health.find("No space left on device") != std::string::npos);
  CHECK(health.find("\"state\":\"paused\"") != std::string::npos);
  CHECK(s.process->err().find("No space left on device") != std::string::npos);
  CHECK(s.process->err().find("refusing new records") != std::string::npos);
  // The segment on the full disk ends in whole frames: nothing torn.
  std::string root = "/proc/" + std::to_string(s.process->pid()) + "/root" + dir.file("buf/http.0");
  for (const auto& seg : segments_in(root)) {
    std::string data = read_file(seg);
    size_t pos = *storage::parse_segment_header(data, nullptr);
    storage::FrameRead r;
    while ((r = storage::read_frame(data, pos)).kind == storage::FrameRead::Kind::Frame) pos += r.size;
    CHECK(r.kind == storage::FrameRead::Kind::End);
  }

  // The backend comes back: delivery frees the disk and the input takes records again.
  write_file(dir.file("control.json"), R"({"faults":[]})");
  bool taken = wait_until([&] {
    if (http_post(port, "/app", ndjson(next, 20)) != 201) return false;
    for (int k = 0; k < 20; ++k) acked.insert(next + k);
    next += 20;
    return true;
  }, 30s);
  REQUIRE(taken);
  std::map<int, int> got;
  bool all = wait_until([&] {
    got = seq_counts(es.stored());
    return std::all_of(acked.begin(), acked.end(), [&](int seq) { return got.count(seq) > 0; });
  }, 30s);
  CHECK(all);
  CHECK(s.process->err().find("writing to") != std::string::npos);  // "storage: writing to ... again"
  s.stop();
}

TEST_CASE("storage e2e: the backend down for 20 s: memory stays flat while the disk grows, nothing lost",
          "[e2e][storage]") {
  TempDir dir;
  EsStandIn es(dir);
  uint16_t port = free_tcp_port();
  BufferedSluice s(dir, es,
                   "    - name: http\n      listen: 127.0.0.1\n      port: " + std::to_string(port) +
                       "\n      storage.type: filesystem\n",
                   "", "      mem_buf_limit: 1M\n      batch_max_bytes: 512k\n");
  s.start();
  INFO(s.all_logs());
  REQUIRE(wait_until([&] { return port_listening(port); }, 15s));
  write_file(dir.file("control.json"), R"({"faults":[{"type":"status","status":503,"count":1000000}]})");

  std::set<int> acked;
  int next = 0;
  auto post_for = [&](std::chrono::seconds d) {
    auto end = std::chrono::steady_clock::now() + d;
    while (std::chrono::steady_clock::now() < end) {
      if (http_post(port, "/app", ndjson(next, 100)) == 201)
        for (int k = 0; k < 100; ++k) acked.insert(next + k);
      next += 100;
      std::this_thread::sleep_for(10ms);
    }
  };
  post_for(5s);  // the output's memory buffer fills, then the disk takes the rest
  uint64_t rss_early = rss_kb(s.process->pid());
  uint64_t disk_early = dir_bytes(dir.file("buf"));
  post_for(15s);
  uint64_t rss_late = rss_kb(s.process->pid());
  uint64_t disk_late = dir_bytes(dir.file("buf"));
  INFO("RSS " << rss_early << " kB -> " << rss_late << " kB; disk " << disk_early << " -> " << disk_late << " bytes; "
              << acked.size() << " records acknowledged");
  CHECK(disk_late > disk_early + 1024 * 1024);
  CHECK(rss_late <= rss_early + rss_early / 10 + 1024);  // flat: within 10% (and 1 MB of noise)

  write_file(dir.file("control.json"), R"({"faults":[]})");
  std::map<int, int> got;
  bool all = wait_until([&] {
    got = seq_counts(es.stored());
    return std::all_of(acked.begin(), acked.end(), [&](int seq) { return got.count(seq) > 0; });
  }, 60s);
  INFO(s.all_logs().substr(0, 10000));
  CHECK(all);
  // Once delivered, the segments go.
  CHECK(wait_until([&] { return dir_bytes(dir.file("buf")) < 9 * 1024 * 1024; }, 10s));
  s.stop();
}

}  // namespace SLUICE_UNITY_ID
