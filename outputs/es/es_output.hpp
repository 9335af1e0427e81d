// The `es` output: sends records to Elasticsearch or OpenSearch through the _bulk API.
#pragma once
#include <memory>

#include "agent/output.hpp"

namespace sluice {

const config::PluginSchema& es_output_schema();
// Fluent Bit's `opensearch` output: the es output under that name.
const config::PluginSchema& opensearch_output_schema();
std::unique_ptr<Output> make_es_output(const config::ComponentConfig& cfg, const BuildContext& ctx);

}  // namespace sluice
