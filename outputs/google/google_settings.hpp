// The `stackdriver` / `google_cloud_logging` output's configuration: its keys
// (Fluent Bit's stackdriver names) and the settings read from them once.
#pragma once
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "agent/config/component_config.hpp"
#include "agent/input.hpp"
#include "agent/record_accessor.hpp"
#include "outputs/common/gcp/google_credentials.hpp"
#include "outputs/common/http_output_config.hpp"
#include "agent/record_template.hpp"

namespace sluice::google {

inline constexpr size_t kMaxEntryBytes = 256 * 1024;        // one LogEntry (as JSON here)
inline constexpr size_t kMaxRequestBytes = 10'000'000;       // one entries:write request
inline constexpr size_t kMaxEntriesPerRequest = 1000;        // as Google's client libraries batch

// The monitored resource every entry is about (resource.type + labels).
enum class ResourceType { Global, GenericNode, GenericTask, GceInstance, K8sContainer, K8sPod, K8sNode, K8sCluster };

struct ResourceSettings {
  ResourceType type = ResourceType::Global;
  std::string location;  // generic_*: `location`; k8s_*: `k8s_cluster_location`
  std::string namespace_name, node_id, job, task_id;  // generic_node / generic_task
  std::string cluster_name;                           // k8s_*
  std::string instance_id, zone;                      // gce_instance
  std::string tag_prefix = "kube.var.log.containers.";  // k8s: <prefix><pod>_<namespace>_<container>-<id>.log
  // resource_labels: "name=value" with record accessors and $TAG in value.
  std::vector<std::pair<std::string, RecordTemplate>> labels;
};

// Record keys with a meaning of their own: lifted out of jsonPayload into
// the entry's fields (Fluent Bit's names and defaults).
struct EntryKeys {
  std::string log_name = "logging.googleapis.com/logName";
  std::string severity = "logging.googleapis.com/severity";
  std::string labels = "logging.googleapis.com/labels";
  std::string trace = "logging.googleapis.com/trace";
  std::string span_id = "logging.googleapis.com/spanId";
  std::string trace_sampled = "logging.googleapis.com/traceSampled";
  std::string http_request = "logging.googleapis.com/http_request";
  std::string insert_id = "logging.googleapis.com/insertId";
  std::string operation = "logging.googleapis.com/operation";
  std::string source_location = "logging.googleapis.com/sourceLocation";
  std::string local_resource_id = "logging.googleapis.com/local_resource_id";
  std::string text_payload;  // a record holding only this string key is sent as textPayload
  bool autoformat_trace = false;  // a bare trace id becomes projects/<id>/traces/<trace>
};

struct Settings {
  http::HttpOutputSettings http;
  std::string path_prefix;  // cloud_logging_base_url's path, before /v2/entries:write
  std::string project_id;   // export_to_project_id; "" = the credentials' project
  ResourceSettings resource;
  EntryKeys keys;
  std::vector<std::pair<std::string, std::string>> labels;  // `labels`: on every entry
  gcp::TokenSignerSettings credentials;  // where the access token comes from
};

const config::PluginSchema& schema(std::string_view name);
// Validates and reads cfg; ConfigError (cfg.fail) on a bad value.
Settings read_settings(const config::ComponentConfig& cfg, const BuildContext& ctx);

const char* resource_type_name(ResourceType t);

}  // namespace sluice::google
