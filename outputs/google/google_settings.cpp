// The Google Cloud Logging output's keys and their validation; see google_settings.hpp.
#include "outputs/google/google_settings.hpp"

#include <array>

#include "agent/config/config_path.hpp"

namespace sluice::google {

namespace {

using config::KeyType;

struct TypeName {
  ResourceType type;
  std::string_view name;
};
constexpr std::array<TypeName, 8> kTypes = {{{ResourceType::Global, "global"},
                                             {ResourceType::GenericNode, "generic_node"},
                                             {ResourceType::GenericTask, "generic_task"},
                                             {ResourceType::GceInstance, "gce_instance"},
                                             {ResourceType::K8sContainer, "k8s_container"},
                                             {ResourceType::K8sPod, "k8s_pod"},
                                             {ResourceType::K8sNode, "k8s_node"},
                                             {ResourceType::K8sCluster, "k8s_cluster"}}};

std::vector<config::KeyDecl> own_keys() {
  return {
      {"google_service_credentials", KeyType::String, "",
       "Service-account key file (JSON). Default: GOOGLE_APPLICATION_CREDENTIALS, else the metadata server."},
      {"service_account_email", KeyType::String, "", "Service account's email, with service_account_secret."},
      {"service_account_secret", KeyType::String, "", "The service account's private key (PEM).", false, true},
      {"token_endpoint", KeyType::String, "",
       "Where the service account's signed JWT is posted for a token, instead of the key's token_uri (Private "
       "Service Connect, a proxy). The JWT's audience stays token_uri."},
      {"metadata_server", KeyType::String, "http://metadata.google.internal",
       "Metadata server URL (GCE, GKE workload identity): tokens and the project id when no key is given."},
      {"cloud_logging_base_url", KeyType::String, "https://logging.googleapis.com",
       "Cloud Logging API URL (http:// allowed, for a local stand-in)."},
      {"export_to_project_id", KeyType::String, "", "Project to write to. Default: the credentials' project."},
      {"resource", KeyType::String, "global",
       "Monitored resource type: global, generic_node, generic_task, gce_instance, k8s_container, k8s_pod, "
       "k8s_node or k8s_cluster.",
       false, false,
       {"global", "generic_node", "generic_task", "gce_instance", "k8s_container", "k8s_pod", "k8s_node",
        "k8s_cluster"}},
      {"location", KeyType::String, "", "generic_node / generic_task: resource label location (a zone or region)."},
      {"namespace", KeyType::String, "", "generic_node / generic_task: resource label namespace."},
      {"node_id", KeyType::String, "", "generic_node: resource label node_id."},
      {"job", KeyType::String, "", "generic_task: resource label job."},
      {"task_id", KeyType::String, "", "generic_task: resource label task_id."},
      {"k8s_cluster_name", KeyType::String, "", "k8s_*: the cluster's name."},
      {"k8s_cluster_location", KeyType::String, "", "k8s_*: the cluster's location (zone or region)."},
      {"gce_instance_id", KeyType::String, "", "gce_instance: the instance id."},
      {"gce_zone", KeyType::String, "", "gce_instance: the instance's zone."},
      {"tag_prefix", KeyType::String, "kube.var.log.containers.",
       "k8s_*: tag prefix before <pod>_<namespace>_<container>-<id>.log, from which the resource labels are read "
       "when the record has no logging.googleapis.com/local_resource_id and no kubernetes map."},
      {"resource_labels", KeyType::List, "",
       "Resource labels name=value; a value may hold record accessors and $TAG ($kubernetes['pod_name'])."},
      {"labels", KeyType::List, "", "Labels name=value added to every entry."},
      {"labels_key", KeyType::String, "logging.googleapis.com/labels", "Record map of the entry's labels."},
      {"log_name_key", KeyType::String, "logging.googleapis.com/logName",
       "Record field naming the log (the LOG_ID of logName). Default log name: the record's tag."},
      {"severity_key", KeyType::String, "logging.googleapis.com/severity",
       "Record field of the entry's severity: a name (debug, info, notice, warning/warn, error/err, critical/"
       "crit/fatal, alert, emergency/emerg; any case) or a number (Cloud Logging's 0-800, or syslog's 0-7)."},
      {"trace_key", KeyType::String, "logging.googleapis.com/trace", "Record field of the entry's trace."},
      {"span_id_key", KeyType::String, "logging.googleapis.com/spanId", "Record field of the entry's spanId."},
      {"trace_sampled_key", KeyType::String, "logging.googleapis.com/traceSampled",
       "Record field of the entry's traceSampled."},
      {"http_request_key", KeyType::String, "logging.googleapis.com/http_request",
       "Record map sent as the entry's httpRequest."},
      {"insert_id_key", KeyType::String, "logging.googleapis.com/insertId",
       "Record field of the entry's insertId. Default: a hash of the tag, time and record, the same on every "
       "retry, so Cloud Logging keeps one copy."},
      {"autoformat_stackdriver_trace", KeyType::Bool, "off",
       "A trace given as a bare id becomes projects/<project>/traces/<id>."},
      {"text_payload_key", KeyType::String, "",
       "A record whose only field is this string is sent as textPayload instead of jsonPayload."},
  };
}

std::vector<std::pair<std::string, std::string>> read_pairs(const config::ComponentConfig& cfg, std::string_view key) {
  std::vector<std::pair<std::string, std::string>> out;
  for (const auto& text : cfg.get_list(key)) {
    size_t eq = text.find('=');
    if (eq == std::string::npos || eq == 0)
      cfg.fail(key, "expects name=value entries, got '" + text + "'");
    out.emplace_back(text.substr(0, eq), text.substr(eq + 1));
  }
  return out;
}

void require(const config::ComponentConfig& cfg, std::string_view key, std::string_view type) {
  if (cfg.get_string(key).empty())
    cfg.fail(key, "is required with resource " + std::string(type));
}

}  // namespace

const char* resource_type_name(ResourceType t) {
  for (const auto& n : kTypes)
    if (n.type == t) return n.name.data();
  return "global";
}

const config::PluginSchema& schema(std::string_view name) {
  auto make = [](std::string_view plugin) {
    config::PluginSchema s{plugin,
                           "Sends records to Google Cloud Logging (entries:write v2) with an OAuth2 token from a "
                           "service-account key or the metadata server; the same output is named stackdriver and "
                           "google_cloud_logging.",
                           own_keys()};
    for (auto& k : http::http_output_keys("443", {"host", "port", "tls", "http_user", "http_passwd"}))
      s.keys.push_back(std::move(k));
    return s;
  };
  static const config::PluginSchema stackdriver = make("stackdriver");
  static const config::PluginSchema cloud_logging = make("google_cloud_logging");
  return name == "stackdriver" ? stackdriver : cloud_logging;
}

Settings read_settings(const config::ComponentConfig& cfg, const BuildContext& ctx) {
  Settings s;
  std::string base = cfg.get_string("cloud_logging_base_url");
  auto endpoint = http::parse_endpoint(base);
  if (!endpoint) cfg.fail("cloud_logging_base_url", "expects https://host[:port] or http://host[:port], got '" + base + "'");
  s.http = http::read_http_output_settings(cfg, ctx.base_dir, endpoint);
  s.path_prefix = endpoint->path;
  s.project_id = cfg.get_string("export_to_project_id");

  gcp::TokenSignerSettings& c = s.credentials;
  c.credentials_file = config::path_from_config_dir(ctx.base_dir, cfg.get_string("google_service_credentials"));
  c.service_account_email = cfg.get_string("service_account_email");
  c.service_account_secret = cfg.get_string("service_account_secret");
  if (!c.service_account_email.empty() && c.service_account_secret.empty())
    cfg.fail("service_account_email", "needs service_account_secret (the service account's private key) too");
  if (c.service_account_email.empty() && !c.service_account_secret.empty())
    cfg.fail("service_account_secret", "needs service_account_email (the service account it belongs to) too");
  if (!c.credentials_file.empty() && !c.service_account_email.empty())
    cfg.fail("service_account_email", "set either google_service_credentials or service_account_email/secret");
  c.token_endpoint = cfg.get_string("token_endpoint");
  if (!c.token_endpoint.empty() && !http::parse_endpoint(c.token_endpoint))
    cfg.fail("token_endpoint", "expects https://host[:port]/path or http://host[:port]/path, got '" + c.token_endpoint + "'");
  c.metadata_server = cfg.get_string("metadata_server");
  if (!http::parse_endpoint(c.metadata_server))
    cfg.fail("metadata_server", "expects http://host[:port], got '" + c.metadata_server + "'");

  ResourceSettings& r = s.resource;
  std::string type = cfg.get_string("resource");
  for (const auto& n : kTypes)
    if (n.name == type) r.type = n.type;
  r.namespace_name = cfg.get_string("namespace");
  r.node_id = cfg.get_string("node_id");
  r.job = cfg.get_string("job");
  r.task_id = cfg.get_string("task_id");
  r.cluster_name = cfg.get_string("k8s_cluster_name");
  r.instance_id = cfg.get_string("gce_instance_id");
  r.zone = cfg.get_string("gce_zone");
  r.tag_prefix = cfg.get_string("tag_prefix");
  switch (r.type) {
    case ResourceType::Global:
      break;
    case ResourceType::GenericNode:
    case ResourceType::GenericTask:
      r.location = cfg.get_string("location");
      require(cfg, "location", type);
      require(cfg, "namespace", type);
      require(cfg, r.type == ResourceType::GenericNode ? "node_id" : "job", type);
      if (r.type == ResourceType::GenericTask) require(cfg, "task_id", type);
      break;
    case ResourceType::GceInstance:
      require(cfg, "gce_instance_id", type);
      require(cfg, "gce_zone", type);
      break;
    default:  // k8s_*
      r.location = cfg.get_string("k8s_cluster_location");
      require(cfg, "k8s_cluster_name", type);
      require(cfg, "k8s_cluster_location", type);
  }
  for (auto& [name, value] : read_pairs(cfg, "resource_labels")) {
    std::string error;
    auto t = RecordTemplate::compile(value, &error);
    if (!t) cfg.fail("resource_labels", name + ": " + error);
    r.labels.emplace_back(name, std::move(*t));
  }
  s.labels = read_pairs(cfg, "labels");

  EntryKeys& k = s.keys;
  k.log_name = cfg.get_string("log_name_key");
  k.severity = cfg.get_string("severity_key");
  k.labels = cfg.get_string("labels_key");
  k.trace = cfg.get_string("trace_key");
  k.span_id = cfg.get_string("span_id_key");
  k.trace_sampled = cfg.get_string("trace_sampled_key");
  k.http_request = cfg.get_string("http_request_key");
  k.insert_id = cfg.get_string("insert_id_key");
  k.text_payload = cfg.get_string("text_payload_key");
  k.autoformat_trace = cfg.get_bool("autoformat_stackdriver_trace");
  return s;
}

}  // namespace sluice::google
