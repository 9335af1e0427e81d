// Inside Service: the running components and what a hot reload changes.
// service.cpp builds, runs and stops them; service_reload.cpp swaps the ones
// whose configuration changed; service_status.cpp registers the status
// server's routes and gathers what health sees. Main thread unless a comment
// says otherwise.
#pragma once
#include <chrono>
#include <deque>
#include <list>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "agent/asio.hpp"
#include "agent/config/yaml_loader.hpp"
#include "agent/dead_letter.hpp"
#include "agent/filter.hpp"
#include "agent/health.hpp"
#include "agent/input.hpp"
#include "agent/metrics.hpp"
#include "agent/output_runner.hpp"
#include "agent/parse/parser.hpp"
#include "agent/pipeline.hpp"
#include "agent/processor_chain.hpp"
#include "agent/router.hpp"
#include "agent/service.hpp"
#include "agent/status_server.hpp"
#include "agent/storage/input_buffer.hpp"
#include "agent/storage/storage_settings.hpp"

namespace sluice {

// An instance's name: its alias, or "plugin.index".
std::string instance_name(const config::ComponentConfig& cfg, size_t index);

// A component's log_level as log::level_number(), -1 when unset (service_parts.cpp).
int component_log_level(const config::ComponentConfig& cfg);
// An input's or output's `processors:`, built (null when it has none); owner:
// its instance name. Throws config::ConfigError.
std::unique_ptr<ProcessorChain> build_processors(const config::ComponentConfig& owner, const std::string& owner_name,
                                                 const BuildContext& build);
// An input's `routes:`, compiled, their outputs checked against the
// configuration's outputs and named by instance (null when it has none).
std::shared_ptr<const ConditionalRoutes> build_routes(const config::ComponentConfig& input,
                                                      const config::PipelineConfig& cfg);

struct Service::Impl {
  // One input instance's context; a reload that changes the input's settings
  // keeps the slot (same name, metrics) and swaps the Input inside it.
  class InputSlot final : public InputContext {
   public:
    InputSlot(Impl& svc, std::string instance);
    boost::asio::io_context& io() override { return svc_.io; }
    void emit(ChunkPtr chunk) override;
    bool offer(ChunkPtr& chunk) override;
    bool paused() const override;
    void finished() override;
    Metrics& metrics() override { return svc_.metrics; }
    const std::string& instance() const override { return instance_; }

    std::unique_ptr<Input> input;
    std::string fingerprint;
    std::string plugin;
    bool started = false;
    // A reload replaced or removed this input: `input` is stopped and is
    // finished once settled(); then `next` (if any) takes its place.
    bool leaving = false;
    std::unique_ptr<Input> next;
    std::string next_fingerprint;
    std::string next_plugin;
    std::chrono::steady_clock::time_point leaving_since;
    // storage.type filesystem: the buffer, opened when the input first
    // starts (service_storage.cpp) and kept across reloads.
    bool filesystem = false;
    std::unique_ptr<storage::InputBuffer> buffer;

    // For health (service_status.cpp).
    health::InputState health_state() const;

    // What the core adds around the input: its processors, its conditional
    // routes, its own log level. A reload swaps them with the input.
    struct Parts {
      std::unique_ptr<ProcessorChain> processors;
      std::shared_ptr<const ConditionalRoutes> routes;
      int log_level = -1;
    };
    Parts parts;
    Parts next_parts;  // with `next`
    int log_level() const override { return parts.log_level; }
    // Starts its processors, then the input (in its log level).
    void begin();
    // A chunk past its processors: to its buffer, or the pipeline.
    void forward(ChunkPtr chunk);

   private:
    Impl& svc_;
    std::string instance_;
    bool done_ = false;
    bool offers_ = false;  // the input acknowledges senders (uses offer())
    const Chunk* processed_ = nullptr;  // a chunk its buffer refused after processors ran on it
    Counter& records_;
    // Since when paused() has answered true without a break (health).
    mutable std::optional<std::chrono::steady_clock::time_point> paused_since_;
    mutable std::chrono::system_clock::time_point paused_since_wall_;
  };

  class FilterCtx final : public FilterContext {
   public:
    FilterCtx(Impl& svc, std::string instance, size_t index, std::string fingerprint)
        : fingerprint(std::move(fingerprint)), svc_(svc), instance_(std::move(instance)), index_(index) {}
    boost::asio::io_context& io() override { return svc_.io; }
    void emit(ChunkPtr chunk) override {
      if (!chunk->events.empty()) svc_.pipeline->submit(std::move(chunk), index_ + 1);
    }
    void reemit(ChunkPtr chunk) override { svc_.pipeline->resubmit(std::move(chunk), index_); }
    Metrics& metrics() override { return svc_.metrics; }
    const std::string& instance() const override { return instance_; }
    int log_level() const override;
    void move_to(size_t index) { index_ = index; }

    std::string fingerprint;

   private:
    Impl& svc_;
    std::string instance_;
    size_t index_;
  };

  struct OutputSlot {
    std::string fingerprint;
    std::unique_ptr<OutputRunner> runner;
  };

  // What loading the file again would change, with the new and changed
  // components already built (not started): building is what validates, so a
  // plan that exists can be applied.
  struct Plan {
    std::unique_ptr<config::PipelineConfig> cfg;
    std::unique_ptr<ParserSet> parsers;  // null when parsers are unchanged
    struct InputPlan {
      std::string name, fingerprint, plugin;
      std::unique_ptr<Input> fresh;  // null: keep the running one
      bool filesystem = false;       // storage.type filesystem
      InputSlot::Parts parts;        // with fresh
    };
    struct FilterPlan {
      std::string name, fingerprint;
      FilterSlot fresh;  // fresh.filter null: keep the running one
    };
    struct OutputPlan {
      std::string name, fingerprint;
      std::unique_ptr<OutputRunner> fresh;  // null: keep the running one
    };
    std::vector<InputPlan> inputs;
    std::vector<FilterPlan> filters;
    std::vector<OutputPlan> outputs;
    std::vector<std::string> service_changes;
    storage::ServiceStorage storage;
    std::vector<storage::OutputLimit> storage_limits;
  };

  explicit Impl(const config::PipelineConfig& cfg);
  ~Impl();

  // ---- building (service.cpp) ----
  // Builds what differs from the running pipeline (everything at start).
  // Throws config::ConfigError, leaving the running pipeline untouched.
  Plan plan(std::unique_ptr<config::PipelineConfig> next);
  // Starts an output and its processors (their chunks go to it).
  void start_output(OutputRunner& runner);
  std::unique_ptr<OutputRunner> build_output(const config::ComponentConfig& oc, const std::string& name,
                                             const BuildContext& build, std::chrono::nanoseconds service_flush);
  DeadLetter& dead_letter_at(const std::string& path);
  const config::PipelineConfig& cfg() const { return *configs.back(); }

  // ---- running and stopping (service.cpp) ----
  int run();
  void wait_signal();
  void input_finished();
  void shutdown();
  void drain_outputs();
  void finish();
  void log_summary() const;

  // ---- filesystem buffer (service_storage.cpp) ----
  // Checks the storage keys of a configuration about to run (throws
  // config::ConfigError) and fills the plan's storage settings.
  void plan_storage(Plan& p, const config::PipelineConfig& next);
  // Opens (recovering) the buffer of a filesystem input before it first starts.
  void open_buffer(InputSlot& slot);
  // Buffer directories of inputs the configuration no longer has: logged.
  void warn_orphan_buffers() const;

  // ---- status server (service_status.cpp) ----
  void add_status_routes();
  health::Snapshot health_snapshot() const;
  health::Policy health_policy() const;  // from the configuration running now

  // ---- hot reload (service_reload.cpp) ----
  void wait_hangup();
  void reload(ReloadDone done);
  void start_reload();
  void apply(Plan plan);
  void settle_inputs();
  void forget_retired(OutputRunner* runner);
  void reload_finished(bool ok, const std::string& message);

  std::string config_path;
  // Every configuration loaded, and every parser set built, stay alive while
  // sluice runs: components built from them may keep references.
  std::vector<std::unique_ptr<config::PipelineConfig>> configs;
  std::vector<std::unique_ptr<ParserSet>> parser_sets;
  Metrics metrics;
  boost::asio::io_context io;
  boost::asio::signal_set signals;
  boost::asio::signal_set hangup;
  std::chrono::nanoseconds grace{};
  std::map<std::string, std::unique_ptr<DeadLetter>> dead_letters;  // by path
  std::string default_dead_letter;
  storage::ServiceStorage storage_settings;  // as sluice started (storage.* keys need a restart)
  std::unique_ptr<storage::StorageLimits> storage_limits;  // outlives the inputs' buffers
  // Destruction order matters: inputs (ack sinks) outlive the chunks that
  // the runners and pipeline hold, so they are declared first.
  std::vector<std::unique_ptr<InputSlot>> inputs;
  std::vector<std::unique_ptr<InputSlot>> leaving_inputs;  // removed by a reload, not yet settled
  std::vector<OutputSlot> outputs;
  // Outputs a reload replaced, finishing their batches in flight (shutdown
  // drains them with the others), and outputs it removed, each draining on
  // its own thread within `grace` (shutdown joins those threads).
  std::list<std::unique_ptr<OutputRunner>> retiring;
  std::list<std::unique_ptr<OutputRunner>> removed;
  std::vector<std::thread> retire_threads;
  std::unique_ptr<Pipeline> pipeline;
  std::vector<std::unique_ptr<FilterCtx>> filter_ctxs;  // parallel to pipeline->filters()
  std::unique_ptr<StatusServer> status;
  std::thread drainer;
  size_t finished_inputs = 0;
  bool started = false;  // every component started (run())
  bool stopping = false;
  std::chrono::steady_clock::time_point started_at = std::chrono::steady_clock::now();

  // Reload state: one runs at a time; requests arriving meanwhile wait and
  // are answered together by the next one (which reads the file as it is then).
  bool reloading = false;
  std::vector<ReloadDone> reload_running;
  std::vector<ReloadDone> reload_waiting;
  std::string reload_summary;
  std::string reload_errors;  // inputs that failed to start again
  std::unique_ptr<boost::asio::steady_timer> settle_timer;
};

}  // namespace sluice
