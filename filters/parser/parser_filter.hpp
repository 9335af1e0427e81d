// The `parser` filter (Fluent Bit's filter_parser): parses one string field
// of each record with named parsers and replaces the record with the result.
#pragma once
#include <memory>

#include "agent/filter.hpp"

namespace sluice {

const config::PluginSchema& parser_filter_schema();
// Throws config::ConfigError (unknown parser name, missing key_name).
std::unique_ptr<Filter> make_parser_filter(const config::ComponentConfig& cfg, const BuildContext& ctx);

}  // namespace sluice
