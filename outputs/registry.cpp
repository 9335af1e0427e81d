// Every output sluice knows, by name. A new output adds one line here.
#include "outputs/registry.hpp"

#include "outputs/file/file_output.hpp"
#include "outputs/null/null_output.hpp"
#include "outputs/stdout/stdout_output.hpp"

namespace sluice {

const std::vector<OutputPlugin>& output_plugins() {
  static const std::vector<OutputPlugin> plugins = {
      {&stdout_output_schema(), make_stdout_output},
      {&file_output_schema(), make_file_output},
      {&null_output_schema(), make_null_output},
  };
  return plugins;
}

}  // namespace sluice
