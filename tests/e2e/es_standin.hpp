// The Elasticsearch stand-in (tests/peers/es_standin.py) as a test peer:
// started on a free port with its log, store and control files in a test's
// directory. No Elasticsearch can run here; the stand-in is written from the
// _bulk API's specification (see the script's header for its faults).
#pragma once
#include <catch2/catch.hpp>

#include <memory>
#include <string>
#include <vector>

#include "tests/support/net.hpp"
#include "tests/support/process.hpp"

namespace sluice::test {

// Faults are scripted by writing dir/control.json (read again when it changes).
class EsStandIn {
 public:
  EsStandIn(const TempDir& dir, std::vector<std::string> extra = {})
      : dir_(dir), port_(free_tcp_port()) {
    std::vector<std::string> argv = {"/usr/bin/python3", std::string(SLUICE_SOURCE_DIR) + "/tests/peers/es_standin.py",
                                     "--port", std::to_string(port_), "--log", dir.file("standin.log"),
                                     "--store", dir.file("stored.jsonl"), "--control", dir.file("control.json")};
    argv.insert(argv.end(), extra.begin(), extra.end());
    process_ = std::make_unique<Process>(argv);
    bool up = wait_until([&] { return process_->out().find("listening") != std::string::npos; },
                        std::chrono::seconds(30));
    INFO(process_->err());
    REQUIRE(up);
  }
  uint16_t port() const { return port_; }
  // The documents stored, one JSON line each.
  std::vector<std::string> stored() const { return read_lines(dir_.file("stored.jsonl")); }
  // Every item received (one line per action, with its answer status).
  std::vector<std::string> items() const {
    std::vector<std::string> out;
    for (auto& l : read_lines(dir_.file("standin.log")))
      if (l.find("\"item\":") != std::string::npos) out.push_back(l);
    return out;
  }
  std::vector<std::string> requests() const {
    std::vector<std::string> out;
    for (auto& l : read_lines(dir_.file("standin.log")))
      if (l.find("\"target\":") != std::string::npos) out.push_back(l);
    return out;
  }

 private:
  const TempDir& dir_;
  uint16_t port_;
  std::unique_ptr<Process> process_;
};

}  // namespace sluice::test
