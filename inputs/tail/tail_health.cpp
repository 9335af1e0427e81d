// What the tail input adds to /api/v1/health: for each followed file, how
// far reading is behind the file's end and what is committed.
#include <sys/stat.h>

#include "agent/json_writer.hpp"
#include "inputs/tail/tail_input_impl.hpp"

namespace sluice::tail {

void TailInput::describe_health(json::Writer& out) const {
  uint64_t behind_total = 0;
  out.key("files").begin_array();
  for (const auto& [key, f] : files_) {
    // The size now (one fstat per file, on request), not the last one read:
    // lines written since are exactly what "behind" means.
    uint64_t size = f->size();
    struct stat st{};
    if (::fstat(f->fd(), &st) == 0) size = static_cast<uint64_t>(st.st_size);
    uint64_t behind = size > f->read_offset() ? size - f->read_offset() : 0;
    behind_total += behind;
    out.begin_object()
        .field("path", f->path())
        .field("size", size)
        .field("read_offset", f->read_offset())
        .field("committed_offset", f->committed())
        .field("bytes_behind", behind)
        .field("rotated", f->rotated)
        .end_object();
  }
  out.end_array();
  // Files followed without a descriptor (more match than ulimit -n allows):
  // behind by what they held beyond their offset when last seen.
  for (const auto& [key, p] : parked_) behind_total += p.at.size > p.at.offset ? p.at.size - p.at.offset : 0;
  out.field("files_closed", static_cast<uint64_t>(parked_.size()));
  out.field("bytes_behind", behind_total);
}

}  // namespace sluice::tail
