// The `throttle` filter; see throttle_filter.hpp. What Fluent Bit 5.1 does,
// read from its filter_throttle (throttle.c, window.c):
// - a window of `window` panes, one per `interval`; a record is dropped when
//   the panes' total divided by `window` is at or above `rate`, and counted
//   in the current pane otherwise;
// - every `interval` a new empty pane replaces the oldest;
// - `print_status` logs the limit and the current average at every interval.
// Where sluice differs (docs/filters/throttle.md): Fluent Bit silently turns
// a rate of 1 or less into 1 and a window of 1 or less into 5, and cuts the
// interval to whole seconds; sluice takes a rate above 0, a window of 1 or
// more and any interval from 1 ms as given, and refuses the rest.
#include "filters/throttle/throttle_filter.hpp"

#include <chrono>
#include <string>

#include "agent/asio.hpp"
#include "agent/log.hpp"
#include "agent/metrics.hpp"
#include "filters/common/keep_events.hpp"
#include "filters/throttle/throttle_window.hpp"

namespace sluice {

namespace {

using namespace std::chrono_literals;

struct ThrottleSettings {
  double rate = 1;
  size_t window = 5;
  std::chrono::nanoseconds interval = 1s;
  std::string interval_text = "1s";
  bool print_status = false;
};

// Runs on the pipeline thread (FilterContext's main thread), its timer too.
class ThrottleFilter final : public Filter {
 public:
  explicit ThrottleFilter(ThrottleSettings s) : s_(std::move(s)), window_(s_.rate, s_.window) {}

  void start(FilterContext& ctx) override {
    ctx_ = &ctx;
    dropped_ = &ctx.metrics().counter("sluice_filter_records_dropped_total", "filter", ctx.instance(), false,
                                     "Records the filter dropped on purpose.");
    timer_ = std::make_unique<boost::asio::steady_timer>(ctx.io());
    next_tick_ = std::chrono::steady_clock::now();
    arm();
  }

  void filter(Chunk& chunk) override {
    size_t dropped = keep_events(chunk, [this](const Event&) { return window_.admit(); });
    if (dropped > 0 && dropped_ != nullptr) dropped_->add(dropped);
  }

  void flush() override {
    if (timer_) timer_->cancel();
    stopped_ = true;
  }

 private:
  // Ticks at fixed points (start + k x interval), so a late wakeup doesn't
  // stretch the intervals after it.
  void arm() {
    next_tick_ += s_.interval;
    timer_->expires_at(next_tick_);
    timer_->async_wait([this](const boost::system::error_code& ec) {
      if (ec) return;  // cancelled: the filter may be gone, touch nothing
      if (stopped_) return;
      log::Scope scope(ctx_->log_level());
      window_.advance();
      if (s_.print_status) {
        log::info("filter throttle ({}): limit is {} per {} with a window of {} intervals; current rate is {} per "
                  "interval",
                  ctx_->instance(), s_.rate, s_.interval_text, s_.window, window_.average());
      }
      arm();
    });
  }

  ThrottleSettings s_;
  ThrottleWindow window_;
  FilterContext* ctx_ = nullptr;
  Counter* dropped_ = nullptr;
  std::unique_ptr<boost::asio::steady_timer> timer_;
  std::chrono::steady_clock::time_point next_tick_;
  bool stopped_ = false;
};

}  // namespace

const config::PluginSchema& throttle_filter_schema() {
  using config::KeyType;
  static const config::PluginSchema schema{
      "throttle",
      "Lets through an average of `rate` records per `interval` over a sliding window of `window` intervals and "
      "drops the rest, as Fluent Bit's throttle filter.",
      {
          {"rate", KeyType::Double, "1", "Records let through per interval, on average over the window (above 0).",
           false, false, {}},
          {"window", KeyType::Int, "5", "Intervals the average is taken over (1 or more).", false, false, {}},
          {"interval", KeyType::Duration, "1s", "How long one interval (one pane of the window) lasts.", false, false,
           {}},
          {"print_status", KeyType::Bool, "off",
           "Log the limit and the current rate (info) at the end of every interval.", false, false, {}},
      }};
  return schema;
}

std::unique_ptr<Filter> make_throttle_filter(const config::ComponentConfig& cfg, const BuildContext& /*ctx*/) {
  ThrottleSettings s;
  s.rate = cfg.get_double("rate");
  if (!(s.rate > 0)) cfg.fail("rate", "expected a number of records above 0, e.g. 100");
  int64_t window = cfg.get_int("window");
  if (window < 1 || window > 100000) cfg.fail("window", "expected a number of intervals from 1 to 100000, e.g. 5");
  s.window = static_cast<size_t>(window);
  s.interval = cfg.get_duration("interval");
  if (s.interval < 1ms) cfg.fail("interval", "expected a duration of 1ms or more, e.g. 1s");
  if (cfg.has("interval")) s.interval_text = cfg.get_string("interval");
  s.print_status = cfg.get_bool("print_status");
  return std::make_unique<ThrottleFilter>(std::move(s));
}

}  // namespace sluice
