// The multiline filter's settings, validated once at build time.
#pragma once
#include <chrono>
#include <cstdint>
#include <string>
#include <vector>

#include "agent/input.hpp"
#include "agent/parse/multiline_parser.hpp"

namespace sluice {

struct MultilineFilterConfig {
  bool partial_message = false;  // mode partial_message: join a runtime's partial records by partial_id
  std::vector<const MultilineParser*> parsers;  // owned by the ParserSet, which outlives the filter
  std::string key_content;                      // "" = each parser's, else "log"; partial_message: required
  bool buffer = true;                           // off: join within each chunk only
  std::chrono::milliseconds flush_ms{2000};
  uint64_t mem_buf_limit = 10 * 1024 * 1024;    // emitter_mem_buf_limit: most held in open records
};

// Throws config::ConfigError at the offending key.
MultilineFilterConfig make_multiline_filter_config(const config::ComponentConfig& cfg, const BuildContext& ctx);

}  // namespace sluice
