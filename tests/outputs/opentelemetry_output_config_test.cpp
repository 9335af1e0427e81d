// Configuration of the opentelemetry output: bad values are refused at load
// (so --dry-run catches them) at their key, with what was expected; gRPC's
// keys included.
#include <catch2/catch.hpp>

#include "agent/config/component_config.hpp"
#include "agent/config/yaml_loader.hpp"
#include "outputs/opentelemetry/opentelemetry_output.hpp"

namespace SLUICE_UNITY_ID {

using namespace sluice;

namespace {

std::string error_of(const std::string& yaml) {
  try {
    make_opentelemetry_output(config::load_component(opentelemetry_output_schema(), "output", yaml), BuildContext{});
  } catch (const config::ConfigError& e) {
    return e.what();
  }
  return "no error";
}

}  // namespace

TEST_CASE("opentelemetry output config: bad values are refused at their key", "[otlp]") {
  CHECK(error_of("host: collector\nport: 4318\ncompress: gzip\n") == "no error");
  CHECK(error_of("host: collector\nport: 4317\ngrpc: on\ngrpc_logs_uri: /custom.LogsService/Export\n") == "no error");
  CHECK_THAT(error_of("logs_uri: v1/logs\n"), Catch::Contains("key 'logs_uri': expected a path starting with '/'"));
  CHECK_THAT(error_of("grpc: on\ngrpc_logs_uri: LogsService/Export\n"),
             Catch::Contains("key 'grpc_logs_uri': expected a path starting with '/'"));
  CHECK_THAT(error_of("grpc: on\nproxy: http://proxy:3128\n"),
             Catch::Contains("key 'proxy': is not used with grpc: on (gRPC connects directly)"));
  CHECK(error_of("proxy: http://proxy:3128\n") == "no error");  // OTLP/HTTP goes through it
  CHECK_THAT(error_of("batch_size: 0\n"), Catch::Contains("key 'batch_size': expected 1 to 100000 records, got 0"));
  CHECK_THAT(error_of("grpc: maybe\n"), Catch::Contains("grpc"));
  CHECK(error_of("compress: zstd\n") == "no error");
  CHECK(error_of("compress: ZSTD\ngrpc: on\n") == "no error");
  CHECK_THAT(error_of("compress: br\n"), Catch::Contains("compress"));
}

}  // namespace SLUICE_UNITY_ID
