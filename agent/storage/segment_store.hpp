// One input's segment files: appending chunks, recording which are done,
// deleting segments nothing needs any more, and reading back, in order, the
// chunks that are only on disk (the backlog). Recovery (recovery.hpp) runs
// when it opens.
//
// Main thread only; it does no locking. Every chunk gets an entry (in
// memory, about 32 bytes) until its segment is deleted:
//   Up   - stored, and a copy travels through the pipeline;
//   Down - stored only (the pipeline was full, or it was recovered): the
//          backlog reader loads it later, in order;
//   Done - every output finished with it (delivered, dead-lettered or
//          dropped): an ack frame records it, so a restart skips it.
#pragma once
#include <cstdint>
#include <deque>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <unordered_map>
#include <vector>

#include "agent/chunk.hpp"
#include "agent/storage/recovery.hpp"

namespace sluice::storage {

enum class Sync { Normal, Full };

struct StoreOptions {
  std::string dir;             // <storage.path>/<instance>
  std::string quarantine_dir;  // <storage.path>/quarantine/<instance>
  std::string instance;
  Sync sync = Sync::Normal;
  uint64_t segment_size = 8 * 1024 * 1024;  // a segment rolls over after this many bytes
};

// Names a stored chunk (its segment and its place in it): the AckRef cookie.
using Cookie = uint64_t;

class SegmentStore {
 public:
  enum class State : uint8_t { Up, Down, Done };
  struct Entry {
    uint64_t id;
    uint32_t frame_bytes;
    uint32_t records;
    uint32_t tag;  // index into tags
    State state;
  };

  // Creates opts.dir if needed and recovers what is in it. Throws
  // std::runtime_error when the directory can't be created or read.
  static std::unique_ptr<SegmentStore> open(StoreOptions opts, RecoveryReport* report);
  ~SegmentStore();
  SegmentStore(const SegmentStore&) = delete;
  SegmentStore& operator=(const SegmentStore&) = delete;

  struct Appended {
    int error = 0;  // errno (ENOSPC, EIO...): nothing of the chunk stays in the file
    Cookie cookie = 0;
    uint32_t frame_bytes = 0;
  };
  // Writes chunk as a frame of the active segment (a new segment when it is
  // full); with Sync::Full, fdatasync before returning.
  Appended append(const Chunk& chunk, State state);

  // Every holder of the chunk let go of it: its ack is queued (no fsync: a
  // lost ack means the chunk is delivered again, never lost).
  void done(Cookie c);
  // Writes the queued acks, one frame per segment, and deletes segments that
  // are not being written and whose chunks are all done.
  void flush_acks();

  // Chunks only on disk, not yet loaded.
  size_t down() const { return down_; }
  struct Loaded {
    ChunkPtr chunk;
    Cookie cookie;
  };
  // The oldest down chunk, read and decoded (its entry is Up from now on);
  // nullopt when there is none or reading failed (*problem says why; the
  // next call tries again). A frame that no longer matches its checksum, or
  // doesn't decode, is copied to the quarantine directory, counted in
  // *quarantined, marked done, and the next one is read.
  std::optional<Loaded> load_next(std::string* problem, uint64_t* quarantined);
  // Marks the oldest down chunk whose tag satisfies pred as done (dropped by
  // a storage limit); false if there is none.
  bool drop_oldest_down(const std::function<bool(const std::string& tag)>& pred, uint32_t* records,
                        uint32_t* frame_bytes);

  Entry* entry(Cookie c);
  uint64_t disk_bytes() const { return disk_bytes_; }
  size_t segment_count() const { return segments_.size(); }
  // Frame bytes of chunks not done, per tag (indexes of tag_name()).
  const std::vector<uint64_t>& pending_bytes_by_tag() const { return pending_by_tag_; }
  const std::string& tag_name(uint32_t i) const { return tags_[i]; }
  const StoreOptions& options() const { return opts_; }

 private:
  struct Segment {
    uint64_t seq = 0;
    std::string path;
    uint64_t size = 0;
    uint64_t data_start = 0;
    std::vector<Entry> entries;
    size_t pending = 0;  // entries not done
    std::vector<uint64_t> acks;  // ids done, not yet written
  };

  explicit SegmentStore(StoreOptions opts) : opts_(std::move(opts)) {}
  void adopt(RecoveryReport& report);
  Segment* find(uint64_t seq);
  int roll();
  void close_active();
  uint32_t tag_index(const std::string& tag);
  void finish_entry(Segment& s, Entry& e);
  int reader_fd(const Segment& s);
  void quarantine_frame(const Segment& s, uint64_t offset, std::string_view bytes, const std::string& why);

  StoreOptions opts_;
  std::deque<Segment> segments_;  // by seq; the last is the active one when active_fd_ >= 0
  int active_fd_ = -1;
  bool must_roll_ = false;  // a failed write could not be cut back: start a new segment
  bool space_short_ = false;  // the last write failed: free space as soon as possible
  uint64_t next_seq_ = 1;
  uint64_t next_id_ = 1;
  uint64_t disk_bytes_ = 0;
  size_t down_ = 0;
  // Where the backlog reader is: segment, offset and entry index in it.
  uint64_t cur_seq_ = 0;
  uint64_t cur_off_ = 0;
  size_t cur_entry_ = 0;
  int reader_fd_ = -1;
  uint64_t reader_seq_ = 0;
  std::vector<std::string> tags_;
  std::unordered_map<std::string, uint32_t> tag_index_;
  std::vector<uint64_t> pending_by_tag_;
  std::string buf_;  // frame being written: only grows (its start is in use)
};

}  // namespace sluice::storage
