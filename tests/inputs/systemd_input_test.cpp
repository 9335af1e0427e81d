// The systemd input's pieces without a journal: an entry's fields as a
// record, the tag of an entry, and its configuration errors. Reading real
// journal files is tested end to end (tests/e2e/systemd_e2e_test.cpp).
#include <catch2/catch.hpp>

#include "agent/config/yaml_loader.hpp"
#include "agent/json_writer.hpp"
#include "inputs/systemd/journal_record.hpp"
#include "inputs/systemd/systemd_input.hpp"
#include "tests/support/process.hpp"

namespace SLUICE_UNITY_ID {

using namespace sluice;
using namespace sluice::journal;

std::string record(const std::vector<std::string_view>& fields, const RecordOptions& options = {},
                   size_t* malformed = nullptr) {
  Arena arena;
  return json::to_string(entry_record(fields, options, arena, malformed));
}

TEST_CASE("systemd: an entry's fields become the record's keys, in the journal's order", "[systemd]") {
  CHECK(record({"_PID=812", "_SYSTEMD_UNIT=kubelet.service", "MESSAGE=Started", "PRIORITY=6"}) ==
        R"({"_PID":"812","_SYSTEMD_UNIT":"kubelet.service","MESSAGE":"Started","PRIORITY":"6"})");
  // A value holds anything after the first '=' (another '=', a newline).
  CHECK(record({"MESSAGE=a=b\nc"}) == R"({"MESSAGE":"a=b\nc"})");
  CHECK(record({"MESSAGE="}) == R"({"MESSAGE":""})");
}

TEST_CASE("systemd: a field given several times in one entry becomes an array of its values", "[systemd]") {
  CHECK(record({"TAG=a", "MESSAGE=m", "TAG=b", "TAG=c"}) == R"({"TAG":["a","b","c"],"MESSAGE":"m"})");
}

TEST_CASE("systemd: strip_underscores, lowercase and max_fields", "[systemd]") {
  RecordOptions o;
  o.strip_underscores = true;
  CHECK(record({"_PID=1", "__X=2", "MESSAGE=m"}, o) == R"({"PID":"1","_X":"2","MESSAGE":"m"})");
  o.lowercase = true;
  CHECK(record({"_SYSTEMD_UNIT=u", "MESSAGE=m"}, o) == R"({"systemd_unit":"u","message":"m"})");
  RecordOptions two;
  two.max_fields = 2;
  CHECK(record({"A=1", "B=2", "C=3"}, two) == R"({"A":"1","B":"2"})");
}

TEST_CASE("systemd: a field without '=' is skipped and counted", "[systemd]") {
  size_t malformed = 0;
  CHECK(record({"BROKEN", "=x", "MESSAGE=m"}, {}, &malformed) == R"({"MESSAGE":"m"})");
  CHECK(malformed == 2);
}

TEST_CASE("systemd: a '*' in the tag becomes the entry's unit", "[systemd]") {
  CHECK(entry_tag("host.*", "kubelet.service") == "host.kubelet.service");
  CHECK(entry_tag("host.*", "") == "host.unknown");
  CHECK(entry_tag("a.*.b", "x") == "a.x.b");
  CHECK(entry_tag("journal", "x") == "journal");
}

std::string config_error(const std::string& yaml) {
  try {
    make_systemd_input(config::load_component(systemd_input_schema(), "input", yaml), BuildContext{});
  } catch (const config::ConfigError& e) {
    return e.what();
  }
  return "no error";
}

TEST_CASE("systemd: configuration errors say what is wrong", "[systemd]") {
  CHECK_THAT(config_error("path: /nonexistent/journal\n"),
             Catch::Contains("key 'path'") && Catch::Contains("'/nonexistent/journal' is not a folder of journal files"));
  test::TempDir dir;
  CHECK_THAT(config_error("path: " + dir.path() + "\nsystemd_filter: kubelet.service\n"),
             Catch::Contains("expected FIELD=value (e.g. _SYSTEMD_UNIT=kubelet.service), got 'kubelet.service'"));
  CHECK_THAT(config_error("path: " + dir.path() + "\nsystemd_filter_type: xor\n"), Catch::Contains("systemd_filter_type"));
  CHECK_THAT(config_error("path: " + dir.path() + "\nmax_entries: 0\n"), Catch::Contains("expects 1 or more"));
  // An empty folder is a journal with no entries yet: fine.
  CHECK(config_error("path: " + dir.path() + "\nsystemd_filter:\n  - _SYSTEMD_UNIT=a.service\n  - PRIORITY=3\n") ==
        "no error");
}

}  // namespace SLUICE_UNITY_ID
