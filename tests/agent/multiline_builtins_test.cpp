// The built-in multiline parsers on traces the runtimes printed: a JVM
// exception with "Caused by:" and "... 12 more" (OpenJDK 17), a CPython 3.11
// traceback with a chained exception, a Go panic with several goroutines
// (GOTRACEBACK=all) and a Ruby backtrace, each between ordinary log lines.
#include <catch2/catch.hpp>

#include <fstream>
#include <sstream>

#include "tests/agent/multiline_harness.hpp"

namespace SLUICE_UNITY_ID {

using namespace sluice;
using namespace sluice::multiline_test;

namespace {

std::string data(const std::string& name) {
  std::ifstream in(std::string(SLUICE_SOURCE_DIR) + "/tests/data/multiline/" + name);
  REQUIRE(in);
  std::stringstream s;
  s << in.rdbuf();
  return s.str();
}

std::string without_newline(std::string s) {
  while (!s.empty() && s.back() == '\n') s.pop_back();
  return s;
}

// The trace file's lines after its first `skip` lines, as one record.
std::string trace_of(const std::string& file, size_t skip) {
  std::string s = file;
  for (size_t i = 0; i < skip; ++i) s.erase(0, s.find('\n') + 1);
  return without_newline(s);
}

}  // namespace

TEST_CASE("java joins a JVM exception with its causes into one record", "[multiline][builtin]") {
  std::string trace = data("java_trace.txt");
  REQUIRE(trace.find("Caused by: java.io.FileNotFoundException") != std::string::npos);
  REQUIRE(trace.find("\t... 12 more\n") != std::string::npos);
  auto out = run({"java"}, trace + "2024-05-01 12:00:01 INFO shutting down\n");
  REQUIRE(out.size() == 3);
  CHECK(out[0] == "2024-05-01 12:00:00 INFO starting shop");
  CHECK(out[1] == trace_of(trace, 1));
  CHECK(out[2] == "2024-05-01 12:00:01 INFO shutting down");

  SECTION("a logger's line naming the exception starts it too, suppressed exceptions stay in") {
    auto logged = run({"java"},
                      "12:00:00.123 [main] ERROR c.e.Shop - checkout failed: com.example.PaymentException: declined\n"
                      "\tat com.example.Shop.pay(Shop.java:31)\n"
                      "\tSuppressed: java.io.IOException: close failed\n"
                      "\t\tat com.example.Conn.close(Conn.java:9)\n"
                      "\t\t... 1 more\n"
                      "12:00:00.124 [main] INFO c.e.Shop - next\n");
    REQUIRE(logged.size() == 2);
    CHECK(logged[0].find("Suppressed: java.io.IOException") != std::string::npos);
    CHECK(logged[0].find("\t\t... 1 more") != std::string::npos);
  }
}

TEST_CASE("python joins a traceback, chained exceptions included", "[multiline][builtin]") {
  std::string tb = data("python_traceback.txt");
  REQUIRE(tb.find("The above exception was the direct cause of the following exception:") != std::string::npos);
  auto out = run({"python"}, "INFO:app:handling request\n" + tb + "INFO:app:next request\n");
  REQUIRE(out.size() == 3);
  CHECK(out[0] == "INFO:app:handling request");
  CHECK(out[1] == without_newline(tb));
  CHECK(out[2] == "INFO:app:next request");

  SECTION("an exception followed by a blank line and an ordinary line ends before the blank") {
    auto two = run({"python"},
                   "Traceback (most recent call last):\n"
                   "  File \"app.py\", line 3, in <module>\n"
                   "    main()\n"
                   "KeyError: 'user'\n"
                   "\n"
                   "INFO:app:restarting\n");
    REQUIRE(two.size() == 2);
    CHECK(two[0] == "Traceback (most recent call last):\n  File \"app.py\", line 3, in <module>\n    main()\n"
                    "KeyError: 'user'");
    CHECK(two[1] == "INFO:app:restarting");
  }
}

TEST_CASE("go joins a panic with every goroutine's stack", "[multiline][builtin]") {
  std::string panic = data("go_panic.txt");
  auto out = run({"go"}, panic + "2024/05/01 12:00:05 worker pool started\n");
  REQUIRE(out.size() == 3);
  CHECK(out[0] == "2024/05/01 12:00:00 worker pool started");
  CHECK(out[1] == trace_of(panic, 1));
  CHECK(out[1].find("goroutine 8 [sleep]:") != std::string::npos);
  CHECK(out[2] == "2024/05/01 12:00:05 worker pool started");

  SECTION("net/http's recovered panic") {
    auto http = run({"go"},
                    "2024/05/01 12:00:00 http: panic serving 10.0.0.7:51234: assignment to entry in nil map\n"
                    "goroutine 21 [running]:\n"
                    "net/http.(*conn).serve.func1()\n"
                    "\t/usr/local/go/src/net/http/server.go:1868 +0xb9\n"
                    "panic({0x6c3e60?, 0x7a1b20?})\n"
                    "\t/usr/local/go/src/runtime/panic.go:920 +0x270\n"
                    "2024/05/01 12:00:01 GET /health 200\n");
    REQUIRE(http.size() == 2);
    CHECK(http[1] == "2024/05/01 12:00:01 GET /health 200");
  }
}

TEST_CASE("ruby joins a backtrace", "[multiline][builtin]") {
  std::string bt = data("ruby_backtrace.txt");
  auto out = run({"ruby"}, bt + "I, [2024-05-01T12:00:01.000000 #1]  INFO -- : done\n");
  REQUIRE(out.size() == 3);
  CHECK(out[1] == trace_of(bt, 1));
  CHECK(out[1].find("from app.rb:8:in `<main>'") != std::string::npos);

  SECTION("Ruby 3.4's quotes and a cause") {
    auto cause = run({"ruby"},
                     "app.rb:10:in 'Object#charge': payment failed (RuntimeError)\n"
                     "\tfrom app.rb:7:in '<main>'\n"
                     "app.rb:8:in 'Integer#/': divided by 0 (ZeroDivisionError)\n"
                     "\tfrom app.rb:8:in '<main>'\n"
                     "done\n");
    REQUIRE(cause.size() == 2);
    CHECK(cause[0].find("ZeroDivisionError") != std::string::npos);
  }
}

TEST_CASE("several parsers: each trace is joined by its own, in order", "[multiline][builtin]") {
  std::string java = data("java_trace.txt"), python = data("python_traceback.txt");
  auto out = run({"java", "python", "go", "ruby"}, java + python + "plain\n");
  REQUIRE(out.size() == 4);
  CHECK(out[1] == trace_of(java, 1));
  CHECK(out[2] == without_newline(python));
  CHECK(out[3] == "plain");
}

}  // namespace SLUICE_UNITY_ID
