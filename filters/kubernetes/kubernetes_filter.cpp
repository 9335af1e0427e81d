// The `kubernetes` filter's data path; its keys are read in
// kubernetes_filter_config.cpp. Runs on the pipeline thread, and so do the
// API client's answers (the same io_context).
//
// A chunk's tag names one container of one pod. When that pod's metadata is
// cached the chunk is enriched in place. When it isn't, the chunk's events
// (with their arena and input acks) are taken out and held behind the
// lookup, in order with any other chunk of that pod, and go on through
// ctx.emit() once the answer (or the failure) is in: the pipeline never
// waits for the API server, and a held record is acknowledged to its input
// only once delivered, like any other.
#include <algorithm>
#include <ctime>
#include <deque>
#include <map>
#include <utility>
#include <unordered_map>

#include "agent/log.hpp"
#include "agent/metrics.hpp"
#include "agent/parse/json_format.hpp"
#include "agent/parse/parser.hpp"
#include "agent/record.hpp"
#include "filters/common/keep_events.hpp"
#include "filters/kubernetes/kube_settings.hpp"
#include "filters/kubernetes/kubernetes_filter.hpp"

namespace sluice::kube {

namespace {

using Clock = std::chrono::steady_clock;

// At most this much waits for lookups (records held behind a pod's).
constexpr size_t kMaxHeldBytes = size_t{16} << 20;

struct Held {
  ChunkPtr chunk;
  PodRef ref;
};

// A container's `kubernetes` map and its annotations' wishes, built once.
struct Built {
  Value map;
  LogProps props;
};

struct PodEntry {
  Arena arena{4096};
  Value pod;  // the Pod object; null until an answer gave it
  bool have = false;
  bool fetching = false;
  bool failure_logged = false;   // until an answer comes
  Clock::time_point fetched{};
  Clock::time_point retry_at{};  // after a failed lookup
  uint64_t seq = 0;              // insertion order, for eviction
  std::deque<Held> held;
  std::map<std::string, Built, std::less<>> built;  // by container '\0' docker_id
};

struct NamespaceEntry {
  Arena arena{1024};
  Value map;  // kubernetes_namespace; null until known
  bool have = false;
  bool fetching = false;
  Clock::time_point fetched{};
  Clock::time_point retry_at{};
  std::vector<std::string> waiting;  // pod keys with chunks held for it
};

class KubernetesFilter final : public Filter {
 public:
  explicit KubernetesFilter(FilterSettings settings) : s_(std::move(settings)), json_(make_json_format()) {}

  ~KubernetesFilter() override {
    *alive_ = false;
    if (api_) api_->close();
  }

  void start(FilterContext& ctx) override {
    ctx_ = &ctx;
    auto counter = [&](const char* name, const char* help) {
      return &ctx.metrics().counter(name, "filter", ctx.instance(), false, help);
    };
    enriched_ = counter("sluice_filter_kubernetes_records_total", "Records given a kubernetes map.");
    unmatched_ = counter("sluice_filter_kubernetes_unmatched_records_total",
                         "Records passed unchanged: their tag names no pod (kube_tag_prefix and the tag pattern).");
    excluded_ = counter("sluice_filter_kubernetes_excluded_records_total",
                        "Records dropped by their pod's fluentbit.io/exclude annotation.");
    merged_ = counter("sluice_filter_kubernetes_merged_records_total", "Records whose log field merge_log merged.");
    unmerged_ = counter("sluice_filter_kubernetes_merge_failures_total",
                        "Records whose log field merge_log could not read (kept as it was).");
    lookups_ = counter("sluice_filter_kubernetes_lookups_total", "Questions asked of the API server or the kubelet.");
    lookup_failures_ = counter("sluice_filter_kubernetes_lookup_failures_total",
                               "Lookups that failed (records went on with the tag's names only).");
    if (!s_.dummy_meta && !s_.use_tag_for_meta) api_ = std::make_unique<ApiClient>(ctx.io(), s_.api);
  }

  void filter(Chunk& chunk) override {
    if (chunk.events.empty()) return;
    if (s_.dummy_meta) return apply_dummy(chunk);
    const PodRef* ref = ref_for(chunk.tag);
    if (ref == nullptr) {
      unmatched_->add(chunk.events.size());
      if (unmatched_log_.hit() != 0)
        log::warn("filter kubernetes: tag '{}' names no pod (expected {}<pod>_<namespace>_<container>-<id>.log); "
                  "its records pass unchanged",
                  chunk.tag, s_.tags->prefix());
      return;
    }
    if (s_.use_tag_for_meta) {
      Value map = kubernetes_map(*ref, nullptr, s_.map, chunk.arena);
      return apply(chunk, map, Value(), LogProps());
    }
    PodEntry& e = pod_entry(*ref);
    NamespaceEntry* ns = namespace_entry(ref->namespace_name);
    bool pod_ok = pod_ready(e, *ref);
    bool ns_ok = ns == nullptr || namespace_ready(*ns, ref->namespace_name, pod_key(*ref));
    if (pod_ok && ns_ok && e.held.empty()) return apply(chunk, e, *ref, ns);
    if (held_bytes_ + chunk.memory_bytes() > kMaxHeldBytes) {
      // A slow API server must not fill memory with waiting records: this
      // pod's go on now, in order, with what is known (the tag's names).
      if (held_log_.hit() != 0)
        log::warn("filter kubernetes: {} MiB of records wait for lookups; pod {}'s go on without its metadata",
                  kMaxHeldBytes >> 20, ref->pod_key());
      release(e, /*force=*/true);
      return apply(chunk, e, *ref, ns);
    }
    ChunkPtr held = take(chunk);
    held_bytes_ += held->memory_bytes();
    e.held.push_back({std::move(held), *ref});
  }

  void flush() override {
    // Shutdown (or every input at its end, exit_on_eof): the lookups records
    // wait for are asked once more, on a private io_context for at most
    // request_timeout (5 s at most), since the pipeline's loop won't run
    // them now; then what still waits goes on with what is known.
    if (api_) lookup_now(std::min<std::chrono::milliseconds>(s_.api.api.request_timeout, std::chrono::seconds(5)));
    // By key: what is emitted may come back through this filter (a
    // rewrite_tag after it sends copies from the first filter) and add pods.
    std::vector<std::string> keys;
    for (const auto& [key, e] : pods_)
      if (!e->held.empty()) keys.push_back(key);
    for (const auto& key : keys)
      if (auto it = pods_.find(key); it != pods_.end()) release(*it->second, /*force=*/true);
  }

 private:
  void lookup_now(std::chrono::milliseconds limit) {
    boost::asio::io_context io;
    ApiClient client(io, s_.api);
    size_t pending = 0;
    for (auto& [key, e] : pods_) {
      if (e->held.empty() || e->have || s_.namespace_metadata_only) continue;
      const PodRef ref = e->held.front().ref;
      auto done = [this, &pending, key = key, ref](Answer a) {
        --pending;
        on_pod_answer(key, ref, std::move(a));
      };
      ++pending;
      if (s_.use_kubelet) client.get_node_pods(ref.namespace_name, ref.pod_name, std::move(done));
      else client.get_pod(ref.namespace_name, ref.pod_name, std::move(done));
    }
    for (auto& [name, ns] : namespaces_) {
      if (ns->waiting.empty() || ns->have) continue;
      ++pending;
      client.get_namespace(name, [this, &pending, name = name](Answer a) {
        --pending;
        on_namespace_answer(name, std::move(a));
      });
    }
    auto deadline = Clock::now() + limit;
    while (pending > 0 && Clock::now() < deadline) io.run_one_for(std::chrono::milliseconds(50));
    client.close();
  }

  // ---- tags ----

  const PodRef* ref_for(const std::string& tag) {
    auto it = tag_refs_.find(tag);
    if (it == tag_refs_.end()) {
      if (tag_refs_.size() >= 8192) tag_refs_.clear();
      it = tag_refs_.emplace(tag, s_.tags->read(tag)).first;
    }
    return it->second ? &*it->second : nullptr;
  }

  std::string pod_key(const PodRef& ref) const {
    std::string key = ref.pod_key();
    if (s_.cache_use_docker_id && !ref.docker_id.empty()) key += "/" + ref.docker_id;
    return key;
  }

  // ---- pods ----

  PodEntry& pod_entry(const PodRef& ref) {
    std::string key = pod_key(ref);
    auto it = pods_.find(key);
    if (it != pods_.end()) return *it->second;
    if (pods_.size() >= s_.max_pods) evict_one();
    auto e = std::make_unique<PodEntry>();
    e->seq = ++seq_;
    return *pods_.emplace(std::move(key), std::move(e)).first->second;
  }

  void evict_one() {
    auto victim = pods_.end();
    for (auto it = pods_.begin(); it != pods_.end(); ++it)
      if (!it->second->fetching && it->second->held.empty() && it->second.get() != releasing_ &&
          (victim == pods_.end() || it->second->seq < victim->second->seq))
        victim = it;
    if (victim != pods_.end()) pods_.erase(victim);
  }

  // Whether a chunk of this pod can be enriched now; starts a lookup when
  // none is known or the cached one is older than kube_meta_cache_ttl (then
  // the old one serves until the new one is in).
  bool pod_ready(PodEntry& e, const PodRef& ref) {
    if (s_.namespace_metadata_only) return true;
    auto now = Clock::now();
    if (e.have) {
      if (s_.pod_ttl.count() > 0 && now - e.fetched >= s_.pod_ttl && !e.fetching) fetch_pod(e, ref);
      return true;
    }
    if (e.fetching) return false;
    if (e.retry_at != Clock::time_point{} && now < e.retry_at) return true;  // failed lately: the tag's names
    fetch_pod(e, ref);
    return !e.fetching;
  }

  void fetch_pod(PodEntry& e, const PodRef& ref) {
    e.fetching = true;
    std::string key = pod_key(ref);
    if (s_.use_kubelet && s_.api.preload_dir.empty()) {
      // One /pods answers every pod of the node: the pods met while one is
      // on its way wait for the next, which is sent when it is back (a
      // node's hundred pods at start are not a hundred lists).
      kubelet_queued_.push_back({key, ref});
      if (!kubelet_in_flight_) ask_kubelet();
      return;
    }
    lookups_->add(1);
    auto done = [this, alive = alive_, key, ref](Answer a) {
      if (!*alive) return;
      on_pod_answer(key, ref, std::move(a));
    };
    if (s_.use_kubelet) api_->get_node_pods(ref.namespace_name, ref.pod_name, std::move(done));
    else api_->get_pod(ref.namespace_name, ref.pod_name, std::move(done));
  }

  struct Waiter {
    std::string key;
    PodRef ref;
  };

  void ask_kubelet() {
    kubelet_in_flight_ = true;
    lookups_->add(1);
    std::vector<Waiter> asking = std::move(kubelet_queued_);
    kubelet_queued_.clear();
    const PodRef first = asking.front().ref;
    api_->get_node_pods(first.namespace_name, first.pod_name,
                        [this, alive = alive_, asking = std::move(asking)](Answer a) {
                          if (!*alive) return;
                          on_kubelet_answer(asking, std::move(a));
                        });
  }

  // The list is read once for every pod that asked.
  void on_kubelet_answer(const std::vector<Waiter>& asking, Answer a) {
    kubelet_in_flight_ = false;
    Arena arena(a.ok ? a.body.size() + 1024 : 256);
    Value root;
    bool parsed = a.ok && json_->parse(a.body, arena, root) && root.is_map();
    for (const Waiter& w : asking) {
      const Value* pod = parsed ? find_pod_in_list(root, w.ref.namespace_name, w.ref.pod_name) : nullptr;
      std::string error = a.error;
      if (a.ok && !parsed) error = "the kubelet's answer is not a JSON object";
      // A pod the list doesn't hold yet (it has just started) is asked again soon.
      else if (a.ok && pod == nullptr) error = "pod " + w.ref.pod_key() + " is not among the kubelet's pods";
      settle_pod(w.key, w.ref, pod, error, a.ok ? 0 : a.status);
    }
    if (!kubelet_queued_.empty()) ask_kubelet();
  }

  void on_pod_answer(const std::string& key, const PodRef& ref, Answer a) {
    Arena arena(a.ok ? a.body.size() + 1024 : 256);
    Value root;
    const Value* pod = nullptr;
    std::string error = a.error;
    int status = a.status;
    if (a.ok) {
      if (!json_->parse(a.body, arena, root) || !root.is_map()) {
        error = "the answer for pod " + ref.pod_key() + " is not a JSON object";
      } else {
        pod = &root;
        if (root.find("items") != nullptr) pod = find_pod_in_list(root, ref.namespace_name, ref.pod_name);
        if (pod == nullptr) {
          error = "pod " + ref.pod_key() + " is not among the kubelet's pods";
          status = 404;
        }
      }
    }
    settle_pod(key, ref, pod, error, status);
  }

  // A lookup's end: the pod's metadata (only what the filter reads of it:
  // a Pod's answer, or a kubelet's whole list, can be tens of kilobytes a
  // pod), or why there is none; then the chunks waiting for it go on.
  void settle_pod(const std::string& key, const PodRef& ref, const Value* pod, const std::string& error, int status) {
    auto it = pods_.find(key);
    if (it == pods_.end()) return;
    PodEntry& e = *it->second;
    e.fetching = false;
    if (pod != nullptr) {
      e.built.clear();  // built in the arena about to go
      Arena kept(2048);
      e.pod = trimmed_pod(*pod, kept);
      e.arena = std::move(kept);
      e.have = true;
      e.fetched = Clock::now();
      e.failure_logged = false;
    } else {
      lookup_failures_->add(1);
      e.retry_at = Clock::now() + (status == 404 ? s_.pod_gone_retry : s_.retry_after);
      if (!std::exchange(e.failure_logged, true))
        log::warn("filter kubernetes: no metadata for pod {}: {}; its records go on with the names in their tag{}",
                  ref.pod_key(), error, e.have ? " and the metadata read before" : "");
    }
    try_release(key);
  }

  // ---- namespaces ----

  NamespaceEntry* namespace_entry(const std::string& name) {
    if (!s_.namespace_labels && !s_.namespace_annotations) return nullptr;
    auto& slot = namespaces_[name];
    if (!slot) slot = std::make_unique<NamespaceEntry>();
    return slot.get();
  }

  bool namespace_ready(NamespaceEntry& ns, const std::string& name, const std::string& waiter) {
    auto now = Clock::now();
    if (ns.have) {
      if (s_.namespace_ttl.count() > 0 && now - ns.fetched >= s_.namespace_ttl && !ns.fetching) fetch_namespace(ns, name);
      return true;
    }
    if (!ns.fetching && ns.retry_at != Clock::time_point{} && now < ns.retry_at) return true;
    if (!ns.fetching) fetch_namespace(ns, name);
    if (ns.fetching) {
      if (std::find(ns.waiting.begin(), ns.waiting.end(), waiter) == ns.waiting.end()) ns.waiting.push_back(waiter);
      return false;
    }
    return true;
  }

  void fetch_namespace(NamespaceEntry& ns, const std::string& name) {
    ns.fetching = true;
    lookups_->add(1);
    api_->get_namespace(name, [this, alive = alive_, name](Answer a) {
      if (!*alive) return;
      on_namespace_answer(name, std::move(a));
    });
  }

  void on_namespace_answer(const std::string& name, Answer a) {
    auto it = namespaces_.find(name);
    if (it == namespaces_.end()) return;
    NamespaceEntry& ns = *it->second;
    ns.fetching = false;
    std::string error = a.error;
    if (a.ok) {
      Arena scratch(a.body.size() + 1024);
      Value root;
      if (json_->parse(a.body, scratch, root) && root.is_map()) {
        Arena fresh(1024);
        ns.map = namespace_map(name, &root, s_.namespace_labels, s_.namespace_annotations, fresh);
        ns.arena = std::move(fresh);
        ns.have = true;
        ns.fetched = Clock::now();
      } else {
        error = "the answer for namespace " + name + " is not a JSON object";
      }
    }
    if (!error.empty()) {
      lookup_failures_->add(1);
      ns.retry_at = Clock::now() + (a.status == 404 ? s_.pod_gone_retry : s_.retry_after);
      log::warn("filter kubernetes: no metadata for namespace {}: {}", name, error);
      if (!ns.have) {
        Arena fresh(256);
        ns.map = namespace_map(name, nullptr, false, false, fresh);
        ns.arena = std::move(fresh);
      }
    }
    std::vector<std::string> waiting = std::move(ns.waiting);
    ns.waiting.clear();
    for (const auto& key : waiting) try_release(key);
  }

  // ---- applying ----

  void try_release(const std::string& key) {
    auto it = pods_.find(key);
    if (it != pods_.end()) release(*it->second, /*force=*/false);
  }

  void release(PodEntry& e, bool force) {
    // What is emitted may come back through this filter and add pods: the
    // entry being released is never the one evicted for them.
    const PodEntry* outer = std::exchange(releasing_, &e);
    while (!e.held.empty()) {
      Held& h = e.held.front();
      NamespaceEntry* ns = namespace_entry(h.ref.namespace_name);
      bool settled = s_.namespace_metadata_only || e.have || !e.fetching;
      bool ns_settled = ns == nullptr || ns->have || !ns->fetching;
      if (!force && !(settled && ns_settled)) break;
      Held taken = std::move(h);
      e.held.pop_front();
      held_bytes_ -= std::min(held_bytes_, taken.chunk->memory_bytes());
      apply(*taken.chunk, e, taken.ref, ns);
      if (!taken.chunk->events.empty()) ctx_->emit(std::move(taken.chunk));
    }
    releasing_ = outer;
  }

  void apply(Chunk& chunk, PodEntry& e, const PodRef& ref, NamespaceEntry* ns) {
    Value map;
    LogProps props;
    if (!s_.namespace_metadata_only) {
      const Built& b = built_for(e, ref);
      map = record::deep_copy(b.map, chunk.arena);
      props = b.props;
    }
    Value ns_map = ns != nullptr && !ns->map.is_null() ? record::deep_copy(ns->map, chunk.arena) : Value();
    apply(chunk, map, ns_map, props);
  }

  const Built& built_for(PodEntry& e, const PodRef& ref) {
    std::string key = ref.container_name + '\0' + ref.docker_id;
    auto it = e.built.find(key);
    if (it != e.built.end()) return it->second;
    const Value* pod = e.have ? &e.pod : nullptr;
    Built b;
    b.map = kubernetes_map(ref, pod, s_.map, e.arena);
    b.props = log_props(
        pod, ref.container_name, s_.allow_parser, s_.allow_exclude,
        [this](std::string_view name) { return s_.parsers->find(name) != nullptr; },
        [&](const std::string& why) { log::warn("filter kubernetes: pod {}: {}", ref.pod_key(), why); });
    return e.built.emplace(std::move(key), std::move(b)).first->second;
  }

  // map and ns_map live in the chunk's arena; each record gets its own copy
  // of their maps (a later filter may change one record's in place).
  void apply(Chunk& chunk, const Value& map, const Value& ns_map, const LogProps& props) {
    uint64_t enriched = 0, merged = 0, unmerged = 0;
    // The annotations' parsers, looked up once a chunk: stdout's, stderr's,
    // and the one for a record without a stream (when both are the same).
    auto parser_for = [&](std::string_view stream) {
      std::string_view name = props.parser(stream);
      return name.empty() ? s_.merge_parser : s_.parsers->find(name);
    };
    const Parser* stdout_parser = parser_for("stdout");
    const Parser* stderr_parser = parser_for("stderr");
    const Parser* other_parser = parser_for("");
    size_t excluded = keep_events(chunk, [&](Event& event) {
      std::string_view stream;
      if (event.record.is_map())
        if (const Value* v = event.record.find("stream"); v != nullptr && v->is_string()) stream = v->as_string();
      if (props.excluded(stream)) return false;
      const Parser* parser = stream == "stdout" ? stdout_parser : stream == "stderr" ? stderr_parser : other_parser;
      Merged m = enrich(event, chunk.arena, s_.merge, parser, *json_,
                        map.is_null() ? Value() : copy_structure(map, chunk.arena),
                        ns_map.is_null() ? Value() : copy_structure(ns_map, chunk.arena), scratch_);
      if (m == Merged::Merged) ++merged;
      if (m == Merged::NotParsed) ++unmerged;
      if (event.record.is_map()) ++enriched;
      return true;
    });
    enriched_->add(enriched);
    merged_->add(merged);
    unmerged_->add(unmerged);
    excluded_->add(excluded);
  }

  void apply_dummy(Chunk& chunk) {
    std::time_t now = std::time(nullptr);
    std::tm local{};
    ::localtime_r(&now, &local);
    char text[64];
    size_t n = std::strftime(text, sizeof text, "%a %b %e %H:%M:%S %Y", &local);
    std::vector<Member> scratch;
    MapBuilder b(chunk.arena, scratch);
    b.add("dummy", record::string(chunk.arena, std::string_view(text, n)));
    apply(chunk, b.finish(), Value(), LogProps());
  }

  // The chunk's events, arena, acks and metadata moved into a new chunk
  // under the same tag; chunk is left empty.
  static ChunkPtr take(Chunk& chunk) {
    auto held = std::make_unique<Chunk>(chunk.tag, 256);
    held->arena = std::move(chunk.arena);
    held->events.swap(chunk.events);
    held->acks.swap(chunk.acks);
    held->metadata.swap(chunk.metadata);
    held->routes = chunk.routes;
    held->route_mask = chunk.route_mask;
    return held;
  }

  FilterSettings s_;
  std::unique_ptr<ParseFormat> json_;
  FilterContext* ctx_ = nullptr;
  std::unique_ptr<ApiClient> api_;
  std::shared_ptr<bool> alive_ = std::make_shared<bool>(true);
  std::unordered_map<std::string, std::optional<PodRef>> tag_refs_;
  std::unordered_map<std::string, std::unique_ptr<PodEntry>> pods_;
  std::unordered_map<std::string, std::unique_ptr<NamespaceEntry>> namespaces_;
  uint64_t seq_ = 0;
  std::vector<Waiter> kubelet_queued_;  // pods for the next /pods
  bool kubelet_in_flight_ = false;
  size_t held_bytes_ = 0;  // of the chunks in every entry's held
  const PodEntry* releasing_ = nullptr;
  std::vector<Member> scratch_;
  log::RateLimit unmatched_log_{10000};
  log::RateLimit held_log_{1000};
  Counter* enriched_ = nullptr;
  Counter* unmatched_ = nullptr;
  Counter* excluded_ = nullptr;
  Counter* merged_ = nullptr;
  Counter* unmerged_ = nullptr;
  Counter* lookups_ = nullptr;
  Counter* lookup_failures_ = nullptr;
};

}  // namespace

std::unique_ptr<Filter> make_kubernetes_filter_from(FilterSettings settings) {
  return std::make_unique<KubernetesFilter>(std::move(settings));
}

}  // namespace sluice::kube
