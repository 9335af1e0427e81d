// The splunk codec: the events' JSON as Fluent Bit's out_splunk writes it,
// its time, the raw form, and how a HEC refusal is sorted event by event.
#include <catch2/catch.hpp>

#include "agent/parse/json_format.hpp"
#include "outputs/splunk/splunk_codec.hpp"

namespace SLUICE_UNITY_ID {

using namespace sluice;
using namespace sluice::splunk;

struct Flush {
  std::string tag = "app";
  Arena arena;
  std::vector<Event> events;
  std::vector<EventRef> refs;
  void add(std::string_view json, int64_t time_ns) {
    Value v;
    REQUIRE(make_json_format()->parse(json, arena, v));
    events.push_back({time_ns, v});
  }
  std::vector<http::PlannedRequest> plan(Codec& codec) {
    refs.clear();
    for (const auto& e : events) refs.push_back({&tag, &e});
    std::vector<http::PlannedRequest> requests;
    std::vector<RecordOutcome> outcomes(events.size());
    codec.plan(refs, requests, outcomes);
    return requests;
  }
};

std::string time_text(int64_t ns) {
  std::string out;
  Codec::append_time(out, ns);
  return out;
}

TEST_CASE("splunk: the time is seconds to the microsecond, a whole second as N.0", "[splunk]") {
  CHECK(time_text(1700000000LL * 1000000000 + 123456789) == "1700000000.123457");
  CHECK(time_text(1700000000LL * 1000000000 + 500000000) == "1700000000.5");
  CHECK(time_text(1700000000LL * 1000000000) == "1700000000.0");
}

TEST_CASE("splunk: events one after another, Fluent Bit's keys in its order", "[splunk]") {
  Settings s;
  std::string error;
  s.event_host = RecordTemplate::compile("$host", &error);
  s.event_sourcetype = "_json";
  s.event_index_key = RecordTemplate::compile("$idx", &error);
  s.event_index = "main";
  s.event_fields.emplace_back("level", *RecordAccessor::compile("$level", &error));
  Codec codec(std::move(s));
  Flush f;
  f.add(R"({"host":"h1","idx":"web","level":"warn","msg":"a"})", 1700000000LL * 1000000000);
  f.add(R"({"msg":"b","level":3})", 1700000001LL * 1000000000);
  auto requests = f.plan(codec);
  REQUIRE(requests.size() == 1);
  CHECK(requests[0].request.target == "/services/collector/event");
  CHECK(requests[0].request.body ==
        R"({"time":1700000000.0,"host":"h1","sourcetype":"_json","index":"web","fields":{"level":"warn"},)"
        R"("event":{"host":"h1","idx":"web","level":"warn","msg":"a"}})"
        R"({"time":1700000001.0,"sourcetype":"_json","index":"main","fields":{"level":3},"event":{"msg":"b","level":3}})");
}

TEST_CASE("splunk: event_key sends a part of the record as text, splunk_send_raw the records as they are",
          "[splunk]") {
  Settings s;
  std::string error;
  s.event_key = RecordAccessor::compile("$msg", &error);
  s.auto_extract_timestamp = true;
  s.target += "?auto_extract_timestamp=true";
  Codec codec(std::move(s));
  Flush f;
  f.add(R"({"msg":"hello","n":1})", 1);
  f.add(R"({"msg":{"a":1}})", 1);
  f.add(R"({"other":1})", 1);
  auto requests = f.plan(codec);
  REQUIRE(requests.size() == 1);
  CHECK(requests[0].request.target == "/services/collector/event?auto_extract_timestamp=true");
  CHECK(requests[0].request.body == R"({"event":"hello"}{"event":"{\"a\":1}"}{"event":{"other":1}})");

  Settings raw;
  raw.send_raw = true;
  Codec raw_codec(std::move(raw));
  auto raw_requests = f.plan(raw_codec);
  REQUIRE(raw_requests.size() == 1);
  CHECK(raw_requests[0].request.body == "{\"msg\":\"hello\",\"n\":1}\n{\"msg\":{\"a\":1}}\n{\"other\":1}\n");
}

TEST_CASE("splunk: HEC's refusal of one event of a request dead-letters that one and sends the others again",
          "[splunk]") {
  Codec codec(Settings{});
  Flush f;
  for (int i = 0; i < 3; ++i) f.add(R"({"n":1})", 1);
  auto requests = f.plan(codec);
  REQUIRE(requests.size() == 1);
  http::Response r;
  r.status = 400;
  r.body = R"({"text":"Incorrect index","code":7,"invalid-event-number":1})";
  http::Answer a = codec.read(requests[0], r, f.refs);
  REQUIRE(a.per_event.size() == 3);
  CHECK(a.per_event[0].outcome == Outcome::Retry);
  CHECK(a.per_event[1].outcome == Outcome::Permanent);
  CHECK(a.per_event[1].reason == "Splunk HEC answered 400: Incorrect index (code 7)");
  CHECK(a.per_event[2].outcome == Outcome::Retry);

  r.status = 503;
  r.body = R"({"text":"Server is busy","code":9})";
  http::Answer busy = codec.read(requests[0], r, f.refs);
  CHECK(busy.outcome == Outcome::Retry);
  CHECK(busy.reason == "Splunk HEC answered 503: Server is busy (code 9)");
  r.status = 403;
  r.body = R"({"text":"Invalid token","code":4})";
  CHECK(codec.read(requests[0], r, f.refs).outcome == Outcome::Permanent);
}

}  // namespace SLUICE_UNITY_ID
