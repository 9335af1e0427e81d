// A node stand-in from tests/peers (cloudwatch_standin.js, google_standin.js)
// as a test peer: started with --port 0 and its log, store and control files
// in a test's directory; ready once it printed "listening <port>".
#pragma once
#include <catch2/catch.hpp>

#include <algorithm>
#include <memory>
#include <regex>
#include <string>
#include <vector>

#include "tests/support/process.hpp"

namespace sluice::test {

class NodeStandIn {
 public:
  NodeStandIn(const TempDir& dir, const std::string& script, std::vector<std::string> extra)
      : log_(dir.file(script + ".log")), store_(dir.file(script + ".store")), control_(dir.file(script + ".control")) {
    std::vector<std::string> argv = {"/usr/bin/env", "node", std::string(SLUICE_SOURCE_DIR) + "/tests/peers/" + script,
                                     "--port", "0", "--log", log_, "--store", store_, "--control", control_};
    argv.insert(argv.end(), extra.begin(), extra.end());
    process_ = std::make_unique<Process>(argv);
    static const std::regex listening("listening (\\d+)");
    std::smatch m;
    bool up = wait_until([&] {
      std::string out = process_->out();
      if (!std::regex_search(out, m, listening)) return !process_->running();
      port_ = static_cast<uint16_t>(std::stoi(m[1]));
      return true;
    }, std::chrono::seconds(30));
    INFO(process_->err());
    REQUIRE(up);
    // A stand-in given --path listens on that unix socket, and says port 0.
    if (std::find(extra.begin(), extra.end(), "--path") == extra.end()) REQUIRE(port_ != 0);
  }
  uint16_t port() const { return port_; }
  std::string url() const { return "http://127.0.0.1:" + std::to_string(port_); }
  std::vector<std::string> log() const { return read_lines(log_); }
  std::vector<std::string> store() const { return read_lines(store_); }
  // Faults for the next requests: {"faults":[...]} (read again when it changes).
  void control(const std::string& json) const { write_file(control_, json); }
  std::string err() const { return process_->err(); }

 private:
  std::string log_, store_, control_;
  uint16_t port_ = 0;
  std::unique_ptr<Process> process_;
};

// How many lines hold text.
inline size_t count_with(const std::vector<std::string>& lines, const std::string& text) {
  size_t n = 0;
  for (const auto& l : lines) n += l.find(text) != std::string::npos;
  return n;
}

}  // namespace sluice::test
