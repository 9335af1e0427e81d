// Turns a file's lines into a chunk's events: {key: line} (plus path_key /
// offset_key), a parser's record, or a decoded Docker/CRI line. Main thread.
#pragma once
#include <cstdint>
#include <string_view>
#include <vector>

#include "agent/chunk.hpp"
#include "agent/parse/multiline_stream.hpp"
#include "agent/record.hpp"
#include "inputs/tail/container_format.hpp"
#include "inputs/tail/tail_config.hpp"
#include "inputs/tail/tail_metrics.hpp"

namespace sluice::tail {

// One per chunk being built: the keys are copied into its arena once, so
// records don't point into config memory that may die before the chunk.
// As a MultilineSink it adds the records a multiline stream hands out.
class RecordMaker final : public MultilineSink {
 public:
  RecordMaker(const TailInputConfig& cfg, TailMetrics& metrics, Chunk& chunk, std::string_view path,
              std::vector<Member>& scratch, int64_t now_ns);

  // line must live in the chunk's arena, unless borrow_lines() was called. A
  // line neither the container decoder nor the multiline stream takes is a
  // record of its own.
  void add_line(std::string_view line, uint64_t offset, ContainerDecoder* decoder, MultilineStream* ml);
  // Lines given to add_line from now on live in the caller's buffer: each is
  // copied into the chunk only when it is kept as text, so a parsed line's
  // raw text doesn't stay in the chunk beside its record. Not with a
  // container decoder or a multiline stream (they keep views of lines).
  void borrow_lines() { borrowed_ = true; }
  void add_container(const ContainerRecord& r);
  void joined(MultilineRecord& r) override;

 private:
  // source_first: path_key and offset_key before the line (else after).
  void add_plain(std::string_view line, uint64_t offset, bool source_first);
  void add_source(MapBuilder& b, uint64_t offset);
  void add_source(Value& record, uint64_t offset);

  const TailInputConfig& cfg_;
  TailMetrics& metrics_;
  Chunk& chunk_;
  std::vector<Member>& scratch_;
  int64_t now_ns_;
  std::string_view key_;
  std::string_view path_key_;
  std::string_view offset_key_;
  Value path_;
  std::string_view file_;  // for log lines
  bool borrowed_ = false;
};

}  // namespace sluice::tail
