// The quick start's demo with the real binary: conf/demo.yaml on a log that
// bench/gen_traces.py writes live (as scripts/demo.sh runs them) prints one
// record per request, each holding exactly that request's lines; and
// scripts/demo.sh itself (with a built binary, so without its install and
// build) stops cleanly at Ctrl-C, sums up, and sends the requests to
// Elasticsearch when SLUICE_DEMO_ES_URL is set.
#include <catch2/catch.hpp>

#include <signal.h>

#include <map>
#include <regex>
#include <set>
#include <simdjson.h>

#include "tests/e2e/es_standin.hpp"
#include "tests/support/process.hpp"

namespace SLUICE_UNITY_ID {

using namespace sluice::test;
using namespace std::chrono_literals;

namespace {

const std::string kSource = SLUICE_SOURCE_DIR;

// The application, as demo.sh starts it, at a rate that makes records fast.
std::unique_ptr<Process> start_app(const std::string& log) {
  return std::make_unique<Process>(std::vector<std::string>{"/usr/bin/python3", kSource + "/bench/gen_traces.py",
                                                            "--follow", "--rate", "50", log});
}

size_t count_lines(const std::string& text) { return static_cast<size_t>(std::count(text.begin(), text.end(), '\n')); }

uint64_t summary_count(const std::string& err, const std::string& pattern) {
  std::smatch m;
  if (!std::regex_search(err, m, std::regex(pattern))) return 0;
  return std::stoull(m[1]);
}

// Each request's messages, in the order of the log's lines, from its first
// `lines_read` lines (what sluice had read when it stopped).
std::map<std::string, std::vector<std::string>> requests_in(const std::string& log, size_t lines_read) {
  std::map<std::string, std::vector<std::string>> out;
  simdjson::dom::parser parser;
  auto lines = read_lines(log);
  REQUIRE(lines.size() >= lines_read);
  for (size_t i = 0; i < lines_read; ++i) {
    simdjson::dom::element e = parser.parse(lines[i]);
    out[std::string(std::string_view(e["traceId"]))].emplace_back(std::string_view(e["message"]));
  }
  return out;
}

std::vector<std::string> split_lines(std::string_view text) {
  std::vector<std::string> out;
  size_t start = 0;
  for (size_t nl; (nl = text.find('\n', start)) != std::string_view::npos; start = nl + 1)
    out.emplace_back(text.substr(start, nl - start));
  out.emplace_back(text.substr(start));
  return out;
}

// Every request sluice read comes out as one record holding exactly its lines
// (all of them, ending "request completed"; or, for one still open at the
// stop, those read so far, marked incomplete). Returns how many completed.
size_t check_joined(const std::vector<std::string>& records, const std::map<std::string, std::vector<std::string>>& requests) {
  simdjson::dom::parser parser;
  std::set<std::string> seen;
  size_t complete = 0;
  for (const auto& r : records) {
    INFO(r);
    simdjson::dom::element e = parser.parse(r);
    std::string trace{std::string_view(e["traceId"])};
    CHECK(seen.insert(trace).second);  // one record per request
    auto it = requests.find(trace);
    REQUIRE(it != requests.end());
    CHECK(split_lines(std::string_view(e["message"])) == it->second);
    bool incomplete = false;
    if (e["aggregate_incomplete"].get(incomplete) == simdjson::SUCCESS && incomplete) {
      CHECK(std::string_view(e["aggregate_reason"]) == "shutdown");
      CHECK(it->second.back() != "request completed");
    } else {
      CHECK(it->second.back() == "request completed");
      ++complete;
    }
    CHECK(e["time"].is_string());
    CHECK(e["status"].is_int64());
  }
  CHECK(seen.size() == requests.size());  // and no request is missing
  return complete;
}

}  // namespace

TEST_CASE("conf/demo.yaml joins each request's lines of a live log into one record", "[e2e][demo]") {
  TempDir dir;
  const std::string log = dir.file("app.log");
  auto app = start_app(log);
  Process sluice({SLUICE_BINARY, "-c", kSource + "/conf/demo.yaml"}, {"SLUICE_DEMO_LOG=" + log});
  REQUIRE(wait_until([&] { return count_lines(sluice.out()) >= 30; }, 30s));
  app->signal(SIGTERM);
  REQUIRE(app->wait(10s).has_value());
  sluice.signal(SIGTERM);  // open requests come out marked incomplete
  auto status = sluice.wait(20s);
  INFO(sluice.err());
  REQUIRE(status == 0);
  uint64_t read = summary_count(sluice.err(), "input tail\\.0: (\\d+) records read");
  uint64_t printed = summary_count(sluice.err(), "output stdout\\.0: (\\d+) records delivered");
  auto records = split_lines(sluice.out());
  records.pop_back();  // after the last newline
  CHECK(records.size() == printed);
  CHECK(read > printed);  // 2 to 6 lines a request
  CHECK(check_joined(records, requests_in(log, read)) >= 30 - 4);  // at most 4 requests in flight
}

TEST_CASE("scripts/demo.sh stops at Ctrl-C, sums up, and also indexes the requests in Elasticsearch", "[e2e][demo]") {
  TempDir dir;
  EsStandIn es(dir);
  const std::string log = dir.file("demo/app.log");
  // setsid: the script leads its own process group, which gets Ctrl-C's SIGINT as a terminal's would.
  Process demo({"/usr/bin/setsid", "/bin/bash", kSource + "/scripts/demo.sh"},
               {"SLUICE_BINARY=" + std::string(SLUICE_BINARY), "SLUICE_DEMO_LOG=" + log, "SLUICE_DEMO_RATE=50",
                "SLUICE_DEMO_ES_URL=http://127.0.0.1:" + std::to_string(es.port())});
  // Whatever happens, nothing of the demo (its log writer) outlives the test.
  struct KillGroup {
    pid_t pgid;
    ~KillGroup() { ::kill(-pgid, SIGKILL); }
  } kill_group{demo.pid()};
  REQUIRE(wait_until([&] { return count_lines(demo.out()) >= 20 && es.stored().size() >= 20; }, 30s));
  ::kill(-demo.pid(), SIGINT);
  auto status = demo.wait(30s);
  std::string err = demo.err();
  INFO(err);
  REQUIRE(status == 0);
  CHECK_THAT(err, Catch::Contains("demo: following " + log + " with conf/demo-es.yaml"));
  CHECK_THAT(err, Catch::Contains("also sent to Elasticsearch at 127.0.0.1:" + std::to_string(es.port())));
  uint64_t read = summary_count(err, "input tail\\.0: (\\d+) records read");
  uint64_t printed = summary_count(err, "output stdout\\.0: (\\d+) records delivered");
  CHECK(printed >= 20);
  CHECK_THAT(err, Catch::Contains("demo: " + std::to_string(read) + " log lines read, joined into " +
                                  std::to_string(printed) + " request records"));
  CHECK_THAT(err, Catch::Contains("demo: es: " + std::to_string(printed) + " records delivered"));
  CHECK_THAT(err, Catch::Contains("demo: sluice exited with status 0"));
  CHECK(read_file(dir.file("demo/sluice.log")).find("records read") != std::string::npos);
  // The same records, printed and indexed.
  auto records = split_lines(demo.out());
  records.pop_back();
  CHECK(records.size() == printed);
  CHECK(es.stored().size() == printed);
  check_joined(records, requests_in(log, read));
}

}  // namespace SLUICE_UNITY_ID
