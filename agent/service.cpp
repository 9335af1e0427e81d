// Building and running the agent; see service.hpp. Hot reload is in
// service_reload.cpp.
#include "agent/service.hpp"

#include <unistd.h>

#include <csignal>

#include "agent/config/common_keys.hpp"
#include "agent/config/config_diff.hpp"
#include "agent/config/sanity.hpp"
#include "agent/log.hpp"
#include "agent/service_impl.hpp"
#include "filters/registry.hpp"
#include "inputs/registry.hpp"
#include "outputs/registry.hpp"

namespace sluice {

namespace asio = boost::asio;
using Clock = std::chrono::steady_clock;

std::string instance_name(const config::ComponentConfig& cfg, size_t index) {
  if (cfg.has("alias")) return cfg.get_string("alias");
  return std::string(cfg.plugin()) + "." + std::to_string(index);
}

namespace {

template <class Plugins>
const auto& find_plugin(const Plugins& plugins, std::string_view name) {
  for (const auto& p : plugins)
    if (p.name == name) return p;
  std::abort();  // the loader only accepts registered names
}

}  // namespace

// ---- InputSlot ----

Service::Impl::InputSlot::InputSlot(Impl& svc, std::string instance)
    : svc_(svc), instance_(std::move(instance)),
      records_(svc.metrics.counter("sluice_input_records_total", "input", instance_, false,
                                   "Records the input handed to the pipeline.")) {}

bool Service::Impl::InputSlot::paused() const {
  // A filesystem input that acknowledges senders (it offers) waits only for
  // its disk: a full pipeline fills the disk instead. One whose source is its
  // buffer (a file, a pipe) waits for the pipeline as in memory: reading
  // chunks back from disk would cost what waiting doesn't.
  bool p;
  if (!buffer) p = svc_.pipeline->paused();
  else if (!buffer->blocked_reason().empty()) p = true;
  else p = !offers_ && svc_.pipeline->paused();
  if (p && !paused_since_) {
    paused_since_ = Clock::now();
    paused_since_wall_ = std::chrono::system_clock::now();
  } else if (!p) {
    paused_since_.reset();
  }
  return p;
}

void Service::Impl::InputSlot::emit(ChunkPtr chunk) {
  if (chunk->events.empty()) return;
  records_.add(chunk->events.size());
  if (parts.processors) return parts.processors->process(std::move(chunk));  // then forward()
  forward(std::move(chunk));
}

void Service::Impl::InputSlot::forward(ChunkPtr chunk) {
  chunk->routes = parts.routes;
  if (buffer) return buffer->emit(std::move(chunk));
  svc_.pipeline->submit(std::move(chunk));
}

bool Service::Impl::InputSlot::offer(ChunkPtr& chunk) {
  if (!buffer) {
    emit(std::move(chunk));
    return true;
  }
  offers_ = true;
  size_t n = chunk ? chunk->events.size() : 0;
  // Processors run once on a chunk, even when the buffer refuses it and the
  // input offers it again.
  if (parts.processors && chunk && chunk.get() != processed_) parts.processors->run(*chunk);
  processed_ = nullptr;
  if (chunk && chunk->events.empty()) {
    records_.add(n);
    chunk.reset();  // the processors dropped every record: taken (acknowledged)
    return true;
  }
  if (!buffer->offer(chunk)) {
    processed_ = chunk.get();
    return false;
  }
  records_.add(n);
  return true;
}

void Service::Impl::InputSlot::begin() {
  log::Scope scope(parts.log_level);
  if (parts.processors)
    parts.processors->start(svc_.io, svc_.metrics, [this](ChunkPtr c) { forward(std::move(c)); });
  input->start(*this);
  started = true;
}

void Service::Impl::InputSlot::finished() {
  if (done_) return;
  done_ = true;
  // What waits in its buffer is delivered before the input counts as finished.
  if (buffer) return buffer->when_backlog_empty([this] { svc_.input_finished(); });
  svc_.input_finished();
}

// ---- building ----

Service::Impl::Impl(const config::PipelineConfig& loaded)
    : config_path(loaded.path), signals(io, SIGINT, SIGTERM), hangup(io, SIGHUP) {
  Plan p = plan(std::make_unique<config::PipelineConfig>(loaded));
  const auto& svc = p.cfg->service;
  grace = svc.get_duration("grace");
  storage_settings = p.storage;
  storage_limits = std::make_unique<storage::StorageLimits>(metrics);
  storage_limits->configure(std::move(p.storage_limits));
  pipeline = std::make_unique<Pipeline>(std::vector<FilterSlot>{}, std::vector<OutputRunner*>{},
                                        svc.get_size("mem_limit"), metrics);
  configs.push_back(std::move(p.cfg));
  if (p.parsers) parser_sets.push_back(std::move(p.parsers));

  std::vector<OutputRunner*> runner_ptrs;
  for (auto& o : p.outputs) {
    runner_ptrs.push_back(o.fresh.get());
    outputs.push_back({std::move(o.fingerprint), std::move(o.fresh)});
  }
  std::vector<FilterSlot> filters;
  for (auto& f : p.filters) {
    filter_ctxs.push_back(std::make_unique<FilterCtx>(*this, f.name, filters.size(), std::move(f.fingerprint)));
    filters.push_back(std::move(f.fresh));
  }
  pipeline->reconfigure(std::move(filters), std::move(runner_ptrs), svc.get_size("mem_limit"));
  for (auto& in : p.inputs) {
    auto slot = std::make_unique<InputSlot>(*this, in.name);
    slot->input = std::move(in.fresh);
    slot->fingerprint = std::move(in.fingerprint);
    slot->plugin = std::move(in.plugin);
    slot->filesystem = in.filesystem;
    slot->parts = std::move(in.parts);
    inputs.push_back(std::move(slot));
  }
  if (svc.get_bool("http_server")) {
    status = std::make_unique<StatusServer>(io, svc.get_string("http_listen"),
                                            static_cast<uint16_t>(svc.get_int("http_port")));
    add_status_routes();
  }
}

Service::Impl::~Impl() {
  for (auto& t : retire_threads)
    if (t.joinable()) t.join();
}

DeadLetter& Service::Impl::dead_letter_at(const std::string& path) {
  auto& slot = dead_letters[path];
  if (!slot) slot = std::make_unique<DeadLetter>(path);
  return *slot;
}

std::unique_ptr<OutputRunner> Service::Impl::build_output(const config::ComponentConfig& oc, const std::string& name,
                                                          const BuildContext& build,
                                                          std::chrono::nanoseconds service_flush) {
  const auto& plugin = find_plugin(output_plugins(), oc.plugin());
  auto settings = OutputSettings::from_config(oc, service_flush);
  DeadLetter& dl = dead_letter_at(settings.dead_letter_file.empty() ? default_dead_letter : settings.dead_letter_file);
  TagMatcher match = TagMatcher::from_config(oc);
  auto runner = std::make_unique<OutputRunner>(name, plugin.make(oc, build), std::move(settings), std::move(match),
                                               dl, metrics);
  runner->set_processors(build_processors(oc, name, build));
  return runner;
}

void Service::Impl::start_output(OutputRunner& runner) {
  runner.start();
  if (ProcessorChain* p = runner.processors())
    p->start(io, metrics, [this, r = &runner](ChunkPtr c) { pipeline->enqueue_to(r, std::move(c)); });
}

Service::Impl::Plan Service::Impl::plan(std::unique_ptr<config::PipelineConfig> next) {
  Plan p;
  const config::PipelineConfig* running = configs.empty() ? nullptr : configs.back().get();
  const auto& svc = next->service;
  // Without inputs the rest still validates (--dry-run of a file of outputs,
  // as Fluent Bit allows); run() refuses to start it, and so does a reload.
  if (next->inputs.empty() && running != nullptr)
    throw config::ConfigError(config::Mark{next->path, 0, 0}, "pipeline has no inputs");
  if (next->outputs.empty()) throw config::ConfigError(config::Mark{next->path, 0, 0}, "pipeline has no outputs");
  config::check_sanity(*next);

  std::vector<std::string> new_parsers;  // names whose definition changed: their users are rebuilt
  const ParserSet* parsers = parser_sets.empty() ? nullptr : parser_sets.back().get();
  if (running == nullptr || !(new_parsers = config::changed_parsers(*running, *next)).empty()) {
    p.parsers = std::make_unique<ParserSet>(ParserSet::build(next->parsers, next->multiline_parsers));
    parsers = p.parsers.get();
  }
  if (running != nullptr) p.service_changes = config::changed_service_keys(running->service, svc);
  if (configs.empty()) {
    default_dead_letter = default_dead_letter_path(svc);
    dead_letter_at(default_dead_letter);
  }
  BuildContext build{parsers, next->base_dir, &next->env};
  // An output's batching follows service.flush unless it sets its own.
  std::string flush_fp = "flush=" + std::to_string(svc.get_duration("flush").count());

  // A running component is kept when one of the same name has the same fingerprint.
  auto keeps = [&](const std::string& name, const std::string& fp, const config::ComponentConfig& c, auto& running_set) {
    if (!new_parsers.empty() && config::uses_any(c, new_parsers)) return false;
    for (const auto& r : running_set)
      if (r.first == name) return r.second == fp;
    return false;
  };
  std::vector<std::pair<std::string, std::string>> running_outputs, running_filters, running_inputs;
  for (const auto& o : outputs) running_outputs.emplace_back(o.runner->instance(), o.fingerprint);
  for (const auto& f : filter_ctxs) running_filters.emplace_back(f->instance(), f->fingerprint);
  for (const auto& i : inputs) running_inputs.emplace_back(i->instance(), i->fingerprint);

  for (size_t i = 0; i < next->outputs.size(); ++i) {
    const auto& oc = next->outputs[i];
    Plan::OutputPlan o{instance_name(oc, i), config::fingerprint(oc, next->base_dir) + flush_fp, nullptr};
    for (const auto& prior : p.outputs)
      if (prior.name == o.name) oc.fail("alias", "two outputs are named '" + o.name + "'");
    if (!keeps(o.name, o.fingerprint, oc, running_outputs)) o.fresh = build_output(oc, o.name, build, svc.get_duration("flush"));
    p.outputs.push_back(std::move(o));
  }
  for (size_t i = 0; i < next->filters.size(); ++i) {
    const auto& fc = next->filters[i];
    Plan::FilterPlan f{instance_name(fc, i), config::fingerprint(fc, next->base_dir), {}};
    for (const auto& prior : p.filters)
      if (prior.name == f.name) fc.fail("alias", "two filters are named '" + f.name + "'");
    if (!keeps(f.name, f.fingerprint, fc, running_filters)) {
      const auto& plugin = find_plugin(filter_plugins(), fc.plugin());
      f.fresh = FilterSlot{f.name, TagMatcher::from_config(fc), plugin.make(fc, build), component_log_level(fc)};
    }
    p.filters.push_back(std::move(f));
  }
  for (size_t i = 0; i < next->inputs.size(); ++i) {
    const auto& ic = next->inputs[i];
    Plan::InputPlan in{instance_name(ic, i), config::fingerprint(ic, next->base_dir), std::string(ic.plugin()), nullptr};
    for (const auto& prior : p.inputs)
      if (prior.name == in.name) ic.fail("alias", "two inputs are named '" + in.name + "'");
    auto routes = build_routes(ic, *next);  // checked even when the input is kept: outputs may have changed
    if (!keeps(in.name, in.fingerprint, ic, running_inputs)) {
      in.fresh = find_plugin(input_plugins(), ic.plugin()).make(ic, build);
      in.parts = {build_processors(ic, in.name, build), std::move(routes), component_log_level(ic)};
    }
    p.inputs.push_back(std::move(in));
  }
  plan_storage(p, *next);
  p.cfg = std::move(next);
  return p;
}

// ---- running ----

void Service::Impl::input_finished() {
  if (++finished_inputs == inputs.size()) {
    log::info("every input has finished; draining outputs");
    shutdown();
  }
}

void Service::Impl::wait_signal() {
  signals.async_wait([this](boost::system::error_code ec, int sig) {
    if (ec) return;
    if (stopping) {
      log::warn("second signal ({}): exiting at once", sig);
      std::_Exit(1);
    }
    log::info("signal {} received: stopping (a second signal exits at once)", sig);
    shutdown();
    wait_signal();
  });
}

void Service::Impl::shutdown() {
  if (stopping) return;
  stopping = true;
  hangup.cancel();
  if (settle_timer) settle_timer->cancel();
  if (reloading) reload_finished(false, "sluice is stopping; inputs a reload was replacing stay stopped");
  for (auto& in : inputs)
    if (in->started && !in->leaving) in->input->stop();
  // What waits on disk stays there for the next start.
  for (auto& in : inputs)
    if (in->buffer) in->buffer->stop();
  // What processors and filters hold goes on down the pipeline, in its order.
  for (auto& in : inputs)
    if (in->parts.processors) in->parts.processors->flush();
  pipeline->flush_filters();
  for (auto& o : outputs)
    if (ProcessorChain* p = o.runner->processors()) p->flush();
  // The status server keeps answering during the drain (ready says 503,
  // metrics show the drain) and stops in finish().
  // Outputs drain on their own threads; the main loop keeps running so that
  // acknowledgements reach the inputs and a second signal is heard.
  drainer = std::thread([this] {
    drain_outputs();
    asio::post(io, [this] { finish(); });
  });
}

void Service::Impl::drain_outputs() {
  auto deadline = Clock::now() + grace;
  std::vector<OutputRunner*> all;
  for (auto& o : outputs) all.push_back(o.runner.get());
  // Outputs a reload replaced, still finishing what they had in flight.
  for (auto& r : retiring) all.push_back(r.get());
  std::vector<std::thread> drains;
  std::vector<uint64_t> left(all.size(), 0);
  for (size_t i = 0; i < all.size(); ++i)
    drains.emplace_back([&all, i, deadline, &left] { left[i] = all[i]->drain(deadline); });
  for (auto& t : drains) t.join();
  for (auto& t : retire_threads)
    if (t.joinable()) t.join();
  for (size_t i = 0; i < all.size(); ++i) {
    if (left[i] > 0)
      log::error("output {}: {} records not delivered within grace ({} ms); file inputs will read them again "
                 "at the next start", all[i]->instance(), left[i],
                 std::chrono::duration_cast<std::chrono::milliseconds>(grace).count());
  }
}

// Main thread, after the drain: acknowledgements posted by the outputs ran
// before this (same queue, posted earlier), so inputs persist final positions.
void Service::Impl::finish() {
  signals.cancel();
  if (status) status->stop();
  for (auto& in : inputs)
    if (in->started) in->input->finish();
  for (auto& in : leaving_inputs)
    if (in->started) in->input->finish();
  io.stop();
}

void Service::Impl::log_summary() const {
  for (const auto& in : inputs)
    log::info("input {}: {} records read", in->instance(), metrics.value("sluice_input_records_total", in->instance()));
  log::info("inputs paused {} times (backpressure from full buffers)",
            metrics.value("sluice_input_pauses_total", "pipeline"));
  for (const auto& o : outputs) {
    const std::string& name = o.runner->instance();
    log::info("output {}: {} records delivered, {} retried, {} dead-lettered, {} dropped", name,
              metrics.value("sluice_output_records_delivered_total", name),
              metrics.value("sluice_output_records_retried_total", name),
              metrics.value("sluice_output_records_dead_lettered_total", name),
              metrics.value("sluice_output_records_dropped_total", name));
  }
}

// Its slot's level: after a reload moved it, the slot it is in now.
int Service::Impl::FilterCtx::log_level() const { return svc_.pipeline->filters()[index_].log_level; }

int Service::Impl::run() {
  if (inputs.empty())
    throw config::ConfigError(config::Mark{configs.back()->path, 0, 0}, "pipeline has no inputs");
  wait_signal();
  wait_hangup();
  for (auto& o : outputs) start_output(*o.runner);
  for (size_t i = 0; i < pipeline->filters().size(); ++i) {
    log::Scope scope(pipeline->filters()[i].log_level);
    pipeline->filters()[i].filter->start(*filter_ctxs[i]);
  }
  for (auto& in : inputs) open_buffer(*in);
  warn_orphan_buffers();
  for (auto& in : inputs) in->begin();
  started = true;
  if (status) status->start();
  log::info("sluice {} started: {} inputs, {} filters, {} outputs", SLUICE_VERSION, inputs.size(),
            pipeline->filters().size(), outputs.size());
  io.run();
  if (drainer.joinable()) drainer.join();
  log_summary();
  return 0;
}

// ---- Service ----

Service::Service(const config::PipelineConfig& cfg) : impl_(std::make_unique<Impl>(cfg)) {}
Service::~Service() = default;
int Service::run() { return impl_->run(); }
void Service::reload(ReloadDone done) { impl_->reload(std::move(done)); }

bool Service::has_inputs() const { return !impl_->inputs.empty(); }

std::string Service::summary() const {
  return std::to_string(impl_->inputs.size()) + " inputs, " + std::to_string(impl_->pipeline->filters().size()) +
         " filters, " + std::to_string(impl_->outputs.size()) + " outputs";
}

}  // namespace sluice
