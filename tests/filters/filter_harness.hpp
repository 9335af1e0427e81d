// For the filter tests: builds a filter from YAML and runs it on one chunk
// of JSON records, with a FilterContext that has no pipeline behind it;
// records go in and come out as compact JSON.
#pragma once
#include <catch2/catch.hpp>

#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "agent/asio.hpp"
#include "agent/config/yaml_loader.hpp"
#include "agent/filter.hpp"
#include "agent/json_writer.hpp"
#include "agent/metrics.hpp"
#include "agent/parse/json_format.hpp"
#include "tests/support/process.hpp"

namespace sluice::testing {

using Lines = std::vector<std::string>;
using FilterFactory = std::unique_ptr<Filter> (*)(const config::ComponentConfig&, const BuildContext&);

class FakeFilterContext : public FilterContext {
 public:
  explicit FakeFilterContext(std::string instance) : instance_(std::move(instance)) {}
  boost::asio::io_context& io() override { return io_; }
  void emit(ChunkPtr chunk) override { emitted.push_back(std::move(chunk)); }
  Metrics& metrics() override { return metrics_; }
  const std::string& instance() const override { return instance_; }
  uint64_t counter(std::string_view name) const { return metrics_.value(name, instance_); }
  std::vector<ChunkPtr> emitted;

 private:
  boost::asio::io_context io_;
  Metrics metrics_;
  std::string instance_;
};

struct FilterHarness {
  FilterHarness(const config::PluginSchema& schema, FilterFactory make, std::string_view yaml)
      : ctx(std::string(schema.name) + ".0") {
    filter = make(config::load_component(schema, "filter", yaml), BuildContext{});
    filter->start(ctx);
  }
  // Filters one chunk of these JSON records; returns what is left, as JSON.
  Lines run(const Lines& records) {
    Chunk chunk("app");
    auto json = make_json_format();
    int64_t t = 0;
    for (const auto& text : records) {
      Value v;
      REQUIRE(json->parse(text, chunk.arena, v));
      chunk.events.push_back(Event{++t, v});
    }
    filter->filter(chunk);
    Lines out;
    for (const auto& e : chunk.events) out.push_back(json::to_string(e.record));
    return out;
  }
  FakeFilterContext ctx;
  std::unique_ptr<Filter> filter;
};

// The configuration error building the filter from this YAML gives, or "no error".
inline std::string config_error(const config::PluginSchema& schema, FilterFactory make, std::string_view yaml) {
  try {
    FilterHarness h(schema, make, yaml);
  } catch (const config::ConfigError& e) {
    return e.what();
  }
  return "no error";
}

// A Fluent Bit classic file with a dummy input, this [FILTER] section's
// lines (after Name and Match) and a null output, loaded as sluice loads it:
// the filter's configuration.
inline config::ComponentConfig classic_filter(std::string_view name, std::string_view lines) {
  test::TempDir dir;
  test::write_file(dir.file("fluent-bit.conf"),
                   "[INPUT]\n    Name dummy\n    Tag app\n[FILTER]\n    Name " + std::string(name) +
                       "\n    Match *\n" + std::string(lines) + "[OUTPUT]\n    Name null\n    Match *\n");
  config::PipelineConfig cfg = config::load_file(dir.file("fluent-bit.conf"));
  REQUIRE(cfg.filters.size() == 1);
  CHECK(cfg.filters[0].plugin() == name);
  return cfg.filters[0];
}

}  // namespace sluice::testing
