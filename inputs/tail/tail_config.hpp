// The tail input's settings: its key declarations and the validated,
// immutable TailInputConfig built from them once at startup.
#pragma once
#include <chrono>
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "agent/input.hpp"
#include "inputs/tail/tail_encoding.hpp"

namespace sluice {

class Parser;
class MultilineParser;
class Regex;

struct TailInputConfig {
  std::vector<std::string> paths;          // glob(3) patterns, absolute
  std::vector<std::string> exclude_paths;  // fnmatch(3) patterns
  std::string tag;                         // may hold one `*`, expanded per file
  // tag_regex: its named captures fill the tag's `<name>`s (then `*` isn't expanded).
  std::shared_ptr<const Regex> tag_regex;
  std::string key = "log";
  bool read_from_head = false;
  bool read_new_from_head = true;  // read_newly_discovered_files_from_head
  // Files last modified longer ago are not followed; 0 = every file.
  std::chrono::nanoseconds ignore_older{0};
  std::chrono::nanoseconds refresh_interval = std::chrono::seconds(60);
  std::chrono::nanoseconds rotate_wait = std::chrono::seconds(5);
  std::chrono::nanoseconds poll_interval = std::chrono::milliseconds(250);
  bool inotify = true;
  std::string db;  // offsets file; "" = offsets kept in memory only
  bool db_sync = true;  // db.sync off: the offsets file is written without fsync
  bool db_compare_filename = false;  // a saved offset is used only under the path it was saved for
  size_t buffer_chunk_size = 32 * 1024;
  size_t buffer_max_size = 32 * 1024;
  bool skip_long_lines = false;
  bool truncate_long_lines = false;  // wins over skip_long_lines
  bool skip_empty_lines = false;
  bool exit_on_eof = false;
  bool file_cache_advise = true;  // drop the pages read from the page cache
  tail::TextEncoding encoding = tail::TextEncoding::Utf8;  // unicode.encoding / generic.encoding
  std::string path_key;
  std::string offset_key;
  const Parser* parser = nullptr;  // owned by the ParserSet, which outlives the input
  bool docker = false;             // multiline.parser docker: decoded by ContainerDecoder
  bool cri = false;                // multiline.parser cri: decoded by ContainerDecoder
  // The other multiline parsers (stack traces, user-defined), in order, for
  // lines that aren't container lines. Owned by the ParserSet.
  std::vector<const MultilineParser*> multiline;
  // multiline: on (Fluent Bit's old mode): the first_line parser made of
  // parser_firstline and parser_N, also listed in `multiline`.
  std::shared_ptr<const MultilineParser> old_multiline;
  // docker_mode: split json-file lines joined back before `parser` reads them.
  bool docker_mode = false;
  std::chrono::nanoseconds docker_mode_flush = std::chrono::seconds(4);
  const Parser* docker_mode_parser = nullptr;  // a line it reads starts a new record
};

const config::PluginSchema& tail_input_schema();

// Validates the semantics the loader can't (known parser, size relations)
// and resolves relative paths against ctx.base_dir. Throws ConfigError.
TailInputConfig make_tail_config(const config::ComponentConfig& cfg, const BuildContext& ctx);

}  // namespace sluice
