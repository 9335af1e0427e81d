// What the kubernetes filter makes of a pod: the tag's names (namespace, pod,
// container, container id), the `kubernetes` map built from the API
// server's Pod object, the `kubernetes_namespace` map from a Namespace, and
// the fluentbit.io/ annotations a pod sets for its own logs. Pure functions
// over records (Values): no I/O, so the unit tests reach every case.
#pragma once
#include <functional>
#include <string>
#include <string_view>
#include <vector>

#include "agent/arena.hpp"
#include "agent/value.hpp"

namespace sluice::kube {

// Names taken from a tag (or what the regex_parser made of it).
struct PodRef {
  std::string namespace_name;
  std::string pod_name;
  std::string container_name;
  std::string docker_id;
  // The pod cache's key: "<ns>/<pod>".
  std::string pod_key() const { return namespace_name + '/' + pod_name; }
};

// "docker://abc" -> "abc", "docker-pullable://img@sha256:1" -> "img@sha256:1";
// a value with no "://" is kept whole ("sha256:ab"); "" for none.
std::string strip_scheme(std::string_view id);

struct MapOptions {
  bool labels = true;
  bool annotations = true;
  bool owner_references = false;
};

// The `kubernetes` map for one container of a pod, in Fluent Bit's order:
// pod_name, namespace_name, pod_id, labels, annotations, ownerReferences,
// host, pod_ip, container_name, docker_id, container_hash, container_image
// (each only when known). pod is the Pod object (a map) or null: then only
// the tag's names. The tag's docker_id wins over the container status's.
Value kubernetes_map(const PodRef& ref, const Value* pod, const MapOptions& options, Arena& arena);

// `kubernetes_namespace`: {name, labels?, annotations?} from a Namespace
// object (or only the name when ns is null).
Value namespace_map(std::string_view name, const Value* ns, bool labels, bool annotations, Arena& arena);

// The parts of a Pod object the filter reads (metadata's uid, labels,
// annotations and ownerReferences, spec.nodeName, status.podIP, and each
// container status's name, containerID, imageID and image), copied into
// arena: what the cache keeps instead of the whole answer, whose
// managedFields and spec can be tens of kilobytes a pod.
Value trimmed_pod(const Value& pod, Arena& arena);

// The Pod in a PodList (the kubelet's /pods) with exactly this namespace and
// name, or null.
const Value* find_pod_in_list(const Value& list, std::string_view namespace_name, std::string_view pod_name);

// What a pod's fluentbit.io/ annotations ask of one of its containers'
// records: a parser per stream, exclusion per stream.
struct LogProps {
  std::string stdout_parser;
  std::string stderr_parser;
  bool stdout_exclude = false;
  bool stderr_exclude = false;

  // For a record with this `stream` value ("stdout", "stderr" or other/none).
  bool excluded(std::string_view stream) const;
  std::string_view parser(std::string_view stream) const;
};

// Reads fluentbit.io/parser[_stdout|_stderr][-<container>] and
// fluentbit.io/exclude[...] (Fluent Bit's grammar: a container-specific
// annotation overrides a general one; among general ones the first wins).
// allow_parser / allow_exclude: k8s-logging.parser / k8s-logging.exclude.
// warn gets one line per annotation ignored (not allowed, malformed, an
// unknown parser as said by known_parser).
LogProps log_props(const Value* pod, std::string_view container, bool allow_parser, bool allow_exclude,
                   const std::function<bool(std::string_view)>& known_parser,
                   const std::function<void(const std::string&)>& warn);

// A copy of v whose maps and arrays are new (in arena) and whose strings are
// shared: v's strings must already live as long as the copy. Each record
// gets its own maps, so a filter that changes one record's map in place
// leaves the others alone.
Value copy_structure(const Value& v, Arena& arena);

}  // namespace sluice::kube
