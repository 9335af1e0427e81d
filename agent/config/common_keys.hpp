// Keys the core itself reads: the `service` section and the keys every
// input, filter or output gets on top of its own (tag, match, retry_*, ...).
#pragma once
#include <string>

#include "agent/config/schema.hpp"

namespace sluice::config {

const PluginSchema& service_schema();
// The core's keys for a kind ("input", "filter", "output"; none for others).
const std::vector<KeyDecl>& common_keys(const std::string& kind);

}  // namespace sluice::config
