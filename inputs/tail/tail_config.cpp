// Key declarations and validation of the tail input; see tail_config.hpp.
#include "inputs/tail/tail_config.hpp"

#include <algorithm>
#include <filesystem>

#include "agent/ascii_case.hpp"
#include "agent/join.hpp"
#include "agent/log.hpp"
#include "agent/config/compat_keys.hpp"
#include "agent/parse/parser.hpp"
#include "agent/regex.hpp"

namespace sluice {

using config::KeyType;

// Fluent Bit keys that mean nothing for sluice's tail: accepted, and setting
// one logs what sluice does instead.
using config::compat_note;

const config::PluginSchema& tail_input_schema() {
  static const config::PluginSchema schema{
      "tail",
      "Follows files matching globs line by line, through rotation and restarts; "
      "an offset is committed only after every output delivered the lines before it.",
      {
          {"path", KeyType::List, "",
           "Files to follow: one or more glob(3) patterns (comma-separated or a list); relative to the "
           "config file's directory.",
           true},
          {"exclude_path", KeyType::List, "",
           "Patterns (fnmatch, on the full path) of matching files to leave alone, e.g. `*.gz,*.zip`."},
          {"key", KeyType::String, "log", "Record key that holds each line when no parser is set."},
          {"tag_regex", KeyType::String, "",
           "A regex on each file's path whose named captures fill `<name>` in `tag` "
           "(`kube.<namespace>.<pod>`); a capture that didn't match gives `_`."},
          {"read_from_head", KeyType::Bool, "off",
           "For files found at startup with no offset in `db`: read from the start instead of the end."},
          {"read_newly_discovered_files_from_head", KeyType::Bool, "on",
           "Files that appear after start are read from their start; off: from their end."},
          {"ignore_older", KeyType::Duration, "",
           "Leave alone files last modified longer ago than this (`10m`, `1h`, `2d`); one that is written "
           "again is followed from where it was then. Unset: every file."},
          {"refresh_interval", KeyType::Duration, "60s",
           "How often the globs are expanded again to find new files (inotify also reports them at once), "
           "and followed files checked for changes inotify may have missed."},
          {"rotate_wait", KeyType::Duration, "5s",
           "A rotated file is let go once it was read to its end, every line of it was delivered, and it "
           "hasn't grown for this long. It is never abandoned before its end."},
          {"poll_interval", KeyType::Duration, "250ms",
           "How often followed files are checked for growth, truncation and rotation when inotify is off "
           "or can't watch a file, and while a rotated file waits for rotate_wait. With inotify the input "
           "doesn't poll otherwise: it wakes only for events (and refresh_interval)."},
          {"inotify_watcher", KeyType::Bool, "on", "Use inotify to hear about changes at once (else poll only)."},
          compat_note("ignore_active_older_files", KeyType::Bool,
                          "sluice applies ignore_older when it finds a file; a file it follows is followed until "
                          "it is rotated away or deleted, however long it stays unwritten."),
          compat_note("progress_check_interval", KeyType::Duration,
                          "sluice checks followed files for changes inotify missed every refresh_interval, and "
                          "polls them every poll_interval where inotify can't watch."),
          compat_note("progress_check_interval_nsec", KeyType::Int,
                          "sluice checks followed files for changes inotify missed every refresh_interval, and "
                          "polls them every poll_interval where inotify can't watch."),
          compat_note("watcher_interval", KeyType::Duration,
                          "sluice notices a rotated file (a symlink pointing elsewhere too) through inotify and "
                          "at the latest every refresh_interval (poll_interval without inotify)."),
          {"db", KeyType::String, "",
           "Offsets file: where each file was delivered up to, so a restart resumes there. Written "
           "atomically. Unset: offsets are kept in memory only."},
          {"db.sync", KeyType::String, "normal",
           "`normal`, `full` and `extra`: each write of the offsets file is synced to disk (fsync); `off`: "
           "not synced, faster, and a power loss may take back offsets (lines are read again).",
           false, false, {"extra", "full", "normal", "off"}},
          {"db.compare_filename", KeyType::Bool, "off",
           "At start, use an offset saved in `db` only if it was saved under the same path (not only the same "
           "inode): a new file that reuses a deleted file's inode, or a file renamed while sluice was stopped, "
           "is then read as a new file."},
          compat_note("db.journal_mode", KeyType::String,
                          "sluice's offsets file is a small text file replaced atomically (write, fsync, rename); "
                          "it has no journal."),
          compat_note("db.locking", KeyType::Bool,
                          "sluice's offsets file is read once at start and replaced atomically; nothing locks it."),
          {"buffer_chunk_size", KeyType::Size, "32k", "Initial size of a file's line buffer."},
          {"buffer_max_size", KeyType::Size, "32k",
           "Longest line; a longer one is emitted in pieces of this size (or skipped with skip_long_lines, or "
           "truncated with truncate_long_lines), counted and warned about."},
          {"skip_long_lines", KeyType::Bool, "off",
           "Skip lines longer than buffer_max_size whole instead of emitting them in pieces."},
          {"truncate_long_lines", KeyType::Bool, "off",
           "Keep the first buffer_max_size bytes of a longer line and drop the rest (wins over "
           "skip_long_lines)."},
          {"skip_empty_lines", KeyType::Bool, "off", "Drop empty lines."},
          compat_note("static_batch_size", KeyType::Size,
                          "sluice reads at most 256 KiB of any file (old or new) per turn, then lets the other "
                          "files and inputs have theirs."),
          {"file_cache_advise", KeyType::Bool, "on",
           "Tell the kernel that pages read won't be needed again (posix_fadvise DONTNEED), so following big "
           "files doesn't fill the page cache."},
          {"unicode.encoding", KeyType::String, "",
           "The files are UTF-16: `UTF-16LE`, `UTF-16BE`, or `auto` (a byte order mark, else the NUL bytes of "
           "the first character, decide per file; UTF-8 otherwise). Lines are converted to UTF-8."},
          {"generic.encoding", KeyType::String, "",
           "The files are in a single-byte encoding: `Win1252` (CP1252), `ISO-8859-1` (latin1) or "
           "`ISO-8859-15` (latin9). Lines are converted to UTF-8."},
          {"exit_on_eof", KeyType::Bool, "off",
           "Read every file to its end (a last line without newline too), then finish; for batch jobs, "
           "benchmarks and tests."},
          {"path_key", KeyType::String, "", "If set, adds the file's path to each record under this key."},
          {"offset_key", KeyType::String, "", "If set, adds each line's byte offset in its file under this key."},
          {"parser", KeyType::String, "", "Name of a parser applied to each line while reading."},
          {"docker_mode", KeyType::Bool, "off",
           "Docker json-file lines split by Docker (a `log` without its final newline) are joined back into "
           "one line before `parser` reads it (usually `parser: docker`). Not with multiline.parser."},
          {"docker_mode_flush", KeyType::Duration, "4s",
           "How long a split line waits for its next part before it goes out as it is."},
          {"docker_mode_parser", KeyType::String, "",
           "A parser that recognises the first line of a record: json-file lines it can't read are joined to "
           "the line before (stack traces)."},
          {"multiline", KeyType::Bool, "off",
           "Fluent Bit's old multiline mode: a line `parser_firstline` reads starts a record, the lines after "
           "it are joined to its last field (when it is text) or add the fields a `parser_N` reads. "
           "Not with multiline.parser (prefer it) or docker_mode."},
          {"parser_firstline", KeyType::String, "",
           "With `multiline: on`: the parser that recognises a record's first line."},
          {"parser_*", KeyType::String, "",
           "With `multiline: on` (`parser_1`, `parser_2`, ...): parsers tried in the config's order on a line "
           "that isn't a first line; the first that reads it adds its fields to the open record."},
          {"multiline_flush", KeyType::Duration, "4s",
           "With `multiline: on`: how long an open record waits for its next line before it is sent on."},
          {"multiline.parser", KeyType::List, "",
           "Multiline parsers, tried in order on each line: `docker` (json-file lines) and `cri` decode "
           "container logs and join partial lines; `go`, `java`, `python`, `ruby` and `multiline_parsers` "
           "entries join a stack trace's lines into one record. A line waiting in an open record is not "
           "committed until that record is delivered."},
      }};
  return schema;
}

namespace {

std::string absolute_from(const std::string& base_dir, const std::string& p) {
  std::filesystem::path path(p);
  if (path.is_absolute() || base_dir.empty()) return std::filesystem::absolute(path).lexically_normal().string();
  return std::filesystem::absolute(std::filesystem::path(base_dir) / path).lexically_normal().string();
}

std::string known_parsers(const ParserSet* set) {
  std::string out;
  if (set != nullptr) {
    for (const auto& n : set->names()) out += (out.empty() ? "" : ", ") + n;
  }
  return out.empty() ? "(none)" : out;
}

void read_multiline(const config::ComponentConfig& cfg, const BuildContext& ctx, TailInputConfig& c) {
  if (!cfg.has("multiline.parser")) return;
  const ParserSet& parsers = ctx.parsers != nullptr ? *ctx.parsers : builtin_parser_set();
  for (const auto& name : cfg.get_list("multiline.parser")) {
    const MultilineParser* p = parsers.find_multiline(name);
    if (p == nullptr) {
      cfg.fail("multiline.parser", "unknown multiline parser '" + name + "'; known: " +
                                       join(parsers.multiline_names()));
    }
    // The built-in container formats are decoded (and their partial lines
    // joined) by ContainerDecoder: it reads Docker's JSON and CRI's prefix.
    if (p->options().builtin && name == "docker") {
      c.docker = true;
    } else if (p->options().builtin && name == "cri") {
      c.cri = true;
    } else if (std::find(c.multiline.begin(), c.multiline.end(), p) == c.multiline.end()) {
      c.multiline.push_back(p);
    }
  }
  if (c.parser != nullptr) {
    cfg.fail("parser",
             "can't be combined with multiline.parser (each line goes to the multiline parsers); give a "
             "multiline parser a `parser`, or parse the joined `log` with a parser filter");
  }
}

// Fluent Bit's old multiline mode (multiline, parser_firstline, parser_N,
// multiline_flush), made a first_line multiline parser this input owns.
void read_old_multiline(const config::ComponentConfig& cfg, const BuildContext& ctx, TailInputConfig& c) {
  std::vector<std::pair<config::Mark, std::string>> continuation;  // parser_N keys, in the config's order
  for (const auto& [key, setting] : cfg.settings()) {
    if (!key.starts_with("parser_") || key == "parser_firstline") continue;
    // Fluent Bit takes any parser_ suffix; a number only here, so that a misspelt parser_firstline is caught.
    if (key.find_first_not_of("0123456789", 7) != std::string::npos)
      cfg.fail(key, "unknown key; expected parser_firstline or parser_N with a number N (parser_1, parser_2, ...)");
    continuation.emplace_back(cfg.mark_of(key), key);
  }
  bool on = cfg.get_bool("multiline");
  if (!on) {
    for (const char* key : {"parser_firstline", "multiline_flush"})
      if (cfg.has(key)) cfg.fail(key, "needs multiline: on (Fluent Bit's old multiline mode)");
    if (!continuation.empty()) cfg.fail(continuation.front().second, "needs multiline: on (Fluent Bit's old multiline mode)");
    return;
  }
  if (cfg.has("multiline.parser"))
    cfg.fail("multiline", "can't be combined with multiline.parser; use one of them (multiline.parser is Fluent "
                          "Bit's newer way)");
  if (cfg.get_bool("docker_mode")) cfg.fail("multiline", "can't be combined with docker_mode");
  const ParserSet& parsers = ctx.parsers != nullptr ? *ctx.parsers : builtin_parser_set();
  auto find = [&](std::string_view key) {
    std::string name = cfg.get_string(key);
    const Parser* p = parsers.find(name);
    if (p == nullptr) cfg.fail(key, "unknown parser '" + name + "'; known parsers: " + join(parsers.names()));
    return p;
  };
  if (!cfg.has("parser_firstline") || cfg.get_string("parser_firstline").empty())
    cfg.fail("multiline", "multiline: on needs parser_firstline (the parser that reads a record's first line)");
  MultilineParser::Options o;
  o.type = MultilineParser::Type::FirstLine;
  o.parser = find("parser_firstline");
  std::sort(continuation.begin(), continuation.end(), [](const auto& a, const auto& b) {
    return std::pair(a.first.line, a.first.column) < std::pair(b.first.line, b.first.column);
  });
  for (const auto& [mark, key] : continuation) o.continuation_parsers.push_back(find(key));
  auto flush = cfg.get_duration("multiline_flush");
  if (flush < std::chrono::milliseconds(1)) cfg.fail("multiline_flush", "expected at least 1ms");
  o.flush_timeout = std::chrono::duration_cast<std::chrono::milliseconds>(flush);
  if (c.parser != nullptr) {
    log::warn("{}: parser is not used with multiline: on (as in Fluent Bit): parser_firstline and parser_N read "
              "the lines", cfg.mark_of("parser").str());
    c.parser = nullptr;
  }
  c.old_multiline = std::make_shared<const MultilineParser>("parser_firstline " + cfg.get_string("parser_firstline"),
                                                            std::move(o), std::vector<config::MultilineRuleConfig>{},
                                                            cfg.mark_of("multiline"));
  c.multiline.push_back(c.old_multiline.get());
}

void read_tag_regex(const config::ComponentConfig& cfg, TailInputConfig& c) {
  if (!cfg.has("tag_regex") || cfg.get_string("tag_regex").empty()) return;
  std::string error;
  auto regex = Regex::compile(cfg.get_string("tag_regex"), &error);
  if (!regex) cfg.fail("tag_regex", "does not compile: " + error);
  if (regex->group_names().empty()) {
    cfg.fail("tag_regex", "has no named capture group: name the parts of the path with (?<name>...)");
  }
  // Every `<` of the tag must close, as Fluent Bit checks.
  for (size_t open = c.tag.find('<'); open != std::string::npos; open = c.tag.find('<', open + 1)) {
    size_t close = c.tag.find('>', open);
    if (close == std::string::npos || c.tag.find('<', open + 1) < close) {
      cfg.fail("tag", "missing '>' after the '<' at position " + std::to_string(open) + " (tag_regex fills <name>)");
    }
  }
  c.tag_regex = std::make_shared<const Regex>(std::move(*regex));
}

void read_encoding(const config::ComponentConfig& cfg, TailInputConfig& c) {
  bool unicode = cfg.has("unicode.encoding");
  bool generic = cfg.has("generic.encoding");
  if (unicode && generic) cfg.fail("generic.encoding", "can't be combined with unicode.encoding; set one of them");
  if (unicode) {
    auto e = tail::unicode_encoding(cfg.get_string("unicode.encoding"));
    if (!e) {
      cfg.fail("unicode.encoding", "unknown encoding '" + cfg.get_string("unicode.encoding") + "'; sluice reads " +
                                       std::string(tail::kUnicodeEncodings));
    }
    c.encoding = *e;
  }
  if (generic) {
    auto e = tail::generic_encoding(cfg.get_string("generic.encoding"));
    if (!e) {
      cfg.fail("generic.encoding", "unknown or unsupported encoding '" + cfg.get_string("generic.encoding") +
                                       "'; sluice reads " + std::string(tail::kGenericEncodings) +
                                       " (and UTF-16 with unicode.encoding)");
    }
    c.encoding = *e;
  }
}

void read_docker_mode(const config::ComponentConfig& cfg, const BuildContext& ctx, TailInputConfig& c) {
  c.docker_mode = cfg.get_bool("docker_mode");
  c.docker_mode_flush = cfg.get_duration("docker_mode_flush");
  if (c.docker_mode_flush < std::chrono::milliseconds(1)) cfg.fail("docker_mode_flush", "expected at least 1ms");
  if (cfg.has("docker_mode_parser") && !cfg.get_string("docker_mode_parser").empty()) {
    std::string name = cfg.get_string("docker_mode_parser");
    c.docker_mode_parser = ctx.parsers != nullptr ? ctx.parsers->find(name) : nullptr;
    if (c.docker_mode_parser == nullptr) {
      cfg.fail("docker_mode_parser", "unknown parser '" + name + "'; known parsers: " + known_parsers(ctx.parsers));
    }
    if (!c.docker_mode) cfg.fail("docker_mode_parser", "needs docker_mode: on");
  }
  if (c.docker_mode && cfg.has("multiline.parser")) {
    cfg.fail("docker_mode", "can't be combined with multiline.parser (as in Fluent Bit); multiline.parser docker "
                            "joins split json-file lines too");
  }
}

}  // namespace

TailInputConfig make_tail_config(const config::ComponentConfig& cfg, const BuildContext& ctx) {
  TailInputConfig c;
  for (const auto& p : cfg.get_list("path")) {
    if (!p.empty()) c.paths.push_back(absolute_from(ctx.base_dir, p));
  }
  if (c.paths.empty()) cfg.fail("path", "expected at least one file or glob pattern");
  for (const auto& p : cfg.get_list("exclude_path")) {
    if (!p.empty()) c.exclude_paths.push_back(p);
  }
  c.tag = cfg.get_string("tag");
  if (c.tag.empty()) c.tag = std::string(cfg.plugin());
  read_tag_regex(cfg, c);
  c.key = cfg.get_string("key");
  if (c.key.empty()) cfg.fail("key", "expected a non-empty record key");
  c.read_from_head = cfg.get_bool("read_from_head");
  c.read_new_from_head = cfg.get_bool("read_newly_discovered_files_from_head");
  if (cfg.has("ignore_older")) {
    c.ignore_older = cfg.get_duration("ignore_older");
    if (c.ignore_older < std::chrono::seconds(1)) cfg.fail("ignore_older", "expected at least 1s (`10m`, `1h`, `2d`)");
  }
  c.refresh_interval = cfg.get_duration("refresh_interval");
  c.rotate_wait = cfg.get_duration("rotate_wait");
  c.poll_interval = cfg.get_duration("poll_interval");
  if (c.refresh_interval <= std::chrono::nanoseconds(0)) cfg.fail("refresh_interval", "expected a duration above 0");
  if (c.poll_interval < std::chrono::milliseconds(1)) cfg.fail("poll_interval", "expected at least 1ms");
  c.inotify = cfg.get_bool("inotify_watcher");
  if (cfg.has("db") && !cfg.get_string("db").empty()) c.db = absolute_from(ctx.base_dir, cfg.get_string("db"));
  c.db_sync = ascii_lower(cfg.get_string("db.sync")) != "off";
  c.buffer_chunk_size = cfg.get_size("buffer_chunk_size");
  c.buffer_max_size = cfg.get_size("buffer_max_size");
  if (c.buffer_chunk_size == 0) cfg.fail("buffer_chunk_size", "expected a size above 0");
  if (c.buffer_max_size < c.buffer_chunk_size) {
    cfg.fail("buffer_max_size", "must be at least buffer_chunk_size (" + std::to_string(c.buffer_chunk_size) +
                                    " bytes)");
  }
  c.skip_long_lines = cfg.get_bool("skip_long_lines");
  c.truncate_long_lines = cfg.get_bool("truncate_long_lines");
  c.skip_empty_lines = cfg.get_bool("skip_empty_lines");
  c.file_cache_advise = cfg.get_bool("file_cache_advise");
  read_encoding(cfg, c);
  c.exit_on_eof = cfg.get_bool("exit_on_eof");
  c.path_key = cfg.get_string("path_key");
  c.offset_key = cfg.get_string("offset_key");
  if (cfg.has("parser")) {
    std::string name = cfg.get_string("parser");
    c.parser = ctx.parsers != nullptr ? ctx.parsers->find(name) : nullptr;
    if (c.parser == nullptr) {
      cfg.fail("parser", "unknown parser '" + name + "'; known parsers: " + known_parsers(ctx.parsers));
    }
  }
  read_multiline(cfg, ctx, c);
  read_old_multiline(cfg, ctx, c);
  read_docker_mode(cfg, ctx, c);
  c.db_compare_filename = cfg.get_bool("db.compare_filename");
  return c;
}

}  // namespace sluice
