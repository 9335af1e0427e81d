// Records → Cloud Logging LogEntries; see google_entry.hpp. Field meanings
// from the LogEntry reference (../shared/protocols.md section 5) and Fluent
// Bit's stackdriver special keys.
#include "outputs/google/google_entry.hpp"

#include <algorithm>
#include <array>
#include <cctype>

#include "agent/json_writer.hpp"

namespace sluice::google {

namespace {

std::string lower(std::string_view s) {
  std::string out(s);
  for (char& c : out) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return out;
}

const Value* string_at(const Value& record, std::string_view key) {
  const Value* v = key.empty() ? nullptr : record.find(key);
  return v != nullptr && v->is_string() ? v : nullptr;
}

const Value* map_at(const Value& record, std::string_view key) {
  const Value* v = key.empty() ? nullptr : record.find(key);
  return v != nullptr && v->is_map() ? v : nullptr;
}

// "k8s_container.<namespace>.<pod>.<container>" (Fluent Bit's local_resource_id).
struct K8sNames {
  std::string namespace_name, pod_name, container_name, node_name;
};

bool from_local_id(std::string_view id, K8sNames& k) {
  size_t dot = id.find('.');
  if (dot == std::string_view::npos) return false;
  std::string_view rest = id.substr(dot + 1);
  size_t a = rest.find('.');
  if (a == std::string_view::npos) return false;
  k.namespace_name = std::string(rest.substr(0, a));
  rest.remove_prefix(a + 1);
  size_t b = rest.find('.');
  k.pod_name = std::string(rest.substr(0, b));
  if (b != std::string_view::npos) k.container_name = std::string(rest.substr(b + 1));
  return true;
}

// "<prefix><pod>_<namespace>_<container>-<64 hex>.log", the kubelet's file name as a tag.
bool from_tag(std::string_view tag, std::string_view prefix, K8sNames& k) {
  if (tag.substr(0, prefix.size()) != prefix) return false;
  std::string_view rest = tag.substr(prefix.size());
  size_t u1 = rest.find('_');
  size_t u2 = u1 == std::string_view::npos ? u1 : rest.find('_', u1 + 1);
  if (u2 == std::string_view::npos) return false;
  k.pod_name = std::string(rest.substr(0, u1));
  k.namespace_name = std::string(rest.substr(u1 + 1, u2 - u1 - 1));
  std::string_view container = rest.substr(u2 + 1);
  if (container.size() > 4 && container.substr(container.size() - 4) == ".log") container.remove_suffix(4);
  if (size_t dash = container.rfind('-'); dash != std::string_view::npos && container.size() - dash == 65)
    container = container.substr(0, dash);
  k.container_name = std::string(container);
  return true;
}

void label(std::string& out, bool& first, std::string_view name, std::string_view value) {
  if (!first) out += ',';
  first = false;
  json::append_string(out, name);
  out += ':';
  json::append_string(out, value);
}

}  // namespace

std::string_view severity_of(const Value& v) {
  static constexpr std::array<std::string_view, 9> kByHundred = {"DEFAULT", "DEBUG",    "INFO",  "NOTICE",   "WARNING",
                                                                 "ERROR",   "CRITICAL", "ALERT", "EMERGENCY"};
  if (v.is_int()) {
    int64_t n = v.as_int();
    if (n >= 0 && n <= 800 && n % 100 == 0) return kByHundred[static_cast<size_t>(n / 100)];
    // syslog severities: 0 emergency … 7 debug
    static constexpr std::array<std::string_view, 8> kSyslog = {"EMERGENCY", "ALERT",  "CRITICAL", "ERROR",
                                                                "WARNING",   "NOTICE", "INFO",     "DEBUG"};
    if (n >= 0 && n <= 7) return kSyslog[static_cast<size_t>(n)];
    return "";
  }
  if (!v.is_string()) return "";
  std::string s = lower(v.as_string());
  if (s == "default") return "DEFAULT";
  if (s == "debug" || s == "trace") return "DEBUG";
  if (s == "info" || s == "information") return "INFO";
  if (s == "notice") return "NOTICE";
  if (s == "warning" || s == "warn") return "WARNING";
  if (s == "error" || s == "err") return "ERROR";
  if (s == "critical" || s == "crit" || s == "fatal") return "CRITICAL";
  if (s == "alert") return "ALERT";
  if (s == "emergency" || s == "emerg" || s == "panic") return "EMERGENCY";
  return "";
}

std::string log_id(std::string_view name) {
  std::string out;
  for (char c : name.substr(0, 512)) {
    if (c == '/') out += "%2F";
    else if (std::isalnum(static_cast<unsigned char>(c)) || c == '_' || c == '-' || c == '.') out += c;
    else out += '_';
  }
  return out.empty() ? "_" : out;
}

bool EntryEncoder::per_entry_resource() const {
  ResourceType t = s_.resource.type;
  return !s_.resource.labels.empty() || t == ResourceType::K8sContainer || t == ResourceType::K8sPod ||
         t == ResourceType::K8sNode;
}

void EntryEncoder::append_default_resource(std::string& out, std::string_view project) const {
  const ResourceSettings& r = s_.resource;
  out += "{\"type\":";
  json::append_string(out, resource_type_name(r.type));
  out += ",\"labels\":{";
  bool first = true;
  label(out, first, "project_id", project);
  switch (r.type) {
    case ResourceType::GenericNode:
    case ResourceType::GenericTask:
      label(out, first, "location", r.location);
      label(out, first, "namespace", r.namespace_name);
      if (r.type == ResourceType::GenericNode) {
        label(out, first, "node_id", r.node_id);
      } else {
        label(out, first, "job", r.job);
        label(out, first, "task_id", r.task_id);
      }
      break;
    case ResourceType::GceInstance:
      label(out, first, "instance_id", r.instance_id);
      label(out, first, "zone", r.zone);
      break;
    case ResourceType::K8sCluster:
    case ResourceType::K8sContainer:
    case ResourceType::K8sPod:
    case ResourceType::K8sNode:
      label(out, first, "location", r.location);
      label(out, first, "cluster_name", r.cluster_name);
      break;
    case ResourceType::Global:
      break;
  }
  out += "}}";
}

void EntryEncoder::append_resource(std::string& out, std::string_view project, const std::string& tag,
                                   const Value& record) const {
  const ResourceSettings& r = s_.resource;
  if (r.type != ResourceType::K8sContainer && r.type != ResourceType::K8sPod && r.type != ResourceType::K8sNode) {
    // The configured resource, with resource_labels read from this record.
    append_default_resource(out, project);
    out.resize(out.size() - 2);  // reopen the labels
  } else {
    K8sNames k;
    if (const Value* id = string_at(record, s_.keys.local_resource_id); id == nullptr || !from_local_id(id->as_string(), k)) {
      if (const Value* kube = map_at(record, "kubernetes")) {
        auto field = [&](const char* name) {
          const Value* v = kube->find(name);
          return v != nullptr && v->is_string() ? std::string(v->as_string()) : std::string();
        };
        k = {field("namespace_name"), field("pod_name"), field("container_name"), field("host")};
      } else {
        from_tag(tag, r.tag_prefix, k);
      }
    }
    out += "{\"type\":";
    json::append_string(out, resource_type_name(r.type));
    out += ",\"labels\":{";
    bool first = true;
    label(out, first, "project_id", project);
    label(out, first, "location", r.location);
    label(out, first, "cluster_name", r.cluster_name);
    if (r.type == ResourceType::K8sNode) {
      label(out, first, "node_name", k.node_name);
    } else {
      label(out, first, "namespace_name", k.namespace_name);
      label(out, first, "pod_name", k.pod_name);
      if (r.type == ResourceType::K8sContainer) label(out, first, "container_name", k.container_name);
    }
  }
  std::string value;
  for (const auto& [name, tmpl] : r.labels) {
    value.clear();
    if (!tmpl.render(record, tag, value)) continue;
    out += ',';
    json::append_string(out, name);
    out += ':';
    json::append_string(out, value);
  }
  out += "}}";
}

void EntryEncoder::encode(const std::string& tag, const Event& e, std::string_view project, std::string& out) {
  const Value& r = e.record;
  const EntryKeys& k = s_.keys;
  // The special keys this record has and uses: they leave the payload.
  std::array<std::string_view, 12> used{};
  size_t n_used = 0;
  auto use = [&](std::string_view key) { used[n_used++] = key; };
  if (!k.local_resource_id.empty() && r.find(k.local_resource_id) != nullptr) use(k.local_resource_id);

  const Value* name = string_at(r, k.log_name);
  if (name != nullptr) use(k.log_name);
  std::string_view severity;
  if (const Value* v = k.severity.empty() ? nullptr : r.find(k.severity)) {
    severity = severity_of(*v);
    if (!severity.empty()) use(k.severity);  // an unknown value stays in the payload
  }
  const Value* labels = map_at(r, k.labels);
  const Value* trace = string_at(r, k.trace);
  const Value* span = string_at(r, k.span_id);
  const Value* sampled = k.trace_sampled.empty() ? nullptr : r.find(k.trace_sampled);
  if (sampled != nullptr && !sampled->is_bool()) sampled = nullptr;
  const Value* http_request = map_at(r, k.http_request);
  const Value* insert_id = string_at(r, k.insert_id);
  const Value* operation = map_at(r, k.operation);
  const Value* source = map_at(r, k.source_location);
  for (auto [v, key] : {std::pair{labels, &k.labels}, {trace, &k.trace}, {span, &k.span_id}, {sampled, &k.trace_sampled},
                        {http_request, &k.http_request}, {insert_id, &k.insert_id}, {operation, &k.operation},
                        {source, &k.source_location}})
    if (v != nullptr) use(*key);

  // The payload first: the insertId is a hash of it.
  payload_.clear();
  const Value* text = string_at(r, k.text_payload);
  bool text_only = text != nullptr && r.size() == 1;
  if (text_only) {
    json::append_string(payload_, text->as_string());
  } else {
    payload_ += '{';
    bool first = true;
    for (const Member& m : r.members()) {
      if (std::find(used.begin(), used.begin() + static_cast<long>(n_used), m.key) != used.begin() + static_cast<long>(n_used))
        continue;
      if (!first) payload_ += ',';
      first = false;
      json::append_string(payload_, m.key);
      payload_ += ':';
      json::append_value(payload_, m.value);
    }
    payload_ += '}';
  }

  out += "{\"logName\":";
  json::append_string(out, "projects/" + std::string(project) + "/logs/" +
                               log_id(name != nullptr ? name->as_string() : std::string_view(tag)));
  if (per_entry_resource()) {
    out += ",\"resource\":";
    append_resource(out, project, tag, r);
  }
  out += ",\"timestamp\":\"";
  json::append_rfc3339(out, e.time_ns);
  out += '"';
  if (!severity.empty()) {
    out += ",\"severity\":\"";
    out += severity;
    out += '"';
  }
  out += ",\"insertId\":";
  if (insert_id != nullptr) {
    json::append_string(out, insert_id->as_string());
  } else {
    char id[RecordIdHasher::kHexLength];
    hasher_.id(tag, e.time_ns, payload_, id);
    out += '"';
    out.append(id, sizeof id);
    out += '"';
  }
  if (labels != nullptr) {
    out += ",\"labels\":{";
    bool first = true;
    std::string text_value;
    for (const Member& m : labels->members()) {
      text_value.clear();
      if (m.value.is_string()) text_value.assign(m.value.as_string());
      else json::append_value(text_value, m.value);
      label(out, first, m.key, text_value);
    }
    out += '}';
  }
  if (trace != nullptr) {
    out += ",\"trace\":";
    std::string_view t = trace->as_string();
    if (k.autoformat_trace && t.substr(0, 9) != "projects/")
      json::append_string(out, "projects/" + std::string(project) + "/traces/" + std::string(t));
    else
      json::append_string(out, t);
  }
  if (span != nullptr) {
    out += ",\"spanId\":";
    json::append_string(out, span->as_string());
  }
  if (sampled != nullptr) out += sampled->as_bool() ? ",\"traceSampled\":true" : ",\"traceSampled\":false";
  if (http_request != nullptr) {
    out += ",\"httpRequest\":";
    json::append_value(out, *http_request);
  }
  if (operation != nullptr) {
    out += ",\"operation\":";
    json::append_value(out, *operation);
  }
  if (source != nullptr) {
    out += ",\"sourceLocation\":";
    json::append_value(out, *source);
  }
  out += text_only ? ",\"textPayload\":" : ",\"jsonPayload\":";
  out += payload_;
  out += '}';
}

}  // namespace sluice::google
