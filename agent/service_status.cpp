// The status server's routes (README, "Metrics and health") and what health
// sees of the running service: the server only routes, agent/health.cpp
// judges, this file gathers and registers. Main thread.
#include "agent/config/effective_config.hpp"
#include "agent/json_writer.hpp"
#include "agent/service_impl.hpp"

namespace sluice {

using Clock = std::chrono::steady_clock;

namespace {

StatusResponse json_response(std::string body, int status = 200) {
  StatusResponse r;
  r.status = status;
  r.body = std::move(body);
  if (r.body.empty() || r.body.back() != '\n') r.body += '\n';
  return r;
}

StatusResponse from(health::Answer a) { return json_response(std::move(a.body), a.status); }

}  // namespace

// Paused while its last question was answered "paused" and the buffers are
// still full: an input that stopped asking isn't held paused by a stale answer.
health::InputState Service::Impl::InputSlot::health_state() const {
  health::InputState st;
  st.instance = instance_;
  st.plugin = plugin;
  st.input = input.get();
  if (done_) st.run = health::InputState::Run::Finished;
  else if (leaving) st.run = health::InputState::Run::Reloading;
  else if (svc_.stopping || !started) st.run = health::InputState::Run::Stopped;
  if (buffer) st.describe_storage = [b = buffer.get()](json::Writer& w) { b->describe_health(w); };
  if (paused_since_ && st.run == health::InputState::Run::Running) {
    st.paused_reason = buffer ? buffer->blocked_reason() : std::string();
    if (st.paused_reason.empty()) st.paused_reason = svc_.pipeline->full_reason();
    if (!st.paused_reason.empty()) {
      st.paused_since = paused_since_;
      st.paused_since_wall = paused_since_wall_;
    }
  }
  return st;
}

health::Policy Service::Impl::health_policy() const {
  health::Policy p;
  p.max_output_stall = cfg().service.get_duration("health.max_output_stall");
  p.max_paused = cfg().service.get_duration("health.max_paused");
  return p;
}

health::Snapshot Service::Impl::health_snapshot() const {
  health::Snapshot s;
  s.now = Clock::now();
  s.wall_now = std::chrono::system_clock::now();
  s.started = started;
  s.stopping = stopping;
  for (const auto& in : inputs) s.inputs.push_back(in->health_state());
  for (const auto& o : outputs) s.outputs.push_back({o.runner->instance(), o.runner->health()});
  return s;
}

void Service::Impl::add_status_routes() {
  status->route("GET", "/api/v1/health", [this](const StatusRequest&, StatusReply reply) {
    reply(from(health::health_answer(health_snapshot(), health_policy())));
  });
  status->route("GET", "/api/v1/health/ready", [this](const StatusRequest&, StatusReply reply) {
    reply(from(health::ready_answer(health_snapshot(), health_policy())));
  });
  status->route("GET", "/api/v1/health/live",
                [](const StatusRequest&, StatusReply reply) { reply(from(health::live_answer())); });
  auto prometheus = [this](const StatusRequest&, StatusReply reply) {
    StatusResponse r;
    r.content_type = "text/plain; version=0.0.4; charset=utf-8";
    r.body = metrics.prometheus_text();
    health::append_prometheus(health_snapshot(), health_policy(), r.body);
    reply(std::move(r));
  };
  status->route("GET", "/api/v1/metrics", prometheus);
  status->route("GET", "/api/v1/metrics/prometheus", prometheus);
  status->route("GET", "/api/v1/uptime", [this](const StatusRequest&, StatusReply reply) {
    std::string body;
    json::Writer(body).begin_object()
        .field("uptime_sec", std::chrono::duration_cast<std::chrono::seconds>(Clock::now() - started_at).count())
        .end_object();
    reply(json_response(std::move(body)));
  });
  status->route("GET", "/api/v1/config", [this](const StatusRequest&, StatusReply reply) {
    reply(json_response(config::effective_config_json(cfg())));
  });
  // Answered when the reload is done (or refused): 200, or 400 with the
  // reason (hot reload off, a bad file, stopping), as Fluent Bit's.
  status->route("POST", "/api/v1/reload", [this](const StatusRequest&, StatusReply reply) {
    reload([reply](const ReloadResult& r) {
      std::string body;
      json::Writer(body).begin_object().field("reloaded", r.ok).field("message", r.message).end_object();
      reply(json_response(std::move(body), r.ok ? 200 : 400));
    });
  });
  status->route("GET", "/", [this](const StatusRequest&, StatusReply reply) {
    std::string body;
    json::Writer w(body);
    w.begin_object().key("sluice").begin_object().field("version", SLUICE_VERSION).end_object();
    w.key("endpoints").begin_array();
    for (const auto& r : status->routes()) w.value(r);
    w.end_array().end_object();
    reply(json_response(std::move(body)));
  });
}

}  // namespace sluice
