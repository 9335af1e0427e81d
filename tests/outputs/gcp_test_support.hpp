// Helpers of the gcp tests: the Google stand-in (tests/peers/google_standin.js)
// as a subprocess with its key file and log, the jsonwebtoken check of a
// JWT, and running an io_context until a condition holds.
#pragma once
#include <simdjson.h>

#include <chrono>
#include <csignal>
#include <cstdint>
#include <functional>
#include <memory>
#include <stdexcept>
#include <string>
#include <vector>

#include "agent/asio.hpp"
#include "tests/support/process.hpp"
#include "tests/support/run_until.hpp"

namespace sluice::test {

// RFC 7515 Appendix A.2.1's RSA key (the JWK with n, e, d, p, q, dp, dq, qi),
// converted to PEM outside sluice with node's crypto:
//   const k = crypto.createPrivateKey({key: <the JWK>, format: 'jwk'});
//   k.export({type: 'pkcs8', format: 'pem'}); k.export({type: 'pkcs1', format: 'pem'})
// and checked by signing the RFC's signing input with node, which gives the
// RFC's signature.
inline const char* const kRfc7515KeyPem = R"(-----BEGIN PRIVATE KEY-----
MIIEvQIBADANBgkqhkiG9w0BAQEFAASCBKcwggSjAgEAAoIBAQCh+BYK4uPJtGXO
jS1lYmM2K5J9vinh8CR3/BYlzJChNuOL2TSXxbbqY913EeZ8dCn5VrD7io8ImtxL
aYk8wTM/U+3QGbh3hCUv7JFP5IV3aVlL6kKA0ywPVb9ilE8TA5a8bpvfbr3SvaNn
juygxmj3AbONv/s4yDQs4v5tJ/reSlpIdJed1LnPmt7Ex1sFhSwsD174pcF1A5L5
ROjtZMEQxrZHYJqkeDrrnGya11UxMFBji4NmXG9veoKjlnAqH2QbgtPr8jkiGUkf
toaHLFcW9Qr4NY2ai50Xw0Byj3+H2JoY2PyrZ62EWQwuz3WTOTY8BwNNb2BvniHg
VFbK5emhAgMBAAECggEAEq5xpGnNCivDflJsRQBXHx1hdR1k6Ulwe2JZD50LpXyW
PEAeP88vLNO97IjlA7/GQ5sLKMgvfTeXZx9SE+7YwVol2NXOoAJe46sui395IW/G
O+pWJ1O0BkTGoVEn2bKVRUCgu+GjBVaYLU6f3l9kJfFNS3E0QbVdxzubSu3Mkqzj
kn439X0M/V51gfpRLI9JYanrC4D4qAdGcopV/0ZHHzQlBjudU2QvXt4ehNYTCBr6
XCLQUShb1juUO1ZdiYoFaFQT5Tw8bGUl/x/jTj3ccPDVZFD9pIuhLhBOneufuBiB
4cS98l2SR/RQyGWSeWjnczT0QU91p1DhOVRuOopznQKBgQDgHMQQ60imZV1URk0K
pLttoLhyt3SmqdEf/kgHePDdtzEafpAu+cS191R2JiuoF2yzWXnwFDcqGigp5BNr
0AHQfD8/Lk8l1Mk09jxxCfui5nYooNyac8YFjm3vItzVCVDnEd3BbVWG8qf6deqE
lMGAg+C2V0L4oNXnP7LZcPAZRwKBgQC5A8R+CZW2MvRTLLHzwZkUXV866cff7tx6
kqa0finGG0KgeqlaZPxgCZnFp7AeAcCMtiynVlJ7vMVgePsLq6XtON4tB5kP9jAP
rq3rbAOal78eUH5OcED6eNuCV8ixEu1eWcPNCS/l1OW1EnXUEoEHKl54Xrrz2uNw
kgMTP1FZ1wKBgAcCn1dwJKufzBWQxWQp1vsM5fggqPN1qGb5y0MAk3g7/Ls5bkUp
5u9SN0Ai3Ya6hNnvWJMb7sXQX6U/zyO2M/hTip7tUeh7CXgwo59dkpN75gJLVds2
9+DAncu3KXU4f2Fa+7bLNrur53k8KwPOq2bbuTG69QtV7Jr5MR0AHWKNAoGBAIf/
evpitUf+4JYbLpvNXWcY052Mpz22aR84mY3nh3F2LF2mjMJDpTg7FmuyPcVw6EcG
yoAe9fa65iNqCq+jdw6PVNGo2hxfjSiZ8IIzHdsPXI89//pMjZcQK9r+CCoRjaZj
OYiIDktVWZzmevJuv6WywUqd57LE3Zar3dLSIkx1AoGAIYd7DHOhrWvxkwPQsRM2
tOgrjbcrfvtQJipd+DlcxyVuuM9sQLdgjVk2oy26F0EmpScGLq2MowX7fhd/QJQ3
ydy5cY7YIBi87w93IKLEdfnbJtoOPLUW0ITrJReOgo1cq9SbsxYawBgfp/gh6A56
03k2+ZQwVK0JKSHuLFkuQ3U=
-----END PRIVATE KEY-----
)";


// One line of the stand-in's --log (the fields the gcp tests read).
struct StandinLine {
  std::string endpoint;  // token, metadata, write, unknown
  int64_t status = 0;
  int64_t token_n = -1;  // -1: null
  std::string path;      // metadata
  std::string iss, aud, scope, kid;  // token
  std::string error, error_description;  // token
  std::string raw;
};

// google_standin.js on a port it picked, with a freshly generated service
// account (key_file(), token_uri http://127.0.0.1:<port>/token), its log and
// a control file; stopped (SIGTERM, then SIGKILL) when destroyed.
class GoogleStandin {
 public:
  explicit GoogleStandin(std::vector<std::string> extra = {}) {
    std::vector<std::string> argv{"/usr/bin/env",
                                  "node",
                                  std::string(SLUICE_SOURCE_DIR) + "/tests/peers/google_standin.js",
                                  "--port",
                                  "0",
                                  "--generate-key-file",
                                  key_file(),
                                  "--log",
                                  dir_.file("log.jsonl"),
                                  "--control",
                                  dir_.file("control.json")};
    argv.insert(argv.end(), extra.begin(), extra.end());
    proc_ = std::make_unique<Process>(argv);
    if (!wait_until([&] { return proc_->out().find('\n') != std::string::npos || !proc_->running(); },
                    std::chrono::seconds(30)) ||
        proc_->out().rfind("listening ", 0) != 0) {
      throw std::runtime_error("google_standin.js did not start: " + proc_->out() + proc_->err());
    }
    port_ = static_cast<uint16_t>(std::stoi(proc_->out().substr(10)));
  }
  ~GoogleStandin() {
    proc_->signal(SIGTERM);
    proc_->wait(std::chrono::seconds(5));
  }

  uint16_t port() const { return port_; }
  std::string url() const { return "http://127.0.0.1:" + std::to_string(port_); }
  std::string key_file() const { return dir_.file("service-account.json"); }
  std::string file(const std::string& name) const { return dir_.file(name); }
  std::string err() const { return proc_->err(); }
  // The scripted faults (read when the file changes; write it once, before
  // the requests it is for).
  void control(const std::string& json) const { write_file(dir_.file("control.json"), json); }

  std::vector<StandinLine> log() const {
    std::vector<StandinLine> out;
    simdjson::dom::parser parser;
    for (const auto& line : read_lines(dir_.file("log.jsonl"))) {
      if (line.empty()) continue;
      simdjson::dom::element doc = parser.parse(line);
      if (doc["endpoint"].error()) continue;  // a per-entry line of a write
      StandinLine l;
      l.raw = line;
      auto text = [&](const char* name) {
        std::string_view s;
        return doc[name].get_string().get(s) == simdjson::SUCCESS ? std::string(s) : std::string();
      };
      l.endpoint = text("endpoint");
      l.status = doc["status"].get_int64().value_unsafe();
      int64_t n = -1;
      if (doc["token_n"].get_int64().get(n) != simdjson::SUCCESS) n = -1;
      l.token_n = n;
      l.path = text("path");
      l.iss = text("iss");
      l.aud = text("aud");
      l.scope = text("scope");
      l.kid = text("kid");
      l.error = text("error");
      l.error_description = text("error_description");
      out.push_back(std::move(l));
    }
    return out;
  }
  std::vector<StandinLine> log(const std::string& endpoint) const {
    std::vector<StandinLine> out;
    for (auto& l : log())
      if (l.endpoint == endpoint) out.push_back(std::move(l));
    return out;
  }

 private:
  TempDir dir_;
  std::unique_ptr<Process> proc_;
  uint16_t port_ = 0;
};


// tests/peers/verify_jwt.js: the JWT checked by jsonwebtoken (not by any
// code of ours) against public_key_pem; its output is
// {"header":…,"payload":…} on success, else "invalid: <reason>".
inline std::string verify_jwt_with_node(const std::string& jwt, const std::string& public_key_pem) {
  TempDir dir;
  write_file(dir.file("public.pem"), public_key_pem);
  Process p({"/usr/bin/env", "node", std::string(SLUICE_SOURCE_DIR) + "/tests/peers/verify_jwt.js", "--public-key",
             dir.file("public.pem"), "--jwt", jwt});
  if (!p.wait(std::chrono::seconds(30))) throw std::runtime_error("verify_jwt.js did not finish");
  return p.out() + p.err();
}

}  // namespace sluice::test
