// The `opentelemetry` output, as Fluent Bit's for logs: records to an OTLP/HTTP
// endpoint (the OpenTelemetry Collector, a vendor's OTLP intake) as
// protobuf ExportLogsServiceRequests. docs/outputs/opentelemetry.md.
#pragma once
#include <memory>

#include "agent/output.hpp"

namespace sluice {

const config::PluginSchema& opentelemetry_output_schema();
std::unique_ptr<Output> make_opentelemetry_output(const config::ComponentConfig& cfg, const BuildContext& ctx);

}  // namespace sluice
