// Names of key types for error messages and --help-plugin.
#include "agent/config/schema.hpp"

namespace sluice::config {

std::string_view type_name(KeyType t) {
  switch (t) {
    case KeyType::String: return "string";
    case KeyType::Int: return "integer";
    case KeyType::Double: return "number";
    case KeyType::Bool: return "boolean (on/off)";
    case KeyType::Duration: return "duration (e.g. 500ms, 5s, 1m)";
    case KeyType::Size: return "size (e.g. 512, 32k, 5M)";
    case KeyType::List: return "list (YAML sequence or comma-separated)";
    case KeyType::Multi: return "rule (one string, or a YAML sequence of them)";
  }
  return "?";
}

}  // namespace sluice::config
