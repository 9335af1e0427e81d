// The `oci_logging` output: OCI Logging's PutLogs into a custom log, each
// request signed with OCI's HTTP signature (an API key, a session token or
// an instance principal). A codec (oci_codec) and the request signer
// (outputs/common/oci) on the shared HTTP sink.
#pragma once
#include <memory>

#include "agent/output.hpp"

namespace sluice {

const config::PluginSchema& oci_logging_schema();
std::unique_ptr<Output> make_oci_logging_output(const config::ComponentConfig& cfg, const BuildContext& ctx);

}  // namespace sluice
