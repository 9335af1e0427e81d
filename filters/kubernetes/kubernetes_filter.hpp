// The `kubernetes` filter, as Fluent Bit's: the pod a container log's tag
// names is looked up in the API server (or the kubelet), and each record
// gets a `kubernetes` map (pod, namespace, labels, annotations, host,
// container, image); `merge_log` reads the `log` field as JSON or with a
// parser; a pod's fluentbit.io/ annotations choose a parser or exclude its
// logs. docs/filters/kubernetes.md.
#pragma once
#include <memory>

#include "agent/filter.hpp"

namespace sluice {

const config::PluginSchema& kubernetes_filter_schema();
std::unique_ptr<Filter> make_kubernetes_filter(const config::ComponentConfig& cfg, const BuildContext& ctx);

}  // namespace sluice
