// The file output: one file per tag or a fixed name, the three formats,
// mkdir, reopening after logrotate's rename, write errors as retries, and
// config errors.
#include <catch2/catch.hpp>

#include <algorithm>
#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <memory>
#include <sstream>
#include <string>
#include <thread>

#include "agent/config/yaml_loader.hpp"
#include "agent/parse/json_format.hpp"
#include "outputs/file/file_encoder.hpp"
#include "outputs/file/file_output.hpp"

namespace SLUICE_UNITY_ID {

using namespace sluice;
namespace fs = std::filesystem;

namespace {

constexpr int64_t kTime = 1700000000123456789;

struct TempDir {
  TempDir() {
    std::string tmpl = (fs::temp_directory_path() / "sluice-file-test-XXXXXX").string();
    REQUIRE(::mkdtemp(tmpl.data()) != nullptr);
    path = tmpl;
  }
  ~TempDir() {
    std::error_code ec;
    fs::permissions(path, fs::perms::owner_all, ec);
    fs::remove_all(path, ec);
  }
  fs::path path;
};

std::shared_ptr<Chunk> chunk_of(const std::string& tag, std::initializer_list<const char*> records) {
  auto chunk = std::make_shared<Chunk>(tag);
  auto json = make_json_format();
  for (const char* text : records) {
    Value v;
    REQUIRE(json->parse(text, chunk->arena, v));
    chunk->events.push_back(Event{kTime, v});
  }
  return chunk;
}

Batch batch_of(std::initializer_list<std::shared_ptr<Chunk>> chunks) {
  Batch b;
  for (auto& c : chunks) b.parts.push_back({c, {}});
  return b;
}

std::string slurp(const fs::path& p) {
  std::ifstream in(p);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

struct Harness {
  Harness(const std::string& yaml, const std::string& base_dir = "") {
    BuildContext ctx;
    ctx.base_dir = base_dir;
    out = make_file_output(config::load_component(file_output_schema(), "output", yaml), ctx);
  }
  FlushResult flush(const Batch& batch) {
    FlushResult result = FlushResult::permanent("not called");
    out->flush(batch, [&](FlushResult r) { result = std::move(r); });
    return result;
  }
  std::unique_ptr<Output> out;
};

std::string config_error(std::string_view yaml) {
  try {
    make_file_output(config::load_component(file_output_schema(), "output", yaml), BuildContext{});
  } catch (const config::ConfigError& e) {
    return e.what();
  }
  return "no error";
}

}  // namespace

TEST_CASE("file: one file per tag, JSON lines appended", "[outputs][file_output]") {
  TempDir dir;
  Harness h("path: " + dir.path.string());
  CHECK(h.flush(batch_of({chunk_of("app.web", {R"({"a":1})", R"({"a":2})"}), chunk_of("app.db", {R"({"b":1})"})}))
            .outcome == Outcome::Delivered);
  CHECK(h.flush(batch_of({chunk_of("app.web", {R"({"a":3})"})})).outcome == Outcome::Delivered);
  CHECK(slurp(dir.path / "app.web") ==
        "{\"date\":1700000000.123456,\"a\":1}\n{\"date\":1700000000.123456,\"a\":2}\n"
        "{\"date\":1700000000.123456,\"a\":3}\n");
  CHECK(slurp(dir.path / "app.db") == "{\"date\":1700000000.123456,\"b\":1}\n");
  SECTION("a '/' in a tag stays inside the directory") {
    CHECK(h.flush(batch_of({chunk_of("../x", {R"({"c":1})"})})).outcome == Outcome::Delivered);
    CHECK(fs::exists(dir.path / ".._x"));
  }
}

TEST_CASE("file: fixed name, formats, relative path", "[outputs][file_output]") {
  TempDir dir;
  auto batch = batch_of({chunk_of("a", {R"({"message":"hi","n":1})"}), chunk_of("b", {R"({"n":2})"})});
  SECTION("file and plain") {
    Harness h("path: " + dir.path.string() + "\nfile: all.log\nformat: plain");
    CHECK(h.flush(batch).outcome == Outcome::Delivered);
    CHECK(slurp(dir.path / "all.log") == "{\"message\":\"hi\",\"n\":1}\n{\"n\":2}\n");
  }
  SECTION("template, Fluent Bit's default and a custom one") {
    Harness h("path: " + dir.path.string() + "\nfile: t.log\nformat: template");
    CHECK(h.flush(batch).outcome == Outcome::Delivered);
    CHECK(slurp(dir.path / "t.log") == "1700000000.123456 hi\n1700000000.123456 \n");
    Harness c("path: " + dir.path.string() + "\nfile: c.log\nformat: template\ntemplate: '[{n}] {message} {x'");
    CHECK(c.flush(batch).outcome == Outcome::Delivered);
    CHECK(slurp(dir.path / "c.log") == "[1] hi {x\n[2]  {x\n");
  }
  SECTION("Fluent Bit's out_file, csv and ltsv") {
    Harness o("path: " + dir.path.string() + "\nfile: o.log\nformat: out_file");
    CHECK(o.flush(batch).outcome == Outcome::Delivered);
    CHECK(slurp(dir.path / "o.log") == "a: [1700000000.123456789, {\"message\":\"hi\",\"n\":1}]\n"
                                        "b: [1700000000.123456789, {\"n\":2}]\n");
    Harness c("path: " + dir.path.string() + "\nfile: c.csv\nformat: csv\ncsv_column_names: on");
    CHECK(c.flush(batch).outcome == Outcome::Delivered);
    CHECK(c.flush(batch_of({chunk_of("a", {R"({"message":"x \"q\"","n":[1]})", "{}"})})).outcome ==
          Outcome::Delivered);
    // The header once, at the top of the new file; strings quoted; an empty record writes nothing.
    CHECK(slurp(dir.path / "c.csv") == "timestamp,\"message\",\"n\"\n1700000000.123456789,\"hi\",1\n"
                                       "1700000000.123456789,2\n1700000000.123456789,\"x \\\"q\\\"\",[1]\n");
    Harness l("path: " + dir.path.string() + "\nfile: l.log\nformat: ltsv");
    CHECK(l.flush(batch).outcome == Outcome::Delivered);
    CHECK(slurp(dir.path / "l.log") == "\"time\":1700000000.123456\t\"message\":\"hi\"\t\"n\":1\n"
                                       "\"time\":1700000000.123456\t\"n\":2\n");
    Harness d("path: " + dir.path.string() + "\nfile: d.log\nformat: ltsv\ndelimiter: space\nlabel_delimiter: '='");
    CHECK(d.flush(batch_of({chunk_of("a", {R"({"n":1})"})})).outcome == Outcome::Delivered);
    CHECK(slurp(dir.path / "d.log") == "\"time\"=1700000000.123456 \"n\"=1\n");
  }
  SECTION("a relative path starts at the config file's directory") {
    Harness h("path: out\nmkdir: on\nfile: r.log", dir.path.string());
    CHECK(h.flush(batch).outcome == Outcome::Delivered);
    CHECK(fs::exists(dir.path / "out" / "r.log"));
  }
}

TEST_CASE("file: mkdir and open errors", "[outputs][file_output]") {
  TempDir dir;
  auto batch = batch_of({chunk_of("t", {R"({"a":1})"})});
  SECTION("without mkdir a missing directory is a retry that names the path") {
    Harness h("path: " + (dir.path / "missing").string());
    FlushResult r = h.flush(batch);
    CHECK(r.outcome == Outcome::Retry);
    CHECK(r.reason == "cannot open " + (dir.path / "missing" / "t").string() + ": No such file or directory");
  }
  SECTION("mkdir creates the directory and its parents") {
    Harness h("path: " + (dir.path / "x" / "y").string() + "\nmkdir: true");
    CHECK(h.flush(batch).outcome == Outcome::Delivered);
    CHECK(slurp(dir.path / "x" / "y" / "t") == "{\"date\":1700000000.123456,\"a\":1}\n");
  }
  SECTION("one tag's file failing retries only its records") {
    fs::create_directory(dir.path / "bad");  // a directory where the file should be
    Harness h("path: " + dir.path.string());
    FlushResult r =
        h.flush(batch_of({chunk_of("good", {R"({"a":1})"}), chunk_of("bad", {R"({"b":1})", R"({"b":2})"})}));
    CHECK(r.outcome == Outcome::Retry);
    REQUIRE(r.per_record.size() == 3);
    CHECK(r.per_record[0].outcome == Outcome::Delivered);
    CHECK(r.per_record[1].outcome == Outcome::Retry);
    CHECK(r.per_record[2].outcome == Outcome::Retry);
    CHECK(r.per_record[1].reason == "cannot open " + (dir.path / "bad").string() + ": Is a directory");
    CHECK(slurp(dir.path / "good") == "{\"date\":1700000000.123456,\"a\":1}\n");
  }
}

TEST_CASE("file: reopens after the file is moved away", "[outputs][file_output]") {
  TempDir dir;
  Harness h("path: " + dir.path.string() + "\nfile: app.log\nformat: plain");
  auto batch = batch_of({chunk_of("t", {R"({"a":1})"})});
  REQUIRE(h.flush(batch).outcome == Outcome::Delivered);
  fs::rename(dir.path / "app.log", dir.path / "app.log.1");
  // Lines go to the moved file until the periodic check notices (a few
  // seconds), then to a new app.log; none is lost.
  auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(10);
  int flushes = 1;
  while (!fs::exists(dir.path / "app.log") && std::chrono::steady_clock::now() < deadline) {
    REQUIRE(h.flush(batch).outcome == Outcome::Delivered);
    ++flushes;
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  REQUIRE(fs::exists(dir.path / "app.log"));
  std::string all = slurp(dir.path / "app.log.1") + slurp(dir.path / "app.log");
  CHECK(std::count(all.begin(), all.end(), '\n') == flushes);
  CHECK(slurp(dir.path / "app.log") == "{\"a\":1}\n");
}

TEST_CASE("file: config errors", "[outputs][file_output]") {
  CHECK_THAT(config_error("template: '{message}'"),
             Catch::Contains("output file") &&
                 Catch::Contains("key 'template': is used only with format: template (format is json_lines)"));
  CHECK_THAT(config_error("path: /tmp\nfile: a/b.log"),
             Catch::Contains("key 'file': is a file name inside `path`; put directories in `path`"));
  CHECK_THAT(config_error("format: tsv"), Catch::Contains("key 'format' expects one of"));
  CHECK_THAT(config_error("delimiter: tab"), Catch::Contains("key 'delimiter': is used only with format csv or ltsv"));
  CHECK_THAT(config_error("format: csv\nlabel_delimiter: '='"),
             Catch::Contains("key 'label_delimiter': is used only with format ltsv"));
  CHECK_THAT(config_error("format: ltsv\ncsv_column_names: on"),
             Catch::Contains("key 'csv_column_names': is used only with format csv"));
}

}  // namespace SLUICE_UNITY_ID
