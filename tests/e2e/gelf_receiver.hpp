// tests/peers/gelf_receiver.js as a test peer: a real GELF server (graygelf
// for UDP; node listeners for TCP, TLS and HTTP) that appends each message
// it received to a JSON-lines file.
#pragma once
#include <catch2/catch.hpp>

#include <chrono>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "tests/support/process.hpp"

namespace sluice::test {

// The receiver (listeners: "udp", "tcp", "tls", "http"), killed and reaped
// with its Process.
struct GelfReceiver {
  GelfReceiver(const TempDir& dir, const std::vector<std::string>& listeners, std::vector<std::string> extra = {})
      : out(dir.file("received.jsonl")), datagrams(dir.file("datagrams.jsonl")) {
    std::vector<std::string> argv = {"/usr/bin/env", "node", std::string(SLUICE_SOURCE_DIR) + "/tests/peers/gelf_receiver.js",
                                     "--out", out, "--datagrams", datagrams};
    for (const auto& l : listeners) argv.push_back("--" + l);
    argv.insert(argv.end(), extra.begin(), extra.end());
    process = std::make_unique<Process>(argv);
    bool up = wait_until([&] { return process->out().find('\n') != std::string::npos; }, std::chrono::seconds(20));
    INFO(process->err());
    REQUIRE(up);
    // "listening udp=P tcp=P tls=P"
    std::string line = process->out();
    for (const auto& l : listeners) {
      auto at = line.find(l + "=");
      REQUIRE(at != std::string::npos);
      ports[l] = static_cast<uint16_t>(std::stoi(line.substr(at + l.size() + 1)));
    }
  }
  size_t lines() const { return read_lines(out).size(); }

  std::string out, datagrams;
  std::map<std::string, uint16_t> ports;
  std::unique_ptr<Process> process;
};

}  // namespace sluice::test
