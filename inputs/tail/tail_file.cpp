// One followed file of the tail input; see tail_file.hpp.
#include "inputs/tail/tail_file.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>

#include "agent/log.hpp"
#include "inputs/tail/tail_records.hpp"

namespace sluice::tail {

namespace {
// A runaway container partial sequence is handed out in pieces of at least this.
constexpr size_t kMinJoinLimit = 1024 * 1024;
log::RateLimit g_long_line_log(100);
log::RateLimit g_read_error_log(100);

LongLines long_lines_mode(const TailInputConfig& cfg) {
  if (cfg.truncate_long_lines) return LongLines::Truncate;
  return cfg.skip_long_lines ? LongLines::Skip : LongLines::Split;
}

const char* long_line_fate(LongLines mode) {
  switch (mode) {
    case LongLines::Skip: return "skipped (skip_long_lines)";
    case LongLines::Truncate: return "truncated (truncate_long_lines)";
    case LongLines::Split: break;
  }
  return "split into pieces";
}

LineUnit unit_of(TextEncoding e) {
  if (e == TextEncoding::Utf16Le) return LineUnit::Utf16Le;
  if (e == TextEncoding::Utf16Be) return LineUnit::Utf16Be;
  return LineUnit::Byte;
}

// Page size for posix_fadvise ranges: only whole pages behind the reader
// are dropped, so the page the writer appends to stays cached.
uint64_t page_size() {
  static const uint64_t size = [] {
    long n = ::sysconf(_SC_PAGESIZE);
    return n > 0 ? static_cast<uint64_t>(n) : uint64_t{4096};
  }();
  return size;
}
}  // namespace

TailFile::TailFile(int fd, FileKey key, std::string path, std::string tag, uint64_t offset,
                   const TailInputConfig& cfg, TailMetrics& metrics)
    : fd_(fd), key_(key), path_(std::move(path)), tag_(std::move(tag)), cfg_(cfg), metrics_(metrics),
      splitter_(cfg.buffer_chunk_size, cfg.buffer_max_size, long_lines_mode(cfg)), encoding_(cfg.encoding),
      encoding_resolved_(cfg.encoding != TextEncoding::Utf16Auto), boundary_known_(offset == 0), committed_(offset) {
  current_path = path_;
  splitter_.reset(offset);
  splitter_.set_unit(unit_of(encoding_));
  if (cfg.docker_mode) {
    dmode_ = std::make_unique<DockerModeJoiner>(cfg.docker_mode_parser, cfg.docker_mode_flush,
                                                std::max(cfg.buffer_max_size, kMinJoinLimit));
  }
  if (cfg.docker || cfg.cri) {
    decoder_ = std::make_unique<ContainerDecoder>(cfg.docker, cfg.cri, std::max(cfg.buffer_max_size, kMinJoinLimit));
  }
  if (!cfg.multiline.empty()) {
    MultilineStream::Settings settings;
    settings.max_bytes = std::max(cfg.buffer_max_size, kMinJoinLimit);
    ml_ = std::make_unique<MultilineStream>(cfg.multiline, settings);
  }
  struct stat st {};
  if (::fstat(fd_, &st) == 0) size_ = static_cast<uint64_t>(st.st_size);
}

TailFile::~TailFile() { ::close(fd_); }

bool TailFile::changed_on_disk() {
  struct stat st {};
  if (::fstat(fd_, &st) != 0) return false;
  auto size = static_cast<uint64_t>(st.st_size);
  if (size > size_) size_ = size;  // kept: bytes seen but not read yet count as lost if truncated away
  return size != splitter_.end();
}

bool TailFile::has_held_data() const {
  return splitter_.pending_bytes() > 0 || splitter_.in_long_line() || (decoder_ && decoder_->pending_start()) ||
         (ml_ && ml_->has_open()) || (dmode_ && dmode_->holding());
}

bool TailFile::resolve_encoding() {
  if (encoding_resolved_) return true;
  char head[4];
  ssize_t n = ::pread(fd_, head, sizeof head, 0);
  if (n < 2) return false;
  encoding_ = detect_unicode(std::string_view(head, static_cast<size_t>(n)));
  encoding_resolved_ = true;
  splitter_.set_unit(unit_of(encoding_));
  return true;
}

bool TailFile::truncated(uint64_t size) {
  if (size < splitter_.end()) return true;
  // Truncated and rewritten past our offset before we looked (copytruncate
  // followed by fast writes): the newline we saw before the line start is gone.
  uint64_t start = splitter_.line_start();
  if (!boundary_known_ || start == 0 || start > size) return false;
  // The newline before the line start: one byte, or a UTF-16 code unit.
  std::string_view newline = encoding_ == TextEncoding::Utf16Le   ? std::string_view("\n\0", 2)
                             : encoding_ == TextEncoding::Utf16Be ? std::string_view("\0\n", 2)
                                                                  : std::string_view("\n", 1);
  if (start < newline.size()) return false;
  char c[2] = {0, 0};
  auto n = static_cast<ssize_t>(newline.size());
  return ::pread(fd_, c, newline.size(), static_cast<off_t>(start - newline.size())) == n &&
         std::string_view(c, newline.size()) != newline;
}

void TailFile::restart_after_truncation(uint64_t size) {
  uint64_t end = splitter_.end();
  uint64_t lost = (size_ > end ? size_ - end : 0) + splitter_.pending_bytes();
  metrics_.truncations->add();
  if (lost > 0) {
    metrics_.bytes_lost->add(lost);
    log::warn("tail: {} was truncated before {} bytes of it were read; they are lost. Reading it again from the start",
              path_, lost);
  } else {
    log::info("tail: {} was truncated; reading it again from the start", path_);
  }
  splitter_.reset(0);
  if (decoder_) decoder_->reset();
  if (ml_) ml_->reset();
  if (dmode_) dmode_->reset();
  boundary_known_ = true;
  ++generation_;
  committed_ = 0;
  size_ = size;
}

ReadResult TailFile::read_slice(ReadScratch& scratch, int64_t now_ns) {
  ReadResult r;
  struct stat st {};
  if (::fstat(fd_, &st) == 0) {
    auto size = static_cast<uint64_t>(st.st_size);
    if (truncated(size)) {
      restart_after_truncation(size);
      r.truncated = true;
    }
    if (size != size_) last_activity_ = Clock::now();
    size_ = size;
  }
  uint64_t off = splitter_.end();
  size_t want = static_cast<size_t>(std::min<uint64_t>(kSliceBytes, size_ > off ? size_ - off : 0));
  if (want > 0 && !resolve_encoding()) want = 0;
  // UTF-16 is read in whole code units: a half-written one waits.
  if (is_utf16(encoding_)) want &= ~size_t{1};
  if (want == 0) {
    eof_ = true;
    r.commit = commit_point();
    return r;
  }
  ssize_t n;
  do {
    n = ::pread(fd_, scratch.buf.get(), want, static_cast<off_t>(off));
  } while (n < 0 && errno == EINTR);
  if (n > 0 && is_utf16(encoding_)) n &= ~ssize_t{1};
  if (n <= 0) {
    if (n < 0 && g_read_error_log.hit() != 0) log::error("tail: reading {}: {}", path_, std::strerror(errno));
    eof_ = true;
    r.commit = commit_point();
    return r;
  }
  if (cfg_.file_cache_advise) {
    uint64_t from = off & ~(page_size() - 1);
    uint64_t to = (off + static_cast<uint64_t>(n)) & ~(page_size() - 1);
    if (to > from) ::posix_fadvise(fd_, static_cast<off_t>(from), static_cast<off_t>(to - from), POSIX_FADV_DONTNEED);
  }
  last_activity_ = Clock::now();
  metrics_.bytes_read->add(static_cast<uint64_t>(n));
  auto& split = scratch.split;
  split.clear();
  uint64_t line_start = splitter_.line_start();
  splitter_.feed(std::string_view(scratch.buf.get(), static_cast<size_t>(n)), split);
  if (splitter_.line_start() != line_start) boundary_known_ = true;
  r.read = true;
  r.more = splitter_.end() < size_;
  eof_ = !r.more;
  r.chunk = build_chunk(scratch, now_ns, false);
  r.commit = commit_point();
  return r;
}

ReadResult TailFile::flush(ReadScratch& scratch, int64_t now_ns) {
  ReadResult r;
  auto& split = scratch.split;
  split.clear();
  if (splitter_.pending_bytes() > 0 || splitter_.in_long_line()) boundary_known_ = false;
  splitter_.flush(split);
  r.chunk = build_chunk(scratch, now_ns, true);
  r.commit = commit_point();
  return r;
}

ChunkPtr TailFile::build_chunk(ReadScratch& scratch, int64_t now_ns, bool flush_held) {
  auto& split = scratch.split;
  if (split.long_lines > 0) {
    metrics_.long_lines->add(split.long_lines);
    if (uint64_t n = g_long_line_log.hit(); n != 0) {
      log::warn("tail: {}: a line longer than buffer_max_size ({} bytes) was {} ({} such lines so far)", path_,
                cfg_.buffer_max_size, long_line_fate(long_lines_mode(cfg_)), n);
    }
  }
  if (split.skipped_bytes > 0) metrics_.bytes_skipped->add(split.skipped_bytes);
  bool held = flush_held &&
              ((decoder_ && decoder_->pending_start()) || (ml_ && ml_->has_open()) || (dmode_ && dmode_->holding()));
  if (split.lines.empty() && !held) return nullptr;
  metrics_.lines_read->add(split.lines.size());

  size_t bytes = split.bulk.size() + split.extra.size();
  // A parser reads each line and keeps its fields, so the lines needn't be
  // copied into the chunk (only one that doesn't parse is, as text). Else
  // the slice's whole lines are copied into the chunk once, into a block
  // sized to them (no room left unused to be charged), and every line is a
  // view into it; the records go into blocks sized for them.
  // Lines in another encoding are converted into the chunk instead of copied.
  const bool convert = cfg_.encoding != TextEncoding::Utf8;
  const bool borrow = cfg_.parser != nullptr && !decoder_ && !ml_ && !dmode_ && !convert;
  size_t per_line = cfg_.parser != nullptr ? 8 * sizeof(Member) : 3 * sizeof(Member);
  size_t records = split.lines.size() * per_line + 1024;
  auto chunk = std::make_unique<Chunk>(tag_, std::min(borrow ? bytes + records : records, Arena::kMaxBlock));
  chunk->events.reserve(split.lines.size());
  std::string_view bulk = split.bulk;
  std::string_view extra = split.extra;
  if (!borrow && !convert) {
    if (!split.bulk.empty()) chunk->arena.start_block(split.bulk.size());
    bulk = chunk->arena.copy(split.bulk);
    extra = chunk->arena.copy(split.extra);  // a line carried over from the last read, at most
  }
  RecordMaker maker(cfg_, metrics_, *chunk, path_, scratch.members, now_ns);
  if (borrow) maker.borrow_lines();
  uint64_t cuts = (decoder_ ? decoder_->cuts() : 0) + (dmode_ ? dmode_->cuts() : 0);
  for (const auto& ref : split.lines) {
    std::string_view line = (ref.in_extra ? extra : bulk).substr(ref.begin, ref.len);
    if (convert) {
      scratch.text.clear();
      to_utf8(encoding_, line, ref.offset == 0, scratch.text);
      line = chunk->arena.copy(scratch.text);
    }
    if (dmode_) {
      add_docker_mode(maker, line, ref.offset, chunk->arena, scratch);
    } else {
      maker.add_line(line, ref.offset, decoder_.get(), ml_.get());
    }
  }
  if (held) {
    if (ml_) ml_->flush_all(maker);
    if (dmode_) flush_docker_mode(maker, chunk->arena, scratch);
    ContainerRecord cr;
    while (decoder_ && decoder_->flush_one(chunk->arena, cr)) maker.add_container(cr);
  }
  uint64_t cuts_now = (decoder_ ? decoder_->cuts() : 0) + (dmode_ ? dmode_->cuts() : 0);
  if (cuts_now > cuts) metrics_.long_lines->add(cuts_now - cuts);
  if (chunk->events.empty()) return nullptr;
  return chunk;
}

void TailFile::add_docker_mode(RecordMaker& maker, std::string_view line, uint64_t offset, Arena& arena,
                               ReadScratch& scratch) {
  scratch.joined.clear();
  bool taken = dmode_->offer(line, offset, Clock::now(), arena, scratch.joined);
  if (!taken) dmode_->flush(arena, scratch.joined);  // what was held comes first
  for (const auto& j : scratch.joined) maker.add_line(j.text, j.offset, nullptr, nullptr);
  if (!taken) maker.add_line(line, offset, nullptr, nullptr);
}

void TailFile::flush_docker_mode(RecordMaker& maker, Arena& arena, ReadScratch& scratch) {
  scratch.joined.clear();
  dmode_->flush(arena, scratch.joined);
  for (const auto& j : scratch.joined) maker.add_line(j.text, j.offset, nullptr, nullptr);
}

uint64_t TailFile::commit_point() const {
  uint64_t c = splitter_.line_start();
  if (decoder_) {
    if (auto held = decoder_->pending_start()) c = std::min(c, *held);
  }
  // A line in an open multiline record is not delivered yet: a restart must read it again.
  if (ml_) {
    if (auto held = ml_->oldest_position()) c = std::min(c, *held);
  }
  if (dmode_) {
    if (auto held = dmode_->pending_start()) c = std::min(c, *held);
  }
  return c;
}

ReadResult TailFile::flush_multiline(ReadScratch& scratch, int64_t now_ns, Clock::time_point now, bool all) {
  ReadResult r;
  bool dmode_due = dmode_ && dmode_->holding() && (all || *dmode_->deadline() <= now);
  if ((ml_ && ml_->has_open()) || dmode_due) {
    auto chunk = std::make_unique<Chunk>(tag_, 4096);
    RecordMaker maker(cfg_, metrics_, *chunk, path_, scratch.members, now_ns);
    if (ml_ && all) ml_->flush_all(maker);
    else if (ml_) ml_->flush_expired(maker, now);
    if (dmode_due) flush_docker_mode(maker, chunk->arena, scratch);
    if (!chunk->events.empty()) r.chunk = std::move(chunk);
  }
  r.commit = commit_point();
  return r;
}

std::optional<TailFile::Clock::time_point> TailFile::multiline_due() const {
  std::optional<Clock::time_point> due = ml_ ? ml_->next_deadline() : std::nullopt;
  if (auto d = dmode_ ? dmode_->deadline() : std::nullopt; d && (!due || *d < *due)) due = d;
  return due;
}

void TailFile::track(uint64_t cookie, uint64_t commit) { in_flight_.push_back({cookie, commit, generation_}); }

bool TailFile::progress(uint64_t commit) {
  if (in_flight_.empty()) {
    if (commit <= committed_) return false;
    committed_ = commit;
    return true;
  }
  const InFlight& last = in_flight_.back();
  if (last.generation == generation_ && commit <= last.commit) return false;
  // Same cookie as the chunk before it: commits right after that one does.
  in_flight_.push_back({last.cookie, commit, generation_, true, true});
  return advance();
}

bool TailFile::acknowledge(uint64_t cookie, bool delivered) {
  auto it = std::lower_bound(in_flight_.begin(), in_flight_.end(), cookie,
                             [](const InFlight& f, uint64_t c) { return f.cookie < c; });
  if (it == in_flight_.end() || it->cookie != cookie) return false;
  it->acked = true;
  it->delivered = delivered;
  return advance();
}

bool TailFile::advance() {
  bool changed = false;
  // Only the contiguous delivered prefix commits: chunks are acknowledged
  // out of order, and an undelivered one must be read again next start.
  while (!in_flight_.empty() && in_flight_.front().acked) {
    const InFlight& f = in_flight_.front();
    if (f.generation == generation_) {
      if (!f.delivered) break;
      if (f.commit > committed_) {
        committed_ = f.commit;
        changed = true;
      }
    }
    in_flight_.pop_front();
  }
  return changed;
}

}  // namespace sluice::tail
