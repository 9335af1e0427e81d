// The `opentelemetry` input: receives logs over OTLP/HTTP (POST /v1/logs,
// protobuf or JSON, optionally gzip), as OpenTelemetry SDKs and collectors
// export them, with Fluent Bit's keys and record shape. Files: otlp_logs_*
// (bodies → events), otlp_log_event (the record and metadata of one log),
// this file (the server side: what a request means and what it is answered).
#pragma once
#include <memory>

#include "agent/input.hpp"

namespace sluice {

const config::PluginSchema& opentelemetry_input_schema();
std::unique_ptr<Input> make_opentelemetry_input(const config::ComponentConfig& cfg, const BuildContext& ctx);

}  // namespace sluice
