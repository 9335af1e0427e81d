// A journal entry's fields (FIELD=value, in the journal's order) as a
// record: one string per field, a field given several times in one entry
// becomes an array of its values (as Fluent Bit's systemd input makes it),
// with Fluent Bit's strip_underscores and lowercase. And the tag of an
// entry: a `*` in the input's tag becomes its _SYSTEMD_UNIT. Pure: the unit
// tests feed it fields without a journal.
#pragma once
#include <string>
#include <string_view>
#include <vector>

#include "agent/arena.hpp"
#include "agent/value.hpp"

namespace sluice::journal {

struct RecordOptions {
  bool strip_underscores = false;  // _PID -> PID (one leading underscore)
  bool lowercase = false;          // keys in lower case
  size_t max_fields = 8000;        // fields kept per entry
};

// fields: each "FIELD=value" (bytes; a field without '=' is skipped and
// counted in *malformed). Values are copied into arena.
Value entry_record(const std::vector<std::string_view>& fields, const RecordOptions& options, Arena& arena,
                   size_t* malformed = nullptr);

// The tag for an entry: tag with its first `*` replaced by unit ("unknown"
// when the entry has no _SYSTEMD_UNIT); tag itself when it has no `*`.
std::string entry_tag(std::string_view tag, std::string_view unit);

}  // namespace sluice::journal
