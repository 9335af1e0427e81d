// The multiline filter's mode partial_message, with records shaped as
// Docker's fluentd log driver sends them (partial_message "true",
// partial_id, partial_ordinal, partial_last): parts joined by partial_id
// across chunks and tags, in place of the last part; other records pass as
// they are; acks held until the joined record is released; flush_ms and
// shutdown send an unfinished line on.
#include <catch2/catch.hpp>

#include "agent/json_writer.hpp"
#include "agent/record.hpp"
#include "filters/multiline/multiline_filter.hpp"
#include "tests/filters/lua_harness.hpp"

namespace SLUICE_UNITY_ID {

using namespace sluice;
using namespace sluice::test;

namespace {

// A record as the fluentd log driver writes it (fields in its order).
struct Part {
  std::string log;
  std::string id;  // "" = not a partial record
  int ordinal = 0;
  bool last = false;
};

struct PartialHarness {
  explicit PartialHarness(std::string_view extra = "")
      : parsers(ParserSet::build({})) {
    BuildContext build;
    build.parsers = &parsers;
    std::string yaml = "mode: partial_message\nmultiline.key_content: log\n" + std::string(extra);
    filter = make_multiline_filter(config::load_component(multiline_filter_schema(), "filter", yaml), build);
    filter->start(ctx);
  }

  ChunkPtr chunk(const std::vector<Part>& parts, uint64_t cookie, const std::string& tag = "docker.web") {
    auto c = std::make_unique<Chunk>(tag);
    std::vector<Member> scratch;
    int64_t t = kSec;
    for (const auto& p : parts) {
      MapBuilder b(c->arena, scratch);
      b.add("container_id", Value::string("4f1c2a"));
      b.add("container_name", Value::string("/web"));
      b.add("source", Value::string("stdout"));
      b.add("log", record::string(c->arena, p.log));
      if (!p.id.empty()) {
        b.add("partial_message", Value::string("true"));
        b.add("partial_id", record::string(c->arena, p.id));
        b.add("partial_ordinal", record::string(c->arena, std::to_string(p.ordinal)));
        b.add("partial_last", Value::string(p.last ? "true" : "false"));
      }
      c->events.push_back(Event{t, b.finish()});
      t += kSec;
    }
    if (cookie != 0) c->acks.push_back(AckRef(&acks, cookie));
    return c;
  }

  // Runs a chunk through; returns each record left in it as JSON.
  std::vector<std::string> run(const std::vector<Part>& parts, uint64_t cookie = 0,
                               const std::string& tag = "docker.web") {
    auto c = chunk(parts, cookie, tag);
    filter->filter(*c);
    auto out = records(*c);
    kept.push_back(std::move(c));
    return out;
  }

  static std::vector<std::string> records(const Chunk& c) {
    std::vector<std::string> out;
    for (const auto& e : c.events) out.push_back(json::to_string(e.record));
    return out;
  }
  std::vector<std::string> emitted() const {
    std::vector<std::string> out;
    for (const auto& c : ctx.emitted)
      for (const auto& r : records(*c)) out.push_back(r);
    return out;
  }

  RecordingSink acks;  // first: outlives every chunk holding its acks
  ParserSet parsers;
  CapturingFilterContext ctx;
  std::unique_ptr<Filter> filter;
  std::vector<ChunkPtr> kept;
};

std::string joined(const std::string& log) {
  return R"({"container_id":"4f1c2a","container_name":"/web","source":"stdout","log":")" + log + "\"}";
}
std::string plain(const std::string& log) { return joined(log); }

}  // namespace

TEST_CASE("partial_message joins a line's parts across chunks, in place of its last part",
          "[filter][multiline][partial]") {
  PartialHarness h;
  CHECK(h.run({{"before"}, {"aaaa", "id1", 1}, {"bbbb", "id1", 2}}, 1) == std::vector<std::string>{plain("before")});
  CHECK(h.run({{"cccc", "id1", 3, true}, {"after"}}, 2) ==
        std::vector<std::string>{joined("aaaabbbbcccc"), plain("after")});
  CHECK(h.kept[1]->events[0].time_ns == 2 * kSec);  // the first part's time
  CHECK(h.ctx.counter("sluice_filter_multiline_joined_total") == 1);

  SECTION("the first chunk's ack is held until the chunk with the joined record is released") {
    h.kept[0].reset();
    CHECK_FALSE(h.acks.acked(1));
    h.kept[1].reset();
    CHECK(h.acks.acked(1));
    CHECK(h.acks.acked(2));
  }
}

TEST_CASE("partial_message keeps lines of different partial_id and tag apart", "[filter][multiline][partial]") {
  PartialHarness h;
  CHECK(h.run({{"a1", "A", 1}, {"b1", "B", 1}, {"a2", "A", 2, true}, {"b2", "B", 2, true}}) ==
        std::vector<std::string>{joined("a1a2"), joined("b1b2")});
  // The same id under another tag is another line.
  CHECK(h.run({{"x1", "C", 1}}, 0, "docker.web").empty());
  CHECK(h.run({{"y1", "C", 1}}, 0, "docker.db").empty());
  CHECK(h.run({{"y2", "C", 2, true}}, 0, "docker.db") == std::vector<std::string>{joined("y1y2")});
  CHECK(h.run({{"x2", "C", 2, true}}, 0, "docker.web") == std::vector<std::string>{joined("x1x2")});
}

TEST_CASE("partial_message passes records that are not parts as they are", "[filter][multiline][partial]") {
  PartialHarness h;
  auto c = std::make_unique<Chunk>("docker.web");
  std::vector<Member> scratch;
  auto add = [&](std::initializer_list<std::pair<const char*, Value>> fields) {
    MapBuilder b(c->arena, scratch);
    for (const auto& [k, v] : fields) b.add(k, v);
    c->events.push_back(Event{kSec, b.finish()});
  };
  add({{"log", Value::string("no id")}, {"partial_message", Value::string("true")}});
  add({{"log", Value::string("not partial")}, {"partial_message", Value::string("false")}});
  add({{"msg", Value::string("no log key")}, {"partial_message", Value::string("true")},
       {"partial_id", Value::string("z")}});
  // A boolean true and "TRUE" are read as Fluent Bit reads "true".
  add({{"log", Value::string("p1 ")}, {"partial_message", Value::boolean(true)}, {"partial_id", Value::string("q")}});
  add({{"log", Value::string("p2")}, {"partial_message", Value::string("TRUE")}, {"partial_id", Value::string("q")},
       {"partial_last", Value::boolean(true)}});
  h.filter->filter(*c);
  CHECK(PartialHarness::records(*c) ==
        std::vector<std::string>{R"({"log":"no id","partial_message":"true"})",
                                 R"({"log":"not partial","partial_message":"false"})",
                                 R"({"msg":"no log key","partial_message":"true","partial_id":"z"})",
                                 R"({"log":"p1 p2"})"});
}

TEST_CASE("partial_message sends a line without its last part on after flush_ms", "[filter][multiline][partial]") {
  PartialHarness h("flush_ms: 300\n");
  auto start = std::chrono::steady_clock::now();
  CHECK(h.run({{"first half, ", "id9", 1}}, 5).empty());
  h.kept.clear();
  CHECK_FALSE(h.acks.acked(5));
  h.ctx.io().run_for(std::chrono::seconds(5));  // returns once the timer ran and nothing is left to wait for
  CHECK(std::chrono::steady_clock::now() - start >= std::chrono::milliseconds(300));
  CHECK(h.emitted() == std::vector<std::string>{joined("first half, ")});
  REQUIRE(h.ctx.emitted.size() == 1);
  CHECK(h.ctx.emitted[0]->tag == "docker.web");
  CHECK_FALSE(h.acks.acked(5));  // the emitted chunk holds it
  h.ctx.emitted.clear();
  CHECK(h.acks.acked(5));
}

TEST_CASE("partial_message hands over open lines at shutdown, one chunk per tag", "[filter][multiline][partial]") {
  PartialHarness h;
  h.run({{"w1", "a", 1}}, 0, "docker.web");
  h.run({{"d1", "b", 1}}, 0, "docker.db");
  h.filter->flush();
  REQUIRE(h.ctx.emitted.size() == 2);
  CHECK(h.ctx.emitted[0]->tag == "docker.db");
  CHECK(PartialHarness::records(*h.ctx.emitted[0]) == std::vector<std::string>{joined("d1")});
  CHECK(PartialHarness::records(*h.ctx.emitted[1]) == std::vector<std::string>{joined("w1")});
  h.filter->flush();  // twice is harmless
  CHECK(h.ctx.emitted.size() == 2);
}

TEST_CASE("partial_message: emitter_mem_buf_limit sends open lines on early", "[filter][multiline][partial]") {
  PartialHarness h("emitter_mem_buf_limit: 1k\n");
  std::vector<Part> parts;
  for (int i = 0; i < 40; ++i) parts.push_back({std::string(50, 'x'), "big", i + 1});
  auto out = h.run(parts);
  REQUIRE(out.size() == 1);
  CHECK(out[0] == joined(std::string(2000, 'x')));
  CHECK(h.ctx.counter("sluice_filter_multiline_cut_total") == 1);
}

}  // namespace SLUICE_UNITY_ID
