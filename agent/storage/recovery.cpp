// Recovery of an input's segments at start; see recovery.hpp.
#include "agent/storage/recovery.hpp"

#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <filesystem>
#include <unordered_set>

#include "agent/log.hpp"
#include "agent/storage/file_io.hpp"
#include "agent/storage/segment_format.hpp"

namespace sluice::storage {

namespace fs = std::filesystem;

namespace {

// A frame kept by the scan: where it is in the original file.
struct KeptFrame {
  size_t offset;
  size_t size;
};

struct Scan {
  std::vector<KeptFrame> frames;
  bool damaged = false;          // something other than a torn tail
  uint64_t lost = 0;             // frames or regions skipped
  std::optional<size_t> torn_at; // where a torn tail starts
  std::string first_problem;
};

std::string read_tag(std::string_view payload) {
  // The tag is the payload's first field: a varint length and the bytes.
  uint64_t n = 0;
  size_t i = 0;
  for (int shift = 0; i < payload.size() && shift < 64; shift += 7) {
    auto b = static_cast<uint8_t>(payload[i++]);
    n |= static_cast<uint64_t>(b & 0x7F) << shift;
    if ((b & 0x80) == 0) break;
  }
  if (n > payload.size() - i) return {};
  return std::string(payload.substr(i, n));
}

Scan scan(std::string_view data, size_t start) {
  Scan s;
  size_t pos = start;
  uint64_t last_id = 0;
  bool any_chunk = false;
  auto problem = [&](std::string what) {
    s.damaged = true;
    if (s.first_problem.empty()) s.first_problem = std::move(what);
  };
  while (true) {
    FrameRead r = read_frame(data, pos);
    switch (r.kind) {
      case FrameRead::Kind::End: return s;
      case FrameRead::Kind::Torn: s.torn_at = pos; return s;
      case FrameRead::Kind::Frame:
        if (r.header.type == FrameType::Chunk) {
          if (any_chunk && r.header.id <= last_id) {
            ++s.lost;
            problem("a chunk id out of order at offset " + std::to_string(pos));
            pos += r.size;
            continue;
          }
          any_chunk = true;
          last_id = r.header.id;
        }
        s.frames.push_back({pos, r.size});
        pos += r.size;
        continue;
      case FrameRead::Kind::BadPayload:
        ++s.lost;
        problem("a frame whose checksum does not match at offset " + std::to_string(pos));
        pos += r.size;
        continue;
      case FrameRead::Kind::BadHeader: {
        ++s.lost;
        problem("a damaged frame header at offset " + std::to_string(pos));
        auto next = resync(data, pos);
        if (!next) return s;
        pos = *next;
        continue;
      }
    }
  }
}

std::string quarantine_name(const std::string& quarantine_dir, const std::string& base) {
  std::string path = quarantine_dir + "/" + base;
  std::error_code ec;
  for (int i = 1; fs::exists(path, ec) && i < 1000; ++i) path = quarantine_dir + "/" + base + "." + std::to_string(i);
  return path;
}

}  // namespace

std::string segment_path(const std::string& dir, uint64_t seq) {
  char name[32];
  std::snprintf(name, sizeof name, "%020llu.seg", static_cast<unsigned long long>(seq));
  return dir + "/" + name;
}

RecoveryReport recover_segments(const std::string& dir, const std::string& quarantine_dir,
                                const std::string& input_name) {
  RecoveryReport report;
  std::vector<std::pair<uint64_t, std::string>> files;
  std::error_code ec;
  for (const auto& e : fs::directory_iterator(dir, ec)) {
    std::string name = e.path().filename().string();
    if (name.size() > 4 && name.ends_with(".seg.tmp")) {
      ::unlink(e.path().c_str());  // a rewrite a crash interrupted; the original is still there
      continue;
    }
    if (name.size() <= 4 || !name.ends_with(".seg")) continue;
    std::string digits = name.substr(0, name.size() - 4);
    if (digits.empty() || !std::all_of(digits.begin(), digits.end(), [](char c) { return c >= '0' && c <= '9'; }))
      continue;
    files.emplace_back(std::stoull(digits), e.path().string());
  }
  std::sort(files.begin(), files.end());

  auto quarantine_dir_ready = [&] { return make_dirs(quarantine_dir) == 0; };
  auto note = [&](const std::string& line) {
    log::error("input {}: storage: {}", input_name, line);
    report.problems.push_back(line);
  };

  for (const auto& [seq, path] : files) {
    std::string data;
    if (int err = read_whole(path, &data); err != 0) {
      std::string to = quarantine_name(quarantine_dir, fs::path(path).filename().string());
      bool moved = quarantine_dir_ready() && ::rename(path.c_str(), to.c_str()) == 0;
      ++report.damaged_segments;
      if (moved) report.quarantined.push_back(to);
      note("cannot read segment " + path + " (" + std::strerror(err) + "); " +
           (moved ? "moved to " + to : "left in place and skipped"));
      continue;
    }
    std::string name;
    auto header = parse_segment_header(data, &name);
    Scan s;
    if (header) {
      s = scan(data, *header);
    } else {
      // The segment header is damaged: look for frames after it anyway.
      auto first = read_frame(data, 0).kind == FrameRead::Kind::Frame ? std::optional<size_t>(0) : resync(data, 0);
      s = first ? scan(data, *first) : Scan{};
      s.damaged = true;
      ++s.lost;
      s.first_problem = "a damaged segment header";
    }

    RecoveredSegment seg;
    seg.seq = seq;
    seg.path = path;
    if (s.damaged) {
      // Keep the original as evidence, then rewrite the segment with what is intact.
      std::string to = quarantine_name(quarantine_dir, fs::path(path).filename().string());
      bool copied = quarantine_dir_ready() && replace_file(to, data) == 0;
      std::string clean = segment_header(input_name);
      for (const auto& f : s.frames) clean.append(data, f.offset, f.size);
      int err = replace_file(path, clean);
      ++report.damaged_segments;
      report.frames_lost += s.lost;
      if (copied) report.quarantined.push_back(to);
      note("segment " + path + " is damaged (" + s.first_problem + (s.lost > 1 ? ", " + std::to_string(s.lost) + " places" : "") +
           "): " + (copied ? "the original was moved aside to " + to : "the original could not be copied aside") +
           "; its " + std::to_string(s.frames.size()) + " intact frames are delivered");
      if (err != 0) {
        note("cannot rewrite segment " + path + ": " + std::strerror(err) + "; skipped");
        continue;
      }
      data = std::move(clean);
      header = parse_segment_header(data, nullptr);
      s = scan(data, *header);
    } else if (s.torn_at) {
      size_t at = *s.torn_at;
      std::string to = quarantine_name(quarantine_dir, fs::path(path).filename().string() + ".torn-at-" +
                                                            std::to_string(at));
      bool copied = quarantine_dir_ready() && replace_file(to, std::string_view(data).substr(at)) == 0;
      ++report.torn_tails;
      report.torn_bytes += data.size() - at;
      if (copied) report.quarantined.push_back(to);
      int err = ::truncate(path.c_str(), static_cast<off_t>(at)) == 0 ? 0 : errno;
      note("segment " + path + " ends in a torn write (" + std::to_string(data.size() - at) + " bytes at offset " +
           std::to_string(at) + ", a crash during a write): cut back to the last whole frame" +
           (copied ? "; the cut bytes are in " + to : "") + (err != 0 ? std::string("; truncate failed: ") + std::strerror(err) : ""));
      data.resize(at);
    }

    seg.size = data.size();
    seg.data_start = *header;
    std::unordered_set<uint64_t> acked;
    for (const auto& f : s.frames) {
      FrameRead r = read_frame(data, f.offset);
      if (r.header.type == FrameType::Chunk) {
        seg.chunks.push_back({r.header.id, static_cast<uint32_t>(r.size), r.header.records, read_tag(r.payload), false});
      } else {
        for (uint32_t i = 0; i < r.header.records; ++i) acked.insert(ack_id_at(r.payload, i));
      }
    }
    for (auto& c : seg.chunks) c.acked = acked.count(c.id) > 0;
    report.segments.push_back(std::move(seg));
  }
  return report;
}

}  // namespace sluice::storage
