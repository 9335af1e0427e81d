// Issue 14's Lua metadata through the real binary: a five-argument filter
// sets a record's metadata, the next filter and an output's processor read
// it, and the output's file holds what they copied into the records.
#include <catch2/catch.hpp>

#include "tests/support/process.hpp"

namespace SLUICE_UNITY_ID {

using namespace sluice::test;
using namespace std::chrono_literals;

TEST_CASE("lua metadata reaches the next filter and an output's processor", "[e2e][lua_metadata]") {
  TempDir dir;
  write_file(dir.file("app.log"), "{\"n\":1,\"src\":\"web\"}\n{\"n\":2,\"src\":\"db\"}\n{\"n\":3}\n");
  write_file(dir.file("p.yaml"), R"(service:
  log_level: warn
  flush: 100ms
pipeline:
  inputs:
    - name: tail
      path: )" + dir.file("app.log") + R"(
      read_from_head: on
      exit_on_eof: on
      parser: json
      tag: app
  filters:
    - name: lua
      match: app
      call: set
      code: |
        function set(tag, ts, group, metadata, record)
          if record.src == nil then return 0, ts, metadata, record end
          metadata.source = record.src
          record.src = nil
          return 2, ts, metadata, record
        end
    - name: lua
      match: app
      call: get
      code: |
        function get(tag, ts, group, metadata, record)
          record.in_filter = metadata.source or "none"
          return 2, ts, nil, record
        end
  outputs:
    - name: file
      match: app
      path: )" + dir.path() + R"(
      file: out.jsonl
      format: plain
      processors:
        logs:
          - name: lua
            call: get
            code: |
              function get(tag, ts, group, metadata, record)
                record.in_output = metadata.source or "none"
                return 2, ts, metadata, record
              end
)");
  Process p({SLUICE_BINARY, "-c", dir.file("p.yaml")});
  REQUIRE(p.wait(30s) == 0);
  INFO(p.err());
  std::string out = read_file(dir.file("out.jsonl"));
  INFO(out);
  CHECK(out.find(R"({"n":1,"in_filter":"web","in_output":"web"})") != std::string::npos);
  CHECK(out.find(R"({"n":2,"in_filter":"db","in_output":"db"})") != std::string::npos);
  CHECK(out.find(R"({"n":3,"in_filter":"none","in_output":"none"})") != std::string::npos);
}

}  // namespace SLUICE_UNITY_ID
