// The `stdout` output: prints records to standard output, as Fluent Bit's
// human-readable dump ("[0] tag: [time, {...}]") or as JSON.
#pragma once
#include <memory>
#include <optional>
#include <string>
#include <string_view>

#include "agent/output.hpp"
#include "outputs/common/json_lines_encoder.hpp"

namespace sluice {

enum class StdoutFormat { Msgpack, JsonLines, Json };

const config::PluginSchema& stdout_output_schema();
std::unique_ptr<Output> make_stdout_output(const config::ComponentConfig& cfg, const BuildContext& ctx);

// For tests: the same output writing to fd instead of STDOUT_FILENO.
std::unique_ptr<Output> make_stdout_output_fd(const config::ComponentConfig& cfg, int fd);
std::optional<StdoutFormat> parse_stdout_format(std::string_view name);
// Appends the bytes one flush writes for batch.
void encode_stdout(std::string& out, const Batch& batch, StdoutFormat format, const json_lines::Options& options);

}  // namespace sluice
