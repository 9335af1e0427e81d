// Hot reload end to end with the real binary, under a steady write load:
// SIGHUP reads the file again, rebuilds only what changed, and nothing that
// was read is lost or delivered twice — a changed output hands its queue and
// its retries to its new version, an unchanged Lua aggregator keeps its open
// requests, a changed tail resumes where the old one stopped, a bad file is
// refused while the old pipeline keeps running. The Elasticsearch backends
// are the stand-in (tests/peers/es_standin.py).
#include <catch2/catch.hpp>

#include <signal.h>

#include <atomic>
#include <regex>
#include <thread>

#include "tests/e2e/e2e_support.hpp"
#include "tests/e2e/es_standin.hpp"
#include "tests/support/process.hpp"

namespace SLUICE_UNITY_ID {

using namespace sluice::test;
using namespace std::chrono_literals;

namespace {

// Appends line(0..count-1) to a file on its own thread, `per_tick` lines
// every 10 ms.
class Writer {
 public:
  Writer(std::string path, std::function<std::string(int)> line, int count, int per_tick)
      : thread_([this, path = std::move(path), line = std::move(line), count, per_tick] {
          for (int i = 0; i < count && !stop_;) {
            std::string batch;
            for (int k = 0; k < per_tick && i < count; ++k, ++i) batch += line(i);
            append_file(path, batch);
            written_ = i;
            std::this_thread::sleep_for(10ms);
          }
          done_ = true;
        }) {}
  ~Writer() {
    stop_ = true;
    thread_.join();
  }
  int written() const { return written_; }
  bool done() const { return done_; }

 private:
  std::atomic<int> written_{0};
  std::atomic<bool> done_{false};
  std::atomic<bool> stop_{false};
  std::thread thread_;
};

size_t count_of(const std::string& text, const std::string& what) {
  size_t n = 0;
  for (size_t at = text.find(what); at != std::string::npos; at = text.find(what, at + 1)) ++n;
  return n;
}

// traceId "r<N>" → how many records carry it.
std::map<int, int> trace_counts(const std::vector<std::string>& docs) {
  static const std::regex re(R"re("traceId":"r(\d+)")re");
  std::map<int, int> counts;
  for (const auto& d : docs) {
    std::smatch m;
    if (std::regex_search(d, m, re)) ++counts[std::stoi(m[1])];
  }
  return counts;
}

std::string aggregator_config(const TempDir& dir, uint16_t es_port) {
  return "service:\n  flush: 100ms\n  grace: 10s\n  log_level: info\n  hot_reload: on\n"
         "pipeline:\n  inputs:\n    - name: tail\n      tag: app\n      path: " + dir.file("app.log") +
         "\n      db: " + dir.file("tail.db") + "\n      read_from_head: on\n"
         "  filters:\n    - name: parser\n      match: app\n      key_name: log\n      parser: json\n"
         "    - name: lua\n      match: app\n      script: " + std::string(SLUICE_SOURCE_DIR) +
         "/lua/trace_aggregate.lua\n      call: aggregate\n      timer_call: aggregate_timer\n"
         "      flush_call: aggregate_flush\n      param: stale_timeout 1h\n"
         "  outputs:\n    - name: es\n      match: '*'\n      host: 127.0.0.1\n      port: " + std::to_string(es_port) +
         "\n      index: logs\n      retry_base: 100ms\n      retry_cap: 300ms\n"
         "      dead_letter_file: " + dir.file("dead.jsonl") + "\n";
}

// tail (no db unless given) → an optional filter → file out.jsonl.
std::string file_config(const TempDir& dir, const std::string& tail_extra, const std::string& filter = "") {
  return "service:\n  flush: 100ms\n  grace: 10s\n  log_level: info\n  hot_reload: on\n"
         "pipeline:\n  inputs:\n    - name: tail\n      tag: app\n      path: " + dir.file("app.log") +
         "\n      read_from_head: on\n" + tail_extra +
         (filter.empty() ? "" : "  filters:\n" + filter) +
         "  outputs:\n    - name: file\n      match: '*'\n      path: " + dir.path() + "\n      file: out.jsonl\n";
}

}  // namespace

TEST_CASE("a reload that moves an output to a new backend hands it the queue and the retries, and the aggregator's "
          "open requests carry over",
          "[e2e][reload]") {
  TempDir dir_a, dir_b, dir;
  // Backend A answers 503 to everything: records queue and wait for retries there.
  write_file(dir_a.file("control.json"), R"({"faults": [{"type": "status", "status": 503, "count": 1000000}]})");
  EsStandIn es_a(dir_a), es_b(dir_b);
  constexpr int kRequests = 300;
  write_file(dir.file("app.log"), "");
  auto sluice = start_sluice_with(dir, aggregator_config(dir, es_a.port()));
  // Request r<N> starts in one line and completes 20 lines later, so requests
  // are open in the aggregator at any moment, the reload's included.
  Writer writer(
      dir.file("app.log"),
      [](int i) {
        std::string out;
        if (i < kRequests)
          out += R"({"traceId":"r)" + std::to_string(i) + R"(","message":"handler started","status":0})" "\n";
        if (i >= 20)
          out += R"({"traceId":"r)" + std::to_string(i - 20) + R"(","message":"request completed","status":200})" "\n";
        return out;
      },
      kRequests + 20, 2);

  // Some requests completed and are stuck retrying against A.
  REQUIRE(wait_until([&] { return count_of(sluice->err(), "will be retried") >= 1; }, 30s));
  REQUIRE(writer.written() < kRequests);
  write_file(dir.file("sluice.yaml"), aggregator_config(dir, es_b.port()));
  sluice->signal(SIGHUP);
  REQUIRE(wait_until([&] { return sluice->err().find("reloaded ") != std::string::npos; }, 30s));
  INFO(sluice->err());
  CHECK(sluice->err().find("outputs: rebuilt es.0; 0 unchanged") != std::string::npos);
  CHECK(sluice->err().find("filters: 2 unchanged") != std::string::npos);
  CHECK(sluice->err().find("inputs: 1 unchanged") != std::string::npos);

  REQUIRE(wait_until([&] { return writer.done(); }, 60s));
  REQUIRE(wait_until([&] { return es_b.stored().size() >= kRequests; }, 60s));
  stop_sluice(*sluice);
  // Every request once at B, whole (both lines joined, none split by the
  // reload); nothing stored at A or dead-lettered.
  auto stored = es_b.stored();
  std::map<int, int> once;
  for (int i = 0; i < kRequests; ++i) once[i] = 1;
  CHECK(trace_counts(stored) == once);
  size_t whole = 0;
  for (const auto& d : stored)
    if (d.find(R"(handler started\nrequest completed)") != std::string::npos) ++whole;
  CHECK(whole == kRequests);
  CHECK(es_a.stored().empty());
  CHECK(read_lines(dir.file("dead.jsonl")).empty());
}

TEST_CASE("a bad file is refused and the running pipeline goes on, reloads sent together queue, a changed filter "
          "applies to what is read next",
          "[e2e][reload]") {
  TempDir dir;
  constexpr int kLines = 3000;
  write_file(dir.file("app.log"), "");
  auto sluice = start_sluice_with(dir, file_config(dir, ""));
  Writer writer(dir.file("app.log"), [](int i) { return json_log_line(i); }, kLines, 10);
  REQUIRE(wait_until([&] { return read_lines(dir.file("out.jsonl")).size() >= 200; }, 30s));

  // A key misspelled on line 12: refused with where and what, old pipeline untouched.
  write_file(dir.file("sluice.yaml"), file_config(dir, "      refresh_intervl: 5s\n"));
  sluice->signal(SIGHUP);
  REQUIRE(wait_until([&] { return sluice->err().find("reload refused") != std::string::npos; }, 30s));
  {
    INFO(sluice->err());
    CHECK(sluice->err().find("sluice.yaml:12:7: unknown key 'refresh_intervl'") != std::string::npos);
    CHECK(sluice->err().find("refresh_interval") != std::string::npos);  // the suggestion
  }
  size_t before = read_lines(dir.file("out.jsonl")).size();
  REQUIRE(wait_until([&] { return read_lines(dir.file("out.jsonl")).size() > before + 100; }, 30s));

  // Three reloads at once: they queue (one runs, the others wait and are
  // answered by one more), and none loses or repeats a line.
  write_file(dir.file("sluice.yaml"),
             file_config(dir, "", "    - name: modify\n      match: '*'\n      add: reloaded yes\n"));
  for (int i = 0; i < 3; ++i) sluice->signal(SIGHUP);
  REQUIRE(wait_until([&] { return sluice->err().find("filters: added modify.0") != std::string::npos; }, 30s));
  REQUIRE(wait_until([&] { return writer.done(); }, 60s));
  REQUIRE(wait_until([&] { return read_lines(dir.file("out.jsonl")).size() >= kLines; }, 60s));
  stop_sluice(*sluice);
  auto lines = read_lines(dir.file("out.jsonl"));
  CHECK(seq_counts(lines) == once_each(0, kLines));
  // Read before the reload: as it was; the last line, read after: changed.
  CHECK(lines.front().find(R"("reloaded":"yes")") == std::string::npos);
  CHECK(lines.back().find(R"("reloaded":"yes")") != std::string::npos);
  INFO(sluice->err());
  CHECK(count_of(sluice->err(), "filters: added modify.0") >= 1);
  CHECK(count_of(sluice->err(), "reloaded ") <= 3);
}

TEST_CASE("a reload that changes a tail input without an offsets file resumes it where the old one stopped",
          "[e2e][reload]") {
  TempDir dir;
  constexpr int kLines = 3000;
  write_file(dir.file("app.log"), "");
  auto sluice = start_sluice_with(dir, file_config(dir, ""));
  Writer writer(dir.file("app.log"), [](int i) { return json_log_line(i); }, kLines, 10);
  REQUIRE(wait_until([&] { return read_lines(dir.file("out.jsonl")).size() >= 500; }, 30s));
  // read_from_head is on: a tail that started afresh would read everything again.
  write_file(dir.file("sluice.yaml"), file_config(dir, "      refresh_interval: 2s\n"));
  sluice->signal(SIGHUP);
  REQUIRE(wait_until([&] { return sluice->err().find("inputs: rebuilt tail.0") != std::string::npos; }, 30s));
  REQUIRE(wait_until([&] { return writer.done(); }, 60s));
  REQUIRE(wait_until([&] { return read_lines(dir.file("out.jsonl")).size() >= kLines; }, 60s));
  stop_sluice(*sluice);
  auto counts = seq_counts(read_lines(dir.file("out.jsonl")));
  std::string wrong;
  for (int i = 0; i < kLines; ++i)
    if (counts[i] != 1) wrong += " " + std::to_string(i) + "x" + std::to_string(counts[i]);
  INFO("seq x times, where not once:" << wrong);
  INFO(sluice->err());
  CHECK(wrong.empty());
}

TEST_CASE("with hot_reload off, SIGHUP is logged and changes nothing (it doesn't stop sluice)", "[e2e][reload]") {
  TempDir dir;
  write_app_log(dir, 5);
  std::string yaml = file_config(dir, "");
  yaml.replace(yaml.find("  hot_reload: on\n"), 16, "");
  auto sluice = start_sluice_with(dir, yaml);
  REQUIRE(wait_until([&] { return read_lines(dir.file("out.jsonl")).size() == 5; }, 30s));
  write_file(dir.file("sluice.yaml"), "not: [valid");
  sluice->signal(SIGHUP);
  REQUIRE(wait_until([&] { return sluice->err().find("hot reload is off") != std::string::npos; }, 30s));
  append_file(dir.file("app.log"), json_log_line(5));
  REQUIRE(wait_until([&] { return read_lines(dir.file("out.jsonl")).size() == 6; }, 30s));
  CHECK(sluice->running());
  stop_sluice(*sluice);
}

}  // namespace SLUICE_UNITY_ID
