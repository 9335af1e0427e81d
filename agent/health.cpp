// The health model; see health.hpp.
#include "agent/health.hpp"

#include <algorithm>
#include <cstdio>

#include "agent/input.hpp"
#include "agent/json_writer.hpp"
#include "agent/metrics.hpp"

namespace sluice::health {

namespace {

using std::chrono::duration_cast;
using std::chrono::nanoseconds;

double seconds(nanoseconds d) { return std::chrono::duration<double>(d).count(); }

// "2.5s": a measured duration in a reason.
std::string seconds_text(nanoseconds d) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.1fs", seconds(d));
  return buf;
}

int64_t wall_ns(WallTime t) { return duration_cast<nanoseconds>(t.time_since_epoch()).count(); }

std::string_view level_name(Level l) {
  switch (l) {
    case Level::Ok: return "ok";
    case Level::Degraded: return "degraded";
    case Level::Unhealthy: return "unhealthy";
  }
  return "unhealthy";
}

}  // namespace

std::string format_duration(nanoseconds d) {
  namespace c = std::chrono;
  struct Unit {
    nanoseconds size;
    const char* suffix;
  };
  for (Unit u : {Unit{c::hours(1), "h"}, Unit{c::minutes(1), "m"}, Unit{c::seconds(1), "s"},
                 Unit{c::milliseconds(1), "ms"}}) {
    if (d.count() != 0 && d.count() % u.size.count() == 0) return std::to_string(d / u.size) + u.suffix;
  }
  return std::to_string(d.count()) + (d.count() == 0 ? "s" : "ns");
}

Verdict judge_output(const OutputState& o, const Policy& policy, SteadyTime now) {
  const OutputRunner::Health& h = o.health;
  // Records it must dead-letter wait unacknowledged and inputs are paused:
  // nothing moves until someone frees space or fixes permissions.
  if (h.dead_letter_waiting > 0)
    return {"dead_letter_unwritable", Level::Unhealthy, h.dead_letter_blocked + " (inputs paused)"};
  if (h.oldest_pending) {
    // Progress is measured from whichever is later: the last delivery, or the
    // moment the oldest unfinished batch was first sent (an output idle for
    // an hour is not stalled the instant its next batch fails).
    SteadyTime since = std::max(*h.oldest_pending, h.last_success_steady);
    if (now - since >= policy.max_output_stall) {
      std::string reason = "output " + o.instance + ": nothing delivered for " + seconds_text(now - since) + " while " +
                           std::to_string(h.undelivered_records) + " records wait (health.max_output_stall " +
                           format_duration(policy.max_output_stall) + ")";
      if (!h.last_error.empty()) reason += "; last error: " + h.last_error;
      return {"stalled", Level::Unhealthy, std::move(reason)};
    }
  }
  if (h.failing) return {"retrying", Level::Degraded, "output " + o.instance + ": retrying: " + h.last_error};
  return {"ok", Level::Ok, {}};
}

Verdict judge_input(const InputState& i, const Policy& policy, SteadyTime now) {
  if (i.run == InputState::Run::Finished) return {"finished", Level::Ok, {}};
  if (i.run == InputState::Run::Stopped) return {"stopped", Level::Ok, {}};
  if (i.run == InputState::Run::Reloading) return {"reloading", Level::Ok, {}};
  if (!i.paused_since) return {"running", Level::Ok, {}};
  // A pause shorter than the limit is backpressure doing its job: not a fault.
  nanoseconds paused = now - *i.paused_since;
  if (paused < policy.max_paused) return {"paused", Level::Ok, {}};
  return {"paused", Level::Unhealthy,
          "input " + i.instance + ": paused for " + seconds_text(paused) + " (health.max_paused " +
              format_duration(policy.max_paused) + "): " + i.paused_reason};
}

Report evaluate(const Snapshot& s, const Policy& policy) {
  Report r;
  std::vector<std::pair<Level, std::string>> found;
  for (const auto& o : s.outputs) {
    Verdict v = judge_output(o, policy, s.now);
    if (v.level != Level::Ok) found.emplace_back(v.level, std::move(v.reason));
  }
  for (const auto& i : s.inputs) {
    Verdict v = judge_input(i, policy, s.now);
    if (v.level != Level::Ok) found.emplace_back(v.level, std::move(v.reason));
  }
  std::stable_sort(found.begin(), found.end(), [](const auto& a, const auto& b) { return a.first > b.first; });
  for (auto& [level, reason] : found) {
    r.level = std::max(r.level, level);
    r.reasons.push_back(std::move(reason));
  }
  return r;
}

Report readiness(const Snapshot& s, const Policy& policy) {
  Report r = evaluate(s, policy);
  if (r.level != Level::Unhealthy) r.reasons.clear();  // a degraded output doesn't make sluice unready
  if (!s.started) r.reasons.insert(r.reasons.begin(), "starting");
  if (s.stopping) r.reasons.insert(r.reasons.begin(), "stopping");
  r.level = r.reasons.empty() ? Level::Ok : Level::Unhealthy;
  return r;
}

namespace {

void write_output(json::Writer& w, const OutputState& o, const Policy& policy, const Snapshot& s) {
  const OutputRunner::Health& h = o.health;
  Verdict v = judge_output(o, policy, s.now);
  w.key(o.instance).begin_object();
  w.field("status", v.state);
  if (!v.reason.empty()) w.field("reason", v.reason);
  w.field("failing", h.failing);
  if (h.failing) w.key("failing_since").time(wall_ns(h.failing_since));
  if (h.last_error_at != WallTime{}) {
    w.field("last_error", h.last_error);
    w.key("last_error_at").time(wall_ns(h.last_error_at));
  }
  w.key("last_success");
  if (h.last_success != WallTime{}) w.time(wall_ns(h.last_success));
  else w.null();
  double age = h.oldest_undelivered ? seconds(s.now - *h.oldest_undelivered) : 0.0;
  w.field("oldest_undelivered_age_sec", std::max(0.0, age));
  w.field("undelivered_records", h.undelivered_records);
  w.field("retrying_batches", h.retry_queue);
  w.field("dead_lettered", h.dead_lettered);
  w.field("dead_letter_waiting", h.dead_letter_waiting);
  w.field("buffer_bytes", h.buffer_bytes);
  w.field("buffer_full", h.buffer_full);
  w.end_object();
}

void write_input(json::Writer& w, const InputState& i, const Policy& policy, const Snapshot& s) {
  Verdict v = judge_input(i, policy, s.now);
  w.key(i.instance).begin_object();
  w.field("plugin", i.plugin);
  w.field("state", v.state);
  if (!v.reason.empty()) w.field("reason", v.reason);
  if (v.state == "paused") {
    w.key("paused_since").time(wall_ns(i.paused_since_wall));
    w.field("paused_for_sec", seconds(s.now - *i.paused_since));
    w.field("paused_because", i.paused_reason);
  }
  if (i.input != nullptr) i.input->describe_health(w);
  if (i.describe_storage) i.describe_storage(w);
  w.end_object();
}

}  // namespace

Answer health_answer(const Snapshot& s, const Policy& policy) {
  Report r = evaluate(s, policy);
  Answer a;
  a.status = r.level == Level::Unhealthy ? 503 : 200;
  json::Writer w(a.body);
  w.begin_object();
  w.field("status", level_name(r.level));
  w.key("reasons").begin_array();
  for (const auto& reason : r.reasons) w.value(reason);
  w.end_array();
  w.field("started", s.started);
  w.field("stopping", s.stopping);
  w.key("limits").begin_object();
  w.field("max_output_stall_sec", seconds(policy.max_output_stall));
  w.field("max_paused_sec", seconds(policy.max_paused));
  w.end_object();
  w.key("inputs").begin_object();
  for (const auto& i : s.inputs) write_input(w, i, policy, s);
  w.end_object();
  w.key("outputs").begin_object();
  for (const auto& o : s.outputs) write_output(w, o, policy, s);
  w.end_object();
  w.end_object();
  a.body += '\n';
  return a;
}

Answer ready_answer(const Snapshot& s, const Policy& policy) {
  Report r = readiness(s, policy);
  Answer a;
  a.status = r.level == Level::Ok ? 200 : 503;
  json::Writer w(a.body);
  w.begin_object().field("status", r.level == Level::Ok ? "ready" : "not ready");
  w.key("reasons").begin_array();
  for (const auto& reason : r.reasons) w.value(reason);
  w.end_array().end_object();
  a.body += '\n';
  return a;
}

Answer live_answer() {
  Answer a;
  json::Writer(a.body).begin_object().field("status", "live").end_object();
  a.body += '\n';
  return a;
}

void append_prometheus(const Snapshot& s, const Policy& policy, std::string& out) {
  PrometheusText text(out);
  text.family("sluice_output_oldest_undelivered_age_seconds", "gauge",
              "Age of the oldest record the output holds and has not delivered yet (0 when none).");
  for (const auto& o : s.outputs) {
    const auto& h = o.health;
    double age = h.oldest_undelivered ? std::max(0.0, seconds(s.now - *h.oldest_undelivered)) : 0.0;
    text.sample("sluice_output_oldest_undelivered_age_seconds", "output", o.instance, age);
  }
  text.family("sluice_output_undelivered_records", "gauge",
              "Records the output holds and has not delivered yet (queued, in flight, waiting for a retry).");
  for (const auto& o : s.outputs)
    text.sample("sluice_output_undelivered_records", "output", o.instance, o.health.undelivered_records);
  text.family("sluice_output_last_success_timestamp_seconds", "gauge",
              "Unix time of the output's last delivery (0 before the first).");
  for (const auto& o : s.outputs) {
    double t = o.health.last_success == WallTime{} ? 0.0 : seconds(o.health.last_success.time_since_epoch());
    text.sample("sluice_output_last_success_timestamp_seconds", "output", o.instance, t);
  }
  text.family("sluice_output_stalled", "gauge",
              "1 while the output has delivered nothing for health.max_output_stall with batches due, else 0.");
  for (const auto& o : s.outputs) {
    bool stalled = judge_output(o, policy, s.now).state == "stalled";
    text.sample("sluice_output_stalled", "output", o.instance, uint64_t{stalled ? 1u : 0u});
  }
  text.family("sluice_input_paused_seconds", "gauge",
              "How long the input has been paused without a break (0 when running).");
  for (const auto& i : s.inputs) {
    double paused = i.paused_since && i.run == InputState::Run::Running ? seconds(s.now - *i.paused_since) : 0.0;
    text.sample("sluice_input_paused_seconds", "input", i.instance, paused);
  }
}

}  // namespace sluice::health
