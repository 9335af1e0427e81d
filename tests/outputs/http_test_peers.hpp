// Real HTTP peers for tests of HTTP outputs: nginx (Debian's nginx-light)
// with a generated config, the python3 stand-ins in tests/peers, and a
// helper that runs one HTTP client exchange on a test's io_context.
// Header-only so that any output's test can include it.
#pragma once
#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <simdjson.h>

#include <chrono>
#include <cstdlib>
#include <map>
#include <memory>
#include <optional>
#include <stdexcept>
#include <string>
#include <vector>

#include "outputs/common/http_client.hpp"
#include "tests/support/net.hpp"
#include "tests/support/process.hpp"

namespace sluice::test {

// nginx in the foreground (master_process off: one process, no user switch,
// so it also runs as root) with its files in a temp dir. server_body is the
// text inside `server { }` after the listen line; ssl adds `ssl` to listen
// and the PKI's server certificate.
class NginxPeer {
 public:
  NginxPeer(const std::string& server_body, const TestPki* pki = nullptr, const std::string& http_extra = "")
      : port_(free_tcp_port()) {
    std::string d = dir_.path();
    std::string conf = "master_process off;\nerror_log " + d + "/error.log info;\n";
    conf += "events { worker_connections 256; }\nhttp {\n  access_log " + d + "/access.log;\n";
    for (const char* t : {"client_body", "proxy", "fastcgi", "uwsgi", "scgi"})
      conf += "  " + std::string(t) + "_temp_path " + d + "/" + t + ";\n";
    conf += http_extra;
    conf += "  server {\n    listen 127.0.0.1:" + std::to_string(port_) + (pki ? " ssl" : "") + ";\n";
    if (pki) conf += "    ssl_certificate " + pki->server_crt + ";\n    ssl_certificate_key " + pki->server_key + ";\n";
    conf += server_body + "\n  }\n}\n";
    write_file(d + "/nginx.conf", conf);
    proc_ = std::make_unique<Process>(std::vector<std::string>{
        "/usr/sbin/nginx", "-p", d, "-c", d + "/nginx.conf", "-g", "daemon off; pid " + d + "/nginx.pid;"});
    if (!wait_until([&] { return port_open(port_) || !proc_->running(); }, std::chrono::seconds(20)) ||
        !proc_->running()) {
      throw std::runtime_error("nginx did not start: " + proc_->err() + read_file(d + "/error.log"));
    }
  }
  uint16_t port() const { return port_; }
  std::string error_log() const { return read_file(dir_.path() + "/error.log"); }

 private:
  TempDir dir_;
  uint16_t port_;
  std::unique_ptr<Process> proc_;
};

// A python3 peer from tests/peers ("http_sink.py", ...) started with
// --port and extra args; ready once it printed "listening".
class PythonPeer {
 public:
  PythonPeer(const std::string& script, std::vector<std::string> args) : port_(free_tcp_port()) {
    std::vector<std::string> argv{"/usr/bin/env", "python3", std::string(SLUICE_SOURCE_DIR) + "/tests/peers/" + script,
                                  "--port", std::to_string(port_)};
    argv.insert(argv.end(), args.begin(), args.end());
    proc_ = std::make_unique<Process>(argv);
    if (!wait_until([&] { return proc_->out().find("listening") != std::string::npos || !proc_->running(); },
                    std::chrono::seconds(20)) ||
        !proc_->running()) {
      throw std::runtime_error(script + " did not start: " + proc_->err());
    }
  }
  uint16_t port() const { return port_; }
  std::string err() const { return proc_->err(); }

 private:
  uint16_t port_;
  std::unique_ptr<Process> proc_;
};

// One test PKI for the whole test program (making one costs a few RSA keys).
inline const TestPki& shared_test_pki() {
  static TempDir dir;
  static TestPki pki = make_test_pki(dir.path());
  return pki;
}

// Sends requests on client (all at once) and runs io until every answer is
// in (bounded by a 30 s deadline); returns the answers in request order.
inline std::vector<http::Response> exchange_all(boost::asio::io_context& io, http::Client& client,
                                                std::vector<http::Request> requests) {
  std::vector<http::Response> answers(requests.size());
  size_t pending = requests.size();
  for (size_t i = 0; i < requests.size(); ++i) {
    client.send(std::move(requests[i]), [&answers, &pending, i](http::Response r) {
      answers[i] = std::move(r);
      --pending;
    });
  }
  auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(30);
  io.restart();
  while (pending > 0 && std::chrono::steady_clock::now() < deadline) io.run_one_for(std::chrono::milliseconds(50));
  if (pending > 0) throw std::runtime_error("no answer within 30 s");
  return answers;
}

inline http::Response exchange(boost::asio::io_context& io, http::Client& client, http::Request request) {
  std::vector<http::Request> one;
  one.push_back(std::move(request));
  return std::move(exchange_all(io, client, std::move(one)).front());
}

inline http::Request get(std::string target) {
  http::Request r;
  r.method = "GET";
  r.target = std::move(target);
  return r;
}

// One request as http_sink.py recorded it.
struct SinkRequest {
  int64_t conn = 0;  // connection number: equal numbers = one kept-alive connection
  std::string method;
  std::string path;
  std::map<std::string, std::string> headers;  // names as sent
  std::string body;                            // gunzipped when it was gzip
  int64_t raw_length = 0;                      // bytes on the wire
  int64_t status = 0;                          // the status answered (/controlled only; else 0)
  std::string header(const std::string& name) const {
    auto it = headers.find(name);
    return it == headers.end() ? "" : it->second;
  }
};

inline std::vector<SinkRequest> sink_requests(const std::string& out_file) {
  std::vector<SinkRequest> out;
  simdjson::dom::parser parser;
  for (const auto& line : read_lines(out_file)) {
    if (line.empty()) continue;
    simdjson::dom::element doc = parser.parse(line);
    SinkRequest r;
    r.conn = int64_t(doc["conn"]);
    r.method = std::string(std::string_view(doc["method"]));
    r.path = std::string(std::string_view(doc["path"]));
    r.body = std::string(std::string_view(doc["body"]));
    r.raw_length = int64_t(doc["raw_length"]);
    int64_t status = 0;
    if (doc["status"].get(status) == simdjson::SUCCESS) r.status = status;
    for (auto field : simdjson::dom::object(doc["headers"]))
      r.headers[std::string(field.key)] = std::string(std::string_view(field.value));
    out.push_back(std::move(r));
  }
  return out;
}

// Sets (or, with nullptr, unsets) an environment variable for one scope.
class ScopedEnv {
 public:
  ScopedEnv(const char* name, const char* value) : name_(name) {
    if (const char* old = std::getenv(name)) old_ = old;
    if (value) ::setenv(name, value, 1);
    else ::unsetenv(name);
  }
  ~ScopedEnv() {
    if (old_) ::setenv(name_, old_->c_str(), 1);
    else ::unsetenv(name_);
  }

 private:
  const char* name_;
  std::optional<std::string> old_;
};

}  // namespace sluice::test
