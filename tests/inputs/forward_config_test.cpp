// Configuration of the forward input: every bad value is refused at load
// (so --dry-run catches it) at its key, with what was expected; what isn't
// supported says so.
#include <catch2/catch.hpp>

#include "agent/config/component_config.hpp"
#include "agent/config/yaml_loader.hpp"
#include "inputs/forward/forward_input.hpp"
#include "tests/support/net.hpp"
#include "tests/support/process.hpp"

namespace SLUICE_UNITY_ID {

using namespace sluice;

namespace {

std::string error_of(const std::string& yaml) {
  try {
    make_forward_input(config::load_component(forward_input_schema(), "input", yaml), BuildContext{});
  } catch (const config::ConfigError& e) {
    return e.what();
  }
  return "no error";
}

}  // namespace

TEST_CASE("forward config: bad values are refused at their key", "[forward]") {
  CHECK(error_of("listen: 127.0.0.1\nport: 24224\ntag_prefix: fwd.\n") == "no error");
  CHECK_THAT(error_of("listen: not-an-ip\n"),
             Catch::Contains("key 'listen': expected an IP address such as 0.0.0.0, 127.0.0.1 or ::, got 'not-an-ip'"));
  CHECK_THAT(error_of("port: 99999\n"), Catch::Contains("key 'port': expected a port between 1 and 65535, got 99999"));
  CHECK_THAT(error_of("buffer_max_size: 0\n"), Catch::Contains("key 'buffer_max_size': must be above 0"));
  CHECK_THAT(error_of("buffer_chunk_size: lots\n"), Catch::Contains("key 'buffer_chunk_size' expects"));
  CHECK(error_of("shared_key: secret\nself_hostname: agg-1\nsecurity.users: [\"bob pw\", \"ann s3 cret\"]\n") ==
        "no error");
  CHECK(error_of("empty_shared_key: on\n") == "no error");
  CHECK_THAT(error_of("security.users: bob pw\n"),
             Catch::Contains("key 'security.users': goes with the shared-key handshake: set shared_key"));
  CHECK_THAT(error_of("self_hostname: agg\n"), Catch::Contains("key 'self_hostname': goes with the shared-key handshake"));
  CHECK_THAT(error_of("shared_key: k\nsecurity.users: bob\n"),
             Catch::Contains("key 'security.users': expects \"user password\" (a user name, a space, its password)"));
  CHECK(error_of("unix_path: /run/f.sock\nunix_perm: '0660'\n") == "no error");
  CHECK_THAT(error_of("unix_path: /run/f.sock\nunix_perm: rw\n"),
             Catch::Contains("key 'unix_perm': expected an octal file mode such as 0644 or 0660, got 'rw'"));
  CHECK_THAT(error_of("unix_perm: '0600'\n"), Catch::Contains("key 'unix_perm': goes with unix_path"));
}

TEST_CASE("forward config: TLS", "[forward]") {
  test::TempDir dir;
  auto pki = test::make_test_pki(dir.path());
  std::string files = "tls.crt_file: " + pki.server_crt + "\ntls.key_file: " + pki.server_key + "\n";
  CHECK(error_of("tls: on\n" + files) == "no error");
  CHECK(error_of("tls: on\ntls.verify: on\ntls.ca_file: " + pki.ca_crt + "\n" + files) == "no error");
  CHECK_THAT(error_of("tls: on\n"), Catch::Contains("key 'tls.crt_file': is required with tls: on"));
  CHECK_THAT(error_of("tls.crt_file: " + pki.server_crt + "\n"),
             Catch::Contains("key 'tls.crt_file': is used only with tls: on"));
  CHECK_THAT(error_of("tls: on\ntls.verify: on\n" + files),
             Catch::Contains("key 'tls.verify': needs tls.ca_file: the CA that client certificates must be signed by"));
  CHECK_THAT(error_of("tls: on\nunix_path: /run/f.sock\n" + files),
             Catch::Contains("key 'tls': is for TCP; this input listens on the unix socket unix_path"));
  // A key that isn't the certificate's: OpenSSL's reason, at the key.
  CHECK_THAT(error_of("tls: on\ntls.crt_file: " + pki.server_crt + "\ntls.key_file: " + pki.client_key + "\n"),
             Catch::Contains("key 'tls.key_file': TLS: "));
}

}  // namespace SLUICE_UNITY_ID
