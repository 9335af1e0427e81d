// Test harness for the tail input: a temp directory, a hand-made
// InputContext with a capturing emit, and waits bounded by a deadline.
#pragma once
#include <unistd.h>

#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <functional>
#include <string>
#include <vector>

#include "agent/asio.hpp"
#include "agent/config/yaml_loader.hpp"
#include "agent/input.hpp"
#include "agent/parse/parser.hpp"
#include "inputs/tail/tail_input.hpp"

namespace sluice::tail_test {

class TempDir {
 public:
  TempDir() {
    std::string tmpl = (std::filesystem::temp_directory_path() / "sluice-tail-XXXXXX").string();
    if (mkdtemp(tmpl.data()) == nullptr) std::abort();
    path_ = tmpl;
  }
  ~TempDir() {
    std::error_code ec;
    std::filesystem::remove_all(path_, ec);
  }
  std::string operator/(const std::string& name) const { return path_ + "/" + name; }
  const std::string& path() const { return path_; }

 private:
  std::string path_;
};

inline void append(const std::string& path, const std::string& text) {
  std::ofstream out(path, std::ios::app | std::ios::binary);
  out << text;
}

inline void write(const std::string& path, const std::string& text) {
  std::ofstream out(path, std::ios::trunc | std::ios::binary);
  out << text;
}

// The core's side of an input, in memory. Emitted chunks are held (their
// acknowledgement pending) until the test releases or fails them.
class TestContext final : public InputContext {
 public:
  // Chunks go first: releasing them posts acknowledgements to io_.
  ~TestContext() override { chunks.clear(); }
  boost::asio::io_context& io() override { return io_; }
  void emit(ChunkPtr chunk) override { chunks.push_back(std::move(chunk)); }
  bool paused() const override { return paused_; }
  void finished() override { finished_ = true; }
  Metrics& metrics() override { return metrics_; }
  const std::string& instance() const override { return instance_; }

  // Runs the io_context until pred() holds; false on timeout.
  bool run_until(const std::function<bool()>& pred, std::chrono::milliseconds timeout = std::chrono::seconds(5)) {
    auto deadline = std::chrono::steady_clock::now() + timeout;
    while (!pred()) {
      if (std::chrono::steady_clock::now() >= deadline) return false;
      io_.run_for(std::chrono::milliseconds(5));
      if (io_.stopped()) io_.restart();
    }
    return true;
  }
  // Runs the io_context for a while (to show that nothing happens).
  void run_for(std::chrono::milliseconds d) {
    auto deadline = std::chrono::steady_clock::now() + d;
    while (std::chrono::steady_clock::now() < deadline) {
      io_.run_for(std::chrono::milliseconds(5));
      if (io_.stopped()) io_.restart();
    }
  }

  // Every emitted record's value at key, in emission order.
  std::vector<std::string> values(const std::string& key = "log") const {
    std::vector<std::string> out;
    for (const auto& c : chunks)
      for (const auto& e : c->events)
        if (const Value* v = e.record.find(key); v != nullptr && v->is_string()) out.emplace_back(v->as_string());
    return out;
  }
  size_t records() const {
    size_t n = 0;
    for (const auto& c : chunks) n += c->events.size();
    return n;
  }
  // Acknowledges every held chunk as delivered.
  void release() { chunks.clear(); }
  // Acknowledges every held chunk as NOT delivered.
  void fail() {
    for (const auto& c : chunks) c->fail_acks();
    chunks.clear();
  }
  uint64_t metric(const std::string& name) const { return metrics_.value(name, instance_); }

  std::vector<ChunkPtr> chunks;
  bool paused_ = false;
  bool finished_ = false;

 private:
  boost::asio::io_context io_;
  Metrics metrics_;
  std::string instance_ = "tail.0";
};

inline const ParserSet& test_parsers() {
  static const ParserSet set = ParserSet::build({});
  return set;
}

inline config::ComponentConfig tail_config(const std::string& yaml) {
  return config::load_component(tail_input_schema(), "input", yaml);
}

inline std::unique_ptr<Input> make_tail(const std::string& yaml, const std::string& base_dir = "/") {
  BuildContext build{&test_parsers(), base_dir};
  return make_tail_input(tail_config(yaml), build);
}

// Runs the input until `n` records were emitted.
inline bool wait_records(TestContext& ctx, size_t n, std::chrono::milliseconds timeout = std::chrono::seconds(5)) {
  return ctx.run_until([&] { return ctx.records() >= n; }, timeout);
}

inline std::vector<std::string> lines(std::initializer_list<const char*> l) { return {l.begin(), l.end()}; }

}  // namespace sluice::tail_test
