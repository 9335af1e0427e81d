// The opentelemetry input's keys (Fluent Bit's in_opentelemetry names, and
// the HTTP server's shared with the http input) and the settings read from them.
#pragma once
#include <string>

#include "agent/input.hpp"
#include "inputs/http/http_input_settings.hpp"
#include "inputs/opentelemetry/otlp_logs.hpp"

namespace sluice {

struct OpentelemetryInputSettings {
  HttpInputSettings http;  // the server: listen, port, TLS, auth, limits (its tag fields unused)
  // The tag of every record: the user's `tag`; else "v1_logs" (tag_from_uri,
  // Fluent Bit's default); else the plugin's name.
  std::string tag;
  std::string tag_key;  // a record's string value under this key overrides the tag
  int success_code = 200;
  OtlpLogOptions logs;
};

OpentelemetryInputSettings make_opentelemetry_input_settings(const config::ComponentConfig& cfg,
                                                             const BuildContext& ctx);

}  // namespace sluice
