// The rewrite_tag filter, as Fluent Bit's: the first rule whose REGEX
// matches the value at KEY sends a copy of the record under the tag it
// composes ($TAG, $TAG[n], captures, record accessors), keeping or dropping
// the original; copies carry the chunk's acknowledgements and metadata;
// configuration errors name the rule. (The copies' trip through the whole
// pipeline is tests/e2e/rewrite_tag_e2e_test.cpp's.)
#include <algorithm>
#include <string>
#include <vector>

#include "filters/rewrite_tag/rewrite_tag_filter.hpp"
#include "tests/filters/filter_harness.hpp"

namespace SLUICE_UNITY_ID {

using namespace sluice;

namespace {

using testing::Lines;

struct Harness : testing::FilterHarness {
  explicit Harness(std::string_view yaml) : FilterHarness(rewrite_tag_filter_schema(), make_rewrite_tag_filter, yaml) {}
  // tag: records, of every chunk the filter re-emitted, in order.
  std::vector<std::string> emitted() const {
    std::vector<std::string> out;
    for (const auto& c : ctx.emitted)
      for (const auto& e : c->events) out.push_back(c->tag + ": " + json::to_string(e.record));
    return out;
  }
};

std::string config_error(std::string_view yaml) {
  return testing::config_error(rewrite_tag_filter_schema(), make_rewrite_tag_filter, yaml);
}

class CountingSink : public AckSink {
 public:
  void acknowledged(uint64_t, bool) override { ++acks; }
  int acks = 0;
};

}  // namespace

TEST_CASE("rewrite_tag: a matching record is re-emitted under the composed tag, the original kept or dropped",
          "[filters][rewrite_tag]") {
  Harness h("rule:\n  - $level ^(error|warn)$ alert.$1.$TAG false\n  - $user ^admin$ audit true");
  Lines left = h.run({R"({"level":"error","m":1})", R"({"level":"info","user":"admin"})", R"({"level":"info"})",
                      R"({"level":"warn","user":"admin"})"});
  // The first rule takes the error and warn lines (dropped here); the second copies the admin line (kept).
  CHECK(left == Lines{R"({"level":"info","user":"admin"})", R"({"level":"info"})"});
  // One chunk per new tag, in the order each tag first came up.
  CHECK(h.emitted() == std::vector<std::string>{R"(alert.error.app: {"level":"error","m":1})",
                                                R"(audit: {"level":"info","user":"admin"})",
                                                R"(alert.warn.app: {"level":"warn","user":"admin"})"});
  CHECK(h.ctx.counter("sluice_filter_rewrite_tag_emitted_total") == 3);
  CHECK(h.ctx.counter("sluice_filter_records_dropped_total") == 2);
}

TEST_CASE("rewrite_tag: the new tag's parts", "[filters][rewrite_tag]") {
  SECTION("$TAG[n], nested record accessors, $0, literal text") {
    Harness h("rule: $k8s['ns'] ^(team)-(\\w+)$ $TAG[1].$k8s['ns'].$2.$0.x true");
    h.run({R"({"k8s":{"ns":"team-web"}})"});
    CHECK(h.emitted() == std::vector<std::string>{R"(.team-web.web.team-web.x: {"k8s":{"ns":"team-web"}})"});
  }
  SECTION("a number at KEY matches by its text; a missing field adds nothing") {
    Harness h("rule: $status ^5\\d\\d$ err.$status.$nope false");
    CHECK(h.run({R"({"status":503})", R"({"status":200})", R"({"other":500})"}) ==
          Lines{R"({"status":200})", R"({"other":500})"});
    CHECK(h.emitted() == std::vector<std::string>{R"(err.503.: {"status":503})"});
  }
  SECTION("a tag that comes out empty leaves the record as it is") {
    Harness h("rule: $a ^x$ $missing false");
    CHECK(h.run({R"({"a":"x"})"}) == Lines{R"({"a":"x"})"});
    CHECK(h.emitted().empty());
  }
  SECTION("a map, array or null at KEY never matches") {
    Harness h("rule: $v . t false");
    CHECK(h.run({R"({"v":{"a":1}})", R"({"v":[1]})", R"({"v":null})"}).size() == 3);
    CHECK(h.emitted().empty());
  }
}

TEST_CASE("rewrite_tag: copies carry the chunk's acknowledgements and metadata, one chunk per new tag",
          "[filters][rewrite_tag]") {
  Harness h("rule: $t ^(.+)$ to.$1 false");
  CountingSink sink;
  {
    Chunk chunk("app");
    chunk.acks.push_back(AckRef(&sink, 1));
    auto json = make_json_format();
    const char* records[] = {R"({"t":"a","n":1})", R"({"t":"b","n":2})", R"({"t":"a","n":3})"};
    for (int i = 0; i < 3; ++i) {
      Value record, meta;
      REQUIRE(json->parse(records[i], chunk.arena, record));
      REQUIRE(json->parse(R"({"m":)" + std::to_string(i) + "}", chunk.arena, meta));
      chunk.events.push_back(Event{i, record});
      chunk.metadata.push_back(meta);
    }
    h.filter->filter(chunk);
    CHECK(chunk.events.empty());
  }
  // The original chunk is gone; its ack waits for the copies.
  CHECK(sink.acks == 0);
  REQUIRE(h.ctx.emitted.size() == 2);
  const Chunk& a = *h.ctx.emitted[0];
  CHECK(a.tag == "to.a");
  REQUIRE(a.events.size() == 2);
  CHECK(json::to_string(a.events[1].record) == R"({"t":"a","n":3})");
  CHECK(a.events[1].time_ns == 2);
  REQUIRE(a.metadata.size() == 2);
  CHECK(json::to_string(a.metadata[1]) == R"({"m":2})");
  CHECK(h.ctx.emitted[1]->tag == "to.b");
  h.ctx.emitted.clear();
  CHECK(sink.acks == 1);
}

TEST_CASE("rewrite_tag: a re-emitted chunk may come back to the filter while it re-emits", "[filters][rewrite_tag]") {
  // A pipeline where another rewrite_tag sends the copies straight back:
  // reemit() runs this same filter again, three levels deep.
  struct Bouncing : testing::FakeFilterContext {
    Bouncing() : FakeFilterContext("rewrite_tag.0") {}
    void reemit(ChunkPtr chunk) override {
      if (depth < 3) {
        ++depth;
        chunk->tag = "app";
        filter->filter(*chunk);
        --depth;
      }
      if (!chunk->events.empty()) emitted.push_back(std::move(chunk));
    }
    Filter* filter = nullptr;
    int depth = 0;
  };
  auto filter = make_rewrite_tag_filter(
      config::load_component(rewrite_tag_filter_schema(), "filter", "rule: $n . copy.$n false"), BuildContext{});
  Bouncing ctx;
  ctx.filter = filter.get();
  filter->start(ctx);
  Chunk chunk("app");
  auto json = make_json_format();
  for (int i = 0; i < 3; ++i) {
    Value v;
    REQUIRE(json->parse("{\"n\":" + std::to_string(i) + "}", chunk.arena, v));
    chunk.events.push_back(Event{i, v});
  }
  filter->filter(chunk);
  CHECK(chunk.events.empty());
  // Each record bounced three times and came out once, under its own tag, at the deepest level.
  std::vector<std::string> out;
  for (const auto& c : ctx.emitted)
    for (const auto& e : c->events) out.push_back(c->tag + ": " + json::to_string(e.record));
  std::sort(out.begin(), out.end());
  CHECK(out == std::vector<std::string>{R"(copy.0: {"n":0})", R"(copy.1: {"n":1})", R"(copy.2: {"n":2})"});
}

TEST_CASE("rewrite_tag: configuration errors name the rule", "[filters][rewrite_tag]") {
  CHECK(config_error("{}").find("rule") != std::string::npos);
  CHECK(config_error("rule: $a ^x$ t").find("KEY REGEX NEW_TAG KEEP") != std::string::npos);
  CHECK(config_error("rule: $a ^x$ t maybe").find("KEEP must be true or false") != std::string::npos);
  CHECK(config_error("rule: a ^x$ t false").find("starting with $") != std::string::npos);
  CHECK(config_error("rule: $a ^(x$ t false").find("does not compile") != std::string::npos);
  CHECK(config_error("rule: $a ^x$ $TAG[x] false").find("$TAG[n]") != std::string::npos);
  CHECK(config_error("rule: $a ^x$ new.$ false").find("no error") != std::string::npos);  // a trailing $ is text
  CHECK(config_error("rule: $a ^x$ t.$b['c' false").find("without its ']'") != std::string::npos);
  CHECK(config_error("rule: '$a \"^x y$\" t true'") == "no error");  // a quoted regex may hold a blank
  // Odd new tags: each is an error naming the rule, or a template; none may crash.
  for (const char* tag : {"$", "$$", "$$$", "$TAG[", "$TAG[]", "$TAG[1", "$TAG[99999]", "$[", "$a[", "$a['",
                          "$a[']", "$a['b']x", "$9$0", "$.", "a.$", "$TAG$TAG", "$a[0][1]", "$TAG[1][2]"}) {
    std::string yaml = std::string("rule: \"$a x ") + tag + " true\"";
    INFO(yaml);
    std::string error = config_error(yaml);
    CHECK((error == "no error" || error.find("rule") != std::string::npos));
  }
}

TEST_CASE("rewrite_tag: a classic Fluent Bit [FILTER] section loads, emitter keys included",
          "[filters][rewrite_tag][classic]") {
  config::ComponentConfig cfg = testing::classic_filter(
      "rewrite_tag",
      "    Rule                  $log ^(WARN|ERROR) alert.$TAG false\n"
      "    Rule                  $level ^debug$ debug.$TAG true\n"
      "    Emitter_Name          re_emitted\n    Emitter_Storage.type  filesystem\n"
      "    Emitter_Mem_Buf_Limit 10M\n");
  CHECK(cfg.get_list("rule").size() == 2);
}

}  // namespace SLUICE_UNITY_ID
