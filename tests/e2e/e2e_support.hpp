// What many end-to-end tests do the same way: a tail → parser → output
// pipeline started on log lines with a "seq", which records (by their seq)
// arrived how often, and that sluice stopped cleanly on SIGTERM.
#pragma once
#include <catch2/catch.hpp>

#include <signal.h>

#include <chrono>
#include <functional>
#include <map>
#include <memory>
#include <regex>
#include <set>
#include <string>
#include <vector>

#include "agent/parse/json_format.hpp"
#include "tests/support/process.hpp"

namespace sluice::test {

// `"seq":N` in each line (also JSON-escaped, inside a message) → how many lines carry it.
inline std::map<int, int> seq_counts(const std::vector<std::string>& lines) {
  static const std::regex re(R"((?:\\?")seq(?:\\?"):(\d+))");
  std::map<int, int> counts;
  for (const auto& l : lines) {
    std::smatch m;
    if (std::regex_search(l, m, re)) ++counts[std::stoi(m[1])];
  }
  return counts;
}

// Parsed lines of a JSON-lines file (a peer's store or log), kept with their arena.
struct JsonLines {
  explicit JsonLines(const std::vector<std::string>& lines) {
    auto json = make_json_format();
    for (const auto& line : lines) {
      Value v;
      INFO(line);
      REQUIRE(json->parse(line, arena, v));
      values.push_back(v);
    }
  }
  explicit JsonLines(const std::string& file) : JsonLines(read_lines(file)) {}
  Arena arena;
  std::vector<Value> values;
};

// A string field's text, "<absent>" when it is missing or not a string.
inline std::string str(const Value* v) {
  return v != nullptr && v->is_string() ? std::string(v->as_string()) : "<absent>";
}

// Every seq in [from, to) once, but those in except.
inline std::map<int, int> once_each(int from, int to, const std::set<int>& except = {}) {
  std::map<int, int> m;
  for (int i = from; i < to; ++i)
    if (!except.count(i)) m[i] = 1;
  return m;
}

// SIGTERM, then sluice must exit 0 within 30 s (it delivers what it holds first).
inline void stop_sluice(Process& p) {
  p.signal(SIGTERM);
  auto status = p.wait(std::chrono::seconds(30));
  INFO(p.err());
  REQUIRE(status == 0);
}

inline int64_t now_seconds() {
  return std::chrono::duration_cast<std::chrono::seconds>(std::chrono::system_clock::now().time_since_epoch()).count();
}

// A JSON log line with a seq, the time now (epoch seconds in "ts"), a level
// and a traceId; extra is more fields (",\"k\":1").
inline std::string json_log_line(int seq, const std::string& extra = "") {
  return R"({"seq":)" + std::to_string(seq) + R"(,"ts":)" + std::to_string(now_seconds()) +
         R"(,"level":"warn","traceId":"4bf92f3577b34da6a3ce929d0e0e4736","msg":"slow request")" + extra + "}\n";
}

// sluice.yaml for: tail dir/app.log (tag app, from the head) → parser json
// (time from "ts") → one output, quick retries, dead letters in
// dir/dead.jsonl. output: the output's own keys after "name", each line
// indented by 6 spaces and ending in a newline.
inline std::string tail_to_output_yaml(const TempDir& dir, const std::string& name, const std::string& output) {
  return "service:\n  flush: 100ms\n  grace: 10s\n  log_level: info\n"
         "pipeline:\n  inputs:\n    - name: tail\n      tag: app\n      path: " + dir.file("app.log") +
         "\n      read_from_head: on\n"
         "  filters:\n    - name: parser\n      match: app\n      key_name: log\n      parser: epoch\n"
         "  outputs:\n    - name: " + name + "\n      match: '*'\n      retry_base: 100ms\n      retry_cap: 500ms\n"
         "      dead_letter_file: " + dir.file("dead.jsonl") + "\n" + output +
         "parsers:\n  - name: epoch\n    format: json\n    time_key: ts\n    time_format: '%s'\n";
}

// Starts sluice on dir/sluice.yaml holding yaml.
inline std::unique_ptr<Process> start_sluice_with(const TempDir& dir, const std::string& yaml,
                                                  std::vector<std::string> env = {}) {
  write_file(dir.file("sluice.yaml"), yaml);
  return std::make_unique<Process>(std::vector<std::string>{SLUICE_BINARY, "-c", dir.file("sluice.yaml")}, env);
}

// Writes n lines (seq 0..n-1, with extra(seq)) to dir/app.log.
inline void write_app_log(const TempDir& dir, int n, const std::function<std::string(int)>& extra = {}) {
  std::string log;
  for (int i = 0; i < n; ++i) log += json_log_line(i, extra ? extra(i) : "");
  write_file(dir.file("app.log"), log);
}

}  // namespace sluice::test
