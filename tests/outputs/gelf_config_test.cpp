// The gelf output's configuration: defaults, each key, and every error a
// user can meet, with its message.
#include <catch2/catch.hpp>

#include <filesystem>

#include "outputs/gelf/gelf_settings.hpp"
#include "tests/outputs/gelf_test_harness.hpp"
#include "tests/support/net.hpp"
#include "tests/support/process.hpp"

namespace SLUICE_UNITY_ID {

using namespace sluice;
using namespace sluice::gelf;
using sluice::gelf_test::config_error;

namespace {

Settings settings(const std::string& yaml) {
  return read_settings(config::load_component(gelf_output_schema(), "output", yaml), BuildContext{});
}

}  // namespace

TEST_CASE("gelf config: Fluent Bit's defaults", "[gelf][gelf_config]") {
  Settings s = settings("");
  CHECK(s.mode == Mode::Udp);
  CHECK(s.host == "127.0.0.1");
  CHECK(s.port == 12201);
  CHECK(s.packet_size == 1420);
  CHECK(s.compression == Compression::Gzip);
  CHECK(s.keys.short_message == "short_message");
  CHECK(s.keys.full_message == "full_message");
  CHECK(s.keys.host == "host");
  CHECK(s.keys.timestamp == "timestamp");
  CHECK(s.keys.level == "level");
  CHECK(s.keys.tag.empty());
  CHECK_FALSE(s.keys.hostname.empty());
  CHECK_FALSE(s.tls.enabled);
  CHECK(s.connect_timeout == std::chrono::seconds(10));
  CHECK(s.request_timeout == std::chrono::seconds(30));
}

TEST_CASE("gelf config: each key", "[gelf][gelf_config]") {
  Settings s = settings(
      "mode: TCP\nhost: graylog.example\nport: 5555\ngelf_short_message_key: msg\ngelf_full_message_key: stack\n"
      "gelf_host_key: hostname\ngelf_timestamp_key: ts\ngelf_level_key: severity\ngelf_tag_key: tag\n"
      "connect_timeout: 2s\nrequest_timeout: 500ms\n");
  CHECK(s.mode == Mode::Tcp);
  CHECK(s.host == "graylog.example");
  CHECK(s.port == 5555);
  CHECK(s.compression == Compression::None);  // TCP never compresses
  CHECK(s.keys.short_message == "msg");
  CHECK(s.keys.full_message == "stack");
  CHECK(s.keys.host == "hostname");
  CHECK(s.keys.timestamp == "ts");
  CHECK(s.keys.level == "severity");
  CHECK(s.keys.tag == "tag");
  CHECK(s.connect_timeout == std::chrono::seconds(2));
  CHECK(s.request_timeout == std::chrono::milliseconds(500));

  CHECK(settings("packet_size: 8k\ncompress: zlib").packet_size == 8192);
  CHECK(settings("compress: zlib").compression == Compression::Zlib);
  CHECK(settings("compress: none").compression == Compression::None);
  CHECK(settings("compress: false").compression == Compression::None);
  CHECK(settings("compress: on").compression == Compression::Gzip);
  CHECK(settings("mode: tcp\ncompress: on").compression == Compression::None);  // Fluent Bit's bool is ignored on TCP
  CHECK(settings("mode: tcp\ntls: on").mode == Mode::Tls);
  Settings tls = settings("mode: tls\ntls.verify: off\ntls.vhost: graylog.internal");
  CHECK(tls.tls.enabled);
  CHECK_FALSE(tls.tls.verify);
  CHECK(tls.tls.vhost == "graylog.internal");
  CHECK(settings("mode: tls").tls.verify);
  Settings http = settings("mode: http\ntls: on\nuri: /in/gelf\nport: 12202");
  CHECK(http.mode == Mode::Http);
  CHECK(http.tls.enabled);
  CHECK(http.uri == "/in/gelf");
  CHECK(http.compression == Compression::Gzip);
  CHECK(settings("mode: http").uri == "/gelf");
  // Mode http reads the shared HTTP keys: client settings, headers, basic auth.
  Settings shared = settings("mode: http\nhost: graylog.example\nport: 12202\nhttp_user: me\nhttp_passwd: pw\n"
                             "header: X-Team logs\nworkers: 3\nrequest_timeout: 2s");
  CHECK(shared.http.client.host == "graylog.example");
  CHECK(shared.http.client.port == 12202);
  CHECK(shared.http.client.max_connections == 3);
  CHECK(shared.http.client.request_timeout == std::chrono::seconds(2));
  REQUIRE(shared.http.headers.size() == 2);
  CHECK(shared.http.headers[0].name == "X-Team");
  CHECK(shared.http.headers[1].value == "Basic bWU6cHc=");
}

TEST_CASE("gelf config: errors name the key and what was expected", "[gelf][gelf_config]") {
  using Catch::EndsWith;
  CHECK_THAT(config_error("port: 0"), EndsWith("key 'port': expected a port between 1 and 65535, got 0"));
  CHECK_THAT(config_error("host: ''"), EndsWith("key 'host': expected the Graylog host name or IP address"));
  CHECK_THAT(config_error("packet_size: 10"),
             EndsWith("key 'packet_size': expected a datagram size between 64 and 65507 bytes, got 10"));
  CHECK_THAT(config_error("gelf_short_message_key: ''"),
             EndsWith("key 'gelf_short_message_key': must name the record key that holds the message (GELF "
                      "requires one)"));
  CHECK_THAT(config_error("mode: tcp\ncompress: gzip"),
             EndsWith("key 'compress': GELF over TCP is never compressed (Graylog reads plain NUL-separated JSON); "
                      "remove compress or use mode udp or http"));
  CHECK_THAT(config_error("mode: http\ncompress: zlib"),
             EndsWith("key 'compress': mode http supports gzip (Content-Encoding: gzip) or none, not zlib"));
  CHECK_THAT(config_error("tls: on"),
             EndsWith("key 'tls': is supported with mode tcp, tls or http; GELF over UDP has no TLS"));
  CHECK_THAT(config_error("mode: tcp\ntls.verify: off"),
             EndsWith("key 'tls.verify': is used only with mode tls (or tls: on)"));
  CHECK_THAT(config_error("uri: gelf"), EndsWith("key 'uri': expected a path starting with '/', got 'gelf'"));
  // The HTTP keys gelf shares with every HTTP output apply to mode http only.
  CHECK_THAT(config_error("mode: tcp\nhttp_user: me"), EndsWith("key 'http_user': is used only with mode http"));
  CHECK_THAT(config_error("header: X-A b"), EndsWith("key 'header': is used only with mode http"));
  CHECK_THAT(config_error("mode: http\nheader: X-A"),
             EndsWith("key 'header': expects \"Name value\" (a header name, a space, its value), got \"X-A\""));
  CHECK_THAT(config_error("mode: http\nproxy: ftp://x"),
             EndsWith("key 'proxy': expects http://[user:password@]host:port, got \"ftp://x\""));
  CHECK_THAT(config_error("connect_timeout: 0s"), EndsWith("key 'connect_timeout': expected a positive duration such as 10s"));
  // The loader's own checks: choices and unknown keys.
  CHECK_THAT(config_error("mode: quic"), Catch::Contains("key 'mode' expects one of udp, tcp, tls, http, got"));
  CHECK_THAT(config_error("gelf_short_msg_key: m"), Catch::Contains("did you mean 'gelf_short_message_key'?"));
}

TEST_CASE("gelf config: TLS files are checked when the output is built", "[gelf][gelf_config]") {
  using Catch::EndsWith;
  test::TempDir dir;
  test::TestPki pki = test::make_test_pki(dir.path());
  CHECK(config_error("mode: tls\ntls.ca_file: " + pki.ca_crt + "\ntls.crt_file: " + pki.client_crt +
                     "\ntls.key_file: " + pki.client_key) == "no error");
  CHECK_THAT(config_error("mode: tls\ntls.ca_file: " + dir.file("missing.pem")),
             EndsWith("key 'tls.ca_file': cannot read '" + dir.file("missing.pem") + "'"));
  CHECK_THAT(config_error("mode: tls\ntls.crt_file: " + pki.client_crt),
             EndsWith("key 'tls.crt_file': a client certificate needs both tls.crt_file and tls.key_file"));
  // OpenSSL's refusals, in the words of the shared TLS wrapper (outputs/common/http_tls), at the file's key.
  test::write_file(dir.file("junk.pem"), "not a certificate\n");
  CHECK_THAT(config_error("mode: tls\ntls.ca_file: " + dir.file("junk.pem")),
             Catch::Contains("key 'tls.ca_file': ") && Catch::Contains(dir.file("junk.pem")));
  // A key that doesn't belong to the certificate.
  CHECK_THAT(config_error("mode: tls\ntls.crt_file: " + pki.client_crt + "\ntls.key_file: " + pki.server_key),
             Catch::Contains("key 'tls.key_file': ") && Catch::Contains(pki.server_key));
}

}  // namespace SLUICE_UNITY_ID
