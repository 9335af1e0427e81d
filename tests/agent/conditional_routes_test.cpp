// Issue 14's YAML sections: conditions (Fluent Bit's rule operators),
// conditional `routes:` on inputs, `processors:` on inputs and outputs, and a
// component's own log_level; loaded from YAML and run through the pipeline.
#include <catch2/catch.hpp>

#include <algorithm>
#include <mutex>

#include "agent/asio.hpp"
#include "agent/condition.hpp"
#include "agent/config/yaml_loader.hpp"
#include "agent/log.hpp"
#include "agent/pipeline.hpp"
#include "agent/processor_chain.hpp"
#include "agent/record.hpp"
#include "agent/router.hpp"
#include "tests/support/log_capture.hpp"
#include "tests/support/process.hpp"

namespace SLUICE_UNITY_ID {

using namespace sluice;
using namespace std::chrono_literals;

namespace {

config::ConditionConfig rules(std::vector<config::RuleConfig> r, bool any = false) {
  config::ConditionConfig c;
  c.any = any;
  c.rules = std::move(r);
  return c;
}
config::RuleConfig rule(std::string field, std::string op, std::vector<std::string> values) {
  config::RuleConfig r;
  r.field = std::move(field);
  r.op = std::move(op);
  r.is_list = values.size() > 1;
  r.values = std::move(values);
  return r;
}

// {"level": level, "status": status, "req": {"method": method}}
Value make_record(Arena& arena, std::string_view level, int64_t status, std::string_view method = "GET") {
  std::vector<Member> scratch, inner;
  MapBuilder req(arena, inner);
  req.add("method", record::string(arena, method));
  Value r = req.finish();
  MapBuilder b(arena, scratch);
  b.add("level", record::string(arena, level));
  b.add("status", Value::integer(status));
  b.add("req", r);
  return b.finish();
}

class Sink : public AckSink {
 public:
  void acknowledged(uint64_t, bool) override {
    std::lock_guard lock(mu);
    ++acks;
  }
  int count() {
    std::lock_guard lock(mu);
    return acks;
  }
  std::mutex mu;
  int acks = 0;
};

class Capture : public Output {
 public:
  struct Seen {
    std::mutex mu;
    std::vector<std::string> levels;
    std::vector<std::string> get() {
      std::lock_guard lock(mu);
      return levels;
    }
  };
  explicit Capture(std::shared_ptr<Seen> s) : s_(std::move(s)) {}
  void flush(const Batch& batch, FlushDone done) override {
    std::lock_guard lock(s_->mu);
    batch.for_each([&](const std::string&, const Event& e) {
      std::string text(e.record.find("level")->as_string());
      if (const Value* mark = e.record.find("mark")) text += "+" + std::string(mark->as_string());
      s_->levels.push_back(text);
    });
    done(FlushResult::delivered());
  }

 private:
  std::shared_ptr<Seen> s_;
};

// Adds mark: <name> to every record.
class MarkFilter : public Filter {
 public:
  explicit MarkFilter(std::string name) : name_(std::move(name)) {}
  void filter(Chunk& chunk) override {
    for (auto& e : chunk.events) record::set(e.record, chunk.arena, "mark", record::string(chunk.arena, name_));
  }

 private:
  std::string name_;
};

ChunkPtr chunk_of(const std::vector<std::pair<std::string, int64_t>>& records, Sink& sink) {
  auto c = std::make_unique<Chunk>("app");
  for (const auto& [level, status] : records) c->events.push_back({1, make_record(c->arena, level, status)});
  c->acks.emplace_back(&sink, 1);
  return c;
}

OutputSettings fast() {
  static const config::PluginSchema schema{"capture", "", {}};
  return OutputSettings::from_config(config::load_component(schema, "output", "flush: 0s"), 0s);
}

}  // namespace

TEST_CASE("condition operators compare as Fluent Bit's", "[condition]") {
  Arena arena;
  Value err = make_record(arena, "error", 503, "POST"), info = make_record(arena, "info", 200);
  auto holds = [&](const config::RuleConfig& r, const Value& v) { return Condition::compile(rules({r})).matches(v); };
  CHECK(holds(rule("$level", "eq", {"error"}), err));
  CHECK_FALSE(holds(rule("$level", "eq", {"error"}), info));
  CHECK(holds(rule("$level", "neq", {"error"}), info));
  CHECK(holds(rule("$status", "eq", {"503"}), err));  // a number in the record, text in the rule
  CHECK(holds(rule("$status", "gte", {"500"}), err));
  CHECK_FALSE(holds(rule("$status", "gt", {"500"}), info));
  CHECK(holds(rule("$status", "lt", {"300"}), info));
  CHECK(holds(rule("$req['method']", "eq", {"POST"}), err));
  CHECK(holds(rule("$level", "regex", {"^err"}), err));
  CHECK(holds(rule("$level", "not_regex", {"^err"}), info));
  CHECK(holds(rule("$level", "in", {"warn", "error"}), err));
  CHECK(holds(rule("$level", "not_in", {"warn", "error"}), info));
  // A missing field reads as empty text: eq is false, neq true; numbers compare false.
  CHECK_FALSE(holds(rule("$nope", "eq", {"x"}), err));
  CHECK(holds(rule("$nope", "neq", {"x"}), err));
  CHECK_FALSE(holds(rule("$nope", "gt", {"-1"}), err));
  // and / or
  auto both = rules({rule("$level", "eq", {"error"}), rule("$status", "lt", {"500"})});
  CHECK_FALSE(Condition::compile(both).matches(err));
  both.any = true;
  CHECK(Condition::compile(both).matches(err));

  SECTION("bad rules are refused at their line") {
    auto bad = rule("$level", "like", {"x"});
    bad.mark = config::Mark{"p.yaml", 7, 11};
    CHECK_THROWS_WITH(Condition::compile(rules({bad})), Catch::Contains("p.yaml:7:11") && Catch::Contains("unknown operator 'like'"));
    CHECK_THROWS_WITH(Condition::compile(rules({rule("$status", "gt", {"lots"})})), Catch::Contains("is not a number"));
    CHECK_THROWS_WITH(Condition::compile(rules({rule("$level", "regex", {"(x"})})),
                      Catch::Contains("invalid regular expression"));
    CHECK_THROWS_WITH(Condition::compile(rules({rule("$level", "eq", {"a", "b"})})), Catch::Contains("not a list"));
  }
}

TEST_CASE("routes and processors are read from YAML with Fluent Bit's shapes", "[config][routes]") {
  auto cfg = config::load_string(R"(
pipeline:
  inputs:
    - name: dummy
      log_level: debug
      processors:
        logs:
          - name: modify
            add: seen yes
            condition:
              op: or
              rules:
                - {field: $level, op: eq, value: error}
        metrics:
          - name: labels
      routes:
        logs:
          - name: errors
            condition:
              op: and
              rules:
                - field: $level
                  op: in
                  value: [error, fatal]
            to:
              outputs: [errors_out]
          - name: rest
            condition: {default: true}
            to: {outputs: [{name: stdout}]}
  outputs:
    - name: file
      alias: errors_out
      path: /tmp
      processors:
        logs:
          - name: grep
            regex: level error
    - name: stdout
)");
  REQUIRE(cfg.inputs.size() == 1);
  const auto& in = cfg.inputs[0];
  CHECK(in.get_string("log_level") == "debug");
  REQUIRE(in.processors.size() == 1);
  CHECK(in.processors[0].filter.plugin() == "modify");
  CHECK(in.processors[0].condition.any);
  REQUIRE(in.routes.size() == 2);
  CHECK(in.routes[0].name == "errors");
  CHECK(in.routes[0].condition.rules[0].values == std::vector<std::string>{"error", "fatal"});
  CHECK(in.routes[0].outputs == std::vector<std::string>{"errors_out"});
  CHECK(in.routes[1].condition.is_default);
  CHECK(in.routes[1].outputs == std::vector<std::string>{"stdout"});
  REQUIRE(cfg.outputs[0].processors.size() == 1);
  // The metrics processors are not run, and say so.
  bool warned = false;
  for (const auto& w : cfg.warnings) warned = warned || w.find("processors.metrics are ignored") != std::string::npos;
  CHECK(warned);

  SECTION("errors point at the line") {
    CHECK_THROWS_WITH(config::load_string("pipeline:\n  inputs:\n    - name: dummy\n      processors:\n        logs:\n"
                                          "          - name: sql\n",
                                          "p.yaml"),
                      Catch::Contains("p.yaml:6:19") && Catch::Contains("unknown processor 'sql'"));
    CHECK_THROWS_WITH(config::load_string("pipeline:\n  inputs:\n    - name: dummy\n      routes:\n        logs:\n"
                                          "          - name: r\n            to: {outputs: []}\n",
                                          "p.yaml"),
                      Catch::Contains("p.yaml:7") && Catch::Contains("no outputs"));
    CHECK_THROWS_WITH(config::load_string("pipeline:\n  outputs:\n    - name: stdout\n      routes: {}\n", "p.yaml"),
                      Catch::Contains("p.yaml:4:7") && Catch::Contains("belongs on an input"));
    CHECK_THROWS_WITH(config::load_string("pipeline:\n  inputs:\n    - name: dummy\n      log_level: loud\n", "p.yaml"),
                      Catch::Contains("p.yaml:4:7") && Catch::Contains("expects one of"));
  }
}

TEST_CASE("conditional routes send each record to its routes' outputs", "[pipeline][routes]") {
  test::TempDir dir;
  Metrics metrics;
  DeadLetter dl(dir.file("dl.jsonl"));
  auto errors = std::make_shared<Capture::Seen>(), rest = std::make_shared<Capture::Seen>(),
       by_tag = std::make_shared<Capture::Seen>();
  OutputRunner out_errors("errors", std::make_unique<Capture>(errors), fast(), TagMatcher::glob("nothing"), dl, metrics);
  OutputRunner out_rest("rest", std::make_unique<Capture>(rest), fast(), TagMatcher::glob("nothing"), dl, metrics);
  // Matches the tag, but the input's routes decide where its records go.
  OutputRunner out_tag("tag", std::make_unique<Capture>(by_tag), fast(), TagMatcher::glob("*"), dl, metrics);
  for (auto* o : {&out_errors, &out_rest, &out_tag}) o->start();
  Pipeline pipeline({}, {&out_errors, &out_rest, &out_tag}, 1 << 20, metrics);

  std::vector<config::RouteConfig> rc(2);
  rc[0].name = "errors";
  rc[0].has_condition = true;
  rc[0].condition = rules({rule("$status", "gte", {"500"})});
  rc[0].outputs = {"errors"};
  rc[1].name = "rest";
  rc[1].has_condition = true;
  rc[1].condition.is_default = true;
  rc[1].outputs = {"rest"};
  auto routes = ConditionalRoutes::compile(rc);

  Sink sink;
  auto c = chunk_of({{"a", 200}, {"b", 503}, {"c", 404}, {"d", 500}}, sink);
  c->routes = routes;
  pipeline.submit(std::move(c));
  auto all_errors = chunk_of({{"e", 502}}, sink);
  all_errors->routes = routes;
  pipeline.submit(std::move(all_errors));

  REQUIRE(test::wait_until([&] { return sink.count() == 2; }, 5s));
  for (auto* o : {&out_errors, &out_rest, &out_tag}) o->drain(std::chrono::steady_clock::now() + 1s);
  CHECK(errors->get() == std::vector<std::string>{"b", "d", "e"});
  CHECK(rest->get() == std::vector<std::string>{"a", "c"});
  CHECK(by_tag->get().empty());

  SECTION("without a default route, records no route takes are dropped and counted") {
    auto only = ConditionalRoutes::compile({rc[0]});
    Sink s2;
    Pipeline p2({}, {&out_errors}, 1 << 20, metrics);
    auto c2 = chunk_of({{"x", 200}}, s2);
    c2->routes = only;
    p2.submit(std::move(c2));
    CHECK(s2.count() == 1);
    CHECK(metrics.value("sluice_records_unrouted_total", "pipeline") == 1);
  }
}

TEST_CASE("routes decide before the filters, and each route's records go on under its name", "[pipeline][routes]") {
  // Fluent Bit 4.2's order: the conditions see the records as the input
  // made them; each conditional route's records become a chunk tagged with
  // the route's name, which filters match on; a route without a condition
  // takes the input's chunk with its own tag; a record two routes take is
  // sent once per route.
  test::TempDir dir;
  Metrics metrics;
  DeadLetter dl(dir.file("dl.jsonl"));
  auto errors = std::make_shared<Capture::Seen>(), all = std::make_shared<Capture::Seen>(),
       rest = std::make_shared<Capture::Seen>();
  OutputRunner out_errors("errors", std::make_unique<Capture>(errors), fast(), TagMatcher::glob("nothing"), dl, metrics);
  OutputRunner out_all("all", std::make_unique<Capture>(all), fast(), TagMatcher::glob("nothing"), dl, metrics);
  OutputRunner out_rest("rest", std::make_unique<Capture>(rest), fast(), TagMatcher::glob("nothing"), dl, metrics);
  for (auto* o : {&out_errors, &out_all, &out_rest}) o->start();
  std::vector<FilterSlot> filters;
  filters.push_back({"mark.errors", TagMatcher::glob("errors"), std::make_unique<MarkFilter>("E"), -1});
  filters.push_back({"mark.app", TagMatcher::glob("app"), std::make_unique<MarkFilter>("A"), -1});
  Pipeline pipeline(std::move(filters), {&out_errors, &out_all, &out_rest}, 1 << 20, metrics);

  std::vector<config::RouteConfig> rc(4);
  rc[0].name = "errors";
  rc[0].has_condition = true;
  rc[0].condition = rules({rule("$status", "gte", {"500"})});
  rc[0].outputs = {"errors"};
  rc[1].name = "unavailable";
  rc[1].has_condition = true;
  rc[1].condition = rules({rule("$status", "eq", {"503"})});
  rc[1].outputs = {"errors"};
  rc[2].name = "everything";
  rc[2].outputs = {"all"};
  rc[3].name = "rest";
  rc[3].has_condition = true;
  rc[3].condition.is_default = true;
  rc[3].outputs = {"rest"};

  Sink sink;
  auto c = chunk_of({{"a", 200}, {"b", 503}, {"c", 500}}, sink);
  c->routes = ConditionalRoutes::compile(rc);
  pipeline.submit(std::move(c));
  REQUIRE(test::wait_until([&] { return sink.count() == 1; }, 5s));
  for (auto* o : {&out_errors, &out_all, &out_rest}) o->drain(std::chrono::steady_clock::now() + 1s);
  auto sorted = [](std::vector<std::string> v) {
    std::sort(v.begin(), v.end());
    return v;
  };
  CHECK(sorted(errors->get()) == std::vector<std::string>{"b", "b+E", "c+E"});
  CHECK(all->get() == std::vector<std::string>{"a+A", "b+A", "c+A"});
  CHECK(rest->get() == std::vector<std::string>{"a"});  // no conditional route took it
  CHECK(metrics.value("sluice_records_unrouted_total", "pipeline") == 0);
}

TEST_CASE("an output's processors run only on what reaches that output", "[pipeline][processors]") {
  test::TempDir dir;
  Metrics metrics;
  DeadLetter dl(dir.file("dl.jsonl"));
  boost::asio::io_context io;
  auto plain = std::make_shared<Capture::Seen>(), marked = std::make_shared<Capture::Seen>();
  OutputRunner out_plain("plain", std::make_unique<Capture>(plain), fast(), TagMatcher::glob("*"), dl, metrics);
  OutputRunner out_marked("marked", std::make_unique<Capture>(marked), fast(), TagMatcher::glob("*"), dl, metrics);
  std::vector<ProcessorUnit> units;
  units.push_back({"marked/mark.0", std::make_unique<MarkFilter>("m"),
                   Condition::compile(rules({rule("$level", "eq", {"error"})})), -1});
  out_marked.set_processors(std::make_unique<ProcessorChain>(std::move(units)));
  out_plain.start();
  out_marked.start();
  Pipeline pipeline({}, {&out_plain, &out_marked}, 1 << 20, metrics);
  out_marked.processors()->start(io, metrics, [&](ChunkPtr c) { pipeline.enqueue_to(&out_marked, std::move(c)); });

  Sink sink;
  pipeline.submit(chunk_of({{"info", 200}, {"error", 500}}, sink));
  REQUIRE(test::wait_until([&] { return sink.count() == 1; }, 5s));
  out_plain.drain(std::chrono::steady_clock::now() + 1s);
  out_marked.drain(std::chrono::steady_clock::now() + 1s);
  CHECK(plain->get() == std::vector<std::string>{"info", "error"});
  // Only the record that meets the processor's condition went through it.
  CHECK(marked->get() == std::vector<std::string>{"info", "error+m"});
}

TEST_CASE("a component's log_level applies to its messages, both ways", "[log]") {
  test::LogCapture log(spdlog::level::trace);
  log::set_level("info");
  log::info("service info");
  log::debug("service debug");
  {
    log::Scope quiet(log::level_number("error"));
    log::warn("quiet warn");
    log::error("quiet error");
  }
  {
    log::Scope chatty(log::level_number("debug"));
    log::debug("chatty debug");
    log::trace("chatty trace");
    log::Scope service(-1);  // a component without its own level, inside: the service's
    log::debug("nested debug");
  }
  log::debug("after debug");
  CHECK(log.count("service info") == 1);
  CHECK(log.count("service debug") == 0);
  CHECK(log.count("quiet warn") == 0);
  CHECK(log.count("quiet error") == 1);
  CHECK(log.count("chatty debug") == 1);
  CHECK(log.count("chatty trace") == 0);
  CHECK(log.count("nested debug") == 0);
  CHECK(log.count("after debug") == 0);
  log::set_level("");  // back to the capturing logger's own level for other tests
}

}  // namespace SLUICE_UNITY_ID
