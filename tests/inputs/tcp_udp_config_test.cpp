// Configuration of the tcp and udp inputs: Fluent Bit's keys (chunk_size
// and buffer_size in KiB when bare numbers), every bad value refused at load
// at its key with what was expected.
#include <catch2/catch.hpp>

#include "agent/config/component_config.hpp"
#include "agent/config/yaml_loader.hpp"
#include "inputs/tcp_udp/tcp_udp_input.hpp"

namespace SLUICE_UNITY_ID {

using namespace sluice;

namespace {

std::string error_of(const std::string& yaml, bool udp = false) {
  try {
    if (udp) make_udp_input(config::load_component(udp_input_schema(), "input", yaml), BuildContext{});
    else make_tcp_input(config::load_component(tcp_input_schema(), "input", yaml), BuildContext{});
  } catch (const config::ConfigError& e) {
    return e.what();
  }
  return "no error";
}

}  // namespace

TEST_CASE("tcp and udp config: Fluent Bit's keys and bad values", "[tcp_udp]") {
  CHECK(error_of("listen: 127.0.0.1\nport: 5170\nformat: none\nseparator: \"\\n\"\nchunk_size: 64\n"
                 "buffer_size: 1M\nsource_address_key: src\nworkers: 2\n") == "no error");
  CHECK(error_of("separator: '\\r\\n'\n") == "no error");
  CHECK(error_of("format: json\n", true) == "no error");
  CHECK_THAT(error_of("separator: '|'\n"), Catch::Contains("key 'separator': messages end at a newline"));
  CHECK_THAT(error_of("format: msgpack\n"), Catch::Contains("key 'format'"));
  CHECK_THAT(error_of("chunk_size: lots\n"),
             Catch::Contains("key 'chunk_size': expected a size: KiB as a bare number (32), or with a unit"));
  CHECK_THAT(error_of("buffer_size: 2G\n"),
             Catch::Contains("key 'buffer_size': expected a size between 16 bytes and 1G"));
  CHECK_THAT(error_of("parser: nope\n"), Catch::Contains("key 'parser': unknown parser 'nope'"));
  CHECK_THAT(error_of("port: 70000\n"), Catch::Contains("key 'port'"));
  CHECK_THAT(error_of("listen: somewhere\n"), Catch::Contains("key 'listen'"));
  CHECK_THAT(error_of("tls: on\n"), Catch::Contains("key 'tls.crt_file': is required with tls: on"));
  CHECK_THAT(error_of("tls: on\n", true), Catch::Contains("unknown key 'tls'"));
}

}  // namespace SLUICE_UNITY_ID
