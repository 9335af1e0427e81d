// The health model on hand-made snapshots with a made-up clock: when an
// output is stalled or retrying, when a paused input makes sluice
// unhealthy, readiness and liveness, the JSON bodies and the gauges.
#include <catch2/catch.hpp>

#include <simdjson.h>

#include "agent/health.hpp"

namespace SLUICE_UNITY_ID {

using namespace sluice;
using namespace sluice::health;
using namespace std::chrono_literals;

namespace {

const SteadyTime kT0 = SteadyTime(1000h);  // any steady time far from its epoch

Policy policy() {
  Policy p;
  p.max_output_stall = 2s;
  p.max_paused = 5s;
  return p;
}

OutputState output(const std::string& name) {
  OutputState o;
  o.instance = name;
  return o;
}

Snapshot snapshot(SteadyTime now) {
  Snapshot s;
  s.now = now;
  s.wall_now = std::chrono::system_clock::now();
  s.started = true;
  return s;
}

}  // namespace

TEST_CASE("health: an output is stalled only when a due batch saw no delivery for max_output_stall", "[health]") {
  OutputState o = output("es.0");
  SECTION("idle, nothing waiting: ok however long ago the last delivery was") {
    o.health.last_success_steady = kT0 - 10h;
    CHECK(judge_output(o, policy(), kT0).state == "ok");
  }
  SECTION("records still filling a batch (not sent yet) are not a stall") {
    o.health.oldest_undelivered = kT0 - 1h;  // flush: 1h
    o.health.undelivered_records = 5;
    CHECK(judge_output(o, policy(), kT0).level == Level::Ok);
  }
  SECTION("a batch failing since 1 s: retrying, degraded") {
    o.health.oldest_pending = kT0 - 1s;
    o.health.failing = true;
    o.health.last_error = "HTTP 503 Service Unavailable";
    Verdict v = judge_output(o, policy(), kT0);
    CHECK(v.state == "retrying");
    CHECK(v.level == Level::Degraded);
    CHECK(v.reason == "output es.0: retrying: HTTP 503 Service Unavailable");
  }
  SECTION("a batch due for 2 s with no delivery: stalled, with the backend's error") {
    o.health.oldest_pending = kT0 - 2s;
    o.health.failing = true;
    o.health.last_error = "HTTP 503 Service Unavailable: down";
    o.health.undelivered_records = 20;
    Verdict v = judge_output(o, policy(), kT0);
    CHECK(v.state == "stalled");
    CHECK(v.level == Level::Unhealthy);
    CHECK(v.reason == "output es.0: nothing delivered for 2.0s while 20 records wait (health.max_output_stall 2s); "
                      "last error: HTTP 503 Service Unavailable: down");
  }
  SECTION("a hung request (no answer, no error) stalls too") {
    o.health.oldest_pending = kT0 - 3s;
    CHECK(judge_output(o, policy(), kT0).state == "stalled");
  }
  SECTION("a delivery after the batch was sent restarts the stall clock: a slow output that keeps delivering is not stalled") {
    o.health.oldest_pending = kT0 - 10s;
    o.health.last_success_steady = kT0 - 1s;
    CHECK(judge_output(o, policy(), kT0).level == Level::Ok);
    CHECK(judge_output(o, policy(), kT0 + 1s).level == Level::Unhealthy);
  }
  SECTION("an output idle for hours is not stalled the moment its next batch fails") {
    o.health.last_success_steady = kT0 - 5h;
    o.health.oldest_pending = kT0 - 500ms;
    o.health.failing = true;
    CHECK(judge_output(o, policy(), kT0).state == "retrying");
  }
}

TEST_CASE("health: an input paused longer than max_paused is unhealthy, a shorter pause is backpressure", "[health]") {
  InputState i;
  i.instance = "tail.0";
  i.plugin = "tail";
  CHECK(judge_input(i, policy(), kT0).state == "running");
  i.paused_since = kT0 - 4s;
  i.paused_reason = "output es.0 buffer is full (mem_buf_limit)";
  Verdict short_pause = judge_input(i, policy(), kT0);
  CHECK(short_pause.state == "paused");
  CHECK(short_pause.level == Level::Ok);
  Verdict long_pause = judge_input(i, policy(), kT0 + 1s);
  CHECK(long_pause.level == Level::Unhealthy);
  CHECK(long_pause.reason ==
        "input tail.0: paused for 5.0s (health.max_paused 5s): output es.0 buffer is full (mem_buf_limit)");
  i.run = InputState::Run::Finished;
  CHECK(judge_input(i, policy(), kT0 + 1h).state == "finished");
}

TEST_CASE("health: the overall status, readiness and liveness", "[health]") {
  Snapshot s = snapshot(kT0);
  s.outputs.push_back(output("healthy"));
  s.outputs.push_back(output("broken"));
  SECTION("all fine: ok, ready") {
    CHECK(evaluate(s, policy()).level == Level::Ok);
    CHECK(health_answer(s, policy()).status == 200);
    CHECK(ready_answer(s, policy()).status == 200);
  }
  SECTION("one output retrying: degraded, still 200 and ready") {
    s.outputs[1].health.failing = true;
    s.outputs[1].health.oldest_pending = kT0 - 1s;
    Report r = evaluate(s, policy());
    CHECK(r.level == Level::Degraded);
    CHECK(r.reasons.size() == 1);
    CHECK(health_answer(s, policy()).status == 200);
    CHECK(ready_answer(s, policy()).status == 200);
  }
  SECTION("one output stalled: unhealthy, 503, not ready; live stays 200") {
    s.outputs[1].health.oldest_pending = kT0 - 3s;
    CHECK(health_answer(s, policy()).status == 503);
    Answer ready = ready_answer(s, policy());
    CHECK(ready.status == 503);
    CHECK(ready.body.find("output broken: nothing delivered") != std::string::npos);
    CHECK(live_answer().status == 200);
  }
  SECTION("the worst reasons come first") {
    s.outputs[0].health.failing = true;
    s.outputs[0].health.oldest_pending = kT0 - 1s;
    s.outputs[1].health.oldest_pending = kT0 - 3s;
    Report r = evaluate(s, policy());
    REQUIRE(r.reasons.size() == 2);
    CHECK(r.reasons[0].rfind("output broken: nothing delivered", 0) == 0);
    CHECK(r.reasons[1].rfind("output healthy: retrying", 0) == 0);
  }
  SECTION("starting or stopping: not ready, though healthy") {
    s.started = false;
    CHECK(ready_answer(s, policy()).status == 503);
    s.started = true;
    s.stopping = true;
    Answer a = ready_answer(s, policy());
    CHECK(a.status == 503);
    CHECK(a.body == "{\"status\":\"not ready\",\"reasons\":[\"stopping\"]}\n");
    CHECK(health_answer(s, policy()).status == 200);
  }
}

TEST_CASE("health: the /api/v1/health body has every component's state", "[health]") {
  Snapshot s = snapshot(kT0);
  OutputState o = output("es \"prod\"");
  o.health.failing = true;
  o.health.failing_since = std::chrono::system_clock::time_point(1'700'000'000s);
  o.health.last_error = "HTTP 503: \"busy\"\n";
  o.health.last_error_at = std::chrono::system_clock::time_point(1'700'000'005s);
  o.health.oldest_undelivered = kT0 - 1500ms;
  o.health.oldest_pending = kT0 - 1s;
  o.health.undelivered_records = 7;
  o.health.retry_queue = 1;
  o.health.dead_lettered = 2;
  s.outputs.push_back(o);
  InputState i;
  i.instance = "tail.0";
  i.plugin = "tail";
  i.paused_since = kT0 - 1s;
  i.paused_since_wall = std::chrono::system_clock::time_point(1'700'000'001s);
  i.paused_reason = "service.mem_limit reached";
  s.inputs.push_back(i);

  Answer a = health_answer(s, policy());
  INFO(a.body);
  CHECK(a.status == 200);
  simdjson::dom::parser parser;
  simdjson::dom::element doc = parser.parse(a.body);
  CHECK(std::string_view(doc["status"]) == "degraded");
  CHECK(doc["reasons"].get_array().size() == 1);
  CHECK(bool(doc["started"]) == true);
  CHECK(double(doc["limits"]["max_output_stall_sec"]) == 2.0);
  simdjson::dom::element out = doc["outputs"]["es \"prod\""];
  CHECK(std::string_view(out["status"]) == "retrying");
  CHECK(bool(out["failing"]) == true);
  CHECK(std::string_view(out["failing_since"]) == "2023-11-14T22:13:20.000000000Z");
  CHECK(std::string_view(out["last_error"]) == "HTTP 503: \"busy\"\n");
  CHECK(std::string_view(out["last_error_at"]) == "2023-11-14T22:13:25.000000000Z");
  CHECK(out["last_success"].is_null());
  CHECK(double(out["oldest_undelivered_age_sec"]) == Approx(1.5));
  CHECK(uint64_t(out["undelivered_records"]) == 7);
  CHECK(uint64_t(out["retrying_batches"]) == 1);
  CHECK(uint64_t(out["dead_lettered"]) == 2);
  CHECK(bool(out["buffer_full"]) == false);
  simdjson::dom::element in = doc["inputs"]["tail.0"];
  CHECK(std::string_view(in["plugin"]) == "tail");
  CHECK(std::string_view(in["state"]) == "paused");
  CHECK(std::string_view(in["paused_since"]) == "2023-11-14T22:13:21.000000000Z");
  CHECK(double(in["paused_for_sec"]) == Approx(1.0));
  CHECK(std::string_view(in["paused_because"]) == "service.mem_limit reached");
}

TEST_CASE("health: gauges for Prometheus, one family each, labels escaped", "[health]") {
  Snapshot s = snapshot(kT0);
  OutputState o = output("a\"b\\c");
  o.health.oldest_undelivered = kT0 - 2500ms;
  o.health.oldest_pending = kT0 - 2s;
  o.health.last_success = std::chrono::system_clock::time_point(1'700'000'000s);
  o.health.undelivered_records = 3;
  s.outputs.push_back(o);
  InputState i;
  i.instance = "tail.0";
  s.inputs.push_back(i);
  std::string text;
  append_prometheus(s, policy(), text);
  INFO(text);
  CHECK(text.find("# TYPE sluice_output_oldest_undelivered_age_seconds gauge\n") != std::string::npos);
  CHECK(text.find("sluice_output_oldest_undelivered_age_seconds{output=\"a\\\"b\\\\c\"} 2.5\n") != std::string::npos);
  CHECK(text.find("sluice_output_undelivered_records{output=\"a\\\"b\\\\c\"} 3\n") != std::string::npos);
  CHECK(text.find("sluice_output_last_success_timestamp_seconds{output=\"a\\\"b\\\\c\"} 1700000000\n") !=
        std::string::npos);
  CHECK(text.find("sluice_output_stalled{output=\"a\\\"b\\\\c\"} 1\n") != std::string::npos);
  CHECK(text.find("sluice_input_paused_seconds{input=\"tail.0\"} 0\n") != std::string::npos);
}

TEST_CASE("health: durations are printed as a config gives them", "[health]") {
  CHECK(format_duration(5min) == "5m");
  CHECK(format_duration(2s) == "2s");
  CHECK(format_duration(90s) == "90s");
  CHECK(format_duration(250ms) == "250ms");
  CHECK(format_duration(2h) == "2h");
}

}  // namespace SLUICE_UNITY_ID
