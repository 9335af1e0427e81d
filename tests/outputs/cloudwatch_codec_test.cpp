// The cloudwatch_logs codec on the HTTP sink against a scripted transport
// (no network, a fixed clock): what each PutLogEvents carries (one stream,
// sorted, within CloudWatch's count, size and 24-hour limits), the events
// never sent (out of the time window, no message), and how answers become
// per-event outcomes, including the create-then-put chains.
#include <catch2/catch.hpp>

#include <simdjson.h>

#include <deque>
#include <functional>

#include "agent/config/yaml_loader.hpp"
#include "agent/parse/json_format.hpp"
#include "outputs/cloudwatch/cloudwatch_codec.hpp"
#include "outputs/cloudwatch/cloudwatch_settings.hpp"
#include "tests/outputs/sink_harness.hpp"
#include "tests/support/output_context.hpp"

namespace SLUICE_UNITY_ID {

using namespace sluice;
using sluice::test::outcomes_of;
using namespace sluice::cloudwatch;

namespace {

constexpr int64_t kNowMs = 1'795'256'430'000;  // 2026-11-21T10:20:30Z
constexpr int64_t kHourMs = 3'600'000;

Settings settings_of(const std::string& yaml) {
  return read_settings(config::load_component(cloudwatch::schema(), "output", "region: eu-west-1\n" + yaml),
                       BuildContext{});
}

std::string config_error(const std::string& yaml) {
  try {
    settings_of(yaml);
  } catch (const config::ConfigError& e) {
    return e.what();
  }
  return "no error";
}

// A chunk with one event per (time in ms, record JSON).
SharedChunk chunk_of(const std::string& tag, const std::vector<std::pair<int64_t, std::string>>& events) {
  auto c = std::make_shared<Chunk>(tag);
  auto json = make_json_format();
  for (const auto& [ms, text] : events) {
    Value v;
    REQUIRE(json->parse(text, c->arena, v));
    c->events.push_back({ms * 1'000'000, v});
  }
  return c;
}

Batch batch_of(std::vector<SharedChunk> chunks) {
  Batch b;
  for (auto& c : chunks) b.parts.push_back({std::move(c), {}});
  return b;
}

// What a request asked: its operation and parsed body.
struct Call {
  std::string op;
  std::string group, stream;
  std::vector<std::pair<int64_t, std::string>> events;  // timestamp, message
  int64_t retention = 0;
};

Call parse_call(const http::Request& req) {
  Call c;
  for (const auto& h : req.headers)
    if (h.name == "X-Amz-Target") c.op = h.value.substr(h.value.find('.') + 1);
  simdjson::dom::parser p;
  simdjson::dom::element doc = p.parse(req.body);
  c.group = std::string(std::string_view(doc["logGroupName"]));
  std::string_view v;
  if (!doc["logStreamName"].get(v)) c.stream = std::string(v);
  int64_t days = 0;
  if (!doc["retentionInDays"].get(days)) c.retention = days;
  simdjson::dom::array events;
  if (!doc["logEvents"].get(events))
    for (auto e : events) c.events.emplace_back(int64_t(e["timestamp"]), std::string(std::string_view(e["message"])));
  return c;
}

http::Response answer(int status, const std::string& body = "{}") {
  http::Response r;
  r.status = status;
  r.body = body;
  return r;
}

http::Response aws_error(const std::string& type, const std::string& message) {
  return answer(400, R"({"__type":")" + type + R"(","message":")" + message + R"("})");
}

struct Harness {
  explicit Harness(const std::string& yaml = "log_group_name: /app\nlog_stream_name: web\n")
      : settings(settings_of(yaml)),
        ctx("cloudwatch_logs.0"),
        sink(
            [this](http::Request req, http::ResponseHandler done) {
              calls.push_back(parse_call(req));
              raw.push_back(req);
              auto reply = script.empty() ? answer(200) : script.front()(calls.back());
              if (!script.empty()) script.pop_front();
              done(reply);
            },
            "logs.eu-west-1.amazonaws.com",
            std::make_unique<Codec>(settings.naming, settings.http.headers, settings.path, [] { return kNowMs; })) {
    sink.start(ctx);
  }
  FlushResult flush(const Batch& b) {
    std::optional<FlushResult> result;
    sink.flush(b, [&](FlushResult r) { result = std::move(r); });
    REQUIRE(result);
    return std::move(*result);
  }
  Settings settings;
  sluice::test::FakeOutputContext ctx;
  std::vector<Call> calls;
  std::vector<http::Request> raw;
  std::deque<std::function<http::Response(const Call&)>> script;
  http::HttpSink sink;
};


constexpr auto D = Outcome::Delivered;
constexpr auto R = Outcome::Retry;
constexpr auto P = Outcome::Permanent;

}  // namespace

TEST_CASE("cloudwatch: a PutLogEvents call, events sorted by time, the record as JSON", "[cloudwatch]") {
  Harness h;
  auto c = chunk_of("app", {{kNowMs - 2000, R"({"msg":"second","n":2})"}, {kNowMs - 3000, R"({"msg":"first"})"},
                            {kNowMs - 1000, R"({"msg":"third \"q\""})"}});
  FlushResult r = h.flush(batch_of({c}));
  CHECK(r.outcome == D);
  REQUIRE(h.raw.size() == 1);
  CHECK(h.raw[0].method == "POST");
  CHECK(h.raw[0].target == "/");
  CHECK(h.raw[0].body ==
        R"({"logGroupName":"/app","logStreamName":"web","logEvents":[)"
        R"({"timestamp":1795256427000,"message":"{\"msg\":\"first\"}"},)"
        R"({"timestamp":1795256428000,"message":"{\"msg\":\"second\",\"n\":2}"},)"
        R"({"timestamp":1795256429000,"message":"{\"msg\":\"third \\\"q\\\"\"}"}]})");
  bool target = false, type = false;
  for (const auto& hd : h.raw[0].headers) {
    target = target || (hd.name == "X-Amz-Target" && hd.value == "Logs_20140328.PutLogEvents");
    type = type || (hd.name == "Content-Type" && hd.value == "application/x-amz-json-1.1");
  }
  CHECK(target);
  CHECK(type);
}

TEST_CASE("cloudwatch: calls are cut at 10,000 events, 1 MiB and 24 hours", "[cloudwatch]") {
  Harness h;
  SECTION("10,001 events: two calls") {
    std::vector<std::pair<int64_t, std::string>> many;
    for (int i = 0; i < 10'001; ++i) many.emplace_back(kNowMs - 1000, R"({"i":)" + std::to_string(i) + "}");
    h.flush(batch_of({chunk_of("app", many)}));
    REQUIRE(h.calls.size() == 2);
    CHECK(h.calls[0].events.size() == 10'000);
    CHECK(h.calls[1].events.size() == 1);
  }
  SECTION("bytes counted as UTF-8 message bytes + 26: eleven 100 KB messages make two calls") {
    Harness big("log_group_name: /app\nlog_stream_name: web\nlog_key: m\nmax_event_size: 200k\n");
    std::string text(100 * 1024 - 2, 'x');
    text += "\xc3\xa9";  // é: two bytes, one character
    std::vector<std::pair<int64_t, std::string>> events;
    for (int i = 0; i < 11; ++i) events.emplace_back(kNowMs - 1000 + i, R"({"m":")" + text + "\"}");
    big.flush(batch_of({chunk_of("app", events)}));
    REQUIRE(big.calls.size() == 2);
    CHECK(big.calls[0].events.size() == 10);  // 10 × (102400 + 26) <= 1048576 < 11 × …
    CHECK(big.calls[1].events.size() == 1);
  }
  SECTION("events 25 hours apart: one call each") {
    h.flush(batch_of({chunk_of("app", {{kNowMs - 26 * kHourMs, R"({"a":1})"}, {kNowMs - kHourMs, R"({"a":2})"},
                                       {kNowMs - 25 * kHourMs, R"({"a":3})"}})}));
    REQUIRE(h.calls.size() == 2);
    CHECK(h.calls[0].events.size() == 2);  // 26 h and 25 h ago: 1 h apart
    CHECK(h.calls[1].events.size() == 1);
  }
}

TEST_CASE("cloudwatch: events CloudWatch would refuse go to the dead-letter file, never sent", "[cloudwatch]") {
  Harness h("log_group_name: /app\nlog_stream_name: web\nlog_key: log\n");
  auto c = chunk_of("app", {{kNowMs - 15 * 24 * kHourMs, R"({"log":"two weeks ago"})"},
                            {kNowMs + 3 * kHourMs, R"({"log":"from the future"})"},
                            {kNowMs, R"({"other":"no log key"})"},
                            {kNowMs, R"({"log":""})"},
                            {kNowMs, R"({"log":"fine"})"}});
  FlushResult r = h.flush(batch_of({c}));
  CHECK(outcomes_of(r, 5) == std::vector<Outcome>{P, P, P, P, D});
  CHECK(r.per_record[0].reason == "the event is more than 14 days old: CloudWatch Logs refuses it");
  CHECK(r.per_record[1].reason == "the event is more than 2 hours in the future: CloudWatch Logs refuses it");
  CHECK(r.per_record[2].reason == "the record has no log field (log_key)");
  CHECK(r.per_record[3].reason == "the message is empty (CloudWatch needs at least one character)");
  REQUIRE(h.calls.size() == 1);
  CHECK(h.calls[0].events == std::vector<std::pair<int64_t, std::string>>{{kNowMs, "fine"}});
  CHECK(h.ctx.counter("sluice_output_cloudwatch_events_out_of_window_total") == 2);
}

TEST_CASE("cloudwatch: log_key, long messages cut, streams by prefix and templates", "[cloudwatch]") {
  SECTION("log_key: a string as it is, anything else as JSON") {
    Harness h("log_group_name: /app\nlog_stream_name: web\nlog_key: $log['inner']\n");
    h.flush(batch_of({chunk_of("app", {{kNowMs, R"({"log":{"inner":"plain text"}})"},
                                       {kNowMs, R"({"log":{"inner":{"a":[1,2]}}})"}})}));
    REQUIRE(h.calls.size() == 1);
    CHECK(h.calls[0].events[0].second == "plain text");
    CHECK(h.calls[0].events[1].second == R"({"a":[1,2]})");
  }
  SECTION("a message over max_event_size is cut at a character boundary") {
    Harness h("log_group_name: /app\nlog_stream_name: web\nlog_key: m\nmax_event_size: 1k\n");
    std::string text = std::string(1023, 'a') + "\xe2\x82\xac" + "tail";  // € straddles byte 1024
    h.flush(batch_of({chunk_of("app", {{kNowMs, R"({"m":")" + text + "\"}"}})}));
    REQUIRE(h.calls.size() == 1);
    CHECK(h.calls[0].events[0].second == std::string(1023, 'a'));
    CHECK(h.ctx.counter("sluice_output_cloudwatch_truncated_total") == 1);
    CHECK(sent_length("a\xff" "b") == 5);  // an invalid byte is sent as U+FFFD (3 bytes)
  }
  SECTION("log_stream_prefix + tag, and templates with their fallbacks") {
    Harness h("log_group_name: /fallback\nlog_group_template: /eks/$kubernetes['namespace_name']\n"
              "log_stream_prefix: from-\nlog_stream_template: $TAG[1].$kubernetes['pod_name']\n");
    h.flush(batch_of({chunk_of("kube.web", {{kNowMs, R"({"kubernetes":{"namespace_name":"prod","pod_name":"web-1"}})"},
                                            {kNowMs, R"({"kubernetes":{"pod_name":"web-2"}})"},
                                            {kNowMs, R"({"no":"k8s"})"}})}));
    REQUIRE(h.calls.size() == 3);
    CHECK((h.calls[0].group + " " + h.calls[0].stream) == "/eks/prod web.web-1");
    CHECK((h.calls[1].group + " " + h.calls[1].stream) == "/fallback web.web-2");
    CHECK((h.calls[2].group + " " + h.calls[2].stream) == "/fallback from-kube.web");
  }
}

TEST_CASE("cloudwatch: rejectedLogEventsInfo marks only the events CloudWatch refused", "[cloudwatch]") {
  Harness h;
  h.script.push_back([](const Call&) {
    return answer(200, R"({"rejectedLogEventsInfo":{"tooOldLogEventEndIndex":1,"expiredLogEventEndIndex":2,)"
                       R"("tooNewLogEventStartIndex":4}})");
  });
  // Sent sorted: the rejection indexes are into the sorted events.
  auto c = chunk_of("app", {{kNowMs - 4, R"({"i":4})"}, {kNowMs - 5, R"({"i":5})"}, {kNowMs - 3, R"({"i":3})"},
                            {kNowMs - 1, R"({"i":1})"}, {kNowMs - 2, R"({"i":2})"}});
  FlushResult r = h.flush(batch_of({c}));
  // Sorted: i5 (too old, and expired), i4 (expired), i3, i2, i1 (too new).
  CHECK(outcomes_of(r, 5) == std::vector<Outcome>{P, P, D, P, D});
  CHECK(r.per_record[1].reason.find("older than the log group's retention") != std::string::npos);
  CHECK(r.per_record[3].reason.find("too new") != std::string::npos);
  CHECK(h.ctx.counter("sluice_output_cloudwatch_events_rejected_total") == 3);
}

TEST_CASE("cloudwatch: a missing stream or group is created, then the events are sent again", "[cloudwatch]") {
  auto c = chunk_of("app", {{kNowMs - 1, R"({"a":1})"}, {kNowMs, R"({"a":2})"}});
  SECTION("a missing stream") {
    Harness h;
    h.script.push_back([](const Call&) { return aws_error("ResourceNotFoundException", "The specified log stream does not exist."); });
    FlushResult r = h.flush(batch_of({c}));
    CHECK(r.outcome == D);
    REQUIRE(h.calls.size() == 3);
    CHECK(h.calls[1].op == "CreateLogStream");
    CHECK(h.calls[1].stream == "web");
    CHECK(h.calls[2].op == "PutLogEvents");
    CHECK(h.calls[2].events == h.calls[0].events);
  }
  SECTION("a missing group with auto_create_group and a retention") {
    Harness h("log_group_name: /app\nlog_stream_name: web\nauto_create_group: on\nlog_retention_days: 7\n");
    h.script.push_back([](const Call&) { return aws_error("ResourceNotFoundException", "The specified log group does not exist."); });
    FlushResult r = h.flush(batch_of({c}));
    CHECK(r.outcome == D);
    std::vector<std::string> ops;
    for (const auto& call : h.calls) ops.push_back(call.op);
    CHECK(ops == std::vector<std::string>{"PutLogEvents", "CreateLogGroup", "PutRetentionPolicy", "CreateLogStream",
                                          "PutLogEvents"});
    CHECK(h.calls[2].retention == 7);
    CHECK(h.ctx.counter("sluice_output_cloudwatch_resources_created_total") == 2);
  }
  SECTION("a missing group without auto_create_group: retried, with the hint") {
    Harness h;
    h.script.push_back([](const Call&) { return aws_error("ResourceNotFoundException", "The specified log group does not exist."); });
    FlushResult r = h.flush(batch_of({c}));
    CHECK(r.outcome == R);
    CHECK(r.reason == "log group /app does not exist: create it, or set auto_create_group: on");
    CHECK(h.calls.size() == 1);
  }
  SECTION("created by someone else meanwhile, or not visible yet: no loop") {
    Harness h;
    h.script.push_back([](const Call&) { return aws_error("ResourceNotFoundException", "The specified log stream does not exist."); });
    h.script.push_back([](const Call&) { return aws_error("ResourceAlreadyExistsException", "The specified log stream already exists"); });
    h.script.push_back([](const Call&) { return aws_error("ResourceNotFoundException", "The specified log stream does not exist."); });
    FlushResult r = h.flush(batch_of({c}));
    CHECK(r.outcome == R);
    CHECK(r.reason == "log stream web in /app does not exist yet after it was created");
    CHECK(h.calls.size() == 3);
  }
}

TEST_CASE("cloudwatch: error answers sorted into retry, re-sign and permanent", "[cloudwatch]") {
  auto c = chunk_of("app", {{kNowMs, R"({"a":1})"}});
  Harness h;
  auto one = [&](http::Response reply) {
    h.script.push_back([reply](const Call&) { return reply; });
    return h.flush(batch_of({c}));
  };
  http::Response throttled = aws_error("ThrottlingException", "Rate exceeded");
  throttled.retry_after = std::chrono::milliseconds(2000);
  FlushResult r = one(throttled);
  CHECK(r.outcome == R);
  CHECK(r.reason == "CloudWatch Logs PutLogEvents answered HTTP 400 ThrottlingException: Rate exceeded");
  CHECK(r.retry_after == std::chrono::milliseconds(2000));
  CHECK(one(answer(503, R"({"__type":"com.amazonaws.logs#ServiceUnavailableException"})")).outcome == R);
  CHECK(one(answer(500, "<html>")).outcome == R);
  CHECK(one(aws_error("ExpiredTokenException", "The security token included in the request is expired")).outcome == R);
  CHECK(one(aws_error("AccessDeniedException", "not authorized to perform: logs:PutLogEvents")).outcome == P);
  CHECK(one(aws_error("UnrecognizedClientException", "The security token included in the request is invalid.")).outcome == P);
  CHECK(one(aws_error("InvalidParameterException", "Upload too large")).outcome == P);
  CHECK(one(aws_error("DataAlreadyAcceptedException", "already accepted")).outcome == D);
  FlushResult unreadable = one(answer(200, "<html>proxy</html>"));
  CHECK(unreadable.outcome == R);
  CHECK(unreadable.reason.find("unreadable PutLogEvents answer") == 0);
  http::Response none;
  none.error = "connection reset by peer";
  CHECK(one(none).reason == "connection reset by peer");
}

TEST_CASE("cloudwatch config: keys and errors", "[cloudwatch]") {
  Settings s = settings_of("log_group_name: /app\nlog_stream_prefix: node-\n");
  CHECK(s.http.client.host == "logs.eu-west-1.amazonaws.com");
  CHECK(s.http.client.port == 443);
  CHECK(s.http.client.tls.enabled);
  CHECK(s.aws.region == "eu-west-1");
  CHECK(s.naming.max_event_bytes == 256 * 1024);
  Settings local = settings_of("log_group_name: /app\nlog_stream_name: s\nendpoint: http://127.0.0.1:4566\n"
                               "sts_endpoint: http://127.0.0.1:4567\nrole_arn: arn:aws:iam::1:role/r\nexternal_id: x\n");
  CHECK(local.http.client.host == "127.0.0.1");
  CHECK(local.http.client.port == 4566);
  CHECK_FALSE(local.http.client.tls.enabled);
  CHECK(local.aws.sts_endpoint == "http://127.0.0.1:4567");
  CHECK(local.aws.external_id == "x");
  CHECK(settings_of("log_group_name: a\nlog_stream_name: s\nendpoint: logs.example.com").http.client.tls.enabled);
  using Catch::Contains;
  CHECK_THAT(config_error("log_stream_name: s"), Contains("key 'log_group_name': is required"));
  CHECK_THAT(config_error("log_group_name: a"), Contains("key 'log_stream_name': is required"));
  CHECK_THAT(config_error("log_group_name: a b\nlog_stream_name: s"),
             Contains("key 'log_group_name': 'a b' may hold only letters, digits and . - _ / #; found ' '"));
  CHECK_THAT(config_error("log_group_name: a\nlog_stream_name: s:1"),
             Contains("key 'log_stream_name': 's:1' may not hold ':' or '*'"));
  CHECK_THAT(config_error("log_group_name: a\nlog_stream_name: s\nlog_stream_prefix: p"),
             Contains("key 'log_stream_prefix': set either log_stream_name or log_stream_prefix, not both"));
  CHECK_THAT(config_error("log_group_name: a\nlog_stream_name: s\nlog_retention_days: 10"),
             Contains("key 'log_retention_days': expects 0 (never expire) or one of CloudWatch's values"));
  CHECK_THAT(config_error("log_group_name: a\nlog_stream_name: s\nendpoint: ftp://x"),
             Contains("key 'endpoint': expects https://host[:port] or http://host[:port], got 'ftp://x'"));
  CHECK_THAT(config_error("log_group_name: a\nlog_stream_name: s\nexternal_id: x"),
             Contains("key 'external_id': is used only with role_arn"));
  CHECK_THAT(config_error("log_group_name: a\nlog_stream_name: s\nlog_group_template: $"),
             Contains("key 'log_group_template': '$' at character 1 is not followed by a field name or TAG"));
  CHECK_THAT(config_error("log_group_name: a\nlog_stream_name: s\nmax_event_size: 2M"),
             Contains("key 'max_event_size': expects 1k to 1048550 bytes"));
}

}  // namespace SLUICE_UNITY_ID
