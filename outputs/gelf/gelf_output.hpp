// The `gelf` output: sends records to Graylog as GELF over UDP, TCP (TLS) or HTTP.
#pragma once
#include <memory>

#include "agent/output.hpp"

namespace sluice {

const config::PluginSchema& gelf_output_schema();
std::unique_ptr<Output> make_gelf_output(const config::ComponentConfig& cfg, const BuildContext& ctx);

}  // namespace sluice
