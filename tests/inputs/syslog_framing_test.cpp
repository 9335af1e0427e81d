// RFC 6587 framing of syslog streams: detection per connection, LF and NUL
// trailers, octet counting, messages and counts split across reads (every
// split point), bad counts, and the buffer_max_size bound.
#include "inputs/syslog/syslog_framing.hpp"

#include <catch2/catch.hpp>
#include <algorithm>
#include <cstdio>
#include <string>
#include <vector>

#include "tests/support/thread_cpu.hpp"

namespace SLUICE_UNITY_ID {

using namespace sluice::syslog;

namespace {

struct Frame {
  std::string text;
  bool truncated = false;
  bool bad = false;
  bool operator==(const Frame& o) const { return text == o.text && truncated == o.truncated && bad == o.bad; }
};

std::ostream& operator<<(std::ostream& os, const Frame& f) {
  return os << "{" << f.text << (f.truncated ? ", truncated" : "") << (f.bad ? ", bad" : "") << "}";
}

class Collect : public FrameSink {
 public:
  void on_frame(std::string_view message, FrameFlags flags) override {
    frames.push_back({std::string(message), flags.truncated, flags.bad_frame});
  }
  std::vector<Frame> frames;
};

// Feeds data in pieces cut at the given offsets, then ends the stream.
std::vector<Frame> frame(const std::string& data, std::vector<size_t> cuts = {}, Framing f = Framing::Auto,
                         size_t max = 1024, bool finish = true) {
  Framer framer(f, max);
  Collect sink;
  size_t at = 0;
  cuts.push_back(data.size());
  for (size_t cut : cuts) {
    framer.feed(std::string_view(data).substr(at, cut - at), sink);
    at = cut;
  }
  if (finish) framer.finish(sink);
  return sink.frames;
}

using Frames = std::vector<Frame>;

// A literal with its NUL bytes.
template <size_t N>
std::string bytes(const char (&s)[N]) {
  return std::string(s, N - 1);
}

// RFC 6587 octet counting: "LEN SP MSG".
std::string counted(const std::string& msg) { return std::to_string(msg.size()) + " " + msg; }

}  // namespace

TEST_CASE("syslog framing: trailers", "[syslog][syslog_framing]") {
  SECTION("LF and NUL both end a message; CR stays for the parser to trim; empty ones are skipped") {
    std::string data = bytes("<13>a\n<13>b\0<13>c\r\n\n\n<13>d");
    CHECK(frame(data) == Frames{{"<13>a"}, {"<13>b"}, {"<13>c\r"}, {"<13>d"}});
  }
  SECTION("Python's SysLogHandler over TCP: NUL only") {
    std::string data = bytes("<14>one\0<14>two\0");
    CHECK(frame(data) == Frames{{"<14>one"}, {"<14>two"}});
  }
  SECTION("a message split across reads at every possible point") {
    std::string data = "<13>first message\n<13>second\n";
    for (size_t cut = 1; cut < data.size(); ++cut) {
      CAPTURE(cut);
      CHECK(frame(data, {cut}) == Frames{{"<13>first message"}, {"<13>second"}});
    }
  }
  SECTION("the last message without a trailer counts when the peer closes; not before") {
    CHECK(frame("<13>a\n<13>partial", {}, Framing::Auto, 1024, false) == Frames{{"<13>a"}});
    CHECK(frame("<13>a\n<13>partial") == Frames{{"<13>a"}, {"<13>partial"}});
  }
  SECTION("over buffer_max_size: cut at the bound, flagged, the rest skipped") {
    std::string long_msg = "<13>" + std::string(100, 'x');
    std::string data = long_msg + "\n<13>next\n";
    Frames want{{long_msg.substr(0, 32), true}, {"<13>next"}};
    CHECK(frame(data, {}, Framing::Auto, 32) == want);
    for (size_t cut : {3, 20, 32, 33, 60, 104, 105}) {
      CAPTURE(cut);
      CHECK(frame(data, {cut}, Framing::Auto, 32) == want);
    }
    // Exactly buffer_max_size is not truncated.
    CHECK(frame(std::string(32, 'y') + "\n", {10}, Framing::Auto, 32) == Frames{{std::string(32, 'y')}});
  }
  SECTION("an over-long message never fills memory: it is passed on before its end arrives") {
    Framer framer(Framing::Newline, 64);
    Collect sink;
    for (int i = 0; i < 1000; ++i) framer.feed(std::string(1000, 'z'), sink);
    CHECK(sink.frames == Frames{{std::string(64, 'z'), true}});
    CHECK(framer.buffered() == 0);
  }
}

TEST_CASE("syslog framing: octet counting", "[syslog][syslog_framing]") {
  SECTION("frames with LF and NUL inside; detection from the first byte") {
    std::string inner = bytes("<13>a\nb\0cde");
    CHECK(frame(counted(inner) + "5 <13>x") == Frames{{inner}, {"<13>x"}});
    Framer framer(Framing::Auto, 1024);
    Collect sink;
    framer.feed("5 <13>x", sink);
    CHECK(framer.framing() == Framing::OctetCounting);
  }
  SECTION("count and message split across reads at every possible point") {
    std::string data = counted("<13>1 - - - - - - a") + counted("<13>1 - - - - - - bc");
    Frames want{{"<13>1 - - - - - - a"}, {"<13>1 - - - - - - bc"}};
    for (size_t cut = 1; cut < data.size(); ++cut) {
      CAPTURE(cut);
      CHECK(frame(data, {cut}) == want);
      CHECK(frame(data, {cut / 2, cut}) == want);
    }
  }
  SECTION("trailers between frames are tolerated (rsyslog adds LF to some templates)") {
    CHECK(frame("5 <13>a\n5 <13>b\r\n") == Frames{{"<13>a"}, {"<13>b"}});
  }
  SECTION("bad counts: the text up to LF is kept as a bad frame, counting resumes after it") {
    CHECK(frame("5 <13>a12x <13>junk\n5 <13>b") == Frames{{"<13>a"}, {"12x <13>junk", false, true}, {"<13>b"}});
    CHECK(frame("5 <13>a<13>no count\n") == Frames{{"<13>a"}, {"<13>no count", false, true}});
    // A leading zero and a count of ten digits are not counts.
    CHECK(frame("05 <13>a\n") == Frames{{"05 <13>a", false, true}});
    CHECK(frame("1234567890 x\n") == Frames{{"1234567890 x", false, true}});
  }
  SECTION("a frame longer than buffer_max_size: cut, flagged, its rest skipped exactly") {
    std::string body = "<13>" + std::string(96, 'x');
    std::string data = "100 " + body + "5 <13>n";
    Frames want{{body.substr(0, 32), true}, {"<13>n"}};
    for (size_t cut = 1; cut < data.size(); cut += 7) {
      CAPTURE(cut);
      CHECK(frame(data, {cut}, Framing::Auto, 32) == want);
    }
  }
  SECTION("a huge count does not reserve memory") {
    Framer framer(Framing::Auto, 64);
    Collect sink;
    framer.feed("999999999 <13>", sink);
    for (int i = 0; i < 100; ++i) framer.feed(std::string(1000, 'q'), sink);
    REQUIRE(sink.frames.size() == 1);
    CHECK(sink.frames[0].truncated);
    CHECK(framer.buffered() == 0);
  }
  SECTION("a peer closing mid-frame: what arrived is passed on as truncated") {
    CHECK(frame("20 <13>short") == Frames{{"<13>short", true}});
  }
  SECTION("forced framing ignores the first byte") {
    CHECK(frame("5 <13>a\n", {}, Framing::Newline) == Frames{{"5 <13>a"}});
    CHECK(frame("<13>a\n", {}, Framing::OctetCounting) == Frames{{"<13>a", false, true}});
  }
}

TEST_CASE("syslog framing: a connection idle after a long split message holds no buffer", "[syslog][syslog_framing]") {
  // 10,000 quiet clients must not each keep room for their longest message.
  std::string body = "<13>1 - - - - - - " + std::string(32 * 1024, 'x');
  for (const std::string& data : {counted(body), body + "\n"}) {
    Framer framer(Framing::Auto, 64 * 1024);
    Collect sink;
    framer.feed(std::string_view(data).substr(0, 1000), sink);  // split across reads
    framer.feed(std::string_view(data).substr(1000), sink);
    REQUIRE(sink.frames.size() == 1);
    CHECK(sink.frames[0].text == body);
    CHECK(framer.held_capacity() <= Framer::kKeptCarry + 64);
  }
}

TEST_CASE("json stream framing: each top-level object or array is a message, however it is laid out",
          "[tcp][syslog_framing]") {
  const Framing json = Framing::JsonStream;
  SECTION("back to back, on lines, or with blank space and NULs between") {
    Frames want{{R"({"a":1})"}, {R"({"b":2})"}, {R"([1,{"c":3}])"}};
    CHECK(frame(R"({"a":1}{"b":2}[1,{"c":3}])", {}, json) == want);
    CHECK(frame("{\"a\":1}\n{\"b\":2}\r\n\n  [1,{\"c\":3}]\n", {}, json) == want);
    CHECK(frame(bytes("{\"a\":1}\0{\"b\":2}\0\t[1,{\"c\":3}]"), {}, json) == want);
  }
  SECTION("pretty-printed over several lines, split across reads at every point") {
    std::string first = "{\n  \"level\": \"info\",\n  \"nested\": {\"list\": [1, 2]}\n}";
    std::string second = R"({"n":2})";
    std::string data = first + "\n" + second + "\n";
    for (size_t cut = 1; cut < data.size(); ++cut) {
      CAPTURE(cut);
      CHECK(frame(data, {cut}, json) == Frames{{first}, {second}});
    }
  }
  SECTION("brackets and quotes inside strings don't end a value") {
    std::string v = R"({"m":"} { ] [ \" \\","k":"\\"})";
    CHECK(frame(v + v, {}, json) == Frames{{v}, {v}});
    for (size_t cut = 1; cut < v.size(); ++cut) {
      CAPTURE(cut);
      CHECK(frame(v, {cut}, json) == Frames{{v}});
    }
  }
  SECTION("a line that is no object or array is a message up to its LF") {
    CHECK(frame("plain text\n{\"a\":1} 42\n\"str\"\n", {}, json) ==
          Frames{{"plain text"}, {R"({"a":1})"}, {"42"}, {R"("str")"}});
  }
  SECTION("the last value, unfinished, counts when the peer closes; not before") {
    CHECK(frame(R"({"a":1}{"b":)", {}, json, 1024, false) == Frames{{R"({"a":1})"}});
    CHECK(frame(R"({"a":1}{"b":)", {}, json) == Frames{{R"({"a":1})"}, {R"({"b":)"}});
  }
  SECTION("over buffer_max_size: cut at the bound, flagged, the rest of its line skipped") {
    std::string long_value = R"({"x":")" + std::string(100, 'x') + R"(","y":"}"} {"same line":0})";
    std::string data = long_value + "\n" + R"({"next":1})";
    Frames want{{long_value.substr(0, 32), true}, {R"({"next":1})"}};
    CHECK(frame(data, {}, json, 32) == want);
    for (size_t cut : {3, 20, 32, 33, 60, 104, 110, 117, 135, 136}) {
      CAPTURE(cut);
      CHECK(frame(data, {cut}, json, 32) == want);
    }
    Framer framer(json, 64);
    Collect sink;
    framer.feed("[", sink);
    for (int i = 0; i < 1000; ++i) framer.feed(std::string(1000, '1') + ",", sink);
    CHECK(sink.frames == Frames{{"[" + std::string(63, '1'), true}});
    CHECK(framer.buffered() == 0);
  }
  SECTION("a broken value costs itself only: an odd quote ends at its line, a lost bracket at the bound") {
    CHECK(frame("{\"a\": \"oops}\n{\"b\":2}\n", {}, json) == Frames{{R"({"a": "oops})"}, {R"({"b":2})"}});
    CHECK(frame("{\"a\": \"oops\\\n{\"b\":2}\n", {}, json) == Frames{{R"({"a": "oops\)"}, {R"({"b":2})"}});
    std::string data = "{\"lost\": 1\n";
    for (int i = 0; i < 20; ++i) data += "{\"n\":" + std::to_string(i) + "}\n";
    Frames frames = frame(data, {}, json, 64);
    REQUIRE(frames.size() >= 10);
    CHECK(frames[0] == Frame{data.substr(0, 64), true});
    CHECK(frames.back() == Frame{R"({"n":19})"});
    CHECK(frames[frames.size() - 10] == Frame{R"({"n":10})"});
  }
}

// The framings alone, over a million JSON log lines (207 bytes) fed in 32 KiB
// reads. Prints CPU ns per record; run with
//   sluice_unit_tests "[.bench][json_stream]"
TEST_CASE("json stream framing micro-benchmark", "[.bench][json_stream]") {
  std::string data;
  for (int i = 0; i < 1'000'000; ++i)
    data += R"({"time":"2026-12-07T10:00:00.123Z","level":"info","traceId":"4bf92f3577b34da6a3ce929d0e0e)" +
            std::to_string(i) +
            R"(","message":"GET /api/v1/orders 200 \"ok\"","method":"GET","path":"/api/v1/orders","status":200,)"
            R"("latencyMs":12})" "\n";
  for (auto [name, framing] : {std::pair{"newline", Framing::Newline}, std::pair{"json stream", Framing::JsonStream}}) {
    double best = 1e18;
    for (int round = 0; round < 5; ++round) {
      Framer framer(framing, 64 * 1024);
      struct Count : FrameSink {
        size_t n = 0;
        void on_frame(std::string_view, FrameFlags) override { ++n; }
      } count;
      double t0 = sluice::test::thread_cpu_ns();
      for (size_t at = 0; at < data.size(); at += 32 * 1024) framer.feed(std::string_view(data).substr(at, 32 * 1024), count);
      framer.finish(count);
      best = std::min(best, sluice::test::thread_cpu_ns() - t0);
      REQUIRE(count.n == 1'000'000);
    }
    std::printf("%s framing: %.0f ns per record (best of 5)\n", name, best / 1e6);
  }
}

}  // namespace SLUICE_UNITY_ID
