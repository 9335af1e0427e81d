// The kubernetes filter's configuration, read from its keys by
// kubernetes_filter_config.cpp and used by kubernetes_filter.cpp.
#pragma once
#include <chrono>
#include <memory>
#include <string>

#include "filters/kubernetes/kube_api.hpp"
#include "filters/kubernetes/kube_metadata.hpp"
#include "filters/kubernetes/kube_record.hpp"
#include "filters/kubernetes/kube_tag.hpp"

namespace sluice {
class Filter;
class ParserSet;
}

namespace sluice::kube {

struct FilterSettings {
  std::shared_ptr<const ParserSet> own_parsers;  // when the context lends none
  const ParserSet* parsers = nullptr;
  std::unique_ptr<TagReader> tags;
  ApiSettings api;
  MapOptions map;
  MergeSettings merge;
  const Parser* merge_parser = nullptr;
  bool allow_parser = false;   // k8s-logging.parser
  bool allow_exclude = false;  // k8s-logging.exclude
  bool namespace_labels = false;
  bool namespace_annotations = false;
  bool namespace_metadata_only = false;
  bool dummy_meta = false;
  bool use_tag_for_meta = false;
  bool use_kubelet = false;
  bool cache_use_docker_id = false;
  std::chrono::nanoseconds pod_ttl{0};  // 0: kept until evicted
  std::chrono::nanoseconds namespace_ttl{std::chrono::minutes(15)};
  // A pod whose lookup failed is asked again after this (a 404: pod_gone_retry).
  std::chrono::nanoseconds retry_after{std::chrono::seconds(5)};
  std::chrono::nanoseconds pod_gone_retry{std::chrono::seconds(60)};
  size_t max_pods = 4096;
};

// kubernetes_filter.cpp: the filter, once its keys are read.
std::unique_ptr<Filter> make_kubernetes_filter_from(FilterSettings settings);

}  // namespace sluice::kube
