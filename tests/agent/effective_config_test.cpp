// /api/v1/config's text: the configuration with defaults applied and every
// secret redacted — each key any plugin's schema marks secret, keys named
// like secrets, credential headers, and user:password@ in URLs.
#include <catch2/catch.hpp>

#include <simdjson.h>

#include "agent/config/common_keys.hpp"
#include "agent/config/effective_config.hpp"
#include "filters/registry.hpp"
#include "inputs/registry.hpp"
#include "outputs/registry.hpp"

namespace SLUICE_UNITY_ID {

using namespace sluice;
using namespace sluice::config;

TEST_CASE("effective config: values after substitution, defaults applied, typed", "[config][effective]") {
  setenv("SLUICE_TEST_EFFECTIVE_PATH", "/var/log/app.log", 1);
  PipelineConfig cfg = load_string(
      "service:\n  flush: 50ms\n  http_server: on\n"
      "pipeline:\n  inputs:\n    - name: tail\n      path: ${SLUICE_TEST_EFFECTIVE_PATH}\n      tag: app\n"
      "  filters:\n    - name: grep\n      match: app\n      exclude:\n        - log ^a\n        - log ^b\n"
      "  outputs:\n    - name: http\n      alias: sink\n      port: 8080\n",
      "test.yaml");
  std::string text = effective_config_json(cfg);
  INFO(text);
  simdjson::dom::parser parser;
  simdjson::dom::element doc = parser.parse(text);
  CHECK(std::string_view(doc["path"]) == "test.yaml");
  CHECK(std::string_view(doc["service"]["flush"]) == "50ms");
  CHECK(bool(doc["service"]["http_server"]) == true);
  CHECK(std::string_view(doc["service"]["grace"]) == "5s");  // a default
  CHECK(int64_t(doc["service"]["http_port"]) == 2020);
  CHECK(std::string_view(doc["service"]["health.max_output_stall"]) == "5m");
  simdjson::dom::element tail = doc["pipeline"]["inputs"].at(0);
  CHECK(std::string_view(tail["name"]) == "tail");
  CHECK(std::string_view(tail["path"].at(0)) == "/var/log/app.log");  // a list key
  simdjson::dom::element grep = doc["pipeline"]["filters"].at(0);
  CHECK(grep["exclude"].get_array().size() == 2);
  simdjson::dom::element http = doc["pipeline"]["outputs"].at(0);
  CHECK(std::string_view(http["alias"]) == "sink");
  CHECK(int64_t(http["port"]) == 8080);
  CHECK(std::string_view(http["retry_limit"]) == "no_limits");
  CHECK(doc["parsers"].get_array().size() == 0);
}

TEST_CASE("effective config: every key any plugin marks secret is redacted", "[config][effective]") {
  PipelineConfig cfg;
  cfg.path = "all-secrets.yaml";
  cfg.service = ComponentConfig(&effective_schema(service_schema(), "service"), "service", Mark{});
  std::vector<std::string> secrets;
  auto add = [&](const PluginSchema& plugin, const std::string& kind, std::vector<ComponentConfig>& list) {
    const PluginSchema& schema = effective_schema(plugin, kind);
    ComponentConfig c(&schema, kind, Mark{});
    bool any = false;
    for (const auto& k : schema.keys) {
      if (!k.secret) continue;
      std::string secret = "SECRET-" + std::string(plugin.name) + "-" + std::string(k.name);
      c.set(std::string(k.name), Setting{{secret}, Mark{}});
      secrets.push_back(secret);
      any = true;
    }
    if (any) list.push_back(std::move(c));
  };
  for (const auto& p : input_plugins()) add(p.schema(), "input", cfg.inputs);
  for (const auto& p : filter_plugins()) add(p.schema(), "filter", cfg.filters);
  for (const auto& p : output_plugins()) add(p.schema(), "output", cfg.outputs);
  REQUIRE(secrets.size() >= 10);  // http_passwd, client_secret, api_key, bearer_token, tls.key_passwd, ...
  std::string text = effective_config_json(cfg);
  INFO(text);
  for (const auto& s : secrets) {
    INFO(s);
    CHECK(text.find(s) == std::string::npos);
  }
  CHECK(text.find("\"<redacted>\"") != std::string::npos);
  simdjson::dom::parser parser;
  simdjson::dom::element doc;
  CHECK(parser.parse(text).get(doc) == simdjson::SUCCESS);
}

TEST_CASE("effective config: credentials in URLs and headers are redacted, the rest kept", "[config][effective]") {
  CHECK(redact_url_credentials("http://user:pa55@proxy.local:3128") == "http://<redacted>@proxy.local:3128");
  CHECK(redact_url_credentials("https://token@host/path?q=a@b") == "https://<redacted>@host/path?q=a@b");
  CHECK(redact_url_credentials("a http://u:p@x, https://v:q@y/z b") == "a http://<redacted>@x, https://<redacted>@y/z b");
  CHECK(redact_url_credentials("http://host:8080/p@th") == "http://host:8080/p@th");
  CHECK(redact_url_credentials("user@example.com") == "user@example.com");
  CHECK(redact_url_credentials("http://") == "http://");
  CHECK(redact_url_credentials("") == "");

  PipelineConfig cfg = load_string(
      "pipeline:\n  inputs:\n    - name: dummy\n"
      "  outputs:\n    - name: http\n      host: example.com\n      proxy: http://puser:PROXYPASS-1@proxy:3128\n"
      "      header:\n        - Authorization Bearer HEADERTOKEN-1\n        - X-Api-Key HEADERKEY-1\n"
      "        - X-Team logs\n      http_user: u\n      http_passwd: HTTPPASS-1\n",
      "t.yaml");
  std::string text = effective_config_json(cfg);
  INFO(text);
  for (const char* secret : {"PROXYPASS-1", "puser", "HEADERTOKEN-1", "HEADERKEY-1", "HTTPPASS-1"}) {
    INFO(secret);
    CHECK(text.find(secret) == std::string::npos);
  }
  CHECK(text.find(R"("proxy":"http://<redacted>@proxy:3128")") != std::string::npos);
  CHECK(text.find(R"("Authorization <redacted>")") != std::string::npos);
  CHECK(text.find(R"("X-Team logs")") != std::string::npos);
  CHECK(text.find(R"("http_user":"u")") != std::string::npos);
}

}  // namespace SLUICE_UNITY_ID
