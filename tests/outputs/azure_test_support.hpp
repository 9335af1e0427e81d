// Helpers of the azure tests: the Azure stand-in (tests/peers/azure_standin.js)
// as a subprocess with its log and control file, test certificates made with
// the openssl CLI, an environment without AZURE_* variables, and one
// Logs Ingestion call to check that a token works.
#pragma once
#include <simdjson.h>

#include <chrono>
#include <csignal>
#include <cstdint>
#include <memory>
#include <optional>
#include <stdexcept>
#include <string>
#include <vector>

#include "outputs/common/http_client.hpp"
#include "tests/outputs/http_test_peers.hpp"
#include "tests/support/process.hpp"

namespace sluice::test {

inline const char* const kAzureTenant = "aaaabbbb-0000-cccc-1111-dddd2222eeee";
inline const char* const kAzureClient = "00001111-aaaa-2222-bbbb-3333cccc4444";
inline const char* const kAzureSecret = "sluice-test-secret~Aa1Bb2Cc3";
inline const char* const kAzureDcr = "dcr-0123456789abcdef0123456789abcdef";
inline const char* const kAzureStream = "Custom-Sluice_CL";

// Runs a command (argv[0] looked up by env) and returns its stdout; throws
// when it fails or takes more than 30 s.
inline std::string run_tool(std::vector<std::string> argv) {
  argv.insert(argv.begin(), "/usr/bin/env");
  Process p(argv);
  std::optional<int> status = p.wait(std::chrono::seconds(30));
  if (status != 0) throw std::runtime_error(argv[1] + " failed: " + p.out() + p.err());
  return p.out();
}

// A self-signed RSA certificate and its key, made by openssl: files
// <name>.crt, <name>.key and <name>.pem (both, key first, as some tools write them).
struct TestCertificate {
  std::string crt, key, pem;
};
inline TestCertificate make_test_certificate(const TempDir& dir, const std::string& name) {
  TestCertificate c{dir.file(name + ".crt"), dir.file(name + ".key"), dir.file(name + ".pem")};
  run_tool({"openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", c.key, "-out", c.crt, "-days", "2",
            "-subj", "/CN=" + name});
  write_file(c.pem, read_file(c.key) + read_file(c.crt));
  return c;
}

// Unsets every variable the Azure credential chain reads, for one scope.
class CleanAzureEnv {
 public:
  CleanAzureEnv() {
    for (const char* name : {"AZURE_TENANT_ID", "AZURE_CLIENT_ID", "AZURE_CLIENT_SECRET", "AZURE_CLIENT_CERTIFICATE_PATH",
                             "AZURE_AUTHORITY_HOST", "AZURE_FEDERATED_TOKEN_FILE", "AZURE_POD_IDENTITY_AUTHORITY_HOST"})
      vars_.push_back(std::make_unique<ScopedEnv>(name, nullptr));
  }

 private:
  std::vector<std::unique_ptr<ScopedEnv>> vars_;
};

// One line of the stand-in's --log (the fields the azure tests read).
struct AzureLine {
  std::string endpoint;  // token, openid, imds, ingest, unknown
  int64_t status = 0;
  int64_t token_n = -1;  // -1: null
  std::string grant, client_id, scope, alg, x5t, x5t_s256, error;  // token (error also imds)
  int64_t error_code = 0;                                         // token: error_codes[0]
  bool metadata = false;                                          // imds
  std::string identity, id_param, resource;                       // imds
  std::string principal;                                          // ingest
  std::string raw;
};

// azure_standin.js on a port it picked (plain HTTP), with the tenant, client
// and secret above, the DCR and stream above, its log and a control file;
// stopped (SIGTERM, then SIGKILL) when destroyed.
class AzureStandin {
 public:
  explicit AzureStandin(std::vector<std::string> extra = {}) {
    std::vector<std::string> argv{"/usr/bin/env", "node", std::string(SLUICE_SOURCE_DIR) + "/tests/peers/azure_standin.js",
                                  "--port", "0", "--log", dir_.file("log.jsonl"), "--control", dir_.file("control.json"),
                                  "--tenant", kAzureTenant, "--client-id", kAzureClient, "--client-secret", kAzureSecret,
                                  "--dcr", kAzureDcr, "--stream", kAzureStream};
    argv.insert(argv.end(), extra.begin(), extra.end());
    proc_ = std::make_unique<Process>(argv);
    if (!wait_until([&] { return proc_->out().find('\n') != std::string::npos || !proc_->running(); },
                    std::chrono::seconds(30)) ||
        proc_->out().rfind("listening ", 0) != 0) {
      throw std::runtime_error("azure_standin.js did not start: " + proc_->out() + proc_->err());
    }
    port_ = static_cast<uint16_t>(std::stoi(proc_->out().substr(10)));
  }
  ~AzureStandin() {
    proc_->signal(SIGTERM);
    proc_->wait(std::chrono::seconds(5));
  }

  uint16_t port() const { return port_; }
  std::string url() const { return "http://127.0.0.1:" + std::to_string(port_); }
  std::string token_url() const { return url() + "/" + kAzureTenant + "/oauth2/v2.0/token"; }
  std::string file(const std::string& name) const { return dir_.file(name); }
  std::string err() const { return proc_->err(); }
  void control(const std::string& json) const { write_file(dir_.file("control.json"), json); }

  std::vector<AzureLine> log(const std::string& endpoint = "") const {
    std::vector<AzureLine> out;
    simdjson::dom::parser parser;
    for (const auto& line : read_lines(dir_.file("log.jsonl"))) {
      if (line.empty()) continue;
      simdjson::dom::element doc = parser.parse(line);
      auto text = [&](const char* name) {
        std::string_view s;
        return doc[name].get_string().get(s) == simdjson::SUCCESS ? std::string(s) : std::string();
      };
      AzureLine l;
      l.raw = line;
      l.endpoint = text("endpoint");
      if (!endpoint.empty() && l.endpoint != endpoint) continue;
      l.status = doc["status"].get_int64().value_unsafe();
      if (doc["token_n"].get_int64().get(l.token_n) != simdjson::SUCCESS) l.token_n = -1;
      l.grant = text("grant");
      l.client_id = text("client_id");
      l.scope = text("scope");
      l.alg = text("alg");
      l.x5t = text("x5t");
      l.x5t_s256 = text("x5t_s256");
      l.error = text("error");
      simdjson::dom::array codes;
      if (doc["error_codes"].get_array().get(codes) == simdjson::SUCCESS && codes.size() > 0)
        l.error_code = codes.at(0).get_int64().value_unsafe();
      bool metadata = false;
      if (doc["metadata"].get_bool().get(metadata) == simdjson::SUCCESS) l.metadata = metadata;
      l.identity = text("identity");
      l.id_param = text("id_param");
      l.resource = text("resource");
      l.principal = text("principal");
      out.push_back(std::move(l));
    }
    return out;
  }

  // POSTs one record to the stand-in's Logs Ingestion endpoint with
  // `authorization`; the HTTP status (204 when the token works).
  int ingest(const std::string& authorization) const {
    boost::asio::io_context io;
    http::ClientSettings cs;
    cs.host = "127.0.0.1";
    cs.port = port_;
    http::Client client(io, cs);
    http::Request r;
    r.target = std::string("/dataCollectionRules/") + kAzureDcr + "/streams/" + kAzureStream + "?api-version=2023-01-01";
    r.headers.push_back({"Content-Type", "application/json"});
    r.headers.push_back({"Authorization", authorization});
    r.body = R"([{"TimeGenerated":"2026-11-21T10:00:00Z","RawData":"hello"}])";
    return exchange(io, client, std::move(r)).status;
  }

 private:
  TempDir dir_;
  std::unique_ptr<Process> proc_;
  uint16_t port_ = 0;
};

}  // namespace sluice::test
