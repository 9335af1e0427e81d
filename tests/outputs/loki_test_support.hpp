// Helpers the loki output's unit tests share: records from JSON text, rules
// from YAML, a built PushBatch.
#pragma once
#include <catch2/catch.hpp>

#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "agent/config/yaml_loader.hpp"
#include "agent/parse/json_format.hpp"
#include "outputs/loki/loki_output.hpp"
#include "outputs/loki/loki_settings.hpp"
#include "outputs/loki/loki_streams.hpp"

namespace sluice::loki_test {

using namespace sluice::loki;

// Events (time, JSON record) in one chunk.
inline std::shared_ptr<Chunk> chunk_of(std::initializer_list<std::pair<int64_t, const char*>> events) {
  auto chunk = std::make_shared<Chunk>("app");
  auto json = make_json_format();
  for (auto [t, text] : events) {
    Value v;
    REQUIRE(json->parse(text, chunk->arena, v));
    chunk->events.push_back(Event{t, v});
  }
  return chunk;
}

inline StreamRules rules_from(const std::string& yaml) {
  return read_stream_rules(config::load_component(loki_output_schema(), "output", yaml.empty() ? "{}" : yaml),
                           BuildContext{});
}

// Builds the push batch of a chunk's events with the rules of a YAML config.
struct Built {
  explicit Built(const std::string& yaml, std::shared_ptr<Chunk> c) : rules(rules_from(yaml)), chunk(std::move(c)) {
    PushBatchBuilder builder(rules);
    for (const auto& e : chunk->events) builder.add(e);
    batch = builder.finish();
  }
  std::string line(size_t i) const { return std::string(batch.view(batch.entries[i].line)); }
  std::vector<std::string> lines() const {
    std::vector<std::string> out;
    for (size_t i = 0; i < batch.entries.size(); ++i) out.push_back(line(i));
    return out;
  }
  std::vector<std::pair<std::string, std::string>> metadata(size_t i) const {
    std::vector<std::pair<std::string, std::string>> out;
    const auto& e = batch.entries[i];
    for (uint32_t k = 0; k < e.meta_count; ++k) {
      const auto& p = batch.metadata[e.meta_begin + k];
      out.emplace_back(batch.view(p.name), batch.view(p.value));
    }
    return out;
  }
  StreamRules rules;
  std::shared_ptr<Chunk> chunk;
  PushBatch batch;
};

}  // namespace sluice::loki_test
