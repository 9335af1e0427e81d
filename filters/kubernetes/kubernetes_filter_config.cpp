// The kubernetes filter's keys (Fluent Bit's names, defaults and meanings)
// and how they are read; see kubernetes_filter.hpp.
#include <filesystem>

#include "agent/config/compat_keys.hpp"
#include "agent/log.hpp"
#include "agent/parse/parser.hpp"
#include "filters/kubernetes/kube_settings.hpp"
#include "filters/kubernetes/kubernetes_filter.hpp"
#include "outputs/common/http_output_config.hpp"

namespace sluice {

namespace {

std::string resolve(const std::string& path, const BuildContext& ctx) {
  if (path.empty() || ctx.base_dir.empty() || std::filesystem::path(path).is_absolute()) return path;
  return (std::filesystem::path(ctx.base_dir) / path).string();
}

}  // namespace

const config::PluginSchema& kubernetes_filter_schema() {
  using config::KeyType;
  using config::compat_note;
  static const config::PluginSchema schema{
      "kubernetes",
      "Adds the pod's metadata (a `kubernetes` map: pod, namespace, labels, annotations, host, container, image) "
      "to container logs tailed from /var/log/containers, asking the Kubernetes API server (or the kubelet); "
      "merge_log reads the log field as JSON or with a parser (Fluent Bit's kubernetes filter).",
      {
          {"kube_url", KeyType::String, "https://kubernetes.default.svc:443",
           "The API server. In a pod, the default reaches it through the cluster's DNS.", false, false, {}},
          {"kube_ca_file", KeyType::String, "/var/run/secrets/kubernetes.io/serviceaccount/ca.crt",
           "CA bundle (PEM) the API server's and the kubelet's certificates are checked against; when the default "
           "file doesn't exist, the system's CAs.",
           false, false, {}},
          {"kube_token_file", KeyType::String, "/var/run/secrets/kubernetes.io/serviceaccount/token",
           "The bearer token (the pod's service account token), read again every kube_token_ttl; without one, "
           "requests carry no Authorization header.",
           false, false, {}},
          {"kube_token_command", KeyType::String, "",
           "A command (run by /bin/sh) whose output is the token, instead of kube_token_file.", false, false, {}},
          {"kube_token_ttl", KeyType::Duration, "10m", "How long a token read is used before it is read again.", false,
           false, {}},
          {"kube_tag_prefix", KeyType::String, "kube.var.log.containers.",
           "The start of the tag before the file name (the tail input's `tag kube.*` makes it from the path); "
           "records whose tag doesn't start with it pass unchanged.",
           false, false, {}},
          {"regex_parser", KeyType::String, "",
           "A parser whose named groups (pod_name, namespace_name, container_name, docker_id) read the tag after "
           "kube_tag_prefix, instead of the pattern for /var/log/containers file names.",
           false, false, {}},
          {"merge_log", KeyType::Bool, "off",
           "Read the `log` field as JSON (or with merge_parser, or a pod's fluentbit.io/parser annotation) and add "
           "its fields to the record.",
           false, false, {}},
          {"merge_parser", KeyType::String, "", "The parser merge_log reads `log` with, instead of JSON.", false, false,
           {}},
          {"merge_log_key", KeyType::String, "", "Put the merged fields under this key instead of at the top level.",
           false, false, {}},
          {"merge_log_trim", KeyType::Bool, "on", "Trim trailing newlines off the merged fields' string values.", false,
           false, {}},
          {"keep_log", KeyType::Bool, "on", "Keep the `log` field once merge_log merged it.", false, false, {}},
          {"labels", KeyType::Bool, "on", "Add the pod's labels.", false, false, {}},
          {"annotations", KeyType::Bool, "on", "Add the pod's annotations.", false, false, {}},
          {"owner_references", KeyType::Bool, "off", "Add the pod's ownerReferences.", false, false, {}},
          {"namespace_labels", KeyType::Bool, "off",
           "Add the namespace's labels (under kubernetes_namespace; one more lookup per namespace).", false, false, {}},
          {"namespace_annotations", KeyType::Bool, "off", "Add the namespace's annotations (under kubernetes_namespace).",
           false, false, {}},
          {"namespace_metadata_only", KeyType::Bool, "off",
           "Add only kubernetes_namespace: no pod lookups (needs namespace_labels or namespace_annotations).", false,
           false, {}},
          {"k8s-logging.parser", KeyType::Bool, "off",
           "Let a pod choose the parser merge_log uses for its logs (annotation fluentbit.io/parser[_stdout|_stderr]"
           "[-<container>]).",
           false, false, {}},
          {"k8s-logging.exclude", KeyType::Bool, "off",
           "Let a pod exclude its logs (annotation fluentbit.io/exclude[_stdout|_stderr][-<container>]: \"true\").",
           false, false, {}},
          {"kube_meta_preload_cache_dir", KeyType::String, "",
           "A folder of <namespace>_<pod>.meta (a Pod's JSON) and <namespace>.namespace_meta files read before the "
           "API server is asked.",
           false, false, {}},
          {"kube_meta_cache_ttl", KeyType::Duration, "0",
           "Ask for a pod's metadata again once it is this old (the old answer serves meanwhile); 0: never.", false,
           false, {}},
          {"kube_meta_namespace_cache_ttl", KeyType::Duration, "15m",
           "Ask for a namespace's metadata again once it is this old; 0: never.", false, false, {}},
          {"cache_use_docker_id", KeyType::Bool, "off",
           "Look a pod up again when its container id changes (a restarted container).", false, false, {}},
          {"use_tag_for_meta", KeyType::Bool, "off",
           "Take only the names in the tag (pod, namespace, container, container id): no lookups.", false, false, {}},
          {"dummy_meta", KeyType::Bool, "off", "Add {\"dummy\": <the time>} instead of asking anyone (for tests).",
           false, false, {}},
          {"use_kubelet", KeyType::Bool, "off",
           "Ask the node's kubelet (its /pods) instead of the API server.", false, false, {}},
          {"kubelet_host", KeyType::String, "127.0.0.1", "The kubelet's address (use_kubelet).", false, false, {}},
          {"kubelet_port", KeyType::Int, "10250", "The kubelet's port (use_kubelet).", false, false, {}},
          {"tls.verify", KeyType::Bool, "on", "Check the API server's (and kubelet's) certificate and name.", false,
           false, {}},
          {"tls.vhost", KeyType::String, "", "The name to ask for (SNI) and check the certificate against.", false,
           false, {}},
          {"request_timeout", KeyType::Duration, "10s",
           "How long a lookup may take, connection included; records wait for it at most this long.", false, false,
           {}},
          {"use_journal", KeyType::Bool, "off",
           "Fluent Bit's journald mode: not supported (sluice has no systemd input).", false, false, {}},
          compat_note("buffer_size", KeyType::Size, "sluice reads the API server's answers whole, whatever their size."),
          compat_note("tls.debug", KeyType::Int, "TLS errors are in the lookup's failure message."),
          compat_note("tls.verify_hostname", KeyType::Bool, "the name is checked whenever tls.verify is on."),
          compat_note("kube_ca_path", KeyType::String, "sluice reads kube_ca_file (or the system's CAs)."),
          compat_note("kube_namespace_file", KeyType::String,
                      "sluice has no input of its own logs, which is what Fluent Bit reads this for."),
          compat_note("dns_retries", KeyType::Int, "the name is resolved at each connection; a failed lookup is "
                                                  "tried again for a later chunk."),
          compat_note("dns_wait_time", KeyType::Duration, "the name is resolved at each connection; a failed lookup "
                                                         "is tried again for a later chunk."),
          compat_note("aws_use_pod_association", KeyType::Bool, "sluice adds no EKS entity fields."),
          compat_note("use_pod_association", KeyType::Bool, "sluice adds no EKS entity fields."),
          compat_note("aws_pod_association_host", KeyType::String, "sluice adds no EKS entity fields."),
          compat_note("aws_pod_association_endpoint", KeyType::String, "sluice adds no EKS entity fields."),
          compat_note("aws_pod_association_port", KeyType::Int, "sluice adds no EKS entity fields."),
          compat_note("aws_pod_service_map_ttl", KeyType::Int, "sluice adds no EKS entity fields."),
          compat_note("aws_pod_service_map_refresh_interval", KeyType::Int, "sluice adds no EKS entity fields."),
          compat_note("aws_pod_service_preload_cache_dir", KeyType::String, "sluice adds no EKS entity fields."),
          compat_note("aws_pod_association_host_server_ca_file", KeyType::String, "sluice adds no EKS entity fields."),
          compat_note("aws_pod_association_host_client_cert_file", KeyType::String, "sluice adds no EKS entity fields."),
          compat_note("aws_pod_association_host_client_key_file", KeyType::String, "sluice adds no EKS entity fields."),
          compat_note("aws_pod_association_host_tls_debug", KeyType::Int, "sluice adds no EKS entity fields."),
          compat_note("aws_pod_association_host_tls_verify", KeyType::Bool, "sluice adds no EKS entity fields."),
          compat_note("set_platform", KeyType::String, "sluice adds no EKS entity fields."),
      }};
  return schema;
}

std::unique_ptr<Filter> make_kubernetes_filter(const config::ComponentConfig& cfg, const BuildContext& ctx) {
  kube::FilterSettings s;
  if (cfg.get_bool("use_journal"))
    cfg.fail("use_journal", "journald mode is not supported: sluice has no systemd input. Tail the container log "
                            "files (/var/log/containers/*.log) instead");
  if (ctx.parsers == nullptr) s.own_parsers = std::make_shared<ParserSet>(ParserSet::build({}));
  s.parsers = ctx.parsers != nullptr ? ctx.parsers : s.own_parsers.get();
  auto parser_named = [&](std::string_view key) -> const Parser* {
    std::string name = cfg.get_string(key);
    if (name.empty()) return nullptr;
    const Parser* p = s.parsers->find(name);
    if (p == nullptr) cfg.fail(key, "unknown parser '" + name + "'; known parsers: " + [&] {
      std::string all;
      for (const auto& n : s.parsers->names()) all += (all.empty() ? "" : ", ") + n;
      return all;
    }());
    return p;
  };
  s.tags = std::make_unique<kube::TagReader>(cfg.get_string("kube_tag_prefix"), parser_named("regex_parser"));
  s.merge.merge_log = cfg.get_bool("merge_log");
  s.merge.merge_log_key = cfg.get_string("merge_log_key");
  s.merge.trim = cfg.get_bool("merge_log_trim");
  s.merge.keep_log = cfg.get_bool("keep_log");
  s.merge_parser = parser_named("merge_parser");
  s.map.labels = cfg.get_bool("labels");
  s.map.annotations = cfg.get_bool("annotations");
  s.map.owner_references = cfg.get_bool("owner_references");
  s.allow_parser = cfg.get_bool("k8s-logging.parser");
  s.allow_exclude = cfg.get_bool("k8s-logging.exclude");
  s.namespace_labels = cfg.get_bool("namespace_labels");
  s.namespace_annotations = cfg.get_bool("namespace_annotations");
  s.namespace_metadata_only = cfg.get_bool("namespace_metadata_only");
  if (s.namespace_metadata_only && !s.namespace_labels && !s.namespace_annotations)
    cfg.fail("namespace_metadata_only",
             "adds only the namespace's metadata: set namespace_labels or namespace_annotations too");
  s.dummy_meta = cfg.get_bool("dummy_meta");
  s.use_tag_for_meta = cfg.get_bool("use_tag_for_meta");
  s.use_kubelet = cfg.get_bool("use_kubelet");
  s.cache_use_docker_id = cfg.get_bool("cache_use_docker_id");
  s.pod_ttl = cfg.get_duration("kube_meta_cache_ttl");
  s.namespace_ttl = cfg.get_duration("kube_meta_namespace_cache_ttl");
  if (s.merge_parser == nullptr && !s.merge.merge_log && cfg.has("merge_parser"))
    log::warn("filter kubernetes: merge_parser is set but merge_log is off: the parser is not used");

  auto timeout = std::chrono::duration_cast<std::chrono::milliseconds>(cfg.get_duration("request_timeout"));
  if (timeout.count() <= 0) cfg.fail("request_timeout", "expects a duration above 0, e.g. 10s");
  std::string url = cfg.get_string("kube_url");
  auto target = http::parse_http_target(url, timeout, /*use_proxy=*/true);
  if (!target) cfg.fail("kube_url", "expects http(s)://host[:port], got '" + url + "'");
  http::TlsSettings tls;
  tls.enabled = target->client.tls.enabled;
  tls.verify = cfg.get_bool("tls.verify");
  tls.vhost = cfg.get_string("tls.vhost");
  std::string ca = resolve(cfg.get_string("kube_ca_file"), ctx);
  const bool default_ca = !cfg.has("kube_ca_file");
  if (!(default_ca && !std::filesystem::exists(ca))) tls.ca_file = ca;
  s.api.api = target->client;
  s.api.api.tls = tls;
  s.api.api_url = url;
  if (tls.enabled && !s.dummy_meta && !s.use_tag_for_meta) {
    if (std::string why = http::tls_settings_error(s.api.api.tls); !why.empty())
      cfg.fail("kube_ca_file", why);
  }
  if (s.use_kubelet) {
    int64_t port = cfg.get_int("kubelet_port");
    if (port < 1 || port > 65535) cfg.fail("kubelet_port", "expects a port number from 1 to 65535");
    http::ClientSettings k = s.api.api;
    k.host = cfg.get_string("kubelet_host");
    if (k.host.empty()) cfg.fail("kubelet_host", "expects the kubelet's address (use_kubelet is on), e.g. 127.0.0.1");
    k.port = static_cast<uint16_t>(port);
    k.proxy.clear();  // on this node
    k.tls = tls;
    k.tls.enabled = true;  // the kubelet serves HTTPS only
    s.api.kubelet = k;
    s.api.kubelet_url = "https://" + k.host + ":" + std::to_string(port);
  }
  s.api.token_file = resolve(cfg.get_string("kube_token_file"), ctx);
  s.api.token_command = cfg.get_string("kube_token_command");
  s.api.token_ttl = cfg.get_duration("kube_token_ttl");
  s.api.preload_dir = resolve(cfg.get_string("kube_meta_preload_cache_dir"), ctx);
  if (!s.api.preload_dir.empty() && !std::filesystem::is_directory(s.api.preload_dir))
    cfg.fail("kube_meta_preload_cache_dir", "'" + s.api.preload_dir + "' is not a folder");
  return kube::make_kubernetes_filter_from(std::move(s));
}

}  // namespace sluice
