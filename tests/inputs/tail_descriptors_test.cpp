// The tail input with more matching files than descriptors (ulimit -n):
// every line of every file is still read, files read to their end are
// closed and opened again when written, and no more files are open at
// once than the limit leaves room for.
#include <catch2/catch.hpp>

#include <sys/resource.h>

#include <algorithm>

#include "tests/inputs/tail_harness.hpp"

namespace SLUICE_UNITY_ID {

using namespace sluice;
using namespace sluice::tail_test;
using namespace std::chrono_literals;

namespace {

// Lowers this process's soft descriptor limit for one test, and restores it.
class DescriptorLimit {
 public:
  explicit DescriptorLimit(rlim_t soft) {
    ::getrlimit(RLIMIT_NOFILE, &saved_);
    struct rlimit rl = saved_;
    rl.rlim_cur = std::min<rlim_t>(soft, saved_.rlim_max);
    REQUIRE(::setrlimit(RLIMIT_NOFILE, &rl) == 0);
  }
  ~DescriptorLimit() { ::setrlimit(RLIMIT_NOFILE, &saved_); }
  DescriptorLimit(const DescriptorLimit&) = delete;
  DescriptorLimit& operator=(const DescriptorLimit&) = delete;

 private:
  struct rlimit saved_ {};
};

constexpr rlim_t kLimit = 128;   // the input keeps a quarter for the rest: at most 96 files open
constexpr size_t kMaxOpen = 96;

std::string file_name(size_t i) {
  char name[32];
  std::snprintf(name, sizeof name, "f%04zu.log", i);
  return name;
}

// Runs the input, acknowledging what it emits as delivered (as the outputs
// would), until pred holds; collects the lines and the most files open at once.
bool run_delivering(TestContext& ctx, std::vector<std::string>& got, uint64_t& most_open,
                    const std::function<bool()>& pred, std::chrono::milliseconds timeout = 20s) {
  return ctx.run_until(
      [&] {
        for (auto& v : ctx.values()) got.push_back(std::move(v));
        ctx.release();
        most_open = std::max(most_open, ctx.metric("sluice_input_files_open"));
        return pred();
      },
      timeout);
}

}  // namespace

TEST_CASE("tail reads every line of 2,000 files with descriptors for 96", "[tail][tail_descriptors]") {
  TempDir dir;
  constexpr size_t kFiles = 2000;
  std::vector<std::string> want;
  for (size_t i = 0; i < kFiles; ++i) {
    std::string text;
    for (int j = 0; j < 3; ++j) {
      want.push_back("file " + std::to_string(i) + " line " + std::to_string(j));
      text += want.back() + "\n";
    }
    write(dir / file_name(i), text);
  }
  DescriptorLimit limit(kLimit);
  TestContext ctx;
  auto in = make_tail("path: " + dir.path() + "/*.log\nread_from_head: on\nexit_on_eof: on\n");
  in->start(ctx);
  std::vector<std::string> got;
  uint64_t most_open = 0;
  REQUIRE(run_delivering(ctx, got, most_open, [&] { return ctx.finished_calls > 0; }));
  in->stop();
  std::sort(got.begin(), got.end());
  std::sort(want.begin(), want.end());
  CHECK(got.size() == want.size());
  CHECK(got == want);  // each line once
  CHECK(most_open <= kMaxOpen);
}

TEST_CASE("tail opens a file it closed for want of descriptors again when it is written", "[tail][tail_descriptors]") {
  auto inotify = GENERATE(as<std::string>{}, "on", "off");
  TempDir dir;
  constexpr size_t kFiles = 300;
  for (size_t i = 0; i < kFiles; ++i) write(dir / file_name(i), "old " + std::to_string(i) + "\n");
  DescriptorLimit limit(kLimit);
  TestContext ctx;
  auto in = make_tail("path: " + dir.path() + "/*.log\nread_from_head: on\npoll_interval: 20ms\ninotify_watcher: " +
                      inotify + "\n");
  in->start(ctx);
  std::vector<std::string> got;
  uint64_t most_open = 0;
  REQUIRE(run_delivering(ctx, got, most_open, [&] { return got.size() == kFiles; }));
  // The first files were read first and delivered long ago: closed by now.
  append(dir / file_name(0), "new 0\n");
  append(dir / file_name(kFiles - 1), "new last\n");
  REQUIRE(run_delivering(ctx, got, most_open, [&] { return got.size() == kFiles + 2; }, 5s));
  in->stop();
  CHECK(std::count(got.begin(), got.end(), "new 0") == 1);
  CHECK(std::count(got.begin(), got.end(), "new last") == 1);
  CHECK(std::count(got.begin(), got.end(), "old 0") == 1);  // not read again from the start
  CHECK(most_open <= kMaxOpen);
}

TEST_CASE("tail finishes a file rotated while it was closed for want of descriptors", "[tail][tail_descriptors]") {
  auto inotify = GENERATE(as<std::string>{}, "on", "off");
  TempDir dir;
  constexpr size_t kFiles = 300;
  for (size_t i = 0; i < kFiles; ++i) write(dir / file_name(i), "old " + std::to_string(i) + "\n");
  DescriptorLimit limit(kLimit);
  TestContext ctx;
  auto in = make_tail("path: " + dir.path() + "/*.log\nread_from_head: on\npoll_interval: 20ms\nrotate_wait: 100ms\n"
                      "refresh_interval: 1s\ninotify_watcher: " + inotify + "\n");
  in->start(ctx);
  std::vector<std::string> got;
  uint64_t most_open = 0;
  REQUIRE(run_delivering(ctx, got, most_open, [&] { return got.size() == kFiles; }));
  // Rename-and-create rotation of a closed file; its writer appends once more before it reopens.
  REQUIRE(std::rename((dir / file_name(0)).c_str(), (dir / "f0000.log.1").c_str()) == 0);
  append(dir / "f0000.log.1", "late 0\n");
  write(dir / file_name(0), "fresh 0\n");
  REQUIRE(run_delivering(ctx, got, most_open, [&] { return got.size() == kFiles + 2; }, 5s));
  ctx.run_for(300ms);  // nothing more comes
  for (auto& v : ctx.values()) got.push_back(std::move(v));
  in->stop();
  CHECK(std::count(got.begin(), got.end(), "late 0") == 1);
  CHECK(std::count(got.begin(), got.end(), "fresh 0") == 1);
  CHECK(std::count(got.begin(), got.end(), "old 0") == 1);
  CHECK(got.size() == kFiles + 2);
  CHECK(most_open <= kMaxOpen);
}

}  // namespace SLUICE_UNITY_ID
