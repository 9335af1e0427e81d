// Configuration of the syslog input: defaults (Fluent Bit's), each key, and
// every error a user can meet, including listening failures at start.
#include <sys/stat.h>

#include <catch2/catch.hpp>

#include "agent/config/component_config.hpp"
#include "agent/config/yaml_loader.hpp"
#include "inputs/syslog/syslog_settings.hpp"
#include "tests/inputs/syslog_harness.hpp"
#include "tests/support/net.hpp"
#include "tests/support/process.hpp"

namespace SLUICE_UNITY_ID {

using namespace sluice;
using namespace sluice::syslog;
using namespace sluice::syslog_test;
using Catch::Matchers::Contains;

namespace {

SyslogSettings settings(const std::string& yaml, const std::string& base_dir = "/etc/sluice") {
  return make_settings(config::load_component(syslog_input_schema(), "input", yaml),
                       BuildContext{&test_parsers(), base_dir});
}

}  // namespace

TEST_CASE("syslog config: defaults follow Fluent Bit", "[syslog][syslog_config]") {
  auto s = settings("path: /run/sluice.sock");
  CHECK(s.mode == Mode::UnixUdp);
  CHECK(s.path == "/run/sluice.sock");
  CHECK(s.unix_perm == 0644);
  CHECK(s.tag == "syslog");
  CHECK(s.format == Format::Auto);
  CHECK(s.parser == nullptr);
  CHECK(s.framing == Framing::Auto);
  CHECK(s.buffer_chunk_size == 32 * 1024);
  CHECK(s.buffer_max_size == 32 * 1024);
  CHECK(s.receive_buffer_size == 0);
  CHECK(s.source_address_key.empty());
  CHECK(s.raw_message_key.empty());
  CHECK_FALSE(s.tls.enabled);
  auto t = settings("mode: tcp");
  CHECK(t.listen == "0.0.0.0");
  CHECK(t.port == 5140);
  // buffer_max_size follows buffer_chunk_size unless set.
  CHECK(settings("mode: udp\nbuffer_chunk_size: 64k").buffer_max_size == 64 * 1024);
  for (const auto& k : syslog_input_schema().keys) {
    CAPTURE(k.name);
    CHECK_FALSE(k.description.empty());
  }
}

TEST_CASE("syslog config: keys", "[syslog][syslog_config]") {
  auto s = settings(R"(
mode: tcp
listen: "::"
port: 6514
tag: net.syslog
parser: rfc3164
frame: octet_counting
buffer_chunk_size: 8k
buffer_max_size: 1M
receive_buffer_size: 4M
source_address_key: src
raw_message_key: raw
)");
  CHECK(s.mode == Mode::Tcp);
  CHECK(s.listen == "::");
  CHECK(s.port == 6514);
  CHECK(s.tag == "net.syslog");
  CHECK(s.format == Format::Rfc3164);
  CHECK(s.framing == Framing::OctetCounting);
  CHECK(s.buffer_chunk_size == 8 * 1024);
  CHECK(s.buffer_max_size == 1024 * 1024);
  CHECK(s.receive_buffer_size == 4 * 1024 * 1024);
  CHECK(s.source_address_key == "src");
  CHECK(s.raw_message_key == "raw");
  SECTION("unix modes: path relative to the config file, octal permissions") {
    auto u = settings("mode: unix_tcp\npath: run/syslog.sock\nunix_perm: '0660'");
    CHECK(u.mode == Mode::UnixTcp);
    CHECK(u.path == "/etc/sluice/run/syslog.sock");
    CHECK(u.unix_perm == 0660);
  }
  SECTION("parser names: Fluent Bit's syslog parser names map to the built-in formats; others come from parsers") {
    CHECK(settings("mode: udp\nparser: syslog-rfc5424").format == Format::Rfc5424);
    CHECK(settings("mode: udp\nparser: syslog-rfc3164-local").format == Format::Rfc3164);
    CHECK(settings("mode: udp\nparser: auto").format == Format::Auto);
    auto j = settings("mode: udp\nparser: json");
    CHECK(j.parser == test_parsers().find("json"));
  }
}

TEST_CASE("syslog config: errors", "[syslog][syslog_config]") {
  CHECK_THAT(config_error(""), Contains("input syslog") &&
                                   Contains("mode unix_udp (the default, as Fluent Bit's) needs `path`, the socket "
                                            "file to create; or set mode: udp or tcp with listen/port"));
  CHECK_THAT(config_error("mode: tcp\nport: 0"), Contains("key 'port': expected a port between 1 and 65535, got 0"));
  CHECK_THAT(config_error("mode: udp\nlisten: example.org"),
             Contains("key 'listen': expected an IP address such as 0.0.0.0, 127.0.0.1 or ::, got 'example.org'"));
  CHECK_THAT(config_error("mode: unix_udp\npath: /tmp/s\nunix_perm: rw-r--r--"),
             Contains("key 'unix_perm': expected an octal file mode such as 0644 or 0660, got 'rw-r--r--'"));
  CHECK_THAT(config_error("mode: udp\npath: /tmp/s"),
             Contains("key 'path': is used with modes unix_udp and unix_tcp; this input is udp"));
  CHECK_THAT(config_error("mode: unix_tcp\npath: /tmp/s\nport: 514"),
             Contains("key 'port': is used with modes udp and tcp; this input is unix_tcp"));
  CHECK_THAT(config_error("mode: udp\nparser: nope"),
             Contains("key 'parser': unknown parser 'nope' (known: auto, rfc5424, rfc3164, "));
  CHECK_THAT(config_error("mode: udp\nframe: newline"),
             Contains("key 'frame': is used with modes tcp and unix_tcp (a datagram is one message)"));
  CHECK_THAT(config_error("mode: tcp\nbuffer_chunk_size: 8"),
             Contains("key 'buffer_chunk_size': expected a size between 16 bytes and 1G, got 8"));
  CHECK_THAT(config_error("mode: tcp\nbuffer_max_size: 2G"),
             Contains("key 'buffer_max_size': expected a size between 16 bytes and 1G, got 2147483648"));
  CHECK_THAT(config_error("mode: udp\nreceive_buffer_size: 100"),
             Contains("key 'receive_buffer_size': expected a size between 1k and 1G, got 100"));
  CHECK_THAT(config_error("mode: smtp"), Contains("mode"));
  CHECK_THAT(config_error("mode: udp\nprot: 514"), Contains("prot"));
}

TEST_CASE("syslog config: TLS", "[syslog][syslog_config]") {
  test::TempDir dir;
  auto pki = test::make_test_pki(dir.path());
  std::string files = "\ntls.crt_file: " + pki.server_crt + "\ntls.key_file: " + pki.server_key;
  CHECK(config_error("mode: tcp\ntls: on" + files) == "no error");
  CHECK(config_error("mode: tcp\ntls: on\ntls.verify: on\ntls.ca_file: " + pki.ca_crt + files) == "no error");
  CHECK_THAT(config_error("mode: udp\ntls: on" + files),
             Contains("key 'tls': is supported with mode tcp; this input is udp"));
  CHECK_THAT(config_error("mode: tcp\ntls: on\ntls.key_file: " + pki.server_key),
             Contains("key 'tls.crt_file': is required with tls: on"));
  CHECK_THAT(config_error("mode: tcp\ntls: on\ntls.crt_file: /nonexistent.pem\ntls.key_file: " + pki.server_key),
             Contains("key 'tls.crt_file': cannot read '/nonexistent.pem'"));
  CHECK_THAT(config_error("mode: tcp\ntls: on\ntls.verify: on" + files),
             Contains("key 'tls.verify': needs tls.ca_file: the CA that client certificates must be signed by"));
  CHECK_THAT(config_error("mode: tcp\ntls.verify: on"), Contains("key 'tls.verify': is used only with tls: on"));
  SECTION("files OpenSSL refuses") {
    test::write_file(dir.file("junk.pem"), "not a certificate\n");
    CHECK_THAT(
        config_error("mode: tcp\ntls: on\ntls.crt_file: " + dir.file("junk.pem") + "\ntls.key_file: " + pki.server_key),
        Contains("key 'tls.crt_file': TLS: "));
    CHECK_THAT(
        config_error("mode: tcp\ntls: on\ntls.crt_file: " + pki.server_crt + "\ntls.key_file: " + pki.client_key),
        Contains("key 'tls.key_file': TLS: key values mismatch"));
  }
}

TEST_CASE("syslog config: listening failures are reported at start", "[syslog][syslog_config]") {
  TestContext ctx;
  SECTION("port in use") {
    uint16_t port = test::free_tcp_port();
    auto first = make_syslog("mode: tcp\nlisten: 127.0.0.1\nport: " + std::to_string(port));
    first->start(ctx);
    auto second = make_syslog("mode: tcp\nlisten: 127.0.0.1\nport: " + std::to_string(port));
    CHECK_THROWS_WITH(second->start(ctx), Contains("input syslog: cannot listen (mode tcp) on 127.0.0.1:" +
                                                   std::to_string(port) + ": Address already in use"));
    first->stop();
  }
  SECTION("a path that is a regular file is never replaced") {
    test::TempDir dir;
    test::write_file(dir.file("data"), "keep me");
    auto input = make_syslog("mode: unix_udp\npath: " + dir.file("data"));
    CHECK_THROWS_WITH(input->start(ctx),
                      Contains("path: '" + dir.file("data") + "' exists and is not a socket; refusing to replace it"));
    CHECK(test::read_file(dir.file("data")) == "keep me");
  }
}

TEST_CASE("syslog config: Fluent Bit's tls.vhost is accepted with a warning saying what sluice does", "[syslog]") {
  auto cfg = config::load_string("pipeline:\n  inputs:\n    - name: syslog\n      mode: tcp\n"
                                 "      tls.vhost: logs.example.org\n  outputs:\n    - name: null\n");
  REQUIRE(cfg.warnings.size() == 1);
  CHECK_THAT(cfg.warnings[0], Contains("<config>:5:7") && Contains("'tls.vhost' is accepted for Fluent Bit") &&
                                  Contains("presents its one certificate"));
}

}  // namespace SLUICE_UNITY_ID
