// Multiline parsers: user-defined ones from YAML and classic files, the rule
// engine's semantics (Fluent Bit's), flush timeouts, record mode with groups
// (interleaved CRI streams), a first-line parser, held acknowledgements and
// every configuration error a user can meet.
#include <catch2/catch.hpp>

#include <unistd.h>

#include <filesystem>
#include <fstream>

#include "agent/config/yaml_loader.hpp"
#include "agent/record.hpp"
#include "tests/agent/multiline_harness.hpp"

namespace SLUICE_UNITY_ID {

using namespace sluice;
using namespace sluice::multiline_test;
using Catch::Matchers::Contains;

namespace {

ParserSet parsers_from(const std::string& yaml) {
  auto cfg = config::load_string(yaml, "ml.yaml");
  return ParserSet::build(cfg.parsers, cfg.multiline_parsers);
}

std::string build_error(const std::string& yaml) {
  try {
    parsers_from(yaml);
  } catch (const config::ConfigError& e) {
    return e.what();
  }
  return "no error";
}

// Fluent Bit's documented example of a user-defined regex parser.
const char* kFluentBitExample = R"(
multiline_parsers:
  - name: multiline-regex-test
    type: regex
    flush_timeout: 1000
    rules:
      - state: start_state
        regex: '/([a-zA-Z]+ \d+ \d+\:\d+\:\d+)(.*)/'
        next_state: cont
      - state: cont
        regex: '/^\s+at.*/'
        next_state: cont
)";

struct Acks final : AckSink {
  std::vector<uint64_t> done;
  void acknowledged(uint64_t cookie, bool) override { done.push_back(cookie); }
};

}  // namespace

TEST_CASE("a user-defined regex parser joins what its rules recognise", "[multiline]") {
  ParserSet set = parsers_from(kFluentBitExample);
  const MultilineParser* p = set.find_multiline("multiline-regex-test");
  REQUIRE(p != nullptr);
  CHECK(p->options().flush_timeout == std::chrono::milliseconds(1000));
  auto out = run({"multiline-regex-test"},
                 "single line...\n"
                 "Dec 14 06:41:08 Exception in thread \"main\" java.lang.RuntimeException: Something has gone wrong\n"
                 "    at com.myproject.module.MyProject.badMethod(MyProject.java:22)\n"
                 "    at com.myproject.module.MyProject.main(MyProject.java:6)\n"
                 "another line...\n",
                 set);
  REQUIRE(out.size() == 3);
  CHECK(out[0] == "single line...");
  CHECK(out[1] ==
        "Dec 14 06:41:08 Exception in thread \"main\" java.lang.RuntimeException: Something has gone wrong\n"
        "    at com.myproject.module.MyProject.badMethod(MyProject.java:22)\n"
        "    at com.myproject.module.MyProject.main(MyProject.java:6)");
  CHECK(out[2] == "another line...");

  SECTION("a start line ends the record before it, a rule without next_state ends its own") {
    ParserSet s2 = parsers_from(R"(
multiline_parsers:
  - name: blocks
    type: regex
    rules:
      - {state: start_state, regex: '^BEGIN', next_state: body}
      - {state: body, regex: '^  ', next_state: body}
      - {state: body, regex: '^END$'}
)");
    auto blocks = run({"blocks"}, "BEGIN a\n  1\nBEGIN b\n  2\nEND\nafter\n", s2);
    REQUIRE(blocks.size() == 3);
    CHECK(blocks[0] == "BEGIN a\n  1");
    CHECK(blocks[1] == "BEGIN b\n  2\nEND");
    CHECK(blocks[2] == "after");
  }
}

TEST_CASE("a classic [MULTILINE_PARSER] from a parsers file works the same", "[multiline][classic]") {
  namespace fs = std::filesystem;
  fs::path dir = fs::temp_directory_path() / ("sluice-ml-" + std::to_string(::getpid()));
  fs::create_directories(dir);
  std::ofstream(dir / "parsers.conf") << "[MULTILINE_PARSER]\n"
                                         "    name          multiline-regex-test\n"
                                         "    type          regex\n"
                                         "    flush_timeout 1000\n"
                                         "    rule      \"start_state\"   \"/([a-zA-Z]+ \\d+ \\d+\\:\\d+\\:\\d+)(.*)/\"  \"cont\"\n"
                                         "    rule      \"cont\"          \"/^\\s+at.*/\"                     \"cont\"\n";
  std::ofstream(dir / "sluice.yaml") << "service:\n  parsers_file: parsers.conf\n";
  auto cfg = config::load_file((dir / "sluice.yaml").string());
  REQUIRE(cfg.multiline_parsers.size() == 1);
  ParserSet set = ParserSet::build(cfg.parsers, cfg.multiline_parsers);
  auto out = run({"multiline-regex-test"}, "Dec 14 06:41:08 boom\n    at a.b(C.java:1)\nnext\n", set);
  CHECK(out == std::vector<std::string>{"Dec 14 06:41:08 boom\n    at a.b(C.java:1)", "next"});
  fs::remove_all(dir);
}

TEST_CASE("multiline parser errors name the file, line and rule", "[multiline][config]") {
  CHECK_THAT(build_error("multiline_parsers:\n  - name: m\n    type: regex\n    rules:\n"
                         "      - {state: start_state, regex: 'x', next_state: cont}\n"
                         "      - {state: cnt, regex: 'y', next_state: cont}\n"),
             Contains("ml.yaml:5:") && Contains("multiline parser 'm', rule 1: next_state 'cont' is no rule's state") &&
                 Contains("states: start_state, cnt"));
  CHECK_THAT(build_error("multiline_parsers:\n  - name: m\n    type: regex\n    rules:\n"
                         "      - {state: cont, regex: 'x', next_state: cont}\n"),
             Contains("ml.yaml:5:") && Contains("the first rule must apply in 'start_state'"));
  CHECK_THAT(build_error("multiline_parsers:\n  - name: m\n    type: regex\n    rules:\n"
                         "      - {state: start_state, regex: 'x', next_state: cont}\n"
                         "      - {state: cont, regex: '/a(b/', next_state: cont}\n"),
             Contains("ml.yaml:6:") && Contains("rule 2 (state 'cont'): regex '/a(b/' doesn't compile"));
  CHECK_THAT(build_error("multiline_parsers:\n  - name: m\n    type: regex\n    rules:\n"
                         "      - {state: start_state, next_state: cont}\n"),
             Contains("ml.yaml:5:") && Contains("rule 1 of multiline parser 'm': missing 'regex'"));
  CHECK_THAT(build_error("multiline_parsers:\n  - name: m\n    type: regex\n    rules:\n"
                         "      - {state: start_state, regex: x, nxt_state: cont}\n"),
             Contains("unknown key 'nxt_state'") && Contains("did you mean 'next_state'?"));
  CHECK_THAT(build_error("multiline_parsers:\n  - name: m\n    type: regex\n"),
             Contains("ml.yaml:2:") && Contains("type regex needs rules"));
  CHECK_THAT(build_error("multiline_parsers:\n  - name: m\n    type: rgx\n"),
             Contains("ml.yaml:3:") && Contains("expects one of regex, endswith, equal, eq"));
  CHECK_THAT(build_error("multiline_parsers:\n  - name: m\n    type: endswith\n"),
             Contains("needs match_string"));
  CHECK_THAT(build_error("multiline_parsers:\n  - name: m\n    type: equal\n    match_string: F\n"),
             Contains("needs key_pattern"));
  CHECK_THAT(build_error("multiline_parsers:\n  - name: m\n    type: endswith\n    match_string: x\n"
                         "    parser: nope\n    key_content: log\n"),
             Contains("ml.yaml:5:") && Contains("unknown parser 'nope'"));
  CHECK_THAT(build_error("multiline_parsers:\n  - name: m\n    type: endswith\n    match_string: x\n"
                         "    flush_timeout: 0\n"),
             Contains("flush_timeout") && Contains("above 0"));
  CHECK_THAT(build_error("multiline_parsers:\n  - {name: m, type: endswith, match_string: x}\n"
                         "  - {name: m, type: endswith, match_string: y}\n"),
             Contains("ml.yaml:3:") && Contains("already defined at ml.yaml:2:"));
  CHECK_THAT(build_error("multiline_parsers:\n  - name: m\n    typo: regex\n"), Contains("unknown key 'typo'"));
}

TEST_CASE("a user's parser replaces the built-in of its name", "[multiline][config]") {
  ParserSet set = parsers_from("multiline_parsers:\n  - {name: java, type: endswith, match_string: '\\'}\n");
  CHECK(set.find_multiline("java")->type() == MultilineParser::Type::EndsWith);
  CHECK_FALSE(set.find_multiline("java")->options().builtin);
  CHECK(set.find_multiline("python")->options().builtin);
}

TEST_CASE("an open record is handed out after its flush timeout", "[multiline][timeout]") {
  ParserSet set = parsers_from(kFluentBitExample);
  MultilineStream stream(parsers_named({"multiline-regex-test"}, set), {});
  Collect c;
  auto t0 = MultilineStream::Clock::now();
  MultilineLine l;
  l.text = "Dec 14 06:41:08 boom";
  REQUIRE(stream.offer(l, c, t0));
  l.text = "    at a.b(C.java:1)";
  l.position = 21;
  REQUIRE(stream.offer(l, c, t0 + std::chrono::milliseconds(500)));
  CHECK_FALSE(stream.oldest_position() == std::nullopt);
  // Due flush_timeout after its last line, not its first.
  CHECK(stream.next_deadline() == t0 + std::chrono::milliseconds(1500));
  stream.flush_expired(c, t0 + std::chrono::milliseconds(1499));
  CHECK(c.texts.empty());
  stream.flush_expired(c, t0 + std::chrono::milliseconds(1500));
  REQUIRE(c.texts.size() == 1);
  CHECK(c.records[0].lines == 2);
  CHECK(c.records[0].position == 0);
  CHECK_FALSE(stream.has_open());
  CHECK(stream.next_deadline() == std::nullopt);

  SECTION("the stream's own timeout (the filter's flush_ms) wins") {
    MultilineStream::Settings s;
    s.flush_timeout = std::chrono::milliseconds(200);
    MultilineStream fast(parsers_named({"java"}), s);
    MultilineLine e;
    e.text = "java.lang.IllegalStateException: x";
    REQUIRE(fast.offer(e, c, t0));
    CHECK(fast.next_deadline() == t0 + std::chrono::milliseconds(200));
  }
}

TEST_CASE("record mode: CRI parts of interleaved streams join per stream", "[multiline][cri]") {
  Arena arena;
  std::vector<Member> scratch;
  auto rec = [&](const char* stream, const char* p, const char* log) {
    MapBuilder b(arena, scratch);
    b.add("time", Value::string("2024-05-01T12:00:00.000000000Z"));
    b.add("stream", Value::string(stream));
    b.add("_p", Value::string(p));
    b.add("log", Value::string(log));
    return b.finish();
  };
  std::vector<Value> in = {rec("stdout", "P", "out-1a "), rec("stderr", "P", "err-1a "), rec("stdout", "F", "out-1b"),
                           rec("stderr", "P", "err-1b "), rec("stdout", "F", "out-2"), rec("stderr", "F", "err-1c")};
  MultilineStream stream(parsers_named({"cri"}), {});
  Collect c;
  for (const auto& v : in) {
    MultilineLine l;
    l.record = &v;
    REQUIRE(stream.offer(l, c, MultilineStream::Clock::now()));
  }
  CHECK(c.texts == std::vector<std::string>{"out-1a out-1b", "out-2", "err-1a err-1b err-1c"});
  REQUIRE(c.records.size() == 3);
  CHECK_FALSE(stream.has_open());

  SECTION("docker: a part ending in a newline is the last") {
    Value d1 = rec("stdout", "", "long ");
    Value d2 = rec("stdout", "", "line\n");
    MultilineStream docker(parsers_named({"docker"}), {});
    Collect dc;
    MultilineLine l;
    l.record = &d1;
    docker.offer(l, dc, MultilineStream::Clock::now());
    CHECK(dc.texts.empty());
    l.record = &d2;
    docker.offer(l, dc, MultilineStream::Clock::now());
    CHECK(dc.texts == std::vector<std::string>{"long line\n"});
  }
}

TEST_CASE("a multiline parser with a parser: every line is parsed, the first line's fields make the record",
          "[multiline][parser]") {
  ParserSet set = parsers_from(R"(
parsers:
  - name: stamped
    format: regex
    regex: '^(?<ts>\d\d:\d\d:\d\d) (?<level>\w+) (?<msg>.*)$'
multiline_parsers:
  - name: stamped-java
    type: regex
    parser: stamped
    key_content: msg
    rules:
      - {state: start_state, regex: 'Exception', next_state: cont}
      - {state: cont, regex: '^\s+at ', next_state: cont}
)");
  MultilineStream stream(parsers_named({"stamped-java"}, set), {});
  Collect c;
  auto now = MultilineStream::Clock::now();
  std::vector<std::string> lines = {"12:00:00 ERROR java.lang.IllegalStateException: x",
                                    "12:00:00 ERROR \tat a.b(C.java:1)", "not stamped"};
  std::vector<bool> taken;
  for (const auto& text : lines) {
    MultilineLine l;
    l.text = text;
    taken.push_back(stream.offer(l, c, now));
  }
  CHECK(taken == std::vector<bool>{true, true, false});
  REQUIRE(c.records.size() == 1);
  CHECK(c.texts[0] == "java.lang.IllegalStateException: x\n\tat a.b(C.java:1)");
}

TEST_CASE("an open record holds its lines' acknowledgements until it is handed out", "[multiline][acks]") {
  Acks sink;
  MultilineStream stream(parsers_named({"java"}), {});
  Collect c;
  auto now = MultilineStream::Clock::now();
  Arena arena;
  std::vector<Member> scratch;
  auto rec = [&](const char* log) {
    MapBuilder b(arena, scratch);
    b.add("log", Value::string(log));
    return b.finish();
  };
  Value first = rec("java.lang.IllegalStateException: x"), frame = rec("\tat a.b(C.java:1)"), other = rec("next");
  {
    std::vector<AckRef> chunk1 = {AckRef(&sink, 1)}, chunk2 = {AckRef(&sink, 2)};
    MultilineLine l;
    l.acks = &chunk1;
    l.batch = 1;
    l.record = &first;
    REQUIRE(stream.offer(l, c, now));
    l.acks = &chunk2;
    l.batch = 2;
    l.record = &frame;
    REQUIRE(stream.offer(l, c, now));
    l.record = &other;
    REQUIRE_FALSE(stream.offer(l, c, now));
  }  // the chunks are gone; the joined record's acks are all that is left
  REQUIRE(c.acks.size() == 1);
  CHECK(c.acks[0].size() == 2);
  CHECK(sink.done.empty());
  c.acks.clear();
  CHECK(sink.done == std::vector<uint64_t>{1, 2});
}

TEST_CASE("a record reaching the size limit is handed out and the next one goes on", "[multiline][limit]") {
  MultilineStream::Settings s;
  s.max_bytes = 64;
  MultilineStream stream(parsers_named({"java"}), s);
  Collect c;
  auto now = MultilineStream::Clock::now();
  std::vector<std::string> lines = {"java.lang.IllegalStateException: x"};
  for (int i = 0; i < 6; ++i) lines.push_back("\tat a.b.C.m" + std::to_string(i) + "(C.java:1)");
  for (const auto& text : lines) {
    MultilineLine l;
    l.text = text;
    REQUIRE(stream.offer(l, c, now));
  }
  stream.flush_all(c);
  REQUIRE(c.records.size() >= 2);
  CHECK(c.records[0].cut);
  CHECK(stream.cuts() >= 1);
  std::string all;
  for (const auto& t : c.texts) all += (all.empty() ? "" : "\n") + t;
  std::string expected;
  for (const auto& l : lines) expected += (expected.empty() ? "" : "\n") + l;
  CHECK(all == expected);  // nothing lost
}

}  // namespace SLUICE_UNITY_ID
