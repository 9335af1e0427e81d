// The `stdin` input: reads standard input line by line, so that
// `app | sluice -c pipeline.yaml` works; each line becomes {"log": line} (or
// the named parser's record), and EOF finishes the input.
#pragma once
#include <cstdint>
#include <memory>
#include <string>

#include "agent/input.hpp"

namespace sluice {

const config::PluginSchema& stdin_input_schema();
std::unique_ptr<Input> make_stdin_input(const config::ComponentConfig& cfg, const BuildContext& ctx);

// For tests: the same input reading a dup of fd instead of fd 0.
std::unique_ptr<Input> make_stdin_input_fd(const config::ComponentConfig& cfg, const BuildContext& ctx, int fd);

}  // namespace sluice
