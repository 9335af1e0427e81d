// Keys of the multiline filter and their validation; see multiline_filter_config.hpp.
#include "filters/multiline/multiline_filter_config.hpp"

#include "agent/join.hpp"
#include "agent/log.hpp"
#include "agent/parse/parser.hpp"
#include "filters/multiline/multiline_filter.hpp"

namespace sluice {

using config::KeyType;

const config::PluginSchema& multiline_filter_schema() {
  static const config::PluginSchema schema{
      "multiline",
      "Joins the records of one stack trace, exception or split container line into one record, with the "
      "multiline parsers tail's multiline.parser uses; the input's positions stay uncommitted until the "
      "joined record is delivered.",
      {
          {"multiline.parser", KeyType::List, "",
           "Multiline parsers, tried in order: built-in `docker`, `cri` (records with log/stream/_p), `go`, "
           "`java`, `python`, `ruby`, or a `multiline_parsers` entry."},
          {"multiline.key_content", KeyType::String, "",
           "The key holding the text to join, for every parser (unset: each parser's key_content, else `log`)."},
          {"mode", KeyType::String, "parser",
           "`parser` (the only one sluice has; Fluent Bit's `partial_message` is refused).", false, false,
           {"parser", "partial_message"}},
          {"buffer", KeyType::Bool, "on",
           "Hold open records across chunks and send them on when complete or after flush_ms. Off: records "
           "are joined within each chunk only."},
          {"flush_ms", KeyType::Int, "2000",
           "Milliseconds after a record's last line before it is sent on without waiting for more."},
          {"emitter_name", KeyType::String, "",
           "Accepted for Fluent Bit's configs; sluice sends joined records on from the filter itself, after "
           "which the filters that follow it run, so no emitter input is made."},
          {"emitter_storage.type", KeyType::String, "memory",
           "Accepted for Fluent Bit's configs: open records are held in memory (a file input's offsets stay "
           "uncommitted meanwhile, so a restart reads them again).", false, false, {"memory", "filesystem"}},
          {"emitter_mem_buf_limit", KeyType::Size, "10M",
           "Most memory open records may hold; beyond it the oldest are sent on early (counted)."},
          {"debug_flush", KeyType::Bool, "off", "Log every joined record at debug level."},
      }};
  return schema;
}

MultilineFilterConfig make_multiline_filter_config(const config::ComponentConfig& cfg, const BuildContext& ctx) {
  MultilineFilterConfig c;
  std::string mode = cfg.get_string("mode");
  if (mode == "partial_message")
    cfg.fail("mode",
             "partial_message (joining the partial_message records of Docker's fluentd log driver) is not "
             "supported; use mode parser with multiline.parser docker or cri");
  const ParserSet& parsers = ctx.parsers != nullptr ? *ctx.parsers : builtin_parser_set();
  for (const auto& name : cfg.get_list("multiline.parser")) {
    const MultilineParser* p = parsers.find_multiline(name);
    if (p == nullptr)
      cfg.fail("multiline.parser",
               "unknown multiline parser '" + name + "'; known: " + join(parsers.multiline_names()));
    c.parsers.push_back(p);
  }
  if (c.parsers.empty()) cfg.fail("multiline.parser", "expected at least one multiline parser (mode parser)");
  c.key_content = cfg.get_string("multiline.key_content");
  c.buffer = cfg.get_bool("buffer");
  int64_t ms = cfg.get_int("flush_ms");
  if (ms <= 0) cfg.fail("flush_ms", "expected milliseconds above 0");
  c.flush_ms = std::chrono::milliseconds(ms);
  c.mem_buf_limit = cfg.get_size("emitter_mem_buf_limit");
  if (c.mem_buf_limit == 0) cfg.fail("emitter_mem_buf_limit", "expected a size above 0");
  if (cfg.get_string("emitter_storage.type") == "filesystem")
    log::warn("{}: emitter_storage.type filesystem: sluice holds open records in memory (a tail input's offsets "
              "stay before them until they are delivered, so nothing is lost at a crash)",
              cfg.display_name());
  return c;
}

}  // namespace sluice
