// The `record_modifier` filter, as Fluent Bit's: appends fixed fields
// (`record KEY VALUE`), removes keys (`remove_key`) or keeps only some
// (`allowlist_key`), and can add a UUID per record (`uuid_key`).
#pragma once
#include <memory>

#include "agent/filter.hpp"

namespace sluice {

const config::PluginSchema& record_modifier_filter_schema();
std::unique_ptr<Filter> make_record_modifier_filter(const config::ComponentConfig& cfg, const BuildContext& ctx);

}  // namespace sluice
