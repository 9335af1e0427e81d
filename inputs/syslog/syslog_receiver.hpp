// What every socket of one syslog input shares: the settings, the open chunk
// that messages from all connections are batched into, the counters, the
// pause/resume timer and the list of open connections.
#pragma once
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "agent/asio.hpp"
#include "agent/input.hpp"
#include "agent/log.hpp"
#include "agent/parse/parser.hpp"
#include "inputs/syslog/syslog_framing.hpp"
#include "inputs/syslog/syslog_settings.hpp"

namespace sluice::syslog {

struct SyslogMetrics {
  Counter* bytes_read;
  Counter* parse_failures;
  Counter* truncated;
  Counter* framing_errors;
  Counter* dropped;      // UDP datagrams the kernel dropped (socket buffer full, e.g. while paused)
  Counter* connections;  // gauge: open stream connections
  Counter* connections_total;
  Counter* tls_failures;  // TLS handshakes that failed (bad or missing client certificate, not TLS, ...)

  static SyslogMetrics make(Metrics& m, const std::string& instance);
};

// A stream connection, as the receiver sees it at shutdown.
class Connection {
 public:
  virtual ~Connection() = default;
  // Reads what the kernel already holds for this connection (bytes TCP has
  // acknowledged to the sender), without waiting and even while paused.
  virtual void drain() {}
  virtual void close() = 0;
};

// A bound socket that accepts connections or receives datagrams; stop()
// closes it (and removes its socket file).
class Listener {
 public:
  virtual ~Listener() = default;
  // At shutdown, before the receiver stops: reads what is already queued.
  virtual void drain() {}
  virtual void stop() = 0;
};

// Main thread. Held by shared_ptr from every connection and pending handler,
// so a handler that runs after stop() finds stopped() instead of freed memory.
class Receiver : public std::enable_shared_from_this<Receiver> {
 public:
  Receiver(SyslogSettings settings, InputContext& ctx);

  const SyslogSettings& settings() const { return settings_; }
  SyslogMetrics& metrics() { return metrics_; }
  boost::asio::io_context& io() { return ctx_.io(); }
  const std::string& instance() const { return ctx_.instance(); }
  // The input's own log_level, for the handlers the connections run by themselves.
  int log_level() const { return ctx_.log_level(); }
  bool stopped() const { return stopped_; }
  // Connections stop reading while true: the pipeline is full, or a chunk
  // the input's buffer refused (disk full) waits to be offered again.
  bool paused() const { return held_ != nullptr || ctx_.paused(); }

  // One message (trailer included or not); source is "tcp://ip:port" etc.
  // Batched into the open chunk, which is emitted when it is large or once
  // the handlers ready now have run (so messages read together travel together).
  void add(std::string_view message, FrameFlags flags, std::string_view source);
  // Emits the open chunk now. With storage.type filesystem, a chunk the
  // buffer refuses is held and offered again every few ms; messages read
  // meanwhile wait behind it, in order.
  void flush();
  // Calls resume once the pipeline isn't paused any more (checked every 5 ms,
  // one timer for all waiters, as inputs/tail does).
  void when_unpaused(std::function<void()> resume);

  // A read buffer of buffer_chunk_size shared by the plain stream
  // connections, which read into it only when ready (one at a time).
  std::vector<char>& read_buffer() { return read_buffer_; }

  uint64_t track(std::shared_ptr<Connection> c);
  void untrack(uint64_t id);

  // Shutdown: drains every connection, emits what is batched, closes every
  // connection, forgets waiters.
  void stop();

 private:
  void add_one(std::string_view message, FrameFlags flags, std::string_view source);
  void add_record(Chunk& chunk, std::string_view text, FrameFlags flags, std::string_view source);
  // Payload Json and Lines: the record of one message; false when it had to
  // be kept as text (not JSON, or the parser refused it).
  bool read_payload(std::string_view text, Arena& arena, Value& record, int64_t& time_ns);
  void schedule_flush();
  void arm_pause_timer();
  void recheck_pause();

  SyslogSettings settings_;
  InputContext& ctx_;
  SyslogMetrics metrics_;
  bool stopped_ = false;
  ChunkPtr chunk_;
  ChunkPtr held_;  // refused by the input's buffer; goes before chunk_
  int64_t chunk_now_ns_ = 0;
  std::string_view source_key_, raw_key_;  // copies in the open chunk's arena
  bool flush_posted_ = false;
  std::vector<Member> scratch_;
  std::unique_ptr<ParseFormat> json_;  // payload Json
  std::vector<char> read_buffer_;
  std::vector<std::function<void()>> waiters_;
  boost::asio::steady_timer pause_timer_;
  bool pause_timer_armed_ = false;
  std::unordered_map<uint64_t, std::shared_ptr<Connection>> connections_;
  uint64_t next_id_ = 0;
  log::RateLimit parse_log_{1000};
  log::RateLimit truncated_log_{1000};
  log::RateLimit framing_log_{1000};
};

}  // namespace sluice::syslog
