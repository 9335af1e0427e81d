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
#include "tests/support/input_context.hpp"

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

// The core's side of an input, in memory.
class TestContext final : public test::FakeInputContext {
 public:
  TestContext() : FakeInputContext("tail.0") {}
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
