// The pod, namespace, container and container id in a tag: the tail input
// tags /var/log/containers/<pod>_<ns>_<container>-<id>.log as
// kube.var.log.containers.<pod>_<ns>_<container>-<id>.log; the filter takes
// kube_tag_prefix off and reads the rest with Fluent Bit's pattern or a
// regex_parser's.
#pragma once
#include <optional>
#include <string>
#include <string_view>

#include "agent/regex.hpp"
#include "filters/kubernetes/kube_metadata.hpp"

namespace sluice {
class Parser;
}

namespace sluice::kube {

// Fluent Bit's pattern for the file names under /var/log/containers.
extern const std::string_view kDefaultTagPattern;

class TagReader {
 public:
  // parser: the regex_parser (its named groups pod_name, namespace_name,
  // container_name, docker_id), or null for kDefaultTagPattern.
  TagReader(std::string prefix, const Parser* parser);

  // nullopt when the tag doesn't start with the prefix, the pattern doesn't
  // match, or it gives no pod or no namespace.
  std::optional<PodRef> read(std::string_view tag) const;
  const std::string& prefix() const { return prefix_; }

 private:
  std::string prefix_;
  const Parser* parser_;
  std::optional<Regex> regex_;
};

}  // namespace sluice::kube
