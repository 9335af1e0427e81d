// Issue 14 end to end: a tail input's processors (one with a condition, a
// Lua one reading FLB_ENV), its conditional routes to two file outputs with
// a default route, and one output's own processor, through the real binary.
#include <catch2/catch.hpp>

#include "tests/support/process.hpp"

namespace SLUICE_UNITY_ID {

using namespace sluice::test;
using namespace std::chrono_literals;

namespace {

size_t count(const std::string& text, const std::string& what) {
  size_t n = 0;
  for (size_t at = text.find(what); at != std::string::npos; at = text.find(what, at + 1)) ++n;
  return n;
}

}  // namespace

TEST_CASE("processors and conditional routes, end to end", "[e2e][routes]") {
  TempDir dir;
  write_file(dir.file("app.log"),
             "{\"level\":\"info\",\"status\":200,\"n\":1}\n"
             "{\"level\":\"error\",\"status\":200,\"n\":2}\n"
             "{\"level\":\"info\",\"status\":503,\"n\":3}\n"
             "{\"level\":\"debug\",\"n\":4}\n");
  write_file(dir.file("p.yaml"), R"(env:
  TEAM: web
service:
  log_level: warn
  flush: 100ms
  dead_letter_file: )" + dir.file("dl.jsonl") + R"(
pipeline:
  inputs:
    - name: tail
      path: )" + dir.file("app.log") + R"(
      read_from_head: on
      exit_on_eof: on
      parser: json
      tag: app
      processors:
        logs:
          - name: lua
            call: cb
            code: |
              function cb(tag, ts, record)
                record["team"] = FLB_ENV["TEAM"]
                return 2, ts, record
              end
          - name: modify
            add: has_status yes
            condition:
              rules:
                - {field: $status, op: gte, value: 0}
      routes:
        logs:
          - name: errors
            condition:
              op: or
              rules:
                - {field: $status, op: gte, value: 500}
                - {field: $level, op: eq, value: error}
            to:
              outputs: [errors]
          - name: rest
            condition: {default: true}
            to: {outputs: [rest]}
  filters:
    # The routes were decided before the filters: a record of the errors
    # route has the route's name as its tag; one of the input's tag none.
    - name: modify
      match: errors
      add: via errors_route
    - name: modify
      match: app
      add: via input_tag
    # Decided already: a filter can't move a record to another route.
    - name: modify
      match: rest
      set: status 599
  outputs:
    - name: file
      alias: errors
      path: )" + dir.path() + R"(
      file: errors.out
      format: plain
      processors:
        logs:
          - name: modify
            add: routed errors
    - name: file
      alias: rest
      match: nothing
      path: )" + dir.path() + R"(
      file: rest.out
      format: plain
)");
  Process p({SLUICE_BINARY, "-c", dir.file("p.yaml")});
  REQUIRE(p.wait(30s) == 0);
  INFO(p.err());
  std::string errors = read_file(dir.file("errors.out")), rest = read_file(dir.file("rest.out"));
  INFO(errors << "---\n" << rest);
  CHECK(count(errors, "\"n\":") == 2);
  CHECK(count(errors, "\"n\":2") == 1);
  CHECK(count(errors, "\"n\":3") == 1);
  CHECK(count(errors, "\"routed\":\"errors\"") == 2);
  CHECK(count(rest, "\"n\":") == 2);
  CHECK(count(rest, "\"routed\"") == 0);  // the errors output's processor ran there only
  // Every record went through the Lua processor; only those with a status through the conditional one.
  CHECK(count(errors + rest, "\"team\":\"web\"") == 4);
  CHECK(count(errors + rest, "\"has_status\":\"yes\"") == 3);
  CHECK(count(errors, "\"via\":\"errors_route\"") == 2);
  CHECK(count(errors + rest, "input_tag") == 0);
  CHECK(count(rest, "\"status\":\"599\"") == 2);
}

// Fluent Bit's own content_modifier processor, as its documentation writes
// it: a chain of actions on an input, one with a condition.
TEST_CASE("processors: Fluent Bit's content_modifier chain runs on an input, one action under a condition",
          "[e2e][routes]") {
  TempDir dir;
  write_file(dir.file("app.log"),
             "{\"request\":\"GET /login 200\",\"user_id\":\"u-17\",\"password\":\"hunter2\"}\n"
             "{\"request\":\"GET /cart 200\",\"user_id\":\"u-18\",\"password\":\"x\"}\n"
             "{\"request\":\"bad line\",\"user_id\":\"\",\"password\":\"y\"}\n");
  write_file(dir.file("p.yaml"), R"(service:
  log_level: warn
pipeline:
  inputs:
    - name: tail
      path: )" + dir.file("app.log") + R"(
      read_from_head: on
      exit_on_eof: on
      parser: json
      processors:
        logs:
          - name: content_modifier
            action: extract
            key: request
            pattern: '^(?<method>\S+) (?<path>\S+) (?<status>\d+)$'
          - name: content_modifier
            action: convert
            key: status
            converted_type: int
          - name: content_modifier
            action: hash
            key: user_id
          - name: content_modifier
            action: delete
            key: password
            condition:
              op: and
              rules:
                - field: $path
                  op: regex
                  value: ^/login
  outputs:
    - name: file
      path: )" + dir.path() + R"(
      file: out.jsonl
      format: plain
)");
  Process p({SLUICE_BINARY, "-c", dir.file("p.yaml")});
  REQUIRE(p.wait(30s) == 0);
  INFO(p.err());
  auto lines = read_lines(dir.file("out.jsonl"));
  REQUIRE(lines.size() == 3);
  // sha256("u-17"): the same in Fluent Bit 5.1.1, run on this configuration.
  CHECK(lines[0] == R"({"request":"GET /login 200","user_id":"9370e9b203743d7923180e50f8f4d55479deb6870b20253bcc50d02a5bfb86e3","method":"GET","path":"/login","status":200})");
  CHECK(lines[1].find(R"("password":"x","method":"GET","path":"/cart","status":200})") != std::string::npos);
  // A line the pattern doesn't match goes on; an empty value isn't hashed.
  CHECK(lines[2] == R"({"request":"bad line","user_id":"","password":"y"})");
}

}  // namespace SLUICE_UNITY_ID
