// The stdout output: Fluent Bit's human-readable format (the default),
// json_lines and json, config keys, and one write per batch to its fd.
#include <catch2/catch.hpp>

#include <csignal>
#include <cstdio>
#include <memory>
#include <string>
#include <unistd.h>

#include "agent/config/yaml_loader.hpp"
#include "agent/parse/json_format.hpp"
#include "outputs/stdout/stdout_output.hpp"

namespace SLUICE_UNITY_ID {

using namespace sluice;

namespace {

constexpr int64_t kTime = 1700000000123456789;

Batch two_chunks() {
  Batch batch;
  auto json = make_json_format();
  for (const char* tag : {"app.web", "app.db"}) {
    auto chunk = std::make_shared<Chunk>(tag);
    Value v;
    REQUIRE(json->parse(std::string("{\"k\":\"") + tag + "\"}", chunk->arena, v));
    chunk->events.push_back(Event{kTime, v});
    chunk->events.push_back(Event{kTime + 1, v});
    batch.parts.push_back({chunk, {}});
  }
  return batch;
}

// Flushes batch through a stdout output configured with yaml and writing to
// a temporary file; returns what it wrote.
std::string flush_to_file(std::string_view yaml, const Batch& batch) {
  FILE* tmp = std::tmpfile();
  REQUIRE(tmp != nullptr);
  auto out = make_stdout_output_fd(config::load_component(stdout_output_schema(), "output", yaml), fileno(tmp));
  FlushResult result = FlushResult::permanent("not called");
  out->flush(batch, [&](FlushResult r) { result = std::move(r); });
  CHECK(result.outcome == Outcome::Delivered);
  out->stop();
  std::string text;
  std::rewind(tmp);
  char buf[4096];
  for (size_t n; (n = std::fread(buf, 1, sizeof buf, tmp)) > 0;) text.append(buf, n);
  std::fclose(tmp);
  return text;
}

}  // namespace

TEST_CASE("stdout: formats", "[outputs][stdout]") {
  Batch batch = two_chunks();
  SECTION("default: Fluent Bit's [index] tag: [time, record] lines") {
    CHECK(flush_to_file("", batch) ==
          "[0] app.web: [1700000000.123456789, {\"k\":\"app.web\"}]\n"
          "[1] app.web: [1700000000.123456790, {\"k\":\"app.web\"}]\n"
          "[2] app.db: [1700000000.123456789, {\"k\":\"app.db\"}]\n"
          "[3] app.db: [1700000000.123456790, {\"k\":\"app.db\"}]\n");
  }
  SECTION("json_lines with the date key") {
    CHECK(flush_to_file("format: json_lines", batch) ==
          "{\"date\":1700000000.123456,\"k\":\"app.web\"}\n"
          "{\"date\":1700000000.123456,\"k\":\"app.web\"}\n"
          "{\"date\":1700000000.123456,\"k\":\"app.db\"}\n"
          "{\"date\":1700000000.123456,\"k\":\"app.db\"}\n");
    CHECK(flush_to_file("format: json_lines\njson_date_key: false", batch).substr(0, 16) == "{\"k\":\"app.web\"}\n");
    CHECK(flush_to_file("format: json_lines\njson_date_key: t\njson_date_format: epoch", batch).substr(0, 31) ==
          "{\"t\":1700000000,\"k\":\"app.web\"}\n");
  }
  SECTION("json: one array per batch") {
    Batch one;
    one.parts.push_back({batch.parts[1].chunk, {1}});
    CHECK(flush_to_file("format: json\njson_date_format: iso8601", one) ==
          "[{\"date\":\"2023-11-14T22:13:20.123456Z\",\"k\":\"app.db\"}]\n");
  }
  SECTION("partial parts number only what is sent") {
    Batch part;
    part.parts.push_back({batch.parts[0].chunk, {1}});
    CHECK(flush_to_file("", part) == "[0] app.web: [1700000000.123456790, {\"k\":\"app.web\"}]\n");
  }
}

TEST_CASE("stdout: write errors are retried", "[outputs][stdout]") {
  int fds[2];
  REQUIRE(::pipe(fds) == 0);
  ::close(fds[0]);  // nobody reads: EPIPE
  std::signal(SIGPIPE, SIG_IGN);
  auto out = make_stdout_output_fd(config::load_component(stdout_output_schema(), "output", ""), fds[1]);
  FlushResult result;
  out->flush(two_chunks(), [&](FlushResult r) { result = std::move(r); });
  CHECK(result.outcome == Outcome::Retry);
  CHECK(result.reason == "write to stdout failed: Broken pipe");
  ::close(fds[1]);
}

TEST_CASE("stdout: config", "[outputs][stdout]") {
  CHECK(parse_stdout_format("JSON_LINES") == StdoutFormat::JsonLines);
  try {
    config::load_component(stdout_output_schema(), "output", "format: yaml");
    FAIL("no error");
  } catch (const config::ConfigError& e) {
    CHECK_THAT(e.what(), Catch::Contains("key 'format' expects one of"));
  }
}

}  // namespace SLUICE_UNITY_ID
