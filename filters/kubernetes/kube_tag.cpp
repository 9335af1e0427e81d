// Reading a tag for its pod; see kube_tag.hpp.
#include "filters/kubernetes/kube_tag.hpp"

#include <stdexcept>

#include "agent/parse/parser.hpp"

namespace sluice::kube {

const std::string_view kDefaultTagPattern =
    R"((?<pod_name>[a-z0-9](?:[-a-z0-9]*[a-z0-9])?(?:\.[a-z0-9](?:[-a-z0-9]*[a-z0-9])?)*)_(?<namespace_name>[^_]+)_(?<container_name>.+)-(?<docker_id>[a-z0-9]{64})\.log$)";

namespace {

void take(PodRef& ref, std::string_view name, std::string_view value) {
  if (value.empty()) return;
  std::string* slot = name == "pod_name"         ? &ref.pod_name
                      : name == "namespace_name" ? &ref.namespace_name
                      : name == "container_name" ? &ref.container_name
                      : name == "docker_id"      ? &ref.docker_id
                                                 : nullptr;
  if (slot != nullptr && slot->empty()) *slot = std::string(value);  // the first that took part
}

}  // namespace

TagReader::TagReader(std::string prefix, const Parser* parser) : prefix_(std::move(prefix)), parser_(parser) {
  if (parser_ == nullptr) {
    std::string error;
    regex_ = Regex::compile(kDefaultTagPattern, &error);
    if (!regex_) throw std::logic_error("kubernetes tag pattern: " + error);
  }
}

std::optional<PodRef> TagReader::read(std::string_view tag) const {
  if (!tag.starts_with(prefix_)) return std::nullopt;
  std::string_view rest = tag.substr(prefix_.size());
  PodRef ref;
  if (parser_ != nullptr) {
    Arena arena(1024);
    auto parsed = parser_->parse(rest, arena);
    if (!parsed || !parsed->record.is_map()) return std::nullopt;
    for (const Member& m : parsed->record.members())
      if (m.value.is_string()) take(ref, m.key.view(), m.value.as_string());
  } else if (!regex_->named_captures(rest, [&](std::string_view name, std::string_view value) { take(ref, name, value); })) {
    return std::nullopt;
  }
  if (ref.pod_name.empty() || ref.namespace_name.empty()) return std::nullopt;
  return ref;
}

}  // namespace sluice::kube
