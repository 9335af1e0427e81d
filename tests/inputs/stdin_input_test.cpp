// The stdin input over a pipe, a regular file and /dev/null: lines split
// across reads, the last line without newline at EOF, `key`, `parser`,
// buffer_size for long lines, pausing, and config errors.
#include <catch2/catch.hpp>

#include <chrono>
#include <cstdio>
#include <fcntl.h>
#include <string>
#include <unistd.h>
#include <vector>

#include "agent/asio.hpp"
#include "agent/config/yaml_loader.hpp"
#include "agent/json_writer.hpp"
#include "agent/parse/parser.hpp"
#include "inputs/stdin/stdin_input.hpp"
#include "tests/support/input_context.hpp"

namespace SLUICE_UNITY_ID {

using namespace sluice;
using namespace std::chrono_literals;

namespace {

class FakeInputContext final : public test::FakeInputContext {
 public:
  FakeInputContext() : test::FakeInputContext("stdin.0") {}
};

struct Pipe {
  Pipe() { REQUIRE(::pipe(fds) == 0); }
  ~Pipe() {
    close_writer();
    ::close(fds[0]);
  }
  void write(std::string_view s) { REQUIRE(::write(fds[1], s.data(), s.size()) == static_cast<ssize_t>(s.size())); }
  void close_writer() {
    if (fds[1] >= 0) ::close(fds[1]);
    fds[1] = -1;
  }
  int fds[2];
};

std::unique_ptr<Input> make(std::string_view yaml, int fd, const ParserSet* parsers = nullptr) {
  BuildContext ctx;
  ctx.parsers = parsers;
  return make_stdin_input_fd(config::load_component(stdin_input_schema(), "input", yaml), ctx, fd);
}

std::string config_error(std::string_view yaml, const ParserSet* parsers = nullptr) {
  try {
    make(yaml, 0, parsers);
  } catch (const config::ConfigError& e) {
    return e.what();
  }
  return "no error";
}

using Lines = std::vector<std::string>;

}  // namespace

TEST_CASE("stdin: lines from a pipe", "[inputs][stdin]") {
  FakeInputContext ctx;
  Pipe pipe;
  auto input = make("", pipe.fds[0]);
  SECTION("a line split across reads is joined; the last one needs no newline") {
    input->start(ctx);
    pipe.write("hel");
    ctx.run_until([] { return false; }, 50ms);
    CHECK(ctx.chunks.empty());
    pipe.write("lo\nwor");
    REQUIRE(ctx.run_until([&] { return ctx.json().size() == 1; }));
    pipe.write("ld\r\n\nlast");
    pipe.close_writer();
    REQUIRE(ctx.run_until([&] { return ctx.finished_calls == 1; }));
    CHECK(ctx.json() == Lines{R"({"log":"hello"})", R"({"log":"world"})", R"({"log":""})", R"({"log":"last"})"});
    CHECK(ctx.chunks[0]->tag == "stdin");
    CHECK(ctx.metric("sluice_input_bytes_read_total") == 18);
  }
  SECTION("without a parser, JSON lines are records and other lines text, as in Fluent Bit") {
    input->start(ctx);
    pipe.write("{\"level\":\"info\",\"n\":1}\n  {\"nested\":{\"a\":[1,null]}}\n{not json\n[1,2]\nplain\n");
    pipe.close_writer();
    REQUIRE(ctx.run_until([&] { return ctx.finished_calls == 1; }));
    CHECK(ctx.json() == Lines{R"({"level":"info","n":1})", R"({"nested":{"a":[1,null]}})", R"({"log":"{not json"})",
                              R"({"log":"[1,2]"})", R"({"log":"plain"})"});
  }
  SECTION("pausing stops reading until resumed") {
    ctx.paused_ = true;
    input->start(ctx);
    pipe.write("a\n");
    ctx.run_until([] { return false; }, 150ms);
    CHECK(ctx.chunks.empty());
    ctx.paused_ = false;
    CHECK(ctx.run_until([&] { return ctx.json() == Lines{R"({"log":"a"})"}; }));
  }
  SECTION("stop: nothing more is emitted") {
    input->start(ctx);
    input->stop();
    pipe.write("a\n");
    ctx.run_until([] { return false; }, 100ms);
    CHECK(ctx.chunks.empty());
  }
}

TEST_CASE("stdin: a regular file and /dev/null are read without epoll", "[inputs][stdin]") {
  FakeInputContext ctx;
  SECTION("regular file") {
    FILE* tmp = std::tmpfile();
    std::string text;
    for (int i = 0; i < 5000; ++i) text += "line " + std::to_string(i) + "\n";
    std::fputs(text.c_str(), tmp);
    std::fflush(tmp);
    std::rewind(tmp);
    auto input = make("tag: from.file\nkey: message", fileno(tmp));
    input->start(ctx);
    REQUIRE(ctx.run_until([&] { return ctx.finished_calls == 1; }));
    auto records = ctx.json();
    REQUIRE(records.size() == 5000);
    CHECK(records[0] == R"({"message":"line 0"})");
    CHECK(records[4999] == R"({"message":"line 4999"})");
    CHECK(ctx.chunks.size() > 1);  // read in buffer_size slices
    CHECK(ctx.chunks[0]->tag == "from.file");
    std::fclose(tmp);
  }
  SECTION("/dev/null: finished at once, nothing emitted") {
    int fd = ::open("/dev/null", O_RDONLY | O_CLOEXEC);
    auto input = make("", fd);
    input->start(ctx);
    REQUIRE(ctx.run_until([&] { return ctx.finished_calls == 1; }));
    CHECK(ctx.chunks.empty());
    ::close(fd);
  }
}

TEST_CASE("stdin: parser and long lines", "[inputs][stdin]") {
  FakeInputContext ctx;
  Pipe pipe;
  SECTION("parser: parsed records, failures kept under key and counted") {
    ParserSet parsers = ParserSet::build({});
    auto input = make("parser: json", pipe.fds[0], &parsers);
    input->start(ctx);
    pipe.write("{\"a\":1}\nnot json\n");
    pipe.close_writer();
    REQUIRE(ctx.run_until([&] { return ctx.finished_calls == 1; }));
    CHECK(ctx.json() == Lines{R"({"a":1})", R"({"log":"not json"})"});
    CHECK(ctx.metric("sluice_input_parse_failures_total") == 1);
  }
  SECTION("a line longer than buffer_size comes in pieces, counted") {
    auto input = make("buffer_size: 64", pipe.fds[0]);
    input->start(ctx);
    std::string line(200, 'x');
    pipe.write(line + "\nshort\n");
    pipe.close_writer();
    REQUIRE(ctx.run_until([&] { return ctx.finished_calls == 1; }));
    std::string joined;
    auto records = ctx.json();
    REQUIRE(records.size() >= 3);
    CHECK(records.back() == R"({"log":"short"})");
    for (size_t i = 0; i + 1 < records.size(); ++i) joined += records[i].substr(8, records[i].size() - 10);
    CHECK(joined == line);
    CHECK(ctx.metric("sluice_input_long_lines_total") >= 1);
  }
}

TEST_CASE("stdin: config", "[inputs][stdin]") {
  ParserSet parsers = ParserSet::build({});
  CHECK(config_error("") == "no error");
  CHECK_THAT(config_error("parser: nope", &parsers),
             Catch::Contains("input stdin") && Catch::Contains("key 'parser': unknown parser 'nope' (known: "));
  CHECK_THAT(config_error("buffer_size: 10"),
             Catch::Contains("key 'buffer_size': must be between 64 bytes and 1G, got 10"));
  CHECK_THAT(config_error("key: ''"), Catch::Contains("key 'key': must not be empty"));
}

}  // namespace SLUICE_UNITY_ID
