// The `dummy` input; see dummy_input.hpp.
#include "inputs/dummy/dummy_input.hpp"

#include <algorithm>
#include <chrono>

#include <simdjson.h>

#include "agent/asio.hpp"
#include "agent/log.hpp"
#include "agent/parse/json_format.hpp"
#include "agent/record.hpp"
#include "agent/wall_clock.hpp"

namespace sluice {

namespace {

using SteadyClock = std::chrono::steady_clock;

// At high rates one timer tick emits every record due since the last one,
// in one chunk: a tick at most every 10 ms, at most kMaxPerChunk per chunk.
constexpr auto kMinTick = std::chrono::milliseconds(10);
constexpr int64_t kMaxPerChunk = 10'000;

// Runs on the main io_context (InputContext::io()).
class DummyInput final : public Input {
 public:
  DummyInput(DummySettings settings, std::unique_ptr<Arena> template_arena, Value record)
      : s_(std::move(settings)), template_arena_(std::move(template_arena)), template_(record) {}

  void start(InputContext& ctx) override {
    ctx_ = &ctx;
    timer_.emplace(ctx.io());
    base_wall_ns_ = wall_now_ns();
    start_ = SteadyClock::now();
    if (s_.flush_on_startup) {
      // One event now; the schedule then goes on as if it had started one period earlier.
      start_ -= std::chrono::nanoseconds(s_.period_ns);
      on_tick();
      return;
    }
    schedule();
  }

  void stop() override {
    stopped_ = true;
    if (timer_) timer_->cancel();
  }

 private:
  void schedule() {
    auto tick = std::max<SteadyClock::duration>(std::chrono::nanoseconds(s_.period_ns), kMinTick);
    timer_->expires_after(tick);
    timer_->async_wait([this](const boost::system::error_code& ec) {
      if (ec || stopped_) return;
      log::Scope scope(ctx_->log_level());  // a handler of its own: the input's log_level
      on_tick();
    });
  }

  void on_tick() {
    auto now = SteadyClock::now();
    int64_t elapsed = std::chrono::duration_cast<std::chrono::nanoseconds>(now - start_).count();
    int64_t due = elapsed / s_.period_ns - emitted_;
    if (ctx_->paused()) {
      // Don't build up a backlog while paused: resume at the plain rate.
      start_ += std::chrono::nanoseconds(due * s_.period_ns);
      due = 0;
    }
    if (s_.samples > 0) due = std::min(due, s_.samples - emitted_);
    due = std::min(due, std::max<int64_t>(1, kMaxPerChunk / s_.copies));
    if (due > 0) emit(due);
    if (s_.samples > 0 && emitted_ >= s_.samples) {
      ctx_->finished();
      return;
    }
    schedule();
  }

  // n events, `copies` records each.
  void emit(int64_t n) {
    auto chunk = std::make_unique<Chunk>(s_.tag);
    chunk->events.reserve(static_cast<size_t>(n * s_.copies));
    int64_t ts = timestamp();
    for (int64_t i = 0; i < n * s_.copies; ++i) chunk->events.push_back({ts, record::deep_copy(template_, chunk->arena)});
    emitted_ += n;
    ctx_->emit(std::move(chunk));
  }

  // Fluent Bit's rule: fixed_timestamp uses the start time (or the time the
  // input started); otherwise the clock, shifted to start at start_time.
  int64_t timestamp() const {
    if (s_.fixed_timestamp) return s_.start_time_ns.value_or(base_wall_ns_);
    int64_t now = wall_now_ns();
    if (s_.start_time_ns) return *s_.start_time_ns + (now - base_wall_ns_);
    return now;
  }

  DummySettings s_;
  std::unique_ptr<Arena> template_arena_;  // owns template_'s strings and members
  Value template_;
  InputContext* ctx_ = nullptr;
  std::optional<boost::asio::steady_timer> timer_;
  SteadyClock::time_point start_;
  int64_t base_wall_ns_ = 0;
  int64_t emitted_ = 0;
  bool stopped_ = false;
};

// Parses the `dummy` text into a record in arena, or fails the key with
// simdjson's message.
Value parse_template(const config::ComponentConfig& cfg, const std::string& text, Arena& arena) {
  simdjson::dom::parser parser;
  simdjson::dom::element doc;
  if (auto err = parser.parse(text).get(doc); err)
    cfg.fail("dummy", "invalid JSON: " + std::string(simdjson::error_message(err)));
  if (!doc.is_object()) cfg.fail("dummy", "must be a JSON object, like {\"message\":\"dummy\"}");
  Value out;
  if (!make_json_format()->parse(text, arena, out) || !out.is_map())
    cfg.fail("dummy", "must be a JSON object of at most " + std::to_string(kMaxJsonDepth) + " levels");
  return out;
}

}  // namespace

const config::PluginSchema& dummy_input_schema() {
  using config::KeyType;
  static const config::PluginSchema schema{
      "dummy",
      "Emits a given record at a given rate (demos, benchmarks).",
      {
          {"dummy", KeyType::String, "{\"message\":\"dummy\"}", "The record to emit, as a JSON object.", false, false,
           {}},
          {"rate", KeyType::Int, "1", "Records per second.", false, false, {}},
          {"interval_sec", KeyType::Int, "0", "Seconds between records (with interval_nsec; overrides rate).", false,
           false, {}},
          {"interval_nsec", KeyType::Int, "0", "Nanoseconds added to interval_sec.", false, false, {}},
          {"samples", KeyType::Int, "0", "Stop after this many records (then this input is finished); 0 = never.",
           false, false, {}},
          {"start_time_sec", KeyType::Int, "-1", "Time of the first record, in epoch seconds (-1: now).", false,
           false, {}},
          {"start_time_nsec", KeyType::Int, "-1", "Nanoseconds added to start_time_sec (-1: 0).", false, false, {}},
          {"copies", KeyType::Int, "1", "Records made each time one is due (all alike, one chunk).", false, false, {}},
          {"flush_on_startup", KeyType::Bool, "off", "Make the first records at start instead of after one interval.",
           false, false, {}},
          {"fixed_timestamp", KeyType::Bool, "off",
           "Give every record the same time: start_time_sec if set, else the time the input started.", false, false,
           {}},
      }};
  return schema;
}

std::unique_ptr<Input> make_dummy_input(const config::ComponentConfig& cfg, const BuildContext& /*ctx*/) {
  DummySettings s;
  s.tag = cfg.get_string("tag");
  if (s.tag.empty()) s.tag = std::string(cfg.plugin());
  int64_t rate = cfg.get_int("rate");
  if (rate <= 0) cfg.fail("rate", "must be at least 1 record per second, got " + std::to_string(rate));
  int64_t isec = cfg.get_int("interval_sec");
  int64_t insec = cfg.get_int("interval_nsec");
  if (isec < 0 || insec < 0) cfg.fail(isec < 0 ? "interval_sec" : "interval_nsec", "must not be negative");
  s.period_ns = (isec > 0 || insec > 0) ? isec * 1'000'000'000 + insec : std::max<int64_t>(1, 1'000'000'000 / rate);
  s.samples = cfg.get_int("samples");
  if (s.samples < 0) cfg.fail("samples", "must be 0 (forever) or a number of records");
  int64_t ssec = cfg.get_int("start_time_sec");
  int64_t snsec = cfg.get_int("start_time_nsec");
  if (ssec >= 0 || snsec >= 0)
    s.start_time_ns = std::max<int64_t>(ssec, 0) * 1'000'000'000 + std::max<int64_t>(snsec, 0);
  s.fixed_timestamp = cfg.get_bool("fixed_timestamp");
  s.copies = cfg.get_int("copies");
  if (s.copies < 1 || s.copies > 1'000'000)
    cfg.fail("copies", "must be between 1 and 1000000, got " + std::to_string(s.copies));
  s.flush_on_startup = cfg.get_bool("flush_on_startup");
  auto arena = std::make_unique<Arena>(1024);
  Value record = parse_template(cfg, cfg.get_string("dummy"), *arena);
  return std::make_unique<DummyInput>(std::move(s), std::move(arena), record);
}

}  // namespace sluice
