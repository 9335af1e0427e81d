// The `loki` output: sends records to Grafana Loki's push API (protobuf+snappy
// or JSON), grouped into streams by label set, sorted by time per stream.
#pragma once
#include <memory>

#include "agent/output.hpp"
#include "outputs/common/http_client.hpp"

namespace sluice {

const config::PluginSchema& loki_output_schema();
std::unique_ptr<Output> make_loki_output(const config::ComponentConfig& cfg, const BuildContext& ctx);

namespace loki {

// Sorts Loki's answer to a push: 2xx delivered; 400 permanent for the whole
// request with Loki's text as the reason (Loki stored the valid entries and
// names the rejected ones only in prose, so resending would duplicate);
// no answer, 408, 429 and 5xx retried (with Retry-After); other statuses as
// every HTTP output sorts them.
FlushResult classify_push_answer(const http::Response& response);

}  // namespace loki
}  // namespace sluice
