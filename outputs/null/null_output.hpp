// The `null` output: accepts and discards every record (benchmarks, tests).
#pragma once
#include <memory>

#include "agent/output.hpp"

namespace sluice {

const config::PluginSchema& null_output_schema();
std::unique_ptr<Output> make_null_output(const config::ComponentConfig& cfg, const BuildContext& ctx);

}  // namespace sluice
