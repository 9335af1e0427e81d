// The syslog input's shared state and record building; see syslog_receiver.hpp.
#include "inputs/syslog/syslog_receiver.hpp"

#include <chrono>

#include "agent/parse/json_format.hpp"
#include "agent/parse/parser.hpp"
#include "agent/record.hpp"
#include "agent/wall_clock.hpp"

namespace sluice::syslog {

namespace {

namespace asio = boost::asio;

// While the pipeline is paused, how often to look again.
constexpr auto kPausedRecheck = std::chrono::milliseconds(5);
// A chunk is emitted at this many events or arena bytes even mid-round, so a
// flood on many connections still moves in bounded pieces.
constexpr size_t kMaxChunkEvents = 1024;
constexpr size_t kMaxChunkBytes = 1024 * 1024;
constexpr size_t kFirstArenaBlock = 64 * 1024;

}  // namespace

SyslogMetrics SyslogMetrics::make(Metrics& m, const std::string& instance) {
  auto c = [&](const char* name, const char* help, bool gauge = false) {
    return &m.counter(name, "input", instance, gauge, help);
  };
  return {c("sluice_input_bytes_read_total", "Bytes the input read."),
          c("sluice_input_parse_failures_total", "Lines the input's parser could not read (kept as text)."),
          c("sluice_input_truncated_total",
            "Messages longer than buffer_max_size, cut and flagged `truncated`."),
          c("sluice_input_framing_errors_total", "Broken syslog framing (bad octet counts); the connection is closed."),
          c("sluice_input_records_dropped_total", "UDP datagrams the kernel dropped (socket buffer full)."),
          c("sluice_input_connections", "Open stream connections.", true),
          c("sluice_input_connections_total", "Stream connections accepted."),
          c("sluice_input_tls_handshake_failures_total", "TLS handshakes that failed.")};
}

Receiver::Receiver(SyslogSettings settings, InputContext& ctx)
    : settings_(std::move(settings)),
      ctx_(ctx),
      metrics_(SyslogMetrics::make(ctx.metrics(), ctx.instance())),
      pause_timer_(ctx.io()) {
  if (settings_.stream()) read_buffer_.resize(settings_.buffer_chunk_size);
  if (settings_.payload == Payload::Json) json_ = make_json_format();
}

namespace {

// Frames passed to a function (kept by value: no allocation per datagram).
template <class F>
class FrameCallback : public FrameSink {
 public:
  explicit FrameCallback(F f) : f_(std::move(f)) {}
  void on_frame(std::string_view message, FrameFlags flags) override { f_(message, flags); }

 private:
  F f_;
};

}  // namespace

void Receiver::add(std::string_view message, FrameFlags flags, std::string_view source) {
  if (stopped_) return;
  // A datagram of the udp input may hold several messages, as Fluent Bit's
  // in_udp reads it: JSON values (pretty-printed or not, split as the tcp
  // input's stream is), or lines.
  if (settings_.payload == Payload::Json && !settings_.stream()) {
    Framer values(Framing::JsonStream, message.size());
    FrameCallback sink([&](std::string_view value, FrameFlags value_flags) {
      value_flags.truncated |= flags.truncated;
      add_one(value, value_flags, source);
    });
    values.feed(message, sink);
    values.finish(sink);
    return;
  }
  if (settings_.payload != Payload::Syslog && !settings_.stream() && message.find('\n') != std::string_view::npos) {
    while (!message.empty()) {
      size_t end = message.find('\n');
      std::string_view line = message.substr(0, end);
      add_one(line, flags, source);
      if (end == std::string_view::npos) break;
      message.remove_prefix(end + 1);
    }
    return;
  }
  add_one(message, flags, source);
}

void Receiver::add_one(std::string_view message, FrameFlags flags, std::string_view source) {
  std::string_view text = trim_trailer(message);
  if (text.empty() && !flags.truncated) return;
  if (!chunk_) {
    chunk_ = std::make_unique<Chunk>(settings_.tag, kFirstArenaBlock);
    chunk_->events.reserve(64);
    chunk_now_ns_ = wall_now_ns();
    source_key_ = chunk_->arena.copy(settings_.source_address_key);
    raw_key_ = chunk_->arena.copy(settings_.raw_message_key);
    schedule_flush();
  }
  add_record(*chunk_, chunk_->arena.copy(text), flags, source);
  if (chunk_->events.size() >= kMaxChunkEvents || chunk_->arena.reserved() >= kMaxChunkBytes) flush();
}

void Receiver::add_record(Chunk& chunk, std::string_view text, FrameFlags flags, std::string_view source) {
  Arena& arena = chunk.arena;
  int64_t time_ns = chunk_now_ns_;
  Value record;
  bool parsed = false;
  if (settings_.payload != Payload::Syslog) {
    parsed = read_payload(text, arena, record, time_ns);
    if (!parsed) {
      MapBuilder b(arena, scratch_);
      b.add(arena.copy(settings_.line_key), Value::string(text));
      record = b.finish();
      metrics_.parse_failures->add();
      if (uint64_t n = parse_log_.hit())
        log::warn("input {}: a message from {} is not {}; kept as text under `{}` ({} so far)", instance(),
                  source.empty() ? "a client" : source, settings_.parser ? "what its parser reads" : "a JSON object",
                  settings_.line_key, n);
      parsed = true;  // kept, and counted: no parse_error field in this shape
    }
  } else if (settings_.parser != nullptr) {
    if (auto p = settings_.parser->parse(text, arena)) {
      record = p->record;
      time_ns = p->time_ns.value_or(time_ns);
      parsed = true;
    }
  } else {
    SyslogMessage m;
    if (parse_message(text, settings_.format, chunk_now_ns_, m)) {
      MapBuilder b(arena, scratch_);
      add_fields(m, arena, scratch_, b);
      record = b.finish();
      time_ns = m.time_ns.value_or(time_ns);
      parsed = true;
    }
  }
  if (!parsed) {
    MapBuilder b(arena, scratch_);
    add_unparsed(text, b);
    record = b.finish();
    metrics_.parse_failures->add();
    if (uint64_t n = parse_log_.hit())
      log::warn("input {}: a message from {} is not syslog{}; kept raw with parse_error ({} so far)", instance(),
                source.empty() ? "a client" : source, settings_.parser ? " for its parser" : "", n);
  }
  if (flags.truncated) {
    record::set(record, arena, "truncated", Value::boolean(true));
    metrics_.truncated->add();
    if (uint64_t n = truncated_log_.hit())
      log::warn(
          "input {}: a message from {} was longer than buffer_max_size ({} bytes): cut, flagged "
          "`truncated` ({} so far)",
          instance(), source.empty() ? "a client" : source, settings_.buffer_max_size, n);
  }
  if (flags.bad_frame) {
    metrics_.framing_errors->add();
    if (uint64_t n = framing_log_.hit())
      log::warn(
          "input {}: {} sent a frame without a valid octet count; its text up to the next newline was kept "
          "({} so far)",
          instance(), source.empty() ? "a client" : source, n);
  }
  if (!source_key_.empty() && !source.empty())
    record::set(record, arena, source_key_, Value::string(arena.copy(source)));
  if (!raw_key_.empty()) record::set(record, arena, raw_key_, Value::string(text));
  chunk.events.push_back({time_ns, record});
}

bool Receiver::read_payload(std::string_view text, Arena& arena, Value& record, int64_t& time_ns) {
  if (settings_.payload == Payload::Json) {
    Value v;
    if (!text.empty() && text.front() == '[') {
      // A top-level array becomes {"msg": [...]}, as Fluent Bit makes it.
      // The reader takes objects only, and may keep views of the text it
      // reads, so the wrapped text goes into the arena.
      std::string wrapped;
      wrapped.reserve(text.size() + 8);
      wrapped.append("{\"msg\":").append(text).append("}");
      text = arena.copy(wrapped);
    }
    if (!json_->parse(text, arena, v) || !v.is_map()) return false;
    record = v;
    return true;
  }
  if (settings_.parser == nullptr) {  // a line as it is
    MapBuilder b(arena, scratch_);
    b.add(arena.copy(settings_.line_key), Value::string(text));
    record = b.finish();
    return true;
  }
  auto p = settings_.parser->parse(text, arena);
  if (!p) return false;
  record = p->record;
  time_ns = p->time_ns.value_or(time_ns);
  return true;
}

void Receiver::schedule_flush() {
  if (flush_posted_) return;
  flush_posted_ = true;
  asio::post(ctx_.io(), [self = shared_from_this()] {
    log::Scope scope(self->log_level());
    self->flush_posted_ = false;
    self->flush();
  });
}

void Receiver::flush() {
  if (held_) {
    if (!ctx_.offer(held_)) return arm_pause_timer();
    held_.reset();
  }
  ChunkPtr chunk = std::move(chunk_);
  chunk_.reset();
  if (!chunk || chunk->events.empty()) return;
  // Taken: with filesystem storage it is on disk now, and reading goes on.
  if (ctx_.offer(chunk)) return;
  held_ = std::move(chunk);
  arm_pause_timer();
}

void Receiver::when_unpaused(std::function<void()> resume) {
  if (stopped_) return;
  waiters_.push_back(std::move(resume));
  arm_pause_timer();
}

void Receiver::arm_pause_timer() {
  if (pause_timer_armed_) return;
  pause_timer_armed_ = true;
  pause_timer_.expires_after(kPausedRecheck);
  pause_timer_.async_wait([self = shared_from_this()](const boost::system::error_code& ec) {
    log::Scope scope(self->log_level());
    self->pause_timer_armed_ = false;
    if (!ec) self->recheck_pause();
  });
}

void Receiver::recheck_pause() {
  if (stopped_) return;
  if (held_) flush();
  if (waiters_.empty()) return;
  if (paused()) return arm_pause_timer();
  auto ready = std::move(waiters_);
  waiters_.clear();
  for (auto& resume : ready) resume();
}

uint64_t Receiver::track(std::shared_ptr<Connection> c) {
  uint64_t id = ++next_id_;
  connections_.emplace(id, std::move(c));
  metrics_.connections_total->add();
  metrics_.connections->set(connections_.size());
  return id;
}

void Receiver::untrack(uint64_t id) {
  connections_.erase(id);
  metrics_.connections->set(connections_.size());
}

void Receiver::stop() {
  if (stopped_) return;
  for (auto& [id, c] : connections_) c->drain();
  flush();
  // Still refused at shutdown: read from the senders already, so they go on
  // in memory (delivered within grace if the outputs can).
  if (held_) ctx_.emit(std::move(held_));
  if (chunk_) ctx_.emit(std::move(chunk_));
  stopped_ = true;
  auto open = std::move(connections_);
  connections_.clear();
  for (auto& [id, c] : open) c->close();
  metrics_.connections->set(0);
  waiters_.clear();
  pause_timer_.cancel();
}

}  // namespace sluice::syslog
