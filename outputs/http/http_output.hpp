// The `http` output: sends records to any HTTP endpoint as JSON (one array
// per request), JSON lines, concatenated JSON or GELF lines: a codec on the
// shared HTTP sink (outputs/common/http_sink.hpp).
#pragma once
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>

#include "agent/output.hpp"
#include "outputs/common/json_lines_encoder.hpp"

namespace sluice {

enum class HttpFormat {
  Json,        // [{...},{...}]
  JsonLines,   // {...}\n{...}\n  (json_lines, ndjson)
  JsonStream,  // {...}{...}
  Gelf,        // one GELF 1.1 object per line (Fluent Bit's format gelf)
};

const config::PluginSchema& http_output_schema();
std::unique_ptr<Output> make_http_output(const config::ComponentConfig& cfg, const BuildContext& ctx);

std::optional<HttpFormat> parse_http_format(std::string_view name);
// Content-Type of a format's bodies.
std::string_view http_content_type(HttpFormat format);
// Appends the request body for events (a pure function, for golden tests).
void encode_http_body(std::string& out, std::span<const Event* const> events, HttpFormat format,
                      const json_lines::Options& options);

}  // namespace sluice
