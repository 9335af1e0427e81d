// The `forward` input: receives Fluentd's Forward protocol over TCP, as
// Fluent Bit's and Fluentd's forward outputs, Docker's fluentd log driver and
// the fluent-logger libraries send it. Each message's records keep its tag;
// a message that asks for an acknowledgement (option chunk) gets one once
// its records are taken (with storage.type filesystem: once they are on
// disk), so a sender that waits for acks loses nothing.
#pragma once
#include <memory>

#include "agent/input.hpp"

namespace sluice {

const config::PluginSchema& forward_input_schema();
std::unique_ptr<Input> make_forward_input(const config::ComponentConfig& cfg, const BuildContext& ctx);

}  // namespace sluice
