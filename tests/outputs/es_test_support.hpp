// Helpers shared by the es output's unit tests: settings from YAML, chunks
// of JSON records, batches.
#pragma once
#include <catch2/catch.hpp>

#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "agent/config/yaml_loader.hpp"
#include "agent/parse/json_format.hpp"
#include "outputs/es/es_bulk_encoder.hpp"
#include "outputs/es/es_settings.hpp"

namespace sluice::es::test {

constexpr int64_t kTime = 1700000000123456789;  // 2023-11-14T22:13:20.123456789Z

inline EsSettings settings_of(const std::string& yaml) {
  return read_es_settings(config::load_component(es_schema(), "output", yaml.empty() ? "{}" : yaml));
}

// Events with their own times.
inline std::shared_ptr<Chunk> chunk_at(const std::string& tag, std::vector<std::pair<int64_t, std::string>> events) {
  auto chunk = std::make_shared<Chunk>(tag);
  auto json = make_json_format();
  for (const auto& [t, text] : events) {
    Value v;
    REQUIRE(json->parse(text, chunk->arena, v));
    chunk->events.push_back(Event{t, v});
  }
  return chunk;
}

inline std::shared_ptr<Chunk> chunk_of(const std::string& tag, std::vector<std::string> records) {
  std::vector<std::pair<int64_t, std::string>> events;
  for (auto& r : records) events.emplace_back(kTime, std::move(r));
  return chunk_at(tag, std::move(events));
}

inline std::vector<EventRef> refs_of(const Chunk& chunk) {
  std::vector<EventRef> refs;
  for (const auto& e : chunk.events) refs.push_back({&chunk.tag, &e});
  return refs;
}

// The body of a single-request encoding of every event of chunk.
inline std::string encode_one(const std::string& yaml, const Chunk& chunk) {
  BulkEncoder encoder(settings_of(yaml).encoder);
  EncodeResult result;
  auto refs = refs_of(chunk);
  encoder.encode(refs, result);
  REQUIRE(result.bodies.size() == 1);
  REQUIRE(result.too_big.empty());
  return result.bodies[0].body;
}

inline std::vector<std::string> lines_of(const std::string& body) {
  std::vector<std::string> lines;
  size_t start = 0;
  while (start < body.size()) {
    size_t nl = body.find('\n', start);
    if (nl == std::string::npos) nl = body.size();
    lines.push_back(body.substr(start, nl - start));
    start = nl + 1;
  }
  return lines;
}

}  // namespace sluice::es::test
