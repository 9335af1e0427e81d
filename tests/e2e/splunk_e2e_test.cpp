// End to end with the real binary: tail → parser json → splunk → a Splunk
// HTTP Event Collector stand-in (tests/peers/splunk_hec_standin.py). No
// Splunk can run here, so the peer is a stand-in written from Splunk's HEC
// documentation: it checks the token, reads the body's events one after
// another as HEC does, refuses a bad one with its code and number, stores
// the rest, and answers 503 "Server is busy" on cue.
#include <catch2/catch.hpp>

#include <simdjson.h>

#include "tests/e2e/e2e_support.hpp"
#include "tests/e2e/node_standin.hpp"
#include "tests/outputs/http_test_peers.hpp"
#include "tests/support/process.hpp"

namespace SLUICE_UNITY_ID {

using namespace sluice::test;
using namespace std::chrono_literals;

namespace {

constexpr const char* kToken = "3f2b1c4d-5e6f-4a7b-8c9d-0e1f2a3b4c5d";

struct Hec {
  TempDir& dir;
  PythonPeer peer;
  Hec(TempDir& d, std::vector<std::string> extra = {})
      : dir(d), peer("splunk_hec_standin.py", args(d, std::move(extra))) {}
  static std::vector<std::string> args(TempDir& d, std::vector<std::string> extra) {
    std::vector<std::string> a{"--token", kToken, "--store", d.file("events.jsonl"), "--log", d.file("hec.jsonl"),
                               "--control", d.file("control")};
    a.insert(a.end(), extra.begin(), extra.end());
    return a;
  }
  std::vector<std::string> events() const { return read_lines(dir.file("events.jsonl")); }
  std::vector<std::string> requests() const { return read_lines(dir.file("hec.jsonl")); }
  std::string keys(const std::string& token = kToken) const {
    return "      port: " + std::to_string(peer.port()) + "\n      splunk_token: " + token + "\n";
  }
};

}  // namespace

TEST_CASE("splunk: records reach HEC as events with time, host, source, sourcetype, index and indexed fields, "
          "gzipped, through a busy answer",
          "[e2e][splunk]") {
  TempDir dir;
  Hec hec(dir, {"--indexes", "main,web"});
  write_file(dir.file("control"), "503");
  write_app_log(dir, 20, [](int i) { return std::string(R"(,"host":"web-)") + std::to_string(i % 2) + "\""; });
  auto sluice = start_sluice_with(dir, tail_to_output_yaml(dir, "splunk",
                                                           hec.keys() +
                                                               "      compress: gzip\n      event_host: $host\n"
                                                               "      event_source: checkout\n"
                                                               "      event_sourcetype: _json\n      event_index: web\n"
                                                               "      event_field:\n        - level $level\n"
                                                               "        - trace $traceId\n"
                                                               "      channel: 0aeeac95-ac74-4aa9-b30d-6c4c0ac581ba\n"));
  // Busy first: retried, then stored once the collector has room.
  REQUIRE(wait_until([&] { return !hec.requests().empty(); }, 30s));
  write_file(dir.file("control"), "");
  bool done = wait_until([&] { return hec.events().size() >= 20; }, 60s);
  INFO(sluice->err());
  REQUIRE(done);
  stop_sluice(*sluice);
  auto events = hec.events();
  CHECK(seq_counts(events) == once_each(0, 20));
  simdjson::dom::parser p;
  simdjson::dom::element e = p.parse(events[0]);
  CHECK(std::string_view(e["host"]) == "web-0");
  CHECK(std::string_view(e["source"]) == "checkout");
  CHECK(std::string_view(e["sourcetype"]) == "_json");
  CHECK(std::string_view(e["index"]) == "web");
  CHECK(simdjson::minify(e["fields"]) == R"({"level":"warn","trace":"4bf92f3577b34da6a3ce929d0e0e4736"})");
  CHECK(std::abs(double(e["time"]) - double(now_seconds())) < 120);
  CHECK(int64_t(e["event"]["seq"]) == 0);
  // The order of an event's keys is Fluent Bit's.
  CHECK(events[0].rfind(R"({"time":)", 0) == 0);
  CHECK(events[0].find(R"("index":"web","fields":{)") != std::string::npos);
  auto requests = hec.requests();
  CHECK(count_with(requests, R"("status":503)") >= 1);
  CHECK(count_with(requests, R"("Content-Encoding":"gzip")") == requests.size());
  CHECK(count_with(requests, R"("Authorization":"Splunk 3f2b1c4d)") == requests.size());
  CHECK(count_with(requests, R"("X-Splunk-Request-Channel":"0aeeac95-ac74-4aa9-b30d-6c4c0ac581ba")") ==
        requests.size());
  CHECK(sluice->err().find(kToken) == std::string::npos);
}

TEST_CASE("splunk: the one event HEC refuses (an index the token can't write) is dead-lettered with HEC's reason, "
          "the others stored",
          "[e2e][splunk]") {
  TempDir dir;
  Hec hec(dir, {"--indexes", "main,web"});
  write_app_log(dir, 10, [](int i) { return std::string(R"(,"idx":")") + (i == 4 ? "secret" : "web") + "\""; });
  auto sluice = start_sluice_with(dir, tail_to_output_yaml(dir, "splunk", hec.keys() + "      event_index_key: $idx\n"));
  bool done = wait_until([&] { return hec.events().size() >= 9 && read_lines(dir.file("dead.jsonl")).size() >= 1; },
                         60s);
  INFO(sluice->err());
  REQUIRE(done);
  stop_sluice(*sluice);
  auto dead = read_lines(dir.file("dead.jsonl"));
  REQUIRE(dead.size() == 1);
  CHECK(seq_counts(dead) == once_each(4, 5));
  CHECK(count_with(dead, "Splunk HEC answered 400: Incorrect index (code 7)") == 1);
  // Every other event stored (those before the refused one may be twice: at least once).
  auto stored = seq_counts(hec.events());
  for (int i = 0; i < 10; ++i) {
    if (i == 4) CHECK(stored.count(4) == 0);
    else CHECK(stored[i] >= 1);
  }
}

TEST_CASE("splunk: a wrong token dead-letters the records with HEC's 403, printed nowhere", "[e2e][splunk]") {
  TempDir dir;
  Hec hec(dir);
  write_app_log(dir, 3);
  const std::string wrong = "00000000-wrong-token-0000-000000000000";
  auto sluice = start_sluice_with(dir, tail_to_output_yaml(dir, "splunk", hec.keys(wrong)));
  bool done = wait_until([&] { return read_lines(dir.file("dead.jsonl")).size() >= 3; }, 60s);
  INFO(sluice->err());
  REQUIRE(done);
  stop_sluice(*sluice);
  auto dead = read_lines(dir.file("dead.jsonl"));
  CHECK(seq_counts(dead) == once_each(0, 3));
  CHECK(count_with(dead, "Splunk HEC answered 403: Invalid token (code 4)") == 3);
  CHECK(hec.events().empty());
  CHECK(sluice->err().find(wrong) == std::string::npos);
  CHECK(read_file(dir.file("dead.jsonl")).find(wrong) == std::string::npos);
}

TEST_CASE("splunk: Fluent Bit's classic splunk section (event_key, splunk_send_raw) runs as it is", "[e2e][splunk]") {
  TempDir dir;
  Hec hec(dir);
  write_app_log(dir, 4);
  std::string raw;
  SECTION("event_key: the message alone, as text") { raw = "Off"; }
  SECTION("splunk_send_raw: each record is its own HEC event") { raw = "On"; }
  std::string conf = "[SERVICE]\n    Flush 1\n    Log_Level info\n    Parsers_File parsers.conf\n"
                     "[INPUT]\n    Name tail\n    Tag app\n    Path " + dir.file("app.log") +
                     "\n    Read_From_Head On\n"
                     "[FILTER]\n    Name parser\n    Match app\n    Key_Name log\n    Parser json\n";
  if (raw == "On") conf += "[FILTER]\n    Name nest\n    Match app\n    Operation nest\n    Wildcard *\n"
                           "    Nest_under event\n";
  conf += "[OUTPUT]\n    Name splunk\n    Match *\n    Host 127.0.0.1\n    Port " + std::to_string(hec.peer.port()) +
          "\n    Splunk_Token " + kToken + "\n    Splunk_Send_Raw " + raw + "\n    Retry_Limit False\n" +
          (raw == "Off" ? "    Event_Key $msg\n" : "");
  write_file(dir.file("fluent-bit.conf"), conf);
  write_file(dir.file("parsers.conf"), "[PARSER]\n    Name json\n    Format json\n");
  Process sluice({SLUICE_BINARY, "-c", dir.file("fluent-bit.conf")});
  bool done = wait_until([&] { return hec.events().size() >= 4; }, 60s);
  INFO(sluice.err());
  REQUIRE(done);
  stop_sluice(sluice);
  auto events = hec.events();
  if (raw == "Off") {
    CHECK(count_with(events, R"("event":"slow request")") == 4);
    CHECK(count_with(events, R"({"time":)") == 4);
  } else {
    CHECK(count_with(events, R"({"event":{"seq":)") == 4);
    CHECK(count_with(events, R"("time")") == 0);
  }
}

}  // namespace SLUICE_UNITY_ID
