// One followed file of the tail input: its descriptor and identity, reading
// in bounded slices, truncation detection, and the ledger of chunks in
// flight that decides which offset may be committed. Main thread.
#pragma once
#include <chrono>
#include <cstdint>
#include <deque>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "agent/chunk.hpp"
#include "agent/parse/multiline_stream.hpp"
#include "inputs/tail/container_format.hpp"
#include "inputs/tail/docker_mode.hpp"
#include "inputs/tail/tail_config.hpp"
#include "inputs/tail/tail_encoding.hpp"
#include "inputs/tail/tail_lines.hpp"
#include "inputs/tail/tail_metrics.hpp"
#include "inputs/tail/tail_paths.hpp"

namespace sluice::tail {

class RecordMaker;

// Most bytes read from one file per turn, so one busy file can't keep the
// main thread from everything else.
inline constexpr size_t kSliceBytes = 256 * 1024;

// Scratch memory shared by every file of one input (single thread).
struct ReadScratch {
  std::unique_ptr<char[]> buf{new char[kSliceBytes]};  // not zeroed: untouched pages cost no RSS
  SplitOut split;
  std::vector<Member> members;
  std::string text;                             // a line converted to UTF-8
  std::vector<DockerModeJoiner::Joined> joined;  // docker_mode's completed lines
};

struct ReadResult {
  bool read = false;   // bytes were read
  bool more = false;   // the file holds more unread bytes
  bool truncated = false;  // the file was found truncated and is read again from 0
  ChunkPtr chunk;      // null when no record was completed
  uint64_t commit = 0; // offset committable once this chunk and all before it are delivered
};

inline int64_t realtime_ns() {
  return std::chrono::duration_cast<std::chrono::nanoseconds>(std::chrono::system_clock::now().time_since_epoch())
      .count();
}

class TailFile {
 public:
  using Clock = std::chrono::steady_clock;

  // Takes ownership of fd; starts reading at offset.
  TailFile(int fd, FileKey key, std::string path, std::string tag, uint64_t offset, const TailInputConfig& cfg,
           TailMetrics& metrics);
  ~TailFile();
  TailFile(const TailFile&) = delete;
  TailFile& operator=(const TailFile&) = delete;

  FileKey key() const { return key_; }
  int fd() const { return fd_; }
  const std::string& path() const { return path_; }
  void set_path(std::string path) { path_ = std::move(path); }
  const std::string& tag() const { return tag_; }

  // Reads at most one slice and makes a chunk of the records it completed.
  ReadResult read_slice(ReadScratch& scratch, int64_t now_ns);
  // No more data will come (exit_on_eof, a rotated file let go): emits the
  // partial last line, any held container parts and open multiline records.
  ReadResult flush(ReadScratch& scratch, int64_t now_ns);
  // Emits the open multiline records due by now (all of them with all,
  // at shutdown); the chunk is null when none was.
  ReadResult flush_multiline(ReadScratch& scratch, int64_t now_ns, Clock::time_point now, bool all);
  // When the oldest open multiline record is due; nullopt when none is open.
  std::optional<Clock::time_point> multiline_due() const;
  // True if the file has bytes beyond the read offset, or shrank (cheap fstat).
  bool changed_on_disk();

  uint64_t read_offset() const { return splitter_.end(); }
  uint64_t size() const { return size_; }
  bool at_eof() const { return eof_; }
  bool has_held_data() const;
  Clock::time_point last_activity() const { return last_activity_; }

  // --- commit ledger ---
  // A chunk with this cookie went out; commit is where it ends.
  void track(uint64_t cookie, uint64_t commit);
  // Lines up to commit were consumed without making a record (skipped
  // lines): commits once what went out before is delivered. True if
  // committed() advanced.
  bool progress(uint64_t commit);
  // Records the delivery of cookie; returns true if committed() advanced.
  bool acknowledge(uint64_t cookie, bool delivered);
  uint64_t committed() const { return committed_; }
  bool fully_acknowledged() const { return in_flight_.empty(); }
  size_t in_flight() const { return in_flight_.size(); }

  // --- state kept for the input ---
  bool rotated = false;  // no matching path names it any more
  std::string current_path;  // the matching path that named it at the last scan
  bool queued = false;   // in the input's ready queue
  int wd = -1;           // inotify watch

 private:
  struct InFlight {
    uint64_t cookie;
    uint64_t commit;
    uint64_t generation;
    bool acked = false;
    bool delivered = true;
  };

  bool truncated(uint64_t size);
  void restart_after_truncation(uint64_t size);
  // unicode.encoding auto: decides this file's encoding from its first
  // bytes; false while it has too few to tell.
  bool resolve_encoding();
  ChunkPtr build_chunk(ReadScratch& scratch, int64_t now_ns, bool flush_held);
  // docker_mode: a line goes to the joiner; what it completes (or a line
  // that isn't a json-file line) goes to the maker.
  void add_docker_mode(RecordMaker& maker, std::string_view line, uint64_t offset, Arena& arena,
                       ReadScratch& scratch);
  void flush_docker_mode(RecordMaker& maker, Arena& arena, ReadScratch& scratch);
  uint64_t commit_point() const;
  bool advance();

  int fd_;
  FileKey key_;
  std::string path_;
  std::string tag_;
  const TailInputConfig& cfg_;
  TailMetrics& metrics_;
  LineSplitter splitter_;
  std::unique_ptr<ContainerDecoder> decoder_;
  std::unique_ptr<MultilineStream> ml_;  // null without multiline parsers (other than docker/cri)
  std::unique_ptr<DockerModeJoiner> dmode_;  // docker_mode only
  TextEncoding encoding_;                    // cfg's, or what `auto` found for this file
  bool encoding_resolved_;
  uint64_t size_ = 0;
  bool eof_ = false;
  // True when the byte before splitter_.line_start() is a newline we saw,
  // so finding something else there means the file was replaced in place.
  bool boundary_known_;
  Clock::time_point last_activity_ = Clock::now();

  std::deque<InFlight> in_flight_;
  uint64_t committed_;
  uint64_t generation_ = 0;  // bumped by truncation: older chunks commit nothing
};

}  // namespace sluice::tail
