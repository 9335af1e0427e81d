// `sluice dead-letter list|replay`: the command line of the dead-letter
// tools (agent/dead_letter_list.hpp, agent/dead_letter_replay.hpp). Linked
// into the sluice executable only (CLI11).
#pragma once
#include <functional>
#include <optional>
#include <string>

namespace CLI {
class App;
}

namespace sluice {

// Adds the `dead-letter` subcommand to app. The function returned is called
// after parsing: nullopt when `dead-letter` wasn't given, else it ran and this
// is the exit status (0 ok, 1 records not delivered or a file not read,
// 2 a usage or configuration error). main_config is the top-level -c, used
// when the subcommand has none.
std::function<std::optional<int>()> add_dead_letter_command(CLI::App& app, const std::string& main_config);

}  // namespace sluice
