// Fluent Bit's tail offsets database (a SQLite file, table in_tail_files),
// read once so that sluice, pointed at the `db` a Fluent Bit tail used,
// goes on where Fluent Bit stopped instead of reading every file again (or,
// from their end, skipping what was written meanwhile). The file is only
// read: sluice keeps its own offsets beside it (tail_db.hpp), and Fluent Bit
// can be started on it again.
//
// SQLite is loaded when such a file is met (dlopen of libsqlite3.so.0,
// Debian's libsqlite3-0), as the kafka output loads librdkafka: sluice
// doesn't link it.
#pragma once
#include <string>
#include <string_view>

#include "inputs/tail/tail_db.hpp"

namespace sluice::tail {

// Reads every row of in_tail_files (name, offset, inode) into out: the
// device comes from the file's (or, if it is gone, its directory's) stat,
// as Fluent Bit keeps none. Returns false with error set when SQLite can't
// be loaded or the file can't be read as Fluent Bit's database.
bool import_fluent_bit_db(const std::string& path, DbEntries& out, std::string& error);

}  // namespace sluice::tail
