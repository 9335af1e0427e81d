// libFuzzer target for what the kubernetes filter reads from the API
// server, the kubelet and log lines: any bytes as a Pod (or PodList) answer
// give a `kubernetes` map, a namespace map and the annotations' wishes, and
// any bytes as a tag or a `log` field go through the tag pattern and
// merge_log, never a crash. The input is split at NULs: the answer, the
// record's log text, the tag (after kube.).
#include <cstdint>
#include <cstdlib>
#include <string>
#include <string_view>

#include "agent/parse/json_format.hpp"
#include "agent/record.hpp"
#include "filters/kubernetes/kube_api.hpp"
#include "filters/kubernetes/kube_metadata.hpp"
#include "filters/kubernetes/kube_record.hpp"
#include "filters/kubernetes/kube_tag.hpp"

namespace {

using namespace sluice;

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string_view input(reinterpret_cast<const char*>(data), size);
  auto next = [&input]() {
    size_t nul = input.find('\0');
    std::string_view part = input.substr(0, nul);
    input = nul == std::string_view::npos ? std::string_view() : input.substr(nul + 1);
    return part;
  };
  std::string_view answer = next();
  std::string_view log = next();
  std::string_view tag = next();

  static const kube::TagReader tags("kube.", nullptr);
  auto ref = tags.read("kube." + std::string(tag));
  kube::PodRef pod_ref = ref ? *ref : kube::PodRef{"ns", "pod", "app", ""};

  Arena arena(4096);
  auto json = make_json_format();
  Value root;
  const Value* pod = nullptr;
  if (json->parse(answer, arena, root) && root.is_map()) {
    pod = root.find("items") != nullptr ? kube::find_pod_in_list(root, pod_ref.namespace_name, pod_ref.pod_name)
                                        : &root;
  }
  kube::MapOptions options;
  options.owner_references = true;
  Value map = kube::kubernetes_map(pod_ref, pod, options, arena);
  if (!map.is_map()) std::abort();
  Value ns = kube::namespace_map(pod_ref.namespace_name, pod, true, true, arena);
  kube::LogProps props = kube::log_props(
      pod, pod_ref.container_name, true, true, [](std::string_view n) { return n.size() < 8; },
      [](const std::string&) {});
  (void)props.excluded("stdout");
  (void)props.parser("");
  (void)kube::answer_reason(std::string(answer));

  std::vector<Member> scratch;
  MapBuilder b(arena, scratch);
  b.add("log", Value::string(arena.copy(log)));
  b.add("stream", Value::string("stdout"));
  Event event{1, b.finish()};
  kube::MergeSettings merge;
  merge.merge_log = true;
  merge.keep_log = (size & 1) != 0;
  merge.merge_log_key = (size & 2) != 0 ? "app" : "";
  kube::enrich(event, arena, merge, nullptr, *json, kube::copy_structure(map, arena), kube::copy_structure(ns, arena),
               scratch);
  if (!event.record.is_map() || event.record.find("kubernetes") == nullptr) std::abort();
  return 0;
}
