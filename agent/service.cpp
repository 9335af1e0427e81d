// Building and running the agent; see service.hpp.
#include "agent/service.hpp"

#include <unistd.h>

#include <csignal>
#include <filesystem>
#include <thread>

#include "agent/asio.hpp"
#include "agent/config/common_keys.hpp"
#include "agent/dead_letter.hpp"
#include "agent/json_writer.hpp"
#include "agent/log.hpp"
#include "agent/metrics.hpp"
#include "agent/parse/parser.hpp"
#include "agent/pipeline.hpp"
#include "agent/status_server.hpp"
#include "filters/registry.hpp"
#include "inputs/registry.hpp"
#include "outputs/registry.hpp"

namespace sluice {

namespace asio = boost::asio;
using Clock = std::chrono::steady_clock;

namespace {

std::string instance_name(const config::ComponentConfig& cfg, size_t index) {
  if (cfg.has("alias")) return cfg.get_string("alias");
  return std::string(cfg.plugin()) + "." + std::to_string(index);
}

template <class Plugins>
const auto& find_plugin(const Plugins& plugins, std::string_view name) {
  for (const auto& p : plugins)
    if (p.name == name) return p;
  std::abort();  // the loader only accepts registered names
}

}  // namespace

struct Service::Impl {
  // Main-thread context of one input.
  class InputSlot final : public InputContext {
   public:
    InputSlot(Impl& svc, std::string instance, std::unique_ptr<Input> input)
        : svc_(svc), instance_(std::move(instance)), input(std::move(input)),
          records_(svc.metrics.counter("sluice_input_records_total", "input", instance_)) {}
    asio::io_context& io() override { return svc_.io; }
    void emit(ChunkPtr chunk) override {
      if (chunk->events.empty()) return;
      records_.add(chunk->events.size());
      svc_.pipeline->submit(std::move(chunk));
    }
    bool paused() const override { return svc_.pipeline->paused(); }
    void finished() override {
      if (!done_) {
        done_ = true;
        svc_.input_finished();
      }
    }
    Metrics& metrics() override { return svc_.metrics; }
    const std::string& instance() const override { return instance_; }

   private:
    Impl& svc_;
    std::string instance_;
    bool done_ = false;

   public:
    std::unique_ptr<Input> input;
    Counter& records_;
  };

  class FilterCtx final : public FilterContext {
   public:
    FilterCtx(Impl& svc, std::string instance, size_t index)
        : svc_(svc), instance_(std::move(instance)), index_(index) {}
    asio::io_context& io() override { return svc_.io; }
    void emit(ChunkPtr chunk) override {
      if (!chunk->events.empty()) svc_.pipeline->submit(std::move(chunk), index_ + 1);
    }
    Metrics& metrics() override { return svc_.metrics; }
    const std::string& instance() const override { return instance_; }

   private:
    Impl& svc_;
    std::string instance_;
    size_t index_;
  };

  explicit Impl(const config::PipelineConfig& cfg)
      : cfg(cfg), parsers(ParserSet::build(cfg.parsers)), signals(io, SIGINT, SIGTERM) {
    const auto& svc = cfg.service;
    grace = svc.get_duration("grace");
    BuildContext build{&parsers, cfg.base_dir};
    std::string dl = svc.get_string("dead_letter_file");
    std::string storage = svc.get_string("storage.path");
    if (dl.empty()) dl = (std::filesystem::path(storage.empty() ? "." : storage) / "sluice-dead-letter.jsonl").string();
    dead_letter = std::make_unique<DeadLetter>(dl);

    std::vector<OutputRunner*> runner_ptrs;
    for (size_t i = 0; i < cfg.outputs.size(); ++i) {
      const auto& oc = cfg.outputs[i];
      const auto& plugin = find_plugin(output_plugins(), oc.plugin());
      auto settings = OutputSettings::from_config(oc, svc.get_duration("flush"));
      DeadLetter* dlp = dead_letter.get();
      if (!settings.dead_letter_file.empty()) {
        own_dead_letters.push_back(std::make_unique<DeadLetter>(settings.dead_letter_file));
        dlp = own_dead_letters.back().get();
      }
      TagMatcher match = TagMatcher::from_config(oc);
      runners.push_back(std::make_unique<OutputRunner>(instance_name(oc, i), plugin.make(oc, build),
                                                       std::move(settings), std::move(match), *dlp, metrics));
      runner_ptrs.push_back(runners.back().get());
    }
    std::vector<FilterSlot> filters;
    for (size_t i = 0; i < cfg.filters.size(); ++i) {
      const auto& fc = cfg.filters[i];
      const auto& plugin = find_plugin(filter_plugins(), fc.plugin());
      std::string name = instance_name(fc, i);
      TagMatcher match = TagMatcher::from_config(fc);
      filters.push_back({name, std::move(match), plugin.make(fc, build)});
      filter_ctxs.push_back(std::make_unique<FilterCtx>(*this, name, i));
    }
    pipeline = std::make_unique<Pipeline>(std::move(filters), std::move(runner_ptrs), svc.get_size("mem_limit"), metrics);
    for (size_t i = 0; i < cfg.inputs.size(); ++i) {
      const auto& ic = cfg.inputs[i];
      const auto& plugin = find_plugin(input_plugins(), ic.plugin());
      inputs.push_back(std::make_unique<InputSlot>(*this, instance_name(ic, i), plugin.make(ic, build)));
    }
    if (cfg.inputs.empty()) throw config::ConfigError(config::Mark{cfg.path, 0, 0}, "pipeline has no inputs");
    if (cfg.outputs.empty()) throw config::ConfigError(config::Mark{cfg.path, 0, 0}, "pipeline has no outputs");
    if (svc.get_bool("http_server")) {
      status = std::make_unique<StatusServer>(io, svc.get_string("http_listen"),
                                              static_cast<uint16_t>(svc.get_int("http_port")), metrics,
                                              [this] { return health_json(); });
    }
  }

  void input_finished() {
    if (++finished_inputs == inputs.size()) {
      log::info("every input has finished; draining outputs");
      shutdown();
    }
  }

  // {"status":"ok"|"degraded","outputs":{"<instance>":{"failing":bool,
  // "last_error":"…" (while failing),"failing_since":"…","retrying_batches",
  // "dead_lettered","buffer_full"}}}: degraded while an output's last answer
  // was a failure.
  std::string health_json() const {
    std::string outputs;
    bool degraded = false;
    for (const auto& r : runners) {
      if (!outputs.empty()) outputs += ',';
      OutputRunner::Health h = r->health();
      degraded = degraded || h.failing;
      json::append_string(outputs, r->instance());
      outputs += ":{\"failing\":";
      outputs += h.failing ? "true" : "false";
      if (h.failing) {
        outputs += ",\"last_error\":";
        json::append_string(outputs, h.last_error);
        outputs += ",\"failing_since\":\"";
        json::append_rfc3339(outputs, std::chrono::duration_cast<std::chrono::nanoseconds>(
                                          h.failing_since.time_since_epoch()).count());
        outputs += '"';
      }
      outputs += ",\"retrying_batches\":" +
                 std::to_string(metrics.value("sluice_output_retry_queue", r->instance())) + ",\"dead_lettered\":" +
                 std::to_string(metrics.value("sluice_output_records_dead_lettered_total", r->instance())) +
                 ",\"buffer_full\":" + (r->blocking_full() ? "true" : "false") + "}";
    }
    return std::string("{\"status\":\"") + (degraded ? "degraded" : "ok") + "\",\"outputs\":{" + outputs + "}}";
  }


  void wait_signal() {
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

  void shutdown() {
    if (stopping) return;
    stopping = true;
    for (auto& in : inputs) in->input->stop();
    pipeline->flush_filters();
    if (status) status->stop();
    // Outputs drain on their own threads; the main loop keeps running so that
    // acknowledgements reach the inputs and a second signal is heard.
    drainer = std::thread([this] {
      drain_outputs();
      asio::post(io, [this] { finish(); });
    });
  }

  void drain_outputs() {
    auto deadline = Clock::now() + grace;
    std::vector<std::thread> drains;
    std::vector<uint64_t> left(runners.size(), 0);
    for (size_t i = 0; i < runners.size(); ++i)
      drains.emplace_back([this, i, deadline, &left] { left[i] = runners[i]->drain(deadline); });
    for (auto& t : drains) t.join();
    for (size_t i = 0; i < runners.size(); ++i) {
      if (left[i] > 0)
        log::error("output {}: {} records not delivered within grace ({} ms); file inputs will read them again "
                   "at the next start", runners[i]->instance(), left[i],
                   std::chrono::duration_cast<std::chrono::milliseconds>(grace).count());
    }
  }

  // Main thread, after the drain: acknowledgements posted by the outputs ran
  // before this (same queue, posted earlier), so inputs persist final positions.
  void finish() {
    signals.cancel();
    for (auto& in : inputs) in->input->finish();
    io.stop();
  }

  void log_summary() const {
    for (const auto& in : inputs)
      log::info("input {}: {} records read", in->instance(), metrics.value("sluice_input_records_total", in->instance()));
    log::info("inputs paused {} times (backpressure from full buffers)",
              metrics.value("sluice_input_pauses_total", "pipeline"));
    for (const auto& r : runners) {
      log::info("output {}: {} records delivered, {} retried, {} dead-lettered, {} dropped", r->instance(),
                metrics.value("sluice_output_records_delivered_total", r->instance()),
                metrics.value("sluice_output_records_retried_total", r->instance()),
                metrics.value("sluice_output_records_dead_lettered_total", r->instance()),
                metrics.value("sluice_output_records_dropped_total", r->instance()));
    }
  }

  int run() {
    wait_signal();
    for (auto& r : runners) r->start();
    for (size_t i = 0; i < pipeline->filters().size(); ++i) pipeline->filters()[i].filter->start(*filter_ctxs[i]);
    for (auto& in : inputs) in->input->start(*in);
    if (status) status->start();
    log::info("sluice {} started: {} inputs, {} filters, {} outputs", SLUICE_VERSION, inputs.size(),
              pipeline->filters().size(), runners.size());
    io.run();
    if (drainer.joinable()) drainer.join();
    log_summary();
    return 0;
  }

  const config::PipelineConfig& cfg;
  Metrics metrics;
  asio::io_context io;
  ParserSet parsers;
  asio::signal_set signals;
  std::chrono::nanoseconds grace{};
  std::unique_ptr<DeadLetter> dead_letter;
  std::vector<std::unique_ptr<DeadLetter>> own_dead_letters;
  // Destruction order matters: inputs (ack sinks) outlive the chunks that
  // the runners and pipeline hold, so they are declared first.
  std::vector<std::unique_ptr<InputSlot>> inputs;
  std::vector<std::unique_ptr<OutputRunner>> runners;
  std::unique_ptr<Pipeline> pipeline;
  std::vector<std::unique_ptr<FilterCtx>> filter_ctxs;
  std::unique_ptr<StatusServer> status;
  std::thread drainer;
  size_t finished_inputs = 0;
  bool stopping = false;
};

Service::Service(const config::PipelineConfig& cfg) : impl_(std::make_unique<Impl>(cfg)) {}
Service::~Service() = default;
int Service::run() { return impl_->run(); }

std::string Service::summary() const {
  return std::to_string(impl_->inputs.size()) + " inputs, " + std::to_string(impl_->pipeline->filters().size()) +
         " filters, " + std::to_string(impl_->runners.size()) + " outputs";
}

}  // namespace sluice
