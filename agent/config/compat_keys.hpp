// Fluent Bit's keys that sluice accepts on every input, filter or output so
// that a Fluent Bit configuration carries over: its names for keys sluice
// has (aliases), and keys for things sluice does differently (accepted with
// a one-line warning saying what sluice does instead).
#pragma once
#include <string>
#include <string_view>
#include <vector>

#include "agent/config/schema.hpp"

namespace sluice::config {

// For a kind ("input", "filter", "output"). An alias is added to a plugin's
// schema only where the plugin has the key it stands for.
const std::vector<KeyDecl>& compat_keys(const std::string& kind);

// The two kinds of such keys, also for a plugin's own schema: a key accepted
// for Fluent Bit that logs, once set, what sluice does instead; and Fluent
// Bit's name for a key the schema has (stored as that key).
KeyDecl compat_note(std::string_view name, KeyType type, std::string_view what_sluice_does);
KeyDecl compat_alias(std::string_view name, KeyType type, std::string_view of);

}  // namespace sluice::config
