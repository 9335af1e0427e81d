// End to end: the systemd input on real journal files, written by systemd's
// own systemd-journal-remote (Debian's package systemd-journal-remote, which
// scripts/install-deps.sh installs) from journal export format: sluice reads
// them with libsystemd, follows what is appended, tags entries by unit, and
// goes on from its db after a restart or a kill -9.
#include <catch2/catch.hpp>

#include <signal.h>

#include <filesystem>

#include "tests/outputs/http_test_peers.hpp"
#include "tests/support/process.hpp"

namespace SLUICE_UNITY_ID {

using namespace sluice::test;
using namespace std::chrono_literals;

namespace {

const char* kJournalRemote = "/lib/systemd/systemd-journal-remote";

struct Entry {
  std::string unit;
  std::string message;
};

// Appends entries to dir/journal/remote.journal with systemd-journal-remote.
class JournalWriter {
 public:
  explicit JournalWriter(const TempDir& dir) : dir_(dir) { std::filesystem::create_directories(folder()); }
  std::string folder() const { return dir_.file("journal"); }
  void write(const std::vector<Entry>& entries) {
    REQUIRE(std::filesystem::exists(kJournalRemote));
    std::string text;
    for (const auto& e : entries) {
      ++seq_;
      text += "__REALTIME_TIMESTAMP=" + std::to_string(1796637600000000LL + seq_ * 1000) + "\n";
      text += "__MONOTONIC_TIMESTAMP=" + std::to_string(seq_ * 1000) + "\n";
      text += "_BOOT_ID=0123456789abcdef0123456789abcdef\n_HOSTNAME=node-1\nPRIORITY=6\n";
      if (!e.unit.empty()) text += "_SYSTEMD_UNIT=" + e.unit + "\n";
      text += "MESSAGE=" + e.message + "\n\n";
    }
    std::string file = dir_.file("entries-" + std::to_string(seq_) + ".export");
    write_file(file, text);
    Process p({kJournalRemote, "--output=" + folder() + "/remote.journal", file});
    auto status = p.wait(30s);
    INFO(p.err());
    REQUIRE(status == 0);
  }

 private:
  const TempDir& dir_;
  int64_t seq_ = 0;
};

std::string pipeline(const TempDir& dir, const std::string& input_keys, const std::string& output) {
  return "service:\n  flush: 100ms\n  grace: 5s\n  log_level: info\npipeline:\n  inputs:\n    - name: systemd\n"
         "      path: " + dir.file("journal") + "\n" + input_keys + "  outputs:\n" + output;
}

std::string file_output(const TempDir& dir) {
  return "    - name: file\n      match: '*'\n      path: " + dir.file("out") + "\n      mkdir: on\n      format: json_lines\n";
}

size_t count(const std::vector<std::string>& lines, const std::string& needle) {
  size_t n = 0;
  for (const auto& l : lines) n += l.find(needle) != std::string::npos;
  return n;
}

}  // namespace

TEST_CASE("systemd e2e: journal entries are read and followed, tagged by unit, and a restart goes on after the last "
          "one delivered",
          "[e2e][systemd]") {
  TempDir dir;
  JournalWriter journal(dir);
  journal.write({{"kubelet.service", "kubelet started"}, {"containerd.service", "containerd ready"}});
  write_file(dir.file("p.yaml"), pipeline(dir, "      tag: host.*\n      db: " + dir.file("cursor") +
                                                   "\n      strip_underscores: on\n",
                                          file_output(dir)));
  const std::string kubelet = dir.file("out/host.kubelet.service");
  const std::string containerd = dir.file("out/host.containerd.service");
  {
    Process sluice({SLUICE_BINARY, "-c", dir.file("p.yaml")});
    REQUIRE(wait_until([&] { return read_lines(kubelet).size() == 1 && read_lines(containerd).size() == 1; }, 30s));
    CHECK(read_lines(kubelet)[0].find(R"("BOOT_ID":"0123456789abcdef0123456789abcdef","HOSTNAME":"node-1",)"
                                      R"("PRIORITY":"6","SYSTEMD_UNIT":"kubelet.service","MESSAGE":"kubelet started")") !=
          std::string::npos);
    // The journal's time of the entry is the record's.
    CHECK(read_lines(kubelet)[0].find(R"("date":1796637600.001)") != std::string::npos);
    // Followed: an entry appended while running.
    journal.write({{"kubelet.service", "node ready"}});
    REQUIRE(wait_until([&] { return read_lines(kubelet).size() == 2; }, 30s));
    sluice.signal(SIGTERM);
    INFO(sluice.err());
    CHECK(sluice.wait(20s) == 0);
  }
  CHECK_FALSE(read_file(dir.file("cursor")).empty());
  {
    // Restarted: nothing read twice; what is new is read.
    Process sluice({SLUICE_BINARY, "-c", dir.file("p.yaml")});
    REQUIRE(wait_until([&] { return sluice.err().find("after the saved cursor") != std::string::npos; }, 30s));
    journal.write({{"", "no unit"}, {"kubelet.service", "after the restart"}});
    REQUIRE(wait_until([&] { return read_lines(kubelet).size() == 3; }, 30s));
    REQUIRE(wait_until([&] { return read_lines(dir.file("out/host.unknown")).size() == 1; }, 30s));
    std::this_thread::sleep_for(300ms);
    CHECK(read_lines(containerd).size() == 1);
    CHECK(count(read_lines(kubelet), "kubelet started") == 1);
    sluice.signal(SIGTERM);
    CHECK(sluice.wait(20s) == 0);
  }
}

TEST_CASE("systemd e2e: systemd_filter and read_from_tail read only new entries of the chosen unit",
          "[e2e][systemd]") {
  TempDir dir;
  JournalWriter journal(dir);
  journal.write({{"kubelet.service", "old kubelet line"}, {"ssh.service", "old ssh line"}});
  write_file(dir.file("p.yaml"),
             pipeline(dir, "      tag: node\n      read_from_tail: on\n      systemd_filter: _SYSTEMD_UNIT=kubelet.service\n",
                      file_output(dir)));
  Process sluice({SLUICE_BINARY, "-c", dir.file("p.yaml")});
  REQUIRE(wait_until([&] { return sluice.err().find("at the journal's end") != std::string::npos; }, 30s));
  journal.write({{"ssh.service", "new ssh line"}, {"kubelet.service", "new kubelet line"}});
  REQUIRE(wait_until([&] { return read_lines(dir.file("out/node")).size() == 1; }, 30s));
  std::this_thread::sleep_for(500ms);
  auto lines = read_lines(dir.file("out/node"));
  REQUIRE(lines.size() == 1);
  CHECK(lines[0].find(R"("MESSAGE":"new kubelet line")") != std::string::npos);
  sluice.signal(SIGTERM);
  CHECK(sluice.wait(20s) == 0);
}

TEST_CASE("systemd e2e: entries not delivered when sluice is killed (kill -9) are read again at the next start",
          "[e2e][systemd]") {
  TempDir dir;
  JournalWriter journal(dir);
  std::vector<Entry> entries;
  for (int i = 0; i < 50; ++i) entries.push_back({"app.service", "entry " + std::to_string(i)});
  journal.write(entries);
  write_file(dir.file("control"), "503");
  PythonPeer sink("http_sink.py", {"--out", dir.file("requests.jsonl"), "--control", dir.file("control")});
  write_file(dir.file("p.yaml"),
             pipeline(dir, "      tag: host.*\n      db: " + dir.file("cursor") + "\n",
                      "    - name: http\n      match: '*'\n      port: " + std::to_string(sink.port()) +
                          "\n      uri: /controlled\n      format: json_lines\n      retry_base: 100ms\n"
                          "      retry_cap: 200ms\n"));
  {
    Process sluice({SLUICE_BINARY, "-c", dir.file("p.yaml")});
    // The backend refuses: the entries are read but not delivered.
    REQUIRE(wait_until([&] { return read_lines(dir.file("requests.jsonl")).size() >= 2; }, 30s));
    sluice.signal(SIGKILL);
    sluice.wait(10s);
  }
  write_file(dir.file("control"), "200");
  Process sluice({SLUICE_BINARY, "-c", dir.file("p.yaml")});
  auto delivered = [&] {
    std::string all;
    for (const auto& line : read_lines(dir.file("requests.jsonl")))
      if (line.find(R"("status": 200)") != std::string::npos) all += line;
    return all;
  };
  REQUIRE(wait_until([&] { return delivered().find("entry 49") != std::string::npos; }, 30s));
  std::string body = delivered();
  for (int i = 0; i < 50; ++i) CHECK(body.find("entry " + std::to_string(i) + "\\\"") != std::string::npos);
  sluice.signal(SIGTERM);
  CHECK(sluice.wait(20s) == 0);
}

TEST_CASE("systemd e2e: a backlog is read on batch after batch, not a batch per wakeup", "[e2e][systemd]") {
  TempDir dir;
  JournalWriter journal(dir);
  std::vector<Entry> entries;
  for (int i = 0; i < 500; ++i) entries.push_back({"app.service", "backlog " + std::to_string(i)});
  journal.write(entries);
  // 10 entries a batch: at one batch per second (the timer) this would take 50 s.
  write_file(dir.file("p.yaml"), pipeline(dir, "      tag: node\n      max_entries: 10\n", file_output(dir)));
  Process sluice({SLUICE_BINARY, "-c", dir.file("p.yaml")});
  bool all = wait_until([&] { return read_lines(dir.file("out/node")).size() == 500; }, 20s);
  INFO(sluice.err());
  CHECK(all);
  sluice.signal(SIGTERM);
  CHECK(sluice.wait(20s) == 0);
}

TEST_CASE("systemd e2e: a db that is Fluent Bit's SQLite cursor database is left as it is", "[e2e][systemd]") {
  TempDir dir;
  JournalWriter journal(dir);
  journal.write({{"kubelet.service", "one"}});
  // The first bytes of any SQLite 3 file: enough for sluice to know it.
  const std::string fluent_bit_db = std::string("SQLite format 3") + '\0' + std::string(100, 'x');
  write_file(dir.file("journal.db"), fluent_bit_db);
  write_file(dir.file("p.yaml"), pipeline(dir, "      tag: node\n      db: " + dir.file("journal.db") + "\n",
                                          file_output(dir)));
  Process sluice({SLUICE_BINARY, "-c", dir.file("p.yaml")});
  REQUIRE(wait_until([&] { return read_lines(dir.file("out/node")).size() == 1; }, 30s));
  sluice.signal(SIGTERM);
  CHECK(sluice.wait(20s) == 0);
  CHECK(read_file(dir.file("journal.db")) == fluent_bit_db);
  CHECK_FALSE(read_file(dir.file("journal.db.sluice")).empty());
  CHECK(sluice.err().find("Fluent Bit's SQLite cursor database") != std::string::npos);
}

}  // namespace SLUICE_UNITY_ID
