// The `kafka` output: records → Kafka messages with librdkafka, each record
// acknowledged from its own delivery report.
#pragma once
#include <memory>

#include "agent/output.hpp"

namespace sluice {

const config::PluginSchema& kafka_output_schema();
std::unique_ptr<Output> make_kafka_output(const config::ComponentConfig& cfg, const BuildContext& ctx);

}  // namespace sluice
