// The `content_modifier` filter: Fluent Bit's content_modifier processor
// for logs. One action (insert, upsert, delete, rename, hash, extract,
// convert) on one top-level key of each record, or of its metadata. Fluent
// Bit's YAML runs it under `processors: logs:`; sluice also takes it as a
// filter. docs/filters/content_modifier.md.
#pragma once
#include <memory>

#include "agent/filter.hpp"

namespace sluice {

const config::PluginSchema& content_modifier_filter_schema();
std::unique_ptr<Filter> make_content_modifier_filter(const config::ComponentConfig& cfg, const BuildContext& ctx);

}  // namespace sluice
