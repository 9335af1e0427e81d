// The `tail` input: follows files matching globs, line by line, through
// rotation and restarts, committing offsets only after delivery.
#pragma once
#include <memory>

#include "agent/input.hpp"

namespace sluice {

const config::PluginSchema& tail_input_schema();
std::unique_ptr<Input> make_tail_input(const config::ComponentConfig& cfg, const BuildContext& ctx);

}  // namespace sluice
