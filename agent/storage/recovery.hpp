// What a start finds in an input's buffer directory: each segment file is
// read, checked frame by frame and repaired before anything is delivered.
//  - a torn tail (a write a crash cut short) is cut back to the last whole
//    frame; the cut bytes are kept in the quarantine directory;
//  - a damaged segment (a frame whose checksum fails, a header that lost the
//    framing, a bad segment header) is copied whole to the quarantine
//    directory and rewritten with its intact frames only (framing is found
//    again at the next valid frame), so the rest is still delivered;
//  - a file that can't be read at all is moved to the quarantine directory.
// Each is logged once with its path and counted. Recovery never throws on a
// damaged file: sluice must not crash-loop on its own buffer.
#pragma once
#include <cstdint>
#include <string>
#include <vector>

namespace sluice::storage {

struct RecoveredChunk {
  uint64_t id = 0;
  uint32_t frame_bytes = 0;
  uint32_t records = 0;
  std::string tag;
  bool acked = false;
};

struct RecoveredSegment {
  uint64_t seq = 0;
  std::string path;
  uint64_t size = 0;        // file size after repair
  uint64_t data_start = 0;  // first frame's offset
  std::vector<RecoveredChunk> chunks;  // in file order
};

struct RecoveryReport {
  std::vector<RecoveredSegment> segments;  // by seq
  uint64_t torn_tails = 0;
  uint64_t torn_bytes = 0;
  uint64_t damaged_segments = 0;  // moved aside (copied or moved to quarantine)
  uint64_t frames_lost = 0;       // frames (or damaged regions) not delivered
  std::vector<std::string> quarantined;  // paths written under the quarantine directory
  std::vector<std::string> problems;     // one line each, already logged
};

// Recovers every "<seq>.seg" in dir (input_name: for the log lines).
// Damaged parts go to quarantine_dir (created when needed).
RecoveryReport recover_segments(const std::string& dir, const std::string& quarantine_dir,
                                const std::string& input_name);

// "dir/00000000000000000042.seg": segment file names sort by sequence.
std::string segment_path(const std::string& dir, uint64_t seq);

}  // namespace sluice::storage
