// Helpers of the filesystem buffer's unit tests: chunks from JSON lines, the
// records of a chunk as JSON, a store in a temp directory.
#pragma once
#include <memory>
#include <string>
#include <vector>

#include "agent/json_writer.hpp"
#include "agent/parse/json_format.hpp"
#include "agent/storage/segment_store.hpp"
#include "tests/support/process.hpp"

namespace sluice::test {

inline ChunkPtr chunk_of(const std::string& tag, const std::vector<std::string>& json_lines, int64_t t0 = 1000) {
  auto chunk = std::make_unique<Chunk>(tag, 4096);
  auto json = make_json_format();
  for (size_t i = 0; i < json_lines.size(); ++i) {
    Value v;
    if (!json->parse(json_lines[i], chunk->arena, v)) throw std::runtime_error("bad test JSON: " + json_lines[i]);
    chunk->events.push_back({t0 + static_cast<int64_t>(i), v});
  }
  return chunk;
}

// "tag|time|json" per event.
inline std::vector<std::string> dump(const Chunk& c) {
  std::vector<std::string> out;
  for (const auto& e : c.events) out.push_back(c.tag + "|" + std::to_string(e.time_ns) + "|" + json::to_string(e.record));
  return out;
}

inline storage::StoreOptions store_opts(const TempDir& dir, uint64_t segment_size = 8 * 1024 * 1024) {
  storage::StoreOptions o;
  o.dir = dir.file("in");
  o.quarantine_dir = dir.file("quarantine/in");
  o.instance = "in";
  o.segment_size = segment_size;
  return o;
}

// The "n" field of every chunk the store still has on disk, loading them all.
inline std::vector<int64_t> load_all(storage::SegmentStore& s, uint64_t* quarantined = nullptr) {
  std::vector<int64_t> out;
  std::string problem;
  uint64_t q = 0;
  while (auto l = s.load_next(&problem, &q))
    for (const auto& e : l->chunk->events) out.push_back(e.record.find("n")->as_int());
  if (quarantined != nullptr) *quarantined = q;
  return out;
}

inline ChunkPtr numbered(int n, const std::string& pad = "") {
  return chunk_of("app", {"{\"n\":" + std::to_string(n) + ",\"msg\":\"line " + std::to_string(n) + pad + "\"}"});
}

}  // namespace sluice::test
