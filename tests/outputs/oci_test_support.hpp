// Data and helpers of the oci tests: Oracle's published signing test key,
// and oci_standin.js (tests/peers) as a subprocess with its generated API
// key, config file, session token, log, store and control file.
#pragma once
#include <simdjson.h>

#include <chrono>
#include <cstdint>
#include <utility>
#include <csignal>
#include <memory>
#include <stdexcept>
#include <string>
#include <vector>

#include "tests/support/process.hpp"

namespace sluice::test {

// The 1024-bit RSA test key of Oracle's request-signing test values,
// quoted as data from oracle/oci-go-sdk common/http_signer_test.go
// (testPrivateKey; the same key as the "Test Values" of the OCI
// documentation's "Request Signatures" page). A published test key, for
// known answers only.
inline const char* const kOracleTestKeyPem = R"(-----BEGIN RSA PRIVATE KEY-----
MIICXgIBAAKBgQDCFENGw33yGihy92pDjZQhl0C36rPJj+CvfSC8+q28hxA161QF
NUd13wuCTUcq0Qd2qsBe/2hFyc2DCJJg0h1L78+6Z4UMR7EOcpfdUE9Hf3m/hs+F
UR45uBJeDK1HSFHD8bHKD6kv8FPGfJTotc+2xjJwoYi+1hqp1fIekaxsyQIDAQAB
AoGBAJR8ZkCUvx5kzv+utdl7T5MnordT1TvoXXJGXK7ZZ+UuvMNUCdN2QPc4sBiA
QWvLw1cSKt5DsKZ8UETpYPy8pPYnnDEz2dDYiaew9+xEpubyeW2oH4Zx71wqBtOK
kqwrXa/pzdpiucRRjk6vE6YY7EBBs/g7uanVpGibOVAEsqH1AkEA7DkjVH28WDUg
f1nqvfn2Kj6CT7nIcE3jGJsZZ7zlZmBmHFDONMLUrXR/Zm3pR5m0tCmBqa5RK95u
412jt1dPIwJBANJT3v8pnkth48bQo/fKel6uEYyboRtA5/uHuHkZ6FQF7OUkGogc
mSJluOdc5t6hI1VsLn0QZEjQZMEOWr+wKSMCQQCC4kXJEsHAve77oP6HtG/IiEn7
kpyUXRNvFsDE0czpJJBvL/aRFUJxuRK91jhjC68sA7NsKMGg5OXb5I5Jj36xAkEA
gIT7aFOYBFwGgQAQkWNKLvySgKbAZRTeLBacpHMuQdl1DfdntvAyqpAZ0lY0RKmW
G6aFKaqQfOXKCyWoUiVknQJAXrlgySFci/2ueKlIE1QqIiLSZ8V8OlpFLRnb1pzI
7U1yQXnTAEFYM560yJlzUpOb1V4cScGd365tiSMvxLOvTA==
-----END RSA PRIVATE KEY-----
)";

// The OCIDs and fingerprint of the same test values.
inline const char* const kOracleTestTenancy =
    "ocid1.tenancy.oc1..aaaaaaaaba3pv6wkcr4jqae5f15p2b2m2yt2j6rx32uzr4h25vqstifsfdsq";
inline const char* const kOracleTestUser =
    "ocid1.user.oc1..aaaaaaaat5nvwcna5j6aqzjcaty5eqbb6qt2jvpkanghtgdaqedqw3rynjq";
inline const char* const kOracleTestFingerprint = "20:3b:97:13:55:1c:5b:0d:d3:37:d8:50:4e:c5:3a:34";

// The same key encrypted with the passphrase kTestPassPhrase, made with
// OpenSSL 3's command line: "openssl pkcs8 -topk8 -v2 aes-256-cbc" (PKCS#8)
// and "openssl rsa -aes256 -traditional" (PKCS#1 with Proc-Type, as the OCI
// CLI writes a key with a passphrase).
inline const char* const kTestPassPhrase = "sluice-test-pass";
inline const char* const kOracleTestKeyPkcs8Encrypted = R"(-----BEGIN ENCRYPTED PRIVATE KEY-----
MIIC3TBXBgkqhkiG9w0BBQ0wSjApBgkqhkiG9w0BBQwwHAQI6iqY2MZ8N+8CAggA
MAwGCCqGSIb3DQIJBQAwHQYJYIZIAWUDBAEqBBDr4LrfC3HewUEl9Op9ciUPBIIC
gPyz5enPuZtVraypviO/2S1lq5VmqsK//kvAb/E4WFd2W62zwGz8RtsExjC42w2q
f2hjm8hgGxnst9ytnR7+o0avT0e2F5gzE7OlC/A1M9P/yGWC/oW5XabNaMueU+Lx
WJldFYJ1+PiDfIdVBki7E/XfyNCu+nVJI4xn6fu1bW+MFpCZmKnzpa+36XcKm6s6
bZVy4RCkKeTBsWhhLKi0fZruOOE2xIx3QOs1qYwAyK4iDdk9aHfpvKoLAnN8YXGr
XEuEEvzZwpl0Rqv4CWe6mhK6ynjnw55frtsnHgJn4S2BhTUkY58qN5GXIR9PuOFY
c7nEU4AjBWMu2UysqQREyCGt/WEfpKEdnpPyYYk9Y2aCXXlsmkvt8WmwSgR28m6/
nVbRUKQqIslipf5ZLTcLklHYMFZiTl1xTv3AJPEshnEvXsbFKPMMAC5k0QzShtNA
9CWwBDjvVa0Qvp6mwppWQ9SNYUtQbQfoiFeygRAcWVT9lwSMcGvwKVA+ZjzRMmD7
pujpg/KOLx83/fDsRT/IsoxPA3qjvUBXMs+lj2rz7hkhPQN+EI2EyFWAvvFF9T+y
N+Ip+BB3kEeFNAe/qm4FlLkiu15KcqMFR7lV6ZPK0k4VHuAUlXh1SnJ13J7rg12o
feHdCIHpMMEwTODjlAAikzOUbHx/lmS47Q/XHAuCy38WWReajyMyfRbTEUDqddxx
Fsi3pJDLAorDriIo9jkhOABUIM11Zdo7MY0hiKTlHLOLX7PSukNZ/k0+MBv7LrwO
vIamwiYr8FnnvAfqm57unXBTNATwe19p7Y4A4zK6YlLGG3ngOVa2Vay4I5t7kTBT
h3dtAacOv+XoKjmdkTPuCGk=
-----END ENCRYPTED PRIVATE KEY-----
)";
inline const char* const kOracleTestKeyTraditionalEncrypted = R"(-----BEGIN RSA PRIVATE KEY-----
Proc-Type: 4,ENCRYPTED
DEK-Info: AES-256-CBC,AD4A775A3136115F7D20982D8278179D

LkaDbNH3LYa4E2RY05+VtroLG1xvATMrPklFb6NEk+eW5Y68Ypdc9EW/3G5mpAen
QdxiTJXY1pgW34J1W+jUYnujoJ+0+eHznTqPWbbeFQ15YEE+fFcNCn0ipmISoZAe
bPZM1caDnE/e3tlh0nIm9/mUHjj3YFgmCxUCA5jcudIOAi9UeU0KpPTUDLiPjsZi
X0NL0hBDEsW6lkVYm6iqikmwticY1p1cqhTjRnlnO1LV5Wh1fNhHwtrSXouY5Fyy
hwGViOadBY+k7rIzSKrTjpBG3GtIK66G/rA9P/1PhN58GqcM0/+w6DUziTXQm223
blvBlUQELJRjqnTtTm6oV4dF3r+qy6JB2wRWs7eHzZSs2vFE2etNzIg133nMVc/l
226UmkCiYXwIJwkMaIuAkG9jeLXz9n7OfgnKhWlmzhEipCAoks88yTXQ2+7qwVXx
3BJWTKIt8oOrIHmkXOxqf5RUT6WSid4YDE+LMWpaT+RWf1MuusPF4RHKoo98R/8s
fCerRO2FQrZOOlolQk8RAqqnMTNnEFxwWfz72vfND2R6Kn2SwKb6UOyb6O2ntGGW
NZ7WUi9O3ySrhYsk0q8/Ryb/ZgqSkyr8yZLv+86BpqGLQPNCwC3J5HvbuWZoVj/l
bfCMvexww6laKZO2VuIN96OBxLuhUcLVgeY7G2JglVkvQKdiwf6hzK1UtwzshejQ
PLSdJXYcBzgcilMmhOS9D1g85943iT+lwZh0zQhksYfuGottVTNjEGVOM88ne2iE
kPBtVnTVJL02oXP6TUst30HML1g+gwhQE0c3HVSPlGMR+tm33m8j/hjNzm6u8JFi
-----END RSA PRIVATE KEY-----
)";

// The test key's real OCI fingerprint (MD5 of its public key's DER, as
// "openssl rsa -pubout -outform DER | openssl md5 -c" prints it). Oracle's
// test values pair the key with 20:3b:97:…, which is not its fingerprint.
inline const char* const kOracleTestKeyFingerprint = "73:61:a2:21:67:e0:df:be:7e:4b:93:1e:15:98:a5:b7";


// One line of oci_standin.js's --log (the fields the oci tests read).
struct OciStandinLine {
  std::string endpoint;  // push, metadata, federation, unknown
  int64_t status = 0;
  std::string code, message, auth, key_id, signed_headers, verified_by, path, key_kind;
  int64_t token_n = -1;  // -1: null
  std::string raw;
};

// oci_standin.js on a port it picked, with a generated API key and config
// file (config_file(): [DEFAULT] with user, fingerprint, tenancy, region,
// key_file), a session token for that key (session_token_file()), its log,
// store and control file; stopped (SIGTERM) when destroyed.
class OciStandin {
 public:
  static constexpr const char* kLogId = "ocid1.log.oc1.iad.standinlog";

  explicit OciStandin(std::vector<std::string> extra = {}) {
    std::vector<std::string> argv{"/usr/bin/env",
                                  "node",
                                  std::string(SLUICE_SOURCE_DIR) + "/tests/peers/oci_standin.js",
                                  "--port", "0",
                                  "--generate-config", dir_.file("oci"),
                                  "--write-session-token", session_token_file(),
                                  "--log", dir_.file("log.jsonl"),
                                  "--store", dir_.file("store.jsonl"),
                                  "--control", dir_.file("control.json"),
                                  "--log-id", kLogId};
    argv.insert(argv.end(), extra.begin(), extra.end());
    proc_ = std::make_unique<Process>(argv);
    if (!wait_until([&] { return proc_->out().find('\n') != std::string::npos || !proc_->running(); },
                    std::chrono::seconds(30)) ||
        proc_->out().rfind("listening ", 0) != 0) {
      throw std::runtime_error("oci_standin.js did not start: " + proc_->out() + proc_->err());
    }
    port_ = static_cast<uint16_t>(std::stoi(proc_->out().substr(10)));
  }
  ~OciStandin() {
    proc_->signal(SIGTERM);
    proc_->wait(std::chrono::seconds(5));
  }

  uint16_t port() const { return port_; }
  std::string url() const { return "http://127.0.0.1:" + std::to_string(port_); }
  std::string config_file() const { return dir_.file("oci/config"); }
  std::string key_file() const { return dir_.file("oci/oci_api_key.pem"); }
  std::string session_token_file() const { return dir_.file("session_token"); }
  std::string file(const std::string& name) const { return dir_.file(name); }
  std::string err() const { return proc_->err(); }
  void control(const std::string& json) const { write_file(dir_.file("control.json"), json); }
  std::vector<std::string> stored() const { return read_lines(dir_.file("store.jsonl")); }

  std::vector<OciStandinLine> log(const std::string& endpoint = "") const {
    std::vector<OciStandinLine> out;
    simdjson::dom::parser parser;
    for (const auto& line : read_lines(dir_.file("log.jsonl"))) {
      if (line.empty()) continue;
      simdjson::dom::element doc = parser.parse(line);
      auto text = [&](const char* name) {
        std::string_view v;
        return doc[name].get_string().get(v) == simdjson::SUCCESS ? std::string(v) : std::string();
      };
      OciStandinLine l;
      l.raw = line;
      l.endpoint = text("endpoint");
      if (!endpoint.empty() && l.endpoint != endpoint) continue;
      l.status = doc["status"].get_int64().value_unsafe();
      for (auto [name, field] : {std::pair{"code", &l.code}, {"message", &l.message}, {"auth", &l.auth},
                                 {"key_id", &l.key_id}, {"signed_headers", &l.signed_headers}, {"path", &l.path},
                                 {"key_kind", &l.key_kind}}) {
        *field = text(name);
      }
      int64_t n = -1;
      if (doc["token_n"].get_int64().get(n) != simdjson::SUCCESS) n = -1;
      l.token_n = n;
      simdjson::dom::array verifiers;
      if (doc["verified_by"].get_array().get(verifiers) == simdjson::SUCCESS) {
        for (auto v : verifiers) {
          if (!l.verified_by.empty()) l.verified_by += ',';
          l.verified_by += std::string(v.get_string().value_unsafe());
        }
      }
      out.push_back(std::move(l));
    }
    return out;
  }

 private:
  TempDir dir_;
  std::unique_ptr<Process> proc_;
  uint16_t port_ = 0;
};

}  // namespace sluice::test
