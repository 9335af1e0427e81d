// The `stdin` input; see stdin_input.hpp.
#include "inputs/stdin/stdin_input.hpp"

#include <cerrno>
#include <chrono>
#include <cstring>
#include <fcntl.h>
#include <unistd.h>

#include "agent/asio.hpp"
#include "agent/log.hpp"
#include "agent/parse/json_format.hpp"
#include "agent/parse/parser.hpp"
#include "agent/wall_clock.hpp"

namespace sluice {

namespace {

namespace asio = boost::asio;

// While the pipeline is paused, how often to look again.
constexpr auto kPausedRecheck = std::chrono::milliseconds(5);

struct StdinSettings {
  std::string tag;
  std::string key = "log";
  size_t buffer_size = 16 * 1024;
  const Parser* parser = nullptr;
};

// Runs on the main io_context. Pipes, terminals and sockets are read
// asynchronously; a regular file or /dev/null (which epoll refuses) is read
// with blocking read(2)s, one slice per posted handler, so the io_context
// still serves everything else between slices.
class StdinInput final : public Input {
 public:
  StdinInput(StdinSettings s, int source_fd) : s_(std::move(s)), source_fd_(source_fd), buf_(s_.buffer_size) {}
  ~StdinInput() override {
    *alive_ = false;
    if (fd_ >= 0) ::close(fd_);
  }

  void start(InputContext& ctx) override {
    ctx_ = &ctx;
    bytes_ = &ctx.metrics().counter("sluice_input_bytes_read_total", "input", ctx.instance(), false,
                                    "Bytes the input read.");
    long_lines_ = &ctx.metrics().counter("sluice_input_long_lines_total", "input", ctx.instance(), false,
                                          "Lines longer than buffer_max_size (split or skipped).");
    parse_failures_ = &ctx.metrics().counter("sluice_input_parse_failures_total", "input", ctx.instance(), false,
                                              "Lines the input's parser could not read (kept as text).");
    timer_.emplace(ctx.io());
    // A dup, so that closing ours (or the descriptor's non-blocking mode
    // bookkeeping) never closes the process's fd 0.
    int fd = ::fcntl(source_fd_, F_DUPFD_CLOEXEC, 0);
    if (fd < 0) {
      log::error("input {}: cannot read stdin: {}", ctx.instance(), std::strerror(errno));
      ctx.finished();
      return;
    }
    boost::system::error_code ec;
    sd_.emplace(ctx.io());
    sd_->assign(fd, ec);
    if (ec) {
      // EPERM from epoll: a regular file or /dev/null. Read it blocking.
      sd_.reset();
      fd_ = fd;
    }
    read_next();
  }

  void stop() override {
    stopped_ = true;
    if (timer_) timer_->cancel();
    if (sd_) {
      boost::system::error_code ignored;
      sd_->cancel(ignored);
    }
  }

 private:
  void read_next() {
    if (stopped_) return;
    if (ctx_->paused()) {
      timer_->expires_after(kPausedRecheck);
      timer_->async_wait([this, alive = alive_](const boost::system::error_code& ec) {
        if (!ec && *alive) read_next();
      });
      return;
    }
    if (sd_) {
      sd_->async_read_some(asio::buffer(buf_), [this, alive = alive_](const boost::system::error_code& ec, size_t n) {
        if (!*alive || stopped_) return;
        log::Scope scope(ctx_->log_level());  // a handler of its own: the input's log_level
        if (ec == asio::error::operation_aborted) return;
        if (ec && ec != asio::error::eof) log::warn("input {}: reading stdin: {}", ctx_->instance(), ec.message());
        if (ec || n == 0) return on_eof();
        on_read(n);
        read_next();
      });
      return;
    }
    asio::post(ctx_->io(), [this, alive = alive_] {
      if (!*alive || stopped_) return;
      log::Scope scope(ctx_->log_level());
      ssize_t n = ::read(fd_, buf_.data(), buf_.size());
      if (n < 0 && errno == EINTR) return read_next();
      if (n < 0) log::warn("input {}: reading stdin: {}", ctx_->instance(), std::strerror(errno));
      if (n <= 0) return on_eof();
      on_read(static_cast<size_t>(n));
      read_next();
    });
  }

  // Copies the carried partial line and the new bytes into the chunk's
  // arena once; every complete line becomes a record viewing that copy.
  void on_read(size_t n) {
    bytes_->add(n);
    size_t total = carry_.size() + n;
    auto chunk = std::make_unique<Chunk>(s_.tag, total + total / 2 + 1024);
    char* p = static_cast<char*>(chunk->arena.allocate(total, 1));
    std::memcpy(p, carry_.data(), carry_.size());
    std::memcpy(p + carry_.size(), buf_.data(), n);
    carry_.clear();
    std::string_view data(p, total);
    int64_t now = wall_now_ns();
    std::string_view key = chunk->arena.copy(s_.key);
    size_t start = 0;
    for (size_t nl; (nl = data.find('\n', start)) != std::string_view::npos; start = nl + 1)
      add_line(*chunk, key, data.substr(start, nl - start), now);
    std::string_view rest = data.substr(start);
    if (rest.size() >= s_.buffer_size) {
      // Longer than buffer_size: emitted in pieces, counted and reported.
      long_lines_->add();
      if (uint64_t k = long_lines_limit_.hit())
        log::warn("input {}: a line is longer than buffer_size ({} bytes): split into pieces ({} so far)",
                  ctx_->instance(), s_.buffer_size, k);
      add_line(*chunk, key, rest, now);
    } else {
      carry_.assign(rest);
    }
    if (!chunk->events.empty()) ctx_->emit(std::move(chunk));
  }

  void on_eof() {
    if (!carry_.empty()) {
      // The last line had no newline: it is still a line.
      auto chunk = std::make_unique<Chunk>(s_.tag, carry_.size() + 1024);
      std::string_view line = chunk->arena.copy(carry_);
      add_line(*chunk, chunk->arena.copy(s_.key), line, wall_now_ns());
      carry_.clear();
      ctx_->emit(std::move(chunk));
    }
    if (fd_ >= 0) {
      ::close(fd_);
      fd_ = -1;
    }
    sd_.reset();
    ctx_->finished();
  }

  void add_line(Chunk& chunk, std::string_view key, std::string_view line, int64_t now) {
    if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
    Event e{now, Value()};
    if (s_.parser != nullptr) {
      if (auto parsed = s_.parser->parse(line, chunk.arena)) {
        e.record = parsed->record;
        if (parsed->time_ns) e.time_ns = *parsed->time_ns;
        chunk.events.push_back(e);
        return;
      }
      parse_failures_->add();  // kept as it came, under `key`
    } else if (size_t first = line.find_first_not_of(" \t"); first != std::string_view::npos && line[first] == '{') {
      // No parser: a JSON object is the record, as Fluent Bit's stdin reads
      // it; any other line stays text under `key`.
      if (json_->parse(line, chunk.arena, e.record)) {
        chunk.events.push_back(e);
        return;
      }
    }
    Member* m = chunk.arena.allocate_array<Member>(1);
    m[0] = {key, Value::string(line)};
    e.record = Value::map(m, 1);
    chunk.events.push_back(e);
  }

  StdinSettings s_;
  std::unique_ptr<ParseFormat> json_ = make_json_format();
  int source_fd_;
  int fd_ = -1;  // blocking mode only; otherwise sd_ owns the dup
  std::vector<char> buf_;
  std::string carry_;  // the partial last line of the previous read
  InputContext* ctx_ = nullptr;
  std::optional<asio::posix::stream_descriptor> sd_;
  std::optional<asio::steady_timer> timer_;
  // Handlers posted before destruction may still run: they check this first.
  std::shared_ptr<bool> alive_ = std::make_shared<bool>(true);
  bool stopped_ = false;
  Counter* bytes_ = nullptr;
  Counter* long_lines_ = nullptr;
  Counter* parse_failures_ = nullptr;
  log::RateLimit long_lines_limit_;
};

std::string known_parsers(const ParserSet* set) {
  std::string out;
  if (set != nullptr)
    for (const auto& n : set->names()) out += (out.empty() ? "" : ", ") + n;
  return out.empty() ? "(none)" : out;
}

}  // namespace

const config::PluginSchema& stdin_input_schema() {
  using config::KeyType;
  static const config::PluginSchema schema{
      "stdin",
      "Reads standard input line by line; EOF finishes the input (sluice exits when all inputs are done).",
      {
          {"parser", KeyType::String, "", "Parser (from `parsers` or built in) applied to each line; without one, a line that is a JSON object is the record (as Fluent Bit), any other line is `{key: line}`.", false, false,
           {}},
          {"buffer_size", KeyType::Size, "16k", "Bytes read at once; a longer line is split into pieces (counted).",
           false, false, {}},
          {"key", KeyType::String, "log", "Key of the line in the record when no parser is set and the line is not a JSON object.", false, false, {}},
      }};
  return schema;
}

std::unique_ptr<Input> make_stdin_input_fd(const config::ComponentConfig& cfg, const BuildContext& ctx, int fd) {
  StdinSettings s;
  s.tag = cfg.get_string("tag");
  if (s.tag.empty()) s.tag = std::string(cfg.plugin());
  s.key = cfg.get_string("key");
  if (s.key.empty()) cfg.fail("key", "must not be empty");
  uint64_t size = cfg.get_size("buffer_size");
  if (size < 64 || size > (uint64_t{1} << 30))
    cfg.fail("buffer_size", "must be between 64 bytes and 1G, got " + std::to_string(size));
  s.buffer_size = static_cast<size_t>(size);
  if (cfg.has("parser")) {
    std::string name = cfg.get_string("parser");
    s.parser = ctx.parsers != nullptr ? ctx.parsers->find(name) : nullptr;
    if (s.parser == nullptr)
      cfg.fail("parser", "unknown parser '" + name + "' (known: " + known_parsers(ctx.parsers) + ")");
  }
  return std::make_unique<StdinInput>(std::move(s), fd);
}

std::unique_ptr<Input> make_stdin_input(const config::ComponentConfig& cfg, const BuildContext& ctx) {
  return make_stdin_input_fd(cfg, ctx, STDIN_FILENO);
}

}  // namespace sluice
