// The `http` input: receives records posted over HTTP (JSON, NDJSON, form-encoded).
// Files: http_input_settings (keys), http_body_decoder + http_json_errors
// (bodies → records), http_server (Beast), http_input.cpp (what a request means).
#pragma once
#include <memory>
#include <string>
#include <string_view>

#include "agent/input.hpp"

namespace sluice {

const config::PluginSchema& http_input_schema();
std::unique_ptr<Input> make_http_input(const config::ComponentConfig& cfg, const BuildContext& ctx);

// The tag of a request to `target` when no `tag` is set, as Fluent Bit's
// in_http makes it: the path without its query and leading '/',
// percent-decoded, with every character other than a letter, digit, '_' or
// '.' replaced by '_'; default_tag for "/".
std::string http_tag_from_target(std::string_view target, const std::string& default_tag);

}  // namespace sluice
