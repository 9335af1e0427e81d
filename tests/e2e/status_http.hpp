// Reading sluice's built-in HTTP server (service.http_server) from a test:
// requests through curl, and the Prometheus text parsed into values.
#pragma once
#include <catch2/catch.hpp>

#include <map>
#include <regex>
#include <sstream>
#include <string>

#include "tests/support/process.hpp"

namespace sluice::test {

struct HttpGet {
  int status = 0;  // 0: no answer
  std::string body;
  std::string headers;  // the answer's head, when asked for
};

// One request with curl (5 s at most); method "HEAD" sends a HEAD request.
inline HttpGet http_request(uint16_t port, const std::string& method, const std::string& path,
                            bool with_headers = false) {
  std::vector<std::string> argv{"/usr/bin/curl", "-s", "-m", "5", "-o", "-", "-w", "\n%{http_code}"};
  if (method == "HEAD") argv.push_back("-I");
  else argv.insert(argv.end(), {"-X", method});
  if (with_headers && method != "HEAD") argv.push_back("-i");
  argv.push_back("http://127.0.0.1:" + std::to_string(port) + path);
  Process curl(argv);
  if (curl.wait(std::chrono::seconds(10)) != 0) return {};
  std::string out = curl.out();
  size_t nl = out.rfind('\n');
  HttpGet got{std::stoi(out.substr(nl + 1)), out.substr(0, nl), {}};
  if (with_headers || method == "HEAD") {
    size_t end = got.body.find("\r\n\r\n");
    got.headers = got.body.substr(0, end);
    got.body = end == std::string::npos ? "" : got.body.substr(end + 4);
  }
  return got;
}

inline HttpGet http_get(uint16_t port, const std::string& path) { return http_request(port, "GET", path); }

// Prometheus text format 0.0.4 as sluice writes it: "# HELP name text" and
// "# TYPE name kind" lines, then `name{label="value"} number` samples. Every
// sample line must parse and follow its family's TYPE line; the result maps
// "name{label=\"value\"}" (as written, escapes included) to its value.
inline std::map<std::string, double> parse_prometheus(const std::string& text) {
  static const std::regex help_re(R"(# HELP ([a-zA-Z_:][a-zA-Z0-9_:]*) .+)");
  static const std::regex type_re(R"(# TYPE ([a-zA-Z_:][a-zA-Z0-9_:]*) (counter|gauge))");
  static const std::regex sample_re(
      R"(([a-zA-Z_:][a-zA-Z0-9_:]*)(\{[a-zA-Z_][a-zA-Z0-9_]*="(?:[^"\\]|\\.)*"\}) ([0-9]+(\.[0-9]+)?))");
  std::map<std::string, double> values;
  std::string typed;  // the name of the last TYPE line
  std::istringstream in(text);
  std::string line;
  while (std::getline(in, line)) {
    INFO("line: " << line);
    std::smatch m;
    if (std::regex_match(line, m, help_re)) continue;
    if (std::regex_match(line, m, type_re)) {
      typed = m[1];
      continue;
    }
    REQUIRE(std::regex_match(line, m, sample_re));
    CHECK(m[1] == typed);
    values[m[1].str() + m[2].str()] = std::stod(m[3]);
  }
  return values;
}

}  // namespace sluice::test
