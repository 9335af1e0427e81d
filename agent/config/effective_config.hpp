// The configuration as sluice runs it, as JSON (for /api/v1/config): every
// section and component with its keys after ${VAR} substitution and with the
// schema's defaults for keys not set, secrets redacted.
#pragma once
#include <string>
#include <string_view>

#include "agent/config/yaml_loader.hpp"

namespace sluice::config {

// What a redacted value reads.
inline constexpr std::string_view kRedacted = "<redacted>";

// {"path":…,"service":{…},"parsers":[…],"pipeline":{"inputs":[…],
// "filters":[…],"outputs":[…]}}; each component's "name" first, then its keys
// in schema order. Redacted: keys their schema marks secret, keys whose name
// says they hold one (…passw…, …secret…, …token, …api_key; not …_file),
// credential headers (`header: Authorization …`), and the user:password@
// of every URL in any value.
std::string effective_config_json(const PipelineConfig& cfg);

// The value with the userinfo of every URL in it (scheme://user:pass@host)
// replaced by kRedacted.
std::string redact_url_credentials(std::string_view value);

}  // namespace sluice::config
