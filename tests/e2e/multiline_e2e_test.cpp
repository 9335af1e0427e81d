// End to end with the real binary: a log file holding a JVM exception, a
// Python traceback, a Go panic and a Ruby backtrace among ordinary lines
// comes out with each trace as one record; container logs joined by the
// multiline filter, the open trace sent on at SIGTERM; Docker fluentd-driver
// partial records joined by mode partial_message; a classic fluent-bit.conf
// with the old `Multiline On` / `Parser_Firstline` keys.
#include <catch2/catch.hpp>

#include <filesystem>
#include <thread>

#include "tests/e2e/e2e_support.hpp"
#include "tests/support/process.hpp"

namespace SLUICE_UNITY_ID {

using namespace sluice::test;
using namespace std::chrono_literals;

namespace {

std::string data(const std::string& name) {
  return read_file(std::string(SLUICE_SOURCE_DIR) + "/tests/data/multiline/" + name);
}

std::string escaped(const std::string& s) {
  std::string out;
  for (char c : s) {
    if (c == '\n') out += "\\n";
    else if (c == '\t') out += "\\t";
    else if (c == '"' || c == '\\') out += std::string("\\") + c;
    else out += c;
  }
  return out;
}

// The lines of text after the first `skip`, without the last newline.
std::string lines_after(std::string text, size_t skip) {
  for (size_t i = 0; i < skip; ++i) text.erase(0, text.find('\n') + 1);
  while (!text.empty() && text.back() == '\n') text.pop_back();
  return text;
}

}  // namespace

TEST_CASE("tail with multiline.parser: each stack trace is one record", "[e2e][multiline]") {
  TempDir dir;
  std::string java = data("java_trace.txt"), python = data("python_traceback.txt"), go = data("go_panic.txt"),
              ruby = data("ruby_backtrace.txt");
  write_file(dir.file("app.log"), java + "INFO:app:handling request\n" + python + go + ruby + "the end\n");
  write_file(dir.file("p.yaml"),
             "service:\n  log_level: warn\npipeline:\n  inputs:\n    - name: tail\n      path: " + dir.file("app.log") +
                 "\n      tag: app\n      read_from_head: on\n      exit_on_eof: on\n"
                 "      multiline.parser: java, python, go, ruby\n"
                 "  outputs:\n    - name: file\n      path: " + dir.file("out") + "\n      mkdir: on\n      format: plain\n");
  Process p({SLUICE_BINARY, "-c", dir.file("p.yaml")});
  auto status = p.wait(30s);
  INFO(p.err());
  REQUIRE(status == 0);
  auto out = read_lines(dir.file("out/app"));
  std::vector<std::string> expected = {
      "2024-05-01 12:00:00 INFO starting shop",  lines_after(java, 1),
      "INFO:app:handling request",               lines_after(python, 0),
      "2024/05/01 12:00:00 worker pool started", lines_after(go, 1),
      "I, [2024-05-01T12:00:00.000000 #1]  INFO -- : rendering invoice 42", lines_after(ruby, 1),
      "the end"};
  REQUIRE(out.size() == expected.size());
  for (size_t i = 0; i < out.size(); ++i) CHECK(out[i] == "{\"log\":\"" + escaped(expected[i]) + "\"}");
}

TEST_CASE("multiline filter on CRI logs, SIGTERM sends the open trace on", "[e2e][multiline]") {
  TempDir dir;
  std::string cri;
  int n = 0;
  auto line = [&](const std::string& stream, const std::string& text) {
    cri += "2026-11-21T10:00:00." + std::to_string(100 + n++) + "Z " + stream + " F " + text + "\n";
  };
  line("stdout", "GET /health 200");
  for (const auto& l : {"java.lang.IllegalStateException: boom", "\tat a.b.C.run(C.java:10)",
                        "\tat a.b.C.main(C.java:3)"})
    line("stderr", l);
  line("stdout", "GET /cart 500");
  line("stderr", "java.lang.NullPointerException: cart");  // open when sluice stops
  line("stderr", "\tat a.b.Cart.total(Cart.java:7)");
  write_file(dir.file("c.log"), cri);
  auto sluice = start_sluice_with(
      dir, "service:\n  flush: 100ms\n  grace: 10s\n  log_level: info\npipeline:\n  inputs:\n    - name: tail\n"
           "      path: " + dir.file("c.log") + "\n      tag: kube.web\n      read_from_head: on\n"
           "      multiline.parser: cri\n      db: " + dir.file("tail.db") + "\n"
           "  filters:\n    - name: multiline\n      match: 'kube.*'\n      multiline.key_content: log\n"
           "      multiline.parser: java\n      flush_ms: 60000\n"
           "  outputs:\n    - name: file\n      match: '*'\n      path: " + dir.file("out") +
           "\n      file: kube.log\n      mkdir: on\n      format: plain\n");
  // The first trace is complete once "GET /cart 500" arrives; the second is open.
  auto deadline = std::chrono::steady_clock::now() + 20s;
  std::vector<std::string> out;
  while (std::chrono::steady_clock::now() < deadline) {
    if (std::filesystem::exists(dir.file("out/kube.log"))) out = read_lines(dir.file("out/kube.log"));
    if (out.size() >= 3) break;
    std::this_thread::sleep_for(50ms);
  }
  REQUIRE(out.size() == 3);
  CHECK(out[1].find(R"x("log":"java.lang.IllegalStateException: boom\n\tat a.b.C.run(C.java:10)\n\tat )x") !=
        std::string::npos);
  CHECK(out[1].find(R"("stream":"stderr")") != std::string::npos);
  stop_sluice(*sluice);
  out = read_lines(dir.file("out/kube.log"));
  REQUIRE(out.size() == 4);
  CHECK(out[3].find(R"x("log":"java.lang.NullPointerException: cart\n\tat a.b.Cart.total(Cart.java:7)")x") !=
        std::string::npos);
}

TEST_CASE("multiline filter mode partial_message joins a fluentd log driver's parts", "[e2e][multiline][partial]") {
  TempDir dir;
  auto part = [](const std::string& log, const std::string& id, int ordinal, bool last) {
    return R"({"container_id":"4f1c","container_name":"/web","source":"stdout","log":")" + log +
           R"(","partial_message":"true","partial_id":")" + id + R"(","partial_ordinal":")" + std::to_string(ordinal) +
           R"(","partial_last":")" + (last ? "true" : "false") + "\"}\n";
  };
  write_file(dir.file("d.log"), part("aaaa", "p1", 1, false) + part("xx", "p2", 1, false) +
                                    R"({"container_id":"4f1c","container_name":"/web","source":"stdout","log":"short"})"
                                    "\n" +
                                    part("bbbb", "p1", 2, false) + part("yy", "p2", 2, true) +
                                    part("cccc", "p1", 3, true));
  write_file(dir.file("p.yaml"),
             "service:\n  log_level: warn\npipeline:\n  inputs:\n    - name: tail\n      path: " + dir.file("d.log") +
                 "\n      tag: docker\n      read_from_head: on\n      exit_on_eof: on\n      parser: json\n"
                 "  filters:\n    - name: multiline\n      match: docker\n      mode: partial_message\n"
                 "      multiline.key_content: log\n"
                 "  outputs:\n    - name: file\n      path: " + dir.file("out") + "\n      mkdir: on\n      format: plain\n");
  Process p({SLUICE_BINARY, "-c", dir.file("p.yaml")});
  auto status = p.wait(30s);
  INFO(p.err());
  REQUIRE(status == 0);
  const std::string head = R"({"container_id":"4f1c","container_name":"/web","source":"stdout","log":")";
  CHECK(read_lines(dir.file("out/docker")) ==
        std::vector<std::string>{head + "short\"}", head + "xxyy\"}", head + "aaaabbbbcccc\"}"});
}

TEST_CASE("classic fluent-bit.conf with Multiline On and Parser_Firstline", "[e2e][multiline][old_multiline]") {
  TempDir dir;
  write_file(dir.file("app.log"),
             "2026-11-21 ERROR request failed\n  at handler (app.js:10)\n  at server (app.js:20)\n"
             "2026-11-21 INFO next\n");
  write_file(dir.file("fluent-bit.conf"),
             "[SERVICE]\n    Log_Level warn\n\n"
             "[PARSER]\n    Name   first\n    Format regex\n"
             "    Regex  ^(?<day>\\d{4}-\\d\\d-\\d\\d) (?<level>[A-Z]+) (?<message>.*)\n\n"
             "[INPUT]\n    Name             tail\n    Path             " + dir.file("app.log") +
             "\n    Tag              app\n    Read_From_Head   On\n    Exit_On_EOF      On\n"
             "    Multiline        On\n    Parser_Firstline first\n    Multiline_Flush  5\n\n"
             "[OUTPUT]\n    Name   file\n    Match  *\n    Path   " + dir.file("out") + "\n    Mkdir  On\n"
             "    Format plain\n");
  Process p({SLUICE_BINARY, "-c", dir.file("fluent-bit.conf")});
  auto status = p.wait(30s);
  INFO(p.err());
  REQUIRE(status == 0);
  CHECK(read_lines(dir.file("out/app")) ==
        std::vector<std::string>{
            R"x({"day":"2026-11-21","level":"ERROR","message":"request failed\n  at handler (app.js:10)\n  at server (app.js:20)"})x",
            R"({"day":"2026-11-21","level":"INFO","message":"next"})"});
}

}  // namespace SLUICE_UNITY_ID
