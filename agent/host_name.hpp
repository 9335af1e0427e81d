// This machine's host name, for the outputs that name the host records
// come from (GELF's host, IBM's computerName, OCI's source, Mezmo's
// hostname).
#pragma once
#include <string>

namespace sluice {

// gethostname(2); "localhost" when it fails or is empty.
std::string host_name();

}  // namespace sluice
