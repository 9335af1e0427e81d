// One record through the kubernetes filter; see kube_record.hpp.
#include "filters/kubernetes/kube_record.hpp"

#include "agent/parse/parser.hpp"
#include "agent/record.hpp"

namespace sluice::kube {

std::string_view trim_newlines(std::string_view s) {
  while (!s.empty()) {
    if (s.back() == '\n' || s.back() == '\r') {
      s.remove_suffix(1);
    } else if (s.size() >= 2 && s[s.size() - 2] == '\\' && (s.back() == 'n' || s.back() == 'r')) {
      s.remove_suffix(2);
    } else {
      break;
    }
  }
  return s;
}

Merged enrich(Event& event, Arena& arena, const MergeSettings& settings, const Parser* parser, ParseFormat& json,
              const Value& kubernetes, const Value& kubernetes_namespace, std::vector<Member>& scratch) {
  if (!event.record.is_map()) return Merged::NotAsked;
  Merged merged = Merged::NotAsked;
  Value fields;          // what `log` gave, a map
  bool parsed = false;   // read from text (trimmed), not a map already
  if (settings.merge_log) {
    const Value* log = event.record.find("log");
    if (log == nullptr) {
      merged = Merged::NoLog;
    } else if (log->is_map()) {
      fields = *log;
      merged = Merged::Merged;
    } else if (log->is_string()) {
      merged = Merged::NotParsed;
      if (parser != nullptr) {
        if (auto p = parser->parse(log->as_string(), arena)) {
          fields = p->record;
          if (p->time_ns) event.time_ns = *p->time_ns;
          merged = Merged::Merged;
          parsed = true;
        }
      } else if (Value v; json.parse(log->as_string(), arena, v) && v.is_map()) {
        fields = v;
        merged = Merged::Merged;
        parsed = true;
      }
    }
  }
  const bool drop_log = merged == Merged::Merged && !settings.keep_log;
  MapBuilder b(arena, scratch);
  for (const Member& m : event.record.members())
    if (!(drop_log && m.key == "log")) b.add(m.key.view(), m.value);
  if (merged == Merged::Merged) {
    MapBuilder inner(arena, scratch);
    MapBuilder& into = settings.merge_log_key.empty() ? b : inner;
    for (const Member& m : fields.members()) {
      Value v = m.value;
      if (parsed && settings.trim && v.is_string()) v = Value::string(trim_newlines(v.as_string()));
      into.add_last(m.key.view(), v);
    }
    // inner's members follow b's on the shared scratch; finish() takes
    // only its own. An empty map is not nested (as Fluent Bit).
    if (!settings.merge_log_key.empty() && inner.size() > 0) {
      Value nested = inner.finish();
      b.add_last(arena.copy(settings.merge_log_key), nested);
    }
  }
  if (!kubernetes.is_null()) b.add_last("kubernetes", kubernetes);
  if (!kubernetes_namespace.is_null()) b.add_last("kubernetes_namespace", kubernetes_namespace);
  event.record = b.finish();
  return merged;
}

}  // namespace sluice::kube
