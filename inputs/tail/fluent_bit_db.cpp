// Fluent Bit's tail offsets database; see fluent_bit_db.hpp.
#include "inputs/tail/fluent_bit_db.hpp"

#include <dlfcn.h>
#include <sys/stat.h>

#include <type_traits>

namespace sluice::tail {

namespace {

// The soname of Debian 12's libsqlite3-0 (SQLite 3's stable C interface).
constexpr const char* kLibrary = "libsqlite3.so.0";
constexpr int kOpenReadOnly = 0x00000001;  // SQLITE_OPEN_READONLY
constexpr int kOk = 0, kRow = 100, kDone = 101;

struct Sqlite {
  int (*open_v2)(const char*, void**, int, const char*);
  int (*prepare_v2)(void*, const char*, int, void**, const char**);
  int (*step)(void*);
  const unsigned char* (*column_text)(void*, int);
  int (*column_bytes)(void*, int);
  long long (*column_int64)(void*, int);
  int (*finalize)(void*);
  int (*close)(void*);
  const char* (*errmsg)(void*);
};

bool load_sqlite(Sqlite& api, std::string& error) {
  void* lib = ::dlopen(kLibrary, RTLD_NOW | RTLD_LOCAL);
  if (lib == nullptr) {
    const char* why = ::dlerror();
    error = std::string("reading it needs SQLite (Debian's package libsqlite3-0): ") + (why ? why : kLibrary);
    return false;
  }
  bool ok = true;
  auto resolve = [&](auto& fn, const char* name) {
    fn = reinterpret_cast<std::remove_reference_t<decltype(fn)>>(::dlsym(lib, name));
    ok = ok && fn != nullptr;
  };
  resolve(api.open_v2, "sqlite3_open_v2");
  resolve(api.prepare_v2, "sqlite3_prepare_v2");
  resolve(api.step, "sqlite3_step");
  resolve(api.column_text, "sqlite3_column_text");
  resolve(api.column_bytes, "sqlite3_column_bytes");
  resolve(api.column_int64, "sqlite3_column_int64");
  resolve(api.finalize, "sqlite3_finalize");
  resolve(api.close, "sqlite3_close");
  resolve(api.errmsg, "sqlite3_errmsg");
  if (!ok) error = std::string(kLibrary) + " lacks a function of SQLite 3's interface";
  return ok;  // loaded once per import; the library stays mapped
}

// The device a file with this path lives on: its own, or its directory's
// once it was rotated away or deleted.
uint64_t device_of(const std::string& path) {
  struct stat st {};
  if (::stat(path.c_str(), &st) == 0) return st.st_dev;
  size_t slash = path.rfind('/');
  std::string dir = slash == std::string::npos ? "." : slash == 0 ? "/" : path.substr(0, slash);
  if (::stat(dir.c_str(), &st) == 0) return st.st_dev;
  return 0;
}

}  // namespace

bool import_fluent_bit_db(const std::string& path, DbEntries& out, std::string& error) {
  Sqlite api{};
  if (!load_sqlite(api, error)) return false;
  void* db = nullptr;
  if (api.open_v2(path.c_str(), &db, kOpenReadOnly, nullptr) != kOk) {
    error = "can't open it: " + std::string(db != nullptr ? api.errmsg(db) : "out of memory");
    if (db != nullptr) api.close(db);
    return false;
  }
  void* stmt = nullptr;
  if (api.prepare_v2(db, "SELECT name, offset, inode FROM in_tail_files", -1, &stmt, nullptr) != kOk) {
    error = "it has no table in_tail_files (name, offset, inode): " + std::string(api.errmsg(db));
    api.close(db);
    return false;
  }
  int rc;
  while ((rc = api.step(stmt)) == kRow) {
    const unsigned char* name = api.column_text(stmt, 0);
    long long offset = api.column_int64(stmt, 1);
    long long inode = api.column_int64(stmt, 2);
    if (name == nullptr || offset < 0 || inode <= 0) continue;
    DbEntry e;
    e.path.assign(reinterpret_cast<const char*>(name), static_cast<size_t>(api.column_bytes(stmt, 0)));
    e.offset = static_cast<uint64_t>(offset);
    e.size = e.offset;
    FileKey key{device_of(e.path), static_cast<uint64_t>(inode)};
    out[key] = std::move(e);
  }
  if (rc != kDone) error = "reading in_tail_files stopped: " + std::string(api.errmsg(db));
  api.finalize(stmt);
  api.close(db);
  return rc == kDone;
}

}  // namespace sluice::tail
