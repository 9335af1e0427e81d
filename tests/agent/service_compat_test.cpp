// Fluent Bit's service keys: the ones that map onto sluice's settings
// (scheduler.base/cap, log_file, daemon) and the ones accepted with a note
// saying what sluice does instead.
#include <catch2/catch.hpp>

#include "agent/config/yaml_loader.hpp"
#include "agent/output_settings.hpp"
#include "tests/support/process.hpp"

namespace SLUICE_UNITY_ID {

using namespace sluice;
using namespace sluice::config;
using sluice::test::TempDir;
using sluice::test::write_file;

namespace {
std::string error_of(const std::string& path) {
  try {
    load_file(path);
  } catch (const ConfigError& e) {
    return e.what();
  }
  return "no error";
}

constexpr const char* kPipeline =
    "[INPUT]\n    Name dummy\n"
    "[OUTPUT]\n    Name null\n    Match *\n    Alias plain\n"
    "[OUTPUT]\n    Name null\n    Match *\n    Alias own\n    Retry_Base 2s\n";
}  // namespace

TEST_CASE("scheduler.base and scheduler.cap are every output's default retry_base and retry_cap", "[config][service]") {
  TempDir dir;
  write_file(dir.file("fb.conf"), std::string("[SERVICE]\n    scheduler.base 3\n    scheduler.cap 30\n") + kPipeline);
  PipelineConfig cfg = load_file(dir.file("fb.conf"));
  REQUIRE(cfg.outputs.size() == 2);
  auto plain = OutputSettings::from_config(cfg.outputs[0], std::chrono::seconds(1));
  auto own = OutputSettings::from_config(cfg.outputs[1], std::chrono::seconds(1));
  CHECK(plain.retry_base == std::chrono::seconds(3));
  CHECK(plain.retry_cap == std::chrono::seconds(30));
  CHECK(own.retry_base == std::chrono::seconds(2));  // the output's own key wins
  CHECK(own.retry_cap == std::chrono::seconds(30));
  CHECK(cfg.warnings.empty());

  SECTION("a cap below an output's base is that output's error, at the scheduler key") {
    write_file(dir.file("fb.conf"), std::string("[SERVICE]\n    scheduler.cap 1\n") + kPipeline);
    PipelineConfig bad = load_file(dir.file("fb.conf"));
    try {
      OutputSettings::from_config(bad.outputs[1], std::chrono::seconds(1));
      FAIL("no error");
    } catch (const ConfigError& e) {
      CHECK_THAT(e.what(), Catch::Contains("fb.conf:2:5") && Catch::Contains("retry_cap"));
    }
  }
}

TEST_CASE("daemon on is refused with the reason, daemon off is fine", "[config][service]") {
  TempDir dir;
  write_file(dir.file("fb.conf"), std::string("[SERVICE]\n    Daemon Off\n") + kPipeline);
  CHECK(error_of(dir.file("fb.conf")) == "no error");
  write_file(dir.file("fb.conf"), std::string("[SERVICE]\n    Daemon On\n") + kPipeline);
  CHECK_THAT(error_of(dir.file("fb.conf")),
             Catch::Contains("fb.conf:2:5") && Catch::Contains("runs in the foreground") &&
                 Catch::Contains("systemd"));
}

TEST_CASE("service keys sluice has no use for load with a note saying what it does instead", "[config][service]") {
  TempDir dir;
  write_file(dir.file("fb.conf"),
             std::string("[SERVICE]\n    Flush 1\n    Log_File /tmp/x.log\n    HTTP_Server On\n    HTTP_Listen 0.0.0.0\n"
                         "    HTTP_Port 2021\n    Health_Check On\n    HC_Errors_Count 5\n    HC_Retry_Failure_Count 5\n"
                         "    HC_Period 60\n    Plugins_File plugins.conf\n    Streams_File streams.conf\n"
                         "    Coro_Stack_Size 24576\n    storage.metrics on\n    storage.max_chunks_up 128\n"
                         "    storage.backlog.mem_limit 5M\n    storage.checksum off\n"
                         "    storage.delete_irrecoverable_chunks on\n    dns.mode UDP\n    dns.resolver LEGACY\n") +
                 kPipeline);
  PipelineConfig cfg = load_file(dir.file("fb.conf"));
  CHECK(cfg.service.get_string("log_file") == "/tmp/x.log");
  CHECK(cfg.service.get_bool("http_server"));
  CHECK(cfg.service.get_int("http_port") == 2021);
  std::string all;
  for (const auto& w : cfg.warnings) all += w + "\n";
  INFO(all);
  CHECK(cfg.warnings.size() == 10);  // health_check, hc_* (3), plugins_file, streams_file, coro, irrecoverable, dns.* (2)
  CHECK_THAT(all, Catch::Contains("fb.conf:7:5: service") &&
                      Catch::Contains("'health_check' is accepted for Fluent Bit") &&
                      Catch::Contains("health.max_output_stall"));
  CHECK_THAT(all, Catch::Contains("'streams_file'") && Catch::Contains("no stream processor"));
  CHECK_THAT(all, Catch::Contains("'storage.delete_irrecoverable_chunks'") && Catch::Contains("quarantine"));
}

// Fluent Bit's shipped example configs (conf/in_dummy.conf and others) still
// say HTTP_Monitor, the built-in server's first name; Fluent Bit ignores
// unknown service keys, so those configs load there.
TEST_CASE("HTTP_Monitor is Fluent Bit's old name for http_server", "[config][service]") {
  TempDir dir;
  write_file(dir.file("fb.conf"), std::string("[SERVICE]\n    HTTP_Monitor On\n    HTTP_Port 2021\n") + kPipeline);
  PipelineConfig cfg = load_file(dir.file("fb.conf"));
  CHECK(cfg.service.get_bool("http_server"));
  CHECK(cfg.warnings.empty());
  write_file(dir.file("both.conf"),
             std::string("[SERVICE]\n    HTTP_Monitor On\n    HTTP_Server Off\n") + kPipeline);
  CHECK_THAT(error_of(dir.file("both.conf")), Catch::Contains("both.conf:3:5: service (") && Catch::Contains("key 'http_server' is set twice"));
}

// Fluent Bit ignores service keys it doesn't know; sluice warns (naming the
// nearest key) and runs. A plugin's unknown key stays an error in both.
TEST_CASE("an unknown service key is a warning, an unknown plugin key an error", "[config][service]") {
  TempDir dir;
  write_file(dir.file("fb.conf"), std::string("[SERVICE]\n    Flsuh 2\n    hot_reload.watch on\n") + kPipeline);
  PipelineConfig cfg = load_file(dir.file("fb.conf"));
  REQUIRE(cfg.warnings.size() == 2);
  CHECK_THAT(cfg.warnings[0], Catch::Contains("fb.conf:2:5") && Catch::Contains("unknown key 'flsuh' is ignored") &&
                                  Catch::Contains("did you mean 'flush'?"));
  CHECK_THAT(cfg.warnings[1], Catch::Contains("unknown key 'hot_reload.watch' is ignored"));
  write_file(dir.file("bad.conf"), "[INPUT]\n    Name dummy\n    Bogus 1\n[OUTPUT]\n    Name null\n    Match *\n");
  CHECK_THAT(error_of(dir.file("bad.conf")), Catch::Contains("bad.conf:3:5") && Catch::Contains("unknown key 'bogus'"));
}

}  // namespace SLUICE_UNITY_ID
