// Container stdout formats for the tail input: Docker json-file lines and
// CRI lines, with partial lines joined per stream until their final part.
// One decoder per followed file; main thread.
#pragma once
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "agent/arena.hpp"

namespace sluice::tail {

enum class ContainerKind : uint8_t { Docker, Cri };

// One complete container log line; every view points into the arena.
struct ContainerRecord {
  ContainerKind kind = ContainerKind::Docker;
  std::string_view log;  // without the final "\n" (Docker) / joined P parts (CRI)
  std::string_view stream;
  std::string_view time;                // as written by the runtime
  std::optional<int64_t> time_ns;       // parsed from `time`
  uint64_t offset = 0;                  // file offset of the first part
  bool partial = false;                 // handed out before its final part came
};

class ContainerDecoder {
 public:
  enum class Result { Record, Partial, Malformed };

  // A partial sequence longer than max_joined is handed out in pieces.
  ContainerDecoder(bool docker, bool cri, size_t max_joined)
      : docker_(docker), cri_(cri), max_joined_(max_joined) {}

  // Decodes one line (a view into arena). Record: out is complete. Partial:
  // the part is held until its final part. Malformed: not in an enabled format.
  Result decode(std::string_view line, uint64_t offset, Arena& arena, ContainerRecord& out);
  // File offset of the oldest held partial part: nothing from there on may
  // be committed, or a restart would lose the parts already read.
  std::optional<uint64_t> pending_start() const;
  // Hands out one held partial sequence as a record (its file is let go,
  // or exit_on_eof); false when none is held.
  bool flush_one(Arena& arena, ContainerRecord& out);
  // Drops every held part (the file was truncated).
  void reset() { pending_.clear(); }
  // Sequences cut because they exceeded max_joined.
  uint64_t cuts() const { return cuts_; }

 private:
  struct Pending {
    ContainerKind kind;
    std::string stream;
    std::string time;
    std::string text;
    uint64_t offset;
  };

  Result decode_docker(std::string_view line, uint64_t offset, Arena& arena, ContainerRecord& out);
  Result decode_cri(std::string_view line, uint64_t offset, Arena& arena, ContainerRecord& out);
  // Joins a part with its stream's held parts: a final part completes out,
  // a partial one is held.
  Result join(ContainerRecord& part, bool final_part, Arena& arena, ContainerRecord& out);

  bool docker_;
  bool cri_;
  size_t max_joined_;
  uint64_t cuts_ = 0;
  std::vector<Pending> pending_;  // one per stream with a partial sequence
};

// Where a Docker json-file line's `log` string is: the span of its raw
// (still escaped) body in the line, and whether its text ends in "\n"
// (Docker splits lines longer than 16 KiB; every part but the last lacks it).
struct DockerLogField {
  size_t begin = 0;
  size_t end = 0;
  bool final_part = false;
};
// nullopt when line is not a JSON object with a top-level string `log`.
std::optional<DockerLogField> find_docker_log(std::string_view line);

// Decodes a JSON string body (between the quotes) into dst, which has room
// for raw.size() bytes; returns the decoded length, or nullopt if malformed.
std::optional<size_t> json_unescape(std::string_view raw, char* dst);

}  // namespace sluice::tail
