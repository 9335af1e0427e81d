// Shared by the lua filter tests: a filter context that captures what the
// filter emits (with a real io_context for its timer), records from JSON,
// and an AckSink that records acknowledgements.
#pragma once
#include <catch2/catch.hpp>

#include <mutex>
#include <map>
#include <set>
#include <string>
#include <vector>

#include "agent/asio.hpp"
#include "agent/config/yaml_loader.hpp"
#include "agent/json_writer.hpp"
#include "agent/parse/parser.hpp"
#include "filters/lua/lua_filter.hpp"

namespace sluice::test {

constexpr int64_t kSec = 1'000'000'000;

class CapturingFilterContext : public FilterContext {
 public:
  boost::asio::io_context& io() override { return io_; }
  void emit(ChunkPtr chunk) override { emitted.push_back(std::move(chunk)); }
  Metrics& metrics() override { return metrics_; }
  const std::string& instance() const override { return instance_; }

  uint64_t counter(std::string_view name) const { return metrics_.value(name, instance_); }
  // Every record emitted so far, as JSON, in order.
  std::vector<std::string> emitted_json() const {
    std::vector<std::string> out;
    for (const auto& c : emitted)
      for (const auto& e : c->events) out.push_back(json::to_string(e.record));
    return out;
  }
  size_t emitted_records() const {
    size_t n = 0;
    for (const auto& c : emitted) n += c->events.size();
    return n;
  }

  std::vector<ChunkPtr> emitted;

 private:
  boost::asio::io_context io_;
  Metrics metrics_;
  std::string instance_ = "lua.0";
};

class RecordingSink : public AckSink {
 public:
  void acknowledged(uint64_t cookie, bool delivered) override {
    std::lock_guard lock(mu);
    (delivered ? ok : failed).insert(cookie);
  }
  bool acked(uint64_t cookie) {
    std::lock_guard lock(mu);
    return ok.count(cookie) > 0;
  }
  bool was_failed(uint64_t cookie) {
    std::lock_guard lock(mu);
    return failed.count(cookie) > 0;
  }
  std::mutex mu;
  std::set<uint64_t> ok, failed;
};

// A lua filter built from YAML (relative script paths start at the source
// tree) and started on a capturing context.
struct LuaHarness {
  explicit LuaHarness(std::string_view yaml, std::string base_dir = SLUICE_SOURCE_DIR,
                      const std::map<std::string, std::string>* env = nullptr)
      : parsers(ParserSet::build({})) {
    BuildContext build;
    build.parsers = &parsers;
    build.base_dir = std::move(base_dir);
    build.env = env;
    filter = make_lua_filter(config::load_component(lua_filter_schema(), "filter", yaml), build);
    filter->start(ctx);
  }

  // A chunk of JSON records, the n-th at time (n+1) seconds.
  ChunkPtr chunk(const std::vector<std::string>& records, const std::string& tag = "app") {
    auto c = std::make_unique<Chunk>(tag);
    int64_t t = kSec;
    for (const auto& text : records) {
      auto parsed = parsers.find("json")->parse(text, c->arena);
      REQUIRE(parsed);
      c->events.push_back(Event{t, parsed->record});
      t += kSec;
    }
    return c;
  }

  // Runs one chunk through the filter; returns its records as JSON.
  std::vector<std::string> run(const std::vector<std::string>& records, const std::string& tag = "app") {
    last = chunk(records, tag);
    filter->filter(*last);
    return json_of(*last);
  }

  static std::vector<std::string> json_of(const Chunk& c) {
    std::vector<std::string> out;
    for (const auto& e : c.events) out.push_back(json::to_string(e.record));
    return out;
  }

  ParserSet parsers;
  CapturingFilterContext ctx;
  std::unique_ptr<Filter> filter;
  ChunkPtr last;
};

// A filter config running `code` (indented into a YAML block) with `call`
// as the record callback, and `extra` YAML keys after it.
inline std::string script_config(std::string_view call, std::string_view code, std::string_view extra = "") {
  std::string yaml = "call: " + std::string(call) + "\ncode: |\n";
  size_t start = 0;
  while (start < code.size()) {
    size_t end = code.find('\n', start);
    if (end == std::string_view::npos) end = code.size();
    yaml += "  " + std::string(code.substr(start, end - start)) + "\n";
    start = end + 1;
  }
  return yaml + std::string(extra);
}

// The same with the callback `cb`, as most tests name it.
inline std::string inline_config(std::string_view code, std::string_view extra = "") {
  return script_config("cb", code, extra);
}

// The ConfigError text a filter config produces ("no error" if it loads).
inline std::string lua_config_error(std::string_view yaml, std::string base_dir = SLUICE_SOURCE_DIR) {
  try {
    LuaHarness h(yaml, std::move(base_dir));
  } catch (const config::ConfigError& e) {
    return e.what();
  }
  return "no error";
}

}  // namespace sluice::test
