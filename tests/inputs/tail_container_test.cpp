// Docker json-file and CRI line decoding of the tail input.
#include <catch2/catch.hpp>

#include <string>

#include "inputs/tail/container_format.hpp"

namespace SLUICE_UNITY_ID {

using sluice::Arena;
using sluice::tail::ContainerDecoder;
using sluice::tail::ContainerKind;
using sluice::tail::ContainerRecord;
using Result = ContainerDecoder::Result;

namespace {
// The decoder expects lines that live in the arena (records point into them).
std::string_view in(Arena& a, std::string_view s) { return a.copy(s); }
}  // namespace

TEST_CASE("docker json-file lines", "[tail][tail_container]") {
  Arena a;
  ContainerDecoder d(true, false, 1 << 20);
  ContainerRecord r;
  SECTION("a complete line") {
    auto line = in(a, R"({"log":"hello \"world\"\n","stream":"stdout","time":"2026-11-21T10:00:00.5Z"})");
    REQUIRE(d.decode(line, 7, a, r) == Result::Record);
    CHECK(r.kind == ContainerKind::Docker);
    CHECK(r.log == "hello \"world\"");
    CHECK(r.stream == "stdout");
    CHECK(r.time == "2026-11-21T10:00:00.5Z");
    REQUIRE(r.time_ns);
    CHECK(*r.time_ns % 1000000000 == 500000000);
    CHECK(r.offset == 7);
  }
  SECTION("partial lines are joined per stream until one ends with a newline") {
    REQUIRE(d.decode(in(a, R"({"log":"part one, ","stream":"stdout","time":"2026-11-21T10:00:00Z"})"), 0, a, r) ==
            Result::Partial);
    CHECK(d.pending_start() == 0u);
    REQUIRE(d.decode(in(a, R"({"log":"err\n","stream":"stderr","time":"2026-11-21T10:00:01Z"})"), 80, a, r) ==
            Result::Record);
    CHECK(r.log == "err");
    CHECK(d.pending_start() == 0u);
    REQUIRE(d.decode(in(a, R"({"log":"part two\n","stream":"stdout","time":"2026-11-21T10:00:02Z"})"), 160, a, r) ==
            Result::Record);
    CHECK(r.log == "part one, part two");
    CHECK(r.stream == "stdout");
    CHECK(r.time == "2026-11-21T10:00:00Z");  // stamped by its first part
    CHECK(r.offset == 0);
    CHECK_FALSE(d.pending_start());
  }
  SECTION("escapes, unicode and extra fields") {
    auto line = in(a, R"({"log":"tab\there \u00e9 \ud83d\ude00 \/\n","stream":"stderr",)"
                      R"("attrs":{"a":[1,{"b":"}"}]},"time":"2026-11-21T10:00:00Z"})");
    REQUIRE(d.decode(line, 0, a, r) == Result::Record);
    CHECK(r.log == "tab\there \xc3\xa9 \xf0\x9f\x98\x80 /");
  }
  SECTION("malformed lines") {
    for (const char* bad : {"not json", R"({"log":"x\n")", R"({"stream":"stdout"})", R"({"log":"bad \q"})",
                            R"({"log":"x"} trailing)", "{"}) {
      CAPTURE(bad);
      CHECK(d.decode(in(a, bad), 0, a, r) == Result::Malformed);
    }
  }
  SECTION("flush hands out a held partial sequence") {
    REQUIRE(d.decode(in(a, R"({"log":"dangling","stream":"stdout","time":"2026-11-21T10:00:00Z"})"), 5, a, r) ==
            Result::Partial);
    REQUIRE(d.flush_one(a, r));
    CHECK(r.log == "dangling");
    CHECK(r.partial);
    CHECK(r.offset == 5);
    CHECK_FALSE(d.flush_one(a, r));
  }
}

TEST_CASE("CRI lines", "[tail][tail_container]") {
  Arena a;
  ContainerDecoder d(false, true, 1 << 20);
  ContainerRecord r;
  SECTION("a full line") {
    REQUIRE(d.decode(in(a, "2026-11-21T10:00:00.123456789Z stdout F hello world"), 3, a, r) == Result::Record);
    CHECK(r.kind == ContainerKind::Cri);
    CHECK(r.log == "hello world");
    CHECK(r.stream == "stdout");
    CHECK(r.time == "2026-11-21T10:00:00.123456789Z");
    CHECK(r.offset == 3);
  }
  SECTION("P parts are joined until the F part") {
    REQUIRE(d.decode(in(a, "2026-11-21T10:00:00Z stdout P abc"), 0, a, r) == Result::Partial);
    REQUIRE(d.decode(in(a, "2026-11-21T10:00:00Z stderr F other"), 40, a, r) == Result::Record);
    CHECK(r.log == "other");
    REQUIRE(d.decode(in(a, "2026-11-21T10:00:01Z stdout P def"), 80, a, r) == Result::Partial);
    CHECK(d.pending_start() == 0u);
    REQUIRE(d.decode(in(a, "2026-11-21T10:00:02Z stdout F ghi"), 120, a, r) == Result::Record);
    CHECK(r.log == "abcdefghi");
    CHECK(r.offset == 0);
    CHECK_FALSE(d.pending_start());
  }
  SECTION("an empty F part and extra tags") {
    REQUIRE(d.decode(in(a, "2026-11-21T10:00:00Z stdout F"), 0, a, r) == Result::Record);
    CHECK(r.log.empty());
    REQUIRE(d.decode(in(a, "2026-11-21T10:00:00Z stdout F:x msg"), 0, a, r) == Result::Record);
    CHECK(r.log == "msg");
  }
  SECTION("malformed lines") {
    for (const char* bad : {"plain text", "notatime stdout F x", "2026-11-21T10:00:00Z stdin F x",
                            "2026-11-21T10:00:00Z stdout X x", "2026-11-21T10:00:00Z stdout"}) {
      CAPTURE(bad);
      CHECK(d.decode(in(a, bad), 0, a, r) == Result::Malformed);
    }
  }
  SECTION("a runaway partial sequence is cut at the limit") {
    ContainerDecoder small(false, true, 8);
    REQUIRE(small.decode(in(a, "2026-11-21T10:00:00Z stdout P 12345"), 0, a, r) == Result::Partial);
    REQUIRE(small.decode(in(a, "2026-11-21T10:00:00Z stdout P 67890"), 30, a, r) == Result::Record);
    CHECK(r.log == "12345");
    CHECK(small.cuts() == 1);
    REQUIRE(small.decode(in(a, "2026-11-21T10:00:00Z stdout F !"), 60, a, r) == Result::Record);
    CHECK(r.log == "67890!");
    CHECK(r.offset == 30);
  }
}

TEST_CASE("docker and cri together pick the format per line", "[tail][tail_container]") {
  Arena a;
  ContainerDecoder d(true, true, 1 << 20);
  ContainerRecord r;
  REQUIRE(d.decode(in(a, R"({"log":"d\n","stream":"stdout","time":"2026-11-21T10:00:00Z"})"), 0, a, r) ==
          Result::Record);
  CHECK(r.kind == ContainerKind::Docker);
  REQUIRE(d.decode(in(a, "2026-11-21T10:00:00Z stdout F c"), 0, a, r) == Result::Record);
  CHECK(r.kind == ContainerKind::Cri);
}

}  // namespace SLUICE_UNITY_ID
