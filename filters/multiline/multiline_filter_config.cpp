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
           "The key holding the text to join, for every parser (unset: each parser's key_content, else `log`); "
           "required with mode partial_message."},
          {"mode", KeyType::String, "parser",
           "`parser`: join by multiline.parser; `partial_message`: join the records a container runtime split "
           "(partial_message, partial_id, partial_last, as Docker's fluentd log driver writes them), "
           "concatenating multiline.key_content.", false, false,
           {"parser", "partial_message"}},
          {"buffer", KeyType::Bool, "on",
           "Hold open records across chunks and send them on when complete or after flush_ms. Off: records "
           "are joined within each chunk only."},
          {"flush_ms", KeyType::Int, "2000",
           "Milliseconds after a record's last line (partial_message: its last part) before it is sent on "
           "without waiting for more."},
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
  c.partial_message = cfg.get_string("mode") == "partial_message";
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
  if (c.partial_message) {
    // As Fluent Bit: the parts wait for each other across chunks, in the key named.
    if (c.key_content.empty())
      cfg.fail("multiline.key_content", "mode partial_message needs the key whose text parts are joined (e.g. log)");
    if (!c.buffer) cfg.fail("buffer", "mode partial_message needs buffer: on (parts arrive in different chunks)");
    if (cfg.has("multiline.parser"))
      log::warn("{}: multiline.parser is not used in mode partial_message (as in Fluent Bit)", cfg.display_name());
    return c;
  }
  const ParserSet& parsers = ctx.parsers != nullptr ? *ctx.parsers : builtin_parser_set();
  for (const auto& name : cfg.get_list("multiline.parser")) {
    const MultilineParser* p = parsers.find_multiline(name);
    if (p == nullptr)
      cfg.fail("multiline.parser",
               "unknown multiline parser '" + name + "'; known: " + join(parsers.multiline_names()));
    c.parsers.push_back(p);
  }
  if (c.parsers.empty()) cfg.fail("multiline.parser", "expected at least one multiline parser (mode parser)");
  return c;
}

}  // namespace sluice
