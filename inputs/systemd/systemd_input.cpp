// The `systemd` input; see systemd_input.hpp. Runs on the main io_context:
// the journal's change descriptor (inotify, from sd_journal_get_fd) wakes it,
// a one-second timer backs that up (and retries while the pipeline is
// paused); each wakeup reads at most max_entries entries (or 1 MB) so the
// loop stays responsive.
//
// Positions: each chunk carries an acknowledgement; the cursor of a chunk's
// last entry becomes the committed position once it and every chunk before
// it were delivered, and `db` keeps that cursor for the next start (written
// at most once a second, and at the end). A chunk not delivered at shutdown
// stops the position there: the next start reads it again.
#include "inputs/systemd/systemd_input.hpp"

#include <fcntl.h>

#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <deque>
#include <filesystem>
#include <fstream>
#include <memory>
#include <optional>

#include "agent/asio.hpp"
#include "agent/log.hpp"
#include "agent/storage/ack_inbox.hpp"
#include "agent/storage/file_io.hpp"
#include "inputs/systemd/journal_api.hpp"
#include "inputs/systemd/journal_record.hpp"

namespace sluice {

namespace {

using Clock = std::chrono::steady_clock;

struct SystemdSettings {
  std::string tag;
  std::string path;  // "": the system's journal
  std::vector<std::string> filters;
  bool filter_and = false;
  journal::RecordOptions record;
  size_t max_entries = 5000;
  bool read_from_tail = false;
  std::string db;  // the cursor file ("" = none)
  bool db_sync = true;
};

std::string errno_text(int negative_errno) { return std::strerror(-negative_errno); }

// The cursor kept in the db file: one line.
std::string read_cursor(const std::string& path) {
  std::ifstream in(path);
  std::string line;
  if (!in || !std::getline(in, line)) return {};
  while (!line.empty() && (line.back() == '\r' || line.back() == ' ')) line.pop_back();
  return line;
}

bool write_cursor(const std::string& path, const std::string& cursor, bool sync, std::string& error) {
  int err = storage::replace_file(path, cursor + "\n", sync);
  if (err != 0) error = "can't write " + path + ": " + std::strerror(err);
  return err == 0;
}

// An open journal, positioned. Throws std::runtime_error on failure.
class Journal {
 public:
  explicit Journal(const SystemdSettings& s) : api_(journal::api()) {
    int r = s.path.empty() ? api_.open(&j_, journal::kLocalOnly) : api_.open_directory(&j_, s.path.c_str(), 0);
    if (r < 0)
      throw std::runtime_error("can't open the journal" + (s.path.empty() ? std::string() : " in " + s.path) + ": " +
                               errno_text(r));
    for (size_t i = 0; i < s.filters.size(); ++i) {
      const std::string& f = s.filters[i];
      if ((r = api_.add_match(j_, f.data(), f.size())) < 0)
        throw std::runtime_error("systemd_filter '" + f + "': " + errno_text(r));
      if (i + 1 < s.filters.size()) r = s.filter_and ? api_.add_conjunction(j_) : api_.add_disjunction(j_);
    }
  }
  ~Journal() {
    if (j_ != nullptr) api_.close(j_);
  }
  Journal(const Journal&) = delete;
  Journal& operator=(const Journal&) = delete;

  // Where reading starts: after `cursor` when it is found, else at the
  // journal's end (read_from_tail) or its start. Returns what was done.
  std::string position(const std::string& cursor, bool from_tail) {
    if (!cursor.empty() && api_.seek_cursor(j_, cursor.c_str()) >= 0 && api_.next(j_) > 0 &&
        api_.test_cursor(j_, cursor.c_str()) > 0)
      return "after the saved cursor";
    if (from_tail) {
      api_.seek_tail(j_);
      api_.previous(j_);  // on the last entry: the next one read is the first new one
      return cursor.empty() ? "at the journal's end (read_from_tail)"
                            : "at the journal's end: the saved cursor is no longer in the journal";
    }
    api_.seek_head(j_);
    return cursor.empty() ? "at the journal's start" : "at the journal's start: the saved cursor is no longer in it";
  }

  sd_journal* get() const { return j_; }
  const journal::Api& api() const { return api_; }

 private:
  const journal::Api& api_;
  sd_journal* j_ = nullptr;
};

class SystemdInput final : public Input {
 public:
  explicit SystemdInput(SystemdSettings s) : s_(std::move(s)) {
    journal_ = std::make_unique<Journal>(s_);  // at load: a bad path or filter is a configuration error
  }

  ~SystemdInput() override {
    if (inbox_ != nullptr) inbox_->detach();
  }

  void start(InputContext& ctx) override {
    ctx_ = &ctx;
    inbox_ = storage::AckInbox::make(ctx.io(), [this](storage::AckInbox::Batch& b) { acked(b); });
    std::string saved = s_.db.empty() ? std::string() : read_cursor(s_.db);
    if (saved.empty()) saved = resume_cursor_;
    std::string where = journal_->position(saved, s_.read_from_tail);
    log::info("input {}: reading the journal{} {}", ctx.instance(), s_.path.empty() ? "" : " in " + s_.path, where);
    timer_.emplace(ctx.io());
    int fd = journal_->api().get_fd(journal_->get());
    if (fd >= 0) {
      // The descriptor stays the journal's: watch a duplicate of it.
      int dup = ::fcntl(fd, F_DUPFD_CLOEXEC, 0);
      if (dup >= 0) {
        changes_.emplace(ctx.io(), dup);
        watch();
      }
    }
    read_some();
    tick();
  }

  void stop() override {
    stopped_ = true;
    if (timer_) timer_->cancel();
    if (changes_) {
      boost::system::error_code ignored;
      changes_->cancel(ignored);
    }
  }

  void finish() override { save_cursor(/*force=*/true); }

  // Hot reload: the input that replaces this one goes on after the last
  // entry delivered, db or not.
  struct Carry : InputCarry {
    std::string cursor;
  };
  std::unique_ptr<InputCarry> carry_over() override {
    if (committed_.empty()) return nullptr;
    auto c = std::make_unique<Carry>();
    c->cursor = committed_;
    return c;
  }
  void resume_from(std::unique_ptr<InputCarry> carry) override {
    if (auto* c = dynamic_cast<Carry*>(carry.get())) resume_cursor_ = c->cursor;
  }

  bool settled() const override { return pending_.empty(); }

 private:
  struct Pending {
    uint64_t cookie;
    std::string cursor;  // of the chunk's last entry
    bool done = false;
    bool delivered = false;
  };

  void watch() {
    changes_->async_wait(boost::asio::posix::stream_descriptor::wait_read, [this](const boost::system::error_code& ec) {
      if (ec || stopped_) return;
      log::Scope scope(ctx_->log_level());
      journal_->api().process(journal_->get());  // takes the inotify events
      read_some();
      watch();
    });
  }

  void tick() {
    timer_->expires_after(std::chrono::seconds(1));
    timer_->async_wait([this](const boost::system::error_code& ec) {
      if (ec || stopped_) return;
      log::Scope scope(ctx_->log_level());
      journal_->api().process(journal_->get());
      read_some();
      tick();
    });
  }

  // Reads up to max_entries entries (or about 1 MB) into chunks, one per
  // tag run, unless the pipeline is paused.
  void read_some() {
    if (stopped_ || ctx_->paused()) return;
    const journal::Api& api = journal_->api();
    sd_journal* j = journal_->get();
    ChunkPtr chunk;
    size_t bytes = 0;
    size_t malformed = 0;
    size_t n = 0;
    bool at_end = false;
    std::vector<std::string_view> fields;
    for (; n < s_.max_entries && bytes < (1u << 20); ++n) {
      int r = api.next(j);
      if (r == 0) {
        at_end = true;
        break;
      }
      if (r < 0) {
        if (read_errors_.hit() != 0) log::error("input {}: reading the journal: {}", ctx_->instance(), errno_text(r));
        break;
      }
      uint64_t usec = 0;
      api.get_realtime_usec(j, &usec);
      std::string tag = s_.tag;
      if (dynamic_tag_) {
        const void* data = nullptr;
        size_t len = 0;
        std::string_view unit;
        if (api.get_data(j, "_SYSTEMD_UNIT", &data, &len) >= 0 && len > 14)
          unit = std::string_view(static_cast<const char*>(data) + 14, len - 14);
        tag = journal::entry_tag(s_.tag, unit);
      }
      if (chunk && chunk->tag != tag) {
        emit(std::move(chunk));
        bytes = 0;
      }
      if (!chunk) chunk = std::make_unique<Chunk>(tag);
      fields.clear();
      api.restart_data(j);
      const void* data = nullptr;
      size_t len = 0;
      while (api.enumerate_data(j, &data, &len) > 0) {
        fields.emplace_back(static_cast<const char*>(data), len);
        bytes += len;
      }
      // The field data is libsystemd's until the next call: copied now.
      Value record = journal::entry_record(fields, s_.record, chunk->arena, &malformed);
      chunk->events.push_back({static_cast<int64_t>(usec) * 1000, record});
    }
    if (malformed > 0 && malformed_log_.hit() != 0)
      log::warn("input {}: {} journal fields without '=' skipped", ctx_->instance(), malformed);
    if (chunk) emit(std::move(chunk));
    // A backlog (a first start from the journal's head) is read on at once,
    // a batch at a time, the other inputs' handlers running in between;
    // not only at the next change or tick.
    if (!at_end && n > 0 && !more_posted_) {
      more_posted_ = true;
      boost::asio::post(ctx_->io(), [this, alive = std::weak_ptr<bool>(alive_)] {
        if (alive.expired()) return;  // the input is gone (a reload)
        more_posted_ = false;
        if (stopped_) return;
        log::Scope scope(ctx_->log_level());
        read_some();
      });
    }
  }

  void emit(ChunkPtr chunk) {
    char* cursor = nullptr;
    std::string text;
    if (journal_->api().get_cursor(journal_->get(), &cursor) >= 0 && cursor != nullptr) {
      text = cursor;
      std::free(cursor);
    }
    uint64_t cookie = ++next_cookie_;
    pending_.push_back({cookie, std::move(text)});
    chunk->acks.push_back(inbox_->ref(cookie));
    ctx_->emit(std::move(chunk));
  }

  void acked(storage::AckInbox::Batch& batch) {
    for (auto [cookie, delivered] : batch)
      for (auto& p : pending_)
        if (p.cookie == cookie) {
          p.done = true;
          p.delivered = delivered;
        }
    // The position moves over delivered chunks in order; one not delivered
    // (shutdown) holds it there for good: the next start reads it again.
    while (!pending_.empty() && pending_.front().done) {
      Pending& p = pending_.front();
      if (!p.delivered) blocked_ = true;
      if (!blocked_ && !p.cursor.empty()) {
        committed_ = std::move(p.cursor);
        dirty_ = true;
      }
      pending_.pop_front();
    }
    save_cursor(/*force=*/false);
  }

  void save_cursor(bool force) {
    if (s_.db.empty() || !dirty_) return;
    auto now = Clock::now();
    if (!force && now - last_save_ < std::chrono::seconds(1)) return;
    std::string error;
    if (write_cursor(s_.db, committed_, s_.db_sync, error)) {
      dirty_ = false;
      last_save_ = now;
    } else if (save_errors_.hit() != 0) {
      log::error("input {}: db: {}", ctx_ != nullptr ? ctx_->instance() : std::string("systemd"), error);
    }
  }

  SystemdSettings s_;
  bool dynamic_tag_ = s_.tag.find('*') != std::string::npos;
  std::unique_ptr<Journal> journal_;
  InputContext* ctx_ = nullptr;
  storage::AckInbox* inbox_ = nullptr;
  std::optional<boost::asio::steady_timer> timer_;
  std::optional<boost::asio::posix::stream_descriptor> changes_;
  std::deque<Pending> pending_;
  uint64_t next_cookie_ = 0;
  std::string committed_;
  std::string resume_cursor_;  // from the input a reload replaced
  bool dirty_ = false;
  bool blocked_ = false;
  bool stopped_ = false;
  bool more_posted_ = false;
  std::shared_ptr<bool> alive_ = std::make_shared<bool>(true);  // for posted reads
  Clock::time_point last_save_{};
  log::RateLimit read_errors_{100};
  log::RateLimit malformed_log_{100};
  log::RateLimit save_errors_{100};
};

}  // namespace

const config::PluginSchema& systemd_input_schema() {
  using config::KeyType;
  static const config::PluginSchema schema{
      "systemd",
      "Reads the systemd journal (journald's entries: the kubelet's, the container runtime's, any unit's), "
      "following it, from where the last run stopped (db) (Fluent Bit's systemd input).",
      {
          {"path", KeyType::String, "",
           "A folder of journal files (e.g. /var/log/journal, or a host's mounted in a container); unset: the "
           "system's journal.",
           false, false, {}},
          {"systemd_filter", KeyType::Multi, "",
           "FIELD=value: read only entries with that field (repeat for several, e.g. _SYSTEMD_UNIT=kubelet.service).",
           false, false, {}},
          {"systemd_filter_type", KeyType::String, "or", "How several systemd_filter combine: or, and.", false, false,
           {"or", "and"}},
          {"read_from_tail", KeyType::Bool, "off",
           "Without a saved position, start at the journal's end (new entries only) instead of its start.", false,
           false, {}},
          {"db", KeyType::String, "",
           "A file keeping the cursor of the last entry delivered, so a restart goes on from there.", false, false, {}},
          {"db.sync", KeyType::String, "normal", "full, extra, normal: write the db file to disk (fsync); off: don't.",
           false, false, {"off", "normal", "full", "extra"}},
          {"max_entries", KeyType::Int, "5000", "Entries read at most per wakeup.", false, false, {}},
          {"max_fields", KeyType::Int, "8000", "Fields kept at most per entry.", false, false, {}},
          {"strip_underscores", KeyType::Bool, "off", "Take one leading underscore off field names (_PID -> PID).",
           false, false, {}},
          {"lowercase", KeyType::Bool, "off", "Field names in lower case.", false, false, {}},
      }};
  return schema;
}

std::unique_ptr<Input> make_systemd_input(const config::ComponentConfig& cfg, const BuildContext& ctx) {
  SystemdSettings s;
  s.tag = cfg.get_string("tag");
  if (s.tag.empty()) s.tag = std::string(cfg.plugin());
  s.path = cfg.get_string("path");
  if (!s.path.empty() && std::filesystem::path(s.path).is_relative() && !ctx.base_dir.empty())
    s.path = (std::filesystem::path(ctx.base_dir) / s.path).string();
  if (!s.path.empty() && !std::filesystem::is_directory(s.path))
    cfg.fail("path", "'" + s.path + "' is not a folder of journal files");
  for (auto& f : cfg.get_list("systemd_filter")) {
    if (f.find('=') == std::string::npos || f.front() == '=')
      cfg.fail("systemd_filter", "expected FIELD=value (e.g. _SYSTEMD_UNIT=kubelet.service), got '" + f + "'");
    s.filters.push_back(std::move(f));
  }
  s.filter_and = cfg.get_string("systemd_filter_type") == "and";
  s.read_from_tail = cfg.get_bool("read_from_tail");
  s.db = cfg.get_string("db");
  if (!s.db.empty() && std::filesystem::path(s.db).is_relative() && !ctx.base_dir.empty())
    s.db = (std::filesystem::path(ctx.base_dir) / s.db).string();
  s.db_sync = cfg.get_string("db.sync") != "off";
  if (!s.db.empty() && storage::is_sqlite_file(s.db)) {
    // Fluent Bit's cursor database: left as it is (Fluent Bit can be started
    // on it again); sluice keeps its cursor beside it, as tail does.
    log::warn("input systemd: db {} is Fluent Bit's SQLite cursor database; sluice doesn't read it and keeps its own "
              "cursor in {}.sluice (the first start reads from the journal's {})",
              s.db, s.db, s.read_from_tail ? "end" : "start");
    s.db += ".sluice";
  }
  int64_t entries = cfg.get_int("max_entries");
  if (entries < 1) cfg.fail("max_entries", "expects 1 or more");
  s.max_entries = static_cast<size_t>(entries);
  int64_t fields = cfg.get_int("max_fields");
  if (fields < 1) cfg.fail("max_fields", "expects 1 or more");
  s.record.max_fields = static_cast<size_t>(fields);
  s.record.strip_underscores = cfg.get_bool("strip_underscores");
  s.record.lowercase = cfg.get_bool("lowercase");
  const std::string key = s.path.empty() ? "name" : "path";
  try {
    return std::make_unique<SystemdInput>(std::move(s));
  } catch (const std::runtime_error& e) {
    cfg.fail(key, e.what());
  }
}

}  // namespace sluice
