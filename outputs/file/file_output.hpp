// The `file` output: appends records to files under `path`, one file per tag
// or the fixed `file` name (Fluent Bit's out_file keys).
#pragma once
#include <memory>

#include "agent/output.hpp"

namespace sluice {

const config::PluginSchema& file_output_schema();
std::unique_ptr<Output> make_file_output(const config::ComponentConfig& cfg, const BuildContext& ctx);

}  // namespace sluice
