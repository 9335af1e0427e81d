// The kubernetes filter's metadata; see kube_metadata.hpp. What Fluent Bit
// 5.1 does (its filter_kubernetes/kube_meta.c and kube_property.c), and
// where sluice reads the same object differently, is in
// docs/filters/kubernetes.md.
#include "filters/kubernetes/kube_metadata.hpp"

#include <algorithm>
#include <initializer_list>

#include "agent/ascii_case.hpp"
#include "agent/record.hpp"

namespace sluice::kube {

namespace {

const Value* member(const Value* map, std::string_view key) {
  if (map == nullptr || !map->is_map()) return nullptr;
  return map->find(key);
}

std::string_view text(const Value* v) { return v != nullptr && v->is_string() ? v->as_string() : std::string_view(); }

void add_text(MapBuilder& b, Arena& arena, std::string_view key, std::string_view value) {
  if (!value.empty()) b.add(key, record::string(arena, value));
}

// The status of a container by name, from containerStatuses or
// initContainerStatuses (whichever the object lists first, as Fluent Bit).
const Value* container_status(const Value* status, std::string_view container) {
  if (status == nullptr || !status->is_map() || container.empty()) return nullptr;
  for (const Member& list : status->members()) {
    if (!(list.key == "containerStatuses" || list.key == "initContainerStatuses") || !list.value.is_array()) continue;
    for (const Value& s : list.value.items())
      if (text(member(&s, "name")) == container) return &s;
  }
  return nullptr;
}

}  // namespace

std::string strip_scheme(std::string_view id) {
  size_t colon = id.find("://");
  if (colon == std::string_view::npos) return std::string(id);
  std::string_view rest = id.substr(colon + 1);
  while (!rest.empty() && rest.front() == '/') rest.remove_prefix(1);
  return std::string(rest);
}

Value kubernetes_map(const PodRef& ref, const Value* pod, const MapOptions& options, Arena& arena) {
  std::vector<Member> scratch;
  MapBuilder b(arena, scratch);
  add_text(b, arena, "pod_name", ref.pod_name);
  add_text(b, arena, "namespace_name", ref.namespace_name);
  const Value* metadata = member(pod, "metadata");
  add_text(b, arena, "pod_id", text(member(metadata, "uid")));
  if (const Value* labels = member(metadata, "labels"); options.labels && labels != nullptr && labels->is_map())
    b.add("labels", record::deep_copy(*labels, arena));
  if (const Value* annotations = member(metadata, "annotations");
      options.annotations && annotations != nullptr && annotations->is_map())
    b.add("annotations", record::deep_copy(*annotations, arena));
  if (const Value* owners = member(metadata, "ownerReferences");
      options.owner_references && owners != nullptr && owners->is_array())
    b.add("ownerReferences", record::deep_copy(*owners, arena));
  add_text(b, arena, "host", text(member(member(pod, "spec"), "nodeName")));
  const Value* status = member(pod, "status");
  add_text(b, arena, "pod_ip", text(member(status, "podIP")));
  add_text(b, arena, "container_name", ref.container_name);
  const Value* cs = container_status(status, ref.container_name);
  add_text(b, arena, "docker_id",
           !ref.docker_id.empty() ? ref.docker_id : strip_scheme(text(member(cs, "containerID"))));
  add_text(b, arena, "container_hash", strip_scheme(text(member(cs, "imageID"))));
  add_text(b, arena, "container_image", text(member(cs, "image")));
  return b.finish();
}

Value namespace_map(std::string_view name, const Value* ns, bool labels, bool annotations, Arena& arena) {
  std::vector<Member> scratch;
  MapBuilder b(arena, scratch);
  add_text(b, arena, "name", name);
  const Value* metadata = member(ns, "metadata");
  if (const Value* v = member(metadata, "labels"); labels && v != nullptr && v->is_map())
    b.add("labels", record::deep_copy(*v, arena));
  if (const Value* v = member(metadata, "annotations"); annotations && v != nullptr && v->is_map())
    b.add("annotations", record::deep_copy(*v, arena));
  return b.finish();
}

Value trimmed_pod(const Value& pod, Arena& arena) {
  std::vector<Member> scratch;
  auto keep = [&](MapBuilder& b, const Value* from, std::initializer_list<std::string_view> keys) {
    for (std::string_view k : keys)
      if (const Value* v = member(from, k)) b.add(arena.copy(k), record::deep_copy(*v, arena));
  };
  MapBuilder root(arena, scratch);
  {
    MapBuilder m(arena, scratch);
    keep(m, member(&pod, "metadata"), {"name", "namespace", "uid", "labels", "annotations", "ownerReferences"});
    Value metadata = m.finish();
    root.add("metadata", metadata);
  }
  {
    MapBuilder sp(arena, scratch);
    keep(sp, member(&pod, "spec"), {"nodeName"});
    Value spec = sp.finish();
    root.add("spec", spec);
  }
  const Value* status = member(&pod, "status");
  MapBuilder st(arena, scratch);
  keep(st, status, {"podIP"});
  if (status != nullptr && status->is_map()) {
    for (const Member& list : status->members()) {
      if (!(list.key == "containerStatuses" || list.key == "initContainerStatuses") || !list.value.is_array()) continue;
      std::vector<Value> items;
      for (const Value& c : list.value.items()) {
        MapBuilder cb(arena, scratch);
        keep(cb, &c, {"name", "containerID", "imageID", "image"});
        items.push_back(cb.finish());
      }
      Value* out = arena.allocate_array<Value>(items.size());
      std::copy(items.begin(), items.end(), out);
      st.add(arena.copy(list.key.view()), Value::array(out, static_cast<uint32_t>(items.size())));
    }
  }
  Value status_value = st.finish();
  root.add("status", status_value);
  return root.finish();
}

const Value* find_pod_in_list(const Value& list, std::string_view namespace_name, std::string_view pod_name) {
  const Value* items = member(&list, "items");
  if (items == nullptr || !items->is_array()) return nullptr;
  for (const Value& pod : items->items()) {
    const Value* metadata = member(&pod, "metadata");
    if (text(member(metadata, "name")) == pod_name && text(member(metadata, "namespace")) == namespace_name)
      return &pod;
  }
  return nullptr;
}

bool LogProps::excluded(std::string_view stream) const {
  if (stream == "stdout") return stdout_exclude;
  if (stream == "stderr") return stderr_exclude;
  return stdout_exclude && stderr_exclude;
}

std::string_view LogProps::parser(std::string_view stream) const {
  if (stream == "stdout") return stdout_parser;
  if (stream == "stderr") return stderr_parser;
  return stdout_parser == stderr_parser ? std::string_view(stdout_parser) : std::string_view();
}

LogProps log_props(const Value* pod, std::string_view container, bool allow_parser, bool allow_exclude,
                   const std::function<bool(std::string_view)>& known_parser,
                   const std::function<void(const std::string&)>& warn) {
  constexpr std::string_view kPrefix = "fluentbit.io/";
  LogProps props;
  // Whether an annotation already set a slot: a general one then leaves it
  // alone, a container's own overrides it.
  bool set_parser[2] = {false, false};
  bool set_exclude[2] = {false, false};
  const Value* annotations = member(member(pod, "metadata"), "annotations");
  if (annotations == nullptr || !annotations->is_map()) return props;
  for (const Member& a : annotations->members()) {
    std::string_view key = a.key.view();
    if (!key.starts_with(kPrefix)) continue;
    std::string_view rest = key.substr(kPrefix.size());
    const bool is_parser = rest.starts_with("parser");
    const bool is_exclude = rest.starts_with("exclude");
    if (!is_parser && !is_exclude) {
      warn("annotation '" + std::string(key) + "' is not one of fluentbit.io/parser or fluentbit.io/exclude: ignored");
      continue;
    }
    rest.remove_prefix(is_parser ? 6 : 7);
    bool streams[2] = {true, true};  // stdout, stderr
    if (rest.starts_with("_stdout")) {
      streams[1] = false;
      rest.remove_prefix(7);
    } else if (rest.starts_with("_stderr")) {
      streams[0] = false;
      rest.remove_prefix(7);
    }
    bool specific = false;
    if (rest.starts_with("-") && rest.size() > 1) {
      if (rest.substr(1) != container) continue;  // another container's
      specific = true;
    } else if (!rest.empty()) {
      warn("annotation '" + std::string(key) +
           "' is malformed (expected fluentbit.io/" + (is_parser ? "parser" : "exclude") +
           "[_stdout|_stderr][-<container>]): ignored");
      continue;
    }
    if ((is_parser && !allow_parser) || (is_exclude && !allow_exclude)) {
      warn("annotation '" + std::string(key) + "' is not allowed (k8s-logging." + (is_parser ? "parser" : "exclude") +
           " is off): ignored");
      continue;
    }
    std::string_view value = text(&a.value);
    if (is_parser && !known_parser(value)) {
      warn("annotation '" + std::string(key) + "' names parser '" + std::string(value) + "', which is not defined: ignored");
      continue;
    }
    const std::string lower = ascii_lower(value);
    const bool yes = lower == "true" || lower == "on" || lower == "yes";
    for (int s = 0; s < 2; ++s) {
      if (!streams[s]) continue;
      if (is_parser) {
        if (specific || !set_parser[s]) (s == 0 ? props.stdout_parser : props.stderr_parser) = std::string(value);
        set_parser[s] = true;
      } else {
        if (specific || !set_exclude[s]) (s == 0 ? props.stdout_exclude : props.stderr_exclude) = yes;
        set_exclude[s] = true;
      }
    }
  }
  return props;
}

Value copy_structure(const Value& v, Arena& arena) {
  if (v.is_map()) {
    auto members = v.members();
    Member* out = arena.allocate_array<Member>(members.size());
    for (size_t i = 0; i < members.size(); ++i) out[i] = Member{members[i].key, copy_structure(members[i].value, arena)};
    return Value::map(out, static_cast<uint32_t>(members.size()));
  }
  if (v.is_array()) {
    auto items = v.items();
    Value* out = arena.allocate_array<Value>(items.size());
    for (size_t i = 0; i < items.size(); ++i) out[i] = copy_structure(items[i], arena);
    return Value::array(out, static_cast<uint32_t>(items.size()));
  }
  return v;
}

}  // namespace sluice::kube
