// The `systemd` input, as Fluent Bit's: reads the systemd journal (the
// system's, or a folder of journal files), following new entries; each
// entry's fields become a record's keys, the tag's `*` its unit; `db`
// keeps the cursor of the last entry delivered. docs/inputs/systemd.md.
#pragma once
#include <memory>

#include "agent/input.hpp"

namespace sluice {

const config::PluginSchema& systemd_input_schema();
std::unique_ptr<Input> make_systemd_input(const config::ComponentConfig& cfg, const BuildContext& ctx);

}  // namespace sluice
