// An input's segment files; see segment_store.hpp.
#include "agent/storage/segment_store.hpp"

#include <fcntl.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <stdexcept>

#include "agent/log.hpp"
#include "agent/storage/chunk_codec.hpp"
#include "agent/storage/file_io.hpp"
#include "agent/storage/segment_format.hpp"

namespace sluice::storage {

namespace {

constexpr unsigned kIndexBits = 24;
constexpr size_t kMaxEntries = (size_t{1} << kIndexBits) - 1;

Cookie make_cookie(uint64_t seq, size_t index) { return (seq << kIndexBits) | index; }
uint64_t cookie_seq(Cookie c) { return c >> kIndexBits; }
size_t cookie_index(Cookie c) { return static_cast<size_t>(c & ((uint64_t{1} << kIndexBits) - 1)); }

}  // namespace

std::unique_ptr<SegmentStore> SegmentStore::open(StoreOptions opts, RecoveryReport* report) {
  if (int err = make_dirs(opts.dir); err != 0)
    throw std::runtime_error("cannot create the buffer directory " + opts.dir + ": " + std::strerror(err));
  if (::access(opts.dir.c_str(), R_OK | W_OK | X_OK) != 0)
    throw std::runtime_error("cannot use the buffer directory " + opts.dir + ": " + std::strerror(errno));
  std::unique_ptr<SegmentStore> store(new SegmentStore(std::move(opts)));
  RecoveryReport r = recover_segments(store->opts_.dir, store->opts_.quarantine_dir, store->opts_.instance);
  store->adopt(r);
  if (report != nullptr) *report = std::move(r);
  return store;
}

SegmentStore::~SegmentStore() {
  flush_acks();
  close_active();
  if (reader_fd_ >= 0) ::close(reader_fd_);
}

void SegmentStore::adopt(RecoveryReport& report) {
  for (auto& rs : report.segments) {
    next_seq_ = std::max(next_seq_, rs.seq + 1);
    Segment s;
    s.seq = rs.seq;
    s.path = rs.path;
    s.size = rs.size;
    s.data_start = rs.data_start;
    for (auto& c : rs.chunks) {
      next_id_ = std::max(next_id_, c.id + 1);
      Entry e{c.id, c.frame_bytes, c.records, tag_index(c.tag), c.acked ? State::Done : State::Down};
      if (!c.acked) {
        ++s.pending;
        ++down_;
        pending_by_tag_[e.tag] += e.frame_bytes;
      }
      s.entries.push_back(e);
    }
    disk_bytes_ += s.size;
    if (s.pending == 0) {  // everything in it was delivered before the restart
      ::unlink(s.path.c_str());
      disk_bytes_ -= s.size;
      continue;
    }
    segments_.push_back(std::move(s));
  }
  if (!segments_.empty()) {
    cur_seq_ = segments_.front().seq;
    cur_off_ = segments_.front().data_start;
    cur_entry_ = 0;
  }
}

uint32_t SegmentStore::tag_index(const std::string& tag) {
  auto it = tag_index_.find(tag);
  if (it != tag_index_.end()) return it->second;
  auto i = static_cast<uint32_t>(tags_.size());
  tags_.push_back(tag);
  pending_by_tag_.push_back(0);
  tag_index_.emplace(tag, i);
  return i;
}

SegmentStore::Segment* SegmentStore::find(uint64_t seq) {
  auto it = std::lower_bound(segments_.begin(), segments_.end(), seq,
                             [](const Segment& s, uint64_t q) { return s.seq < q; });
  return it != segments_.end() && it->seq == seq ? &*it : nullptr;
}

SegmentStore::Entry* SegmentStore::entry(Cookie c) {
  Segment* s = find(cookie_seq(c));
  if (s == nullptr || cookie_index(c) >= s->entries.size()) return nullptr;
  return &s->entries[cookie_index(c)];
}

void SegmentStore::close_active() {
  if (active_fd_ >= 0) ::close(active_fd_);
  active_fd_ = -1;
}

// Starts a new segment file: its header, written (and with Sync::Full
// synced, with the directory) before any chunk goes in.
int SegmentStore::roll() {
  close_active();
  must_roll_ = false;
  Segment s;
  s.seq = next_seq_;
  s.path = segment_path(opts_.dir, s.seq);
  int fd = ::open(s.path.c_str(), O_RDWR | O_CREAT | O_TRUNC | O_APPEND | O_CLOEXEC, 0640);
  if (fd < 0) return errno;
  std::string header = segment_header(opts_.instance);
  int err = write_all(fd, header);
  if (err == 0 && opts_.sync == Sync::Full && ::fdatasync(fd) != 0) err = errno;
  if (err != 0) {
    ::close(fd);
    ::unlink(s.path.c_str());
    return err;
  }
  if (opts_.sync == Sync::Full) sync_dir(opts_.dir);
  ++next_seq_;
  s.size = s.data_start = header.size();
  disk_bytes_ += s.size;
  segments_.push_back(std::move(s));
  active_fd_ = fd;
  return 0;
}

SegmentStore::Appended SegmentStore::append(const Chunk& chunk, State state) {
  Appended a;
  // buf_ only grows (see encode_chunk): frame is the part of it in use.
  size_t payload = encode_chunk(chunk, buf_, kFrameHeaderSize);
  if (payload > kMaxPayload) {
    a.error = EFBIG;
    return a;
  }
  size_t frame_size = kFrameHeaderSize + payload + kFrameTrailerSize;
  if (buf_.size() < frame_size) buf_.resize(frame_size);
  std::string_view frame(buf_.data(), frame_size);
  FrameHeader h{FrameType::Chunk, static_cast<uint32_t>(payload), static_cast<uint32_t>(chunk.events.size()),
                next_id_};
  encode_frame_header(h, buf_.data());
  encode_frame_trailer(std::string_view(buf_.data() + kFrameHeaderSize, payload),
                       buf_.data() + kFrameHeaderSize + payload);

  Segment* active = active_fd_ >= 0 ? &segments_.back() : nullptr;
  if (active == nullptr || must_roll_ || active->entries.size() >= kMaxEntries ||
      (active->size + frame.size() > opts_.segment_size && !active->entries.empty())) {
    if (int err = roll(); err != 0) {
      space_short_ = true;
      a.error = err;
      return a;
    }
    active = &segments_.back();
  }
  int err = write_all(active_fd_, frame);
  if (err == 0 && opts_.sync == Sync::Full && ::fdatasync(active_fd_) != 0) err = errno;
  if (err != 0) {
    // Nothing of a refused chunk may stay: cut the file back to its last frame.
    if (::ftruncate(active_fd_, static_cast<off_t>(active->size)) != 0) must_roll_ = true;
    space_short_ = true;
    a.error = err;
    return a;
  }
  space_short_ = false;
  uint64_t offset = active->size;
  active->size += frame.size();
  disk_bytes_ += frame.size();
  ++next_id_;
  Entry e{h.id, static_cast<uint32_t>(frame.size()), h.records, tag_index(chunk.tag), state};
  if (state == State::Down) {
    if (down_ == 0) {
      cur_seq_ = active->seq;
      cur_off_ = offset;
      cur_entry_ = active->entries.size();
    }
    ++down_;
  }
  pending_by_tag_[e.tag] += e.frame_bytes;
  ++active->pending;
  active->entries.push_back(e);
  a.cookie = make_cookie(active->seq, active->entries.size() - 1);
  a.frame_bytes = e.frame_bytes;
  if (buf_.capacity() > 4 * 1024 * 1024) buf_ = std::string();  // one huge chunk doesn't pin its buffer
  return a;
}

void SegmentStore::finish_entry(Segment& s, Entry& e) {
  if (e.state == State::Down) --down_;
  e.state = State::Done;
  pending_by_tag_[e.tag] -= e.frame_bytes;
  --s.pending;
  s.acks.push_back(e.id);
}

void SegmentStore::done(Cookie c) {
  Segment* s = find(cookie_seq(c));
  if (s == nullptr || cookie_index(c) >= s->entries.size()) return;
  Entry& e = s->entries[cookie_index(c)];
  if (e.state != State::Done) finish_entry(*s, e);
}

void SegmentStore::flush_acks() {
  bool have_active = active_fd_ >= 0;
  for (size_t i = 0; i < segments_.size();) {
    Segment& s = segments_[i];
    bool active = have_active && i + 1 == segments_.size();
    // The segment being written goes too when it is all done and a write
    // failed for want of space: deleting it is what gives the space back.
    if (active && s.pending == 0 && space_short_ && !s.entries.empty()) {
      close_active();
      active = false;
    }
    if (!active && s.pending == 0) {
      // Nothing in it is needed any more: no ack to write, the file goes.
      if (reader_fd_ >= 0 && reader_seq_ == s.seq) {
        ::close(reader_fd_);
        reader_fd_ = -1;
      }
      if (down_ > 0 && cur_seq_ == s.seq && i + 1 < segments_.size()) {
        cur_seq_ = segments_[i + 1].seq;
        cur_off_ = segments_[i + 1].data_start;
        cur_entry_ = 0;
      }
      ::unlink(s.path.c_str());
      disk_bytes_ -= s.size;
      segments_.erase(segments_.begin() + static_cast<std::ptrdiff_t>(i));
      continue;
    }
    if (!s.acks.empty()) {
      std::string frame(kFrameHeaderSize, '\0');
      append_ack_ids(s.acks, frame);
      FrameHeader h{FrameType::Ack, static_cast<uint32_t>(s.acks.size() * 8), static_cast<uint32_t>(s.acks.size()), 0};
      encode_frame_header(h, frame.data());
      frame.resize(frame.size() + kFrameTrailerSize);
      encode_frame_trailer(std::string_view(frame.data() + kFrameHeaderSize, h.length),
                           frame.data() + kFrameHeaderSize + h.length);
      int fd = active ? active_fd_ : ::open(s.path.c_str(), O_WRONLY | O_APPEND | O_CLOEXEC);
      int err = fd < 0 ? errno : write_all(fd, frame);
      if (err != 0 && fd >= 0 && ::ftruncate(fd, static_cast<off_t>(s.size)) != 0 && active) must_roll_ = true;
      if (fd >= 0 && !active) ::close(fd);
      if (err == 0) {
        s.size += frame.size();
        disk_bytes_ += frame.size();
        s.acks.clear();
      }
      // else: kept, written with the next flush (the disk may be full now).
    }
    ++i;
  }
}

int SegmentStore::reader_fd(const Segment& s) {
  if (reader_fd_ >= 0 && reader_seq_ == s.seq) return reader_fd_;
  if (reader_fd_ >= 0) ::close(reader_fd_);
  reader_fd_ = ::open(s.path.c_str(), O_RDONLY | O_CLOEXEC);
  reader_seq_ = s.seq;
  return reader_fd_;
}

void SegmentStore::quarantine_frame(const Segment& s, uint64_t offset, std::string_view bytes,
                                    const std::string& why) {
  make_dirs(opts_.quarantine_dir);
  std::string to = opts_.quarantine_dir + "/" + std::to_string(s.seq) + "-frame-at-" + std::to_string(offset);
  bool saved = replace_file(to, bytes) == 0;
  log::error("input {}: storage: a chunk in {} at offset {} {}; {}, the rest is delivered", opts_.instance, s.path,
             offset, why, saved ? "moved aside to " + to : std::string("it could not be saved aside"));
}

std::optional<SegmentStore::Loaded> SegmentStore::load_next(std::string* problem, uint64_t* quarantined) {
  while (down_ > 0) {
    Segment* s = find(cur_seq_);
    if (s == nullptr) {
      // The cursor's segment is gone: go on at the next one.
      auto it = std::upper_bound(segments_.begin(), segments_.end(), cur_seq_,
                                 [](uint64_t q, const Segment& seg) { return q < seg.seq; });
      if (it == segments_.end()) return std::nullopt;  // cannot happen while down_ > 0
      cur_seq_ = it->seq;
      cur_off_ = it->data_start;
      cur_entry_ = 0;
      continue;
    }
    if (cur_off_ >= s->size) {
      if (s == &segments_.back()) return std::nullopt;
      auto next = std::upper_bound(segments_.begin(), segments_.end(), cur_seq_,
                                   [](uint64_t q, const Segment& seg) { return q < seg.seq; });
      cur_seq_ = next->seq;
      cur_off_ = next->data_start;
      cur_entry_ = 0;
      continue;
    }
    int fd = reader_fd(*s);
    char head[kFrameHeaderSize];
    int err = fd < 0 ? errno : pread_all(fd, head, sizeof head, cur_off_);
    if (err != 0) {
      *problem = "cannot read " + s->path + ": " + std::strerror(err);
      return std::nullopt;
    }
    auto h = parse_frame_header(head);
    if (!h) {
      // Checked at start, so the file changed under us: the rest of this
      // segment can't be trusted. Its remaining chunks are given up, loudly.
      std::string rest;
      rest.resize(static_cast<size_t>(s->size - cur_off_));
      pread_all(fd, rest.data(), rest.size(), cur_off_);
      quarantine_frame(*s, cur_off_, rest, "has a damaged frame header (the file changed after it was checked)");
      for (size_t i = cur_entry_; i < s->entries.size(); ++i)
        if (s->entries[i].state == State::Down) {
          finish_entry(*s, s->entries[i]);
          ++*quarantined;
        }
      cur_off_ = s->size;
      continue;
    }
    uint64_t frame_off = cur_off_;
    cur_off_ += kFrameOverhead + h->length;
    if (h->type != FrameType::Chunk) continue;
    if (cur_entry_ >= s->entries.size()) continue;  // cannot happen: entries follow the file
    size_t index = cur_entry_++;
    Entry& e = s->entries[index];
    if (e.state != State::Down) continue;
    // Read straight into the new chunk's arena: its strings will point there.
    // Members and values take more room than their encoding, hence the size.
    size_t n = h->length + kFrameTrailerSize;
    auto chunk = std::make_unique<Chunk>(std::string(), std::clamp<size_t>(n * 3, 4096, 1024 * 1024));
    char* raw = static_cast<char*>(chunk->arena.allocate(n, 1));
    err = pread_all(fd, raw, n, frame_off + kFrameHeaderSize);
    std::string why;
    std::string_view payload(raw, h->length);
    if (err != 0) {
      why = std::string("could not be read (") + std::strerror(err) + ")";
    } else if (!check_frame_trailer(payload, raw + h->length)) {
      why = "no longer matches its checksum";
    } else if (!decode_chunk_into(payload, *chunk, true, &why)) {
      why = "does not decode (" + why + ")";
    }
    if (!why.empty()) {
      std::string bytes(head, sizeof head);
      if (err == 0) bytes.append(raw, n);
      quarantine_frame(*s, frame_off, bytes, why);
      finish_entry(*s, e);
      ++*quarantined;
      continue;
    }
    --down_;
    e.state = State::Up;
    return Loaded{std::move(chunk), make_cookie(s->seq, index)};
  }
  return std::nullopt;
}

bool SegmentStore::drop_oldest_down(const std::function<bool(const std::string& tag)>& pred, uint32_t* records,
                                    uint32_t* frame_bytes) {
  if (down_ == 0) return false;
  for (auto& s : segments_) {
    if (s.seq < cur_seq_) continue;
    size_t from = s.seq == cur_seq_ ? cur_entry_ : 0;
    for (size_t i = from; i < s.entries.size(); ++i) {
      Entry& e = s.entries[i];
      if (e.state != State::Down || !pred(tags_[e.tag])) continue;
      *records = e.records;
      *frame_bytes = e.frame_bytes;
      finish_entry(s, e);
      return true;
    }
  }
  return false;
}

}  // namespace sluice::storage
