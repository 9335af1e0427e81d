// Loading libsystemd's journal functions; see journal_api.hpp.
#include "inputs/systemd/journal_api.hpp"

#include <dlfcn.h>

#include <stdexcept>
#include <string>

namespace sluice::journal {

namespace {

constexpr const char* kLibrary = "libsystemd.so.0";

template <class F>
void resolve(void* lib, F& slot, const char* name) {
  slot = reinterpret_cast<F>(::dlsym(lib, name));
  if (slot == nullptr) throw std::runtime_error(std::string(kLibrary) + " has no " + name);
}

Api load() {
  void* lib = ::dlopen(kLibrary, RTLD_NOW | RTLD_LOCAL);
  if (lib == nullptr) {
    const char* why = ::dlerror();
    throw std::runtime_error(std::string("the systemd input needs libsystemd (Debian's package libsystemd0): ") +
                             (why != nullptr ? why : kLibrary));
  }
  Api a;
  resolve(lib, a.open, "sd_journal_open");
  resolve(lib, a.open_directory, "sd_journal_open_directory");
  resolve(lib, a.close, "sd_journal_close");
  resolve(lib, a.add_match, "sd_journal_add_match");
  resolve(lib, a.add_disjunction, "sd_journal_add_disjunction");
  resolve(lib, a.add_conjunction, "sd_journal_add_conjunction");
  resolve(lib, a.seek_head, "sd_journal_seek_head");
  resolve(lib, a.seek_tail, "sd_journal_seek_tail");
  resolve(lib, a.seek_cursor, "sd_journal_seek_cursor");
  resolve(lib, a.test_cursor, "sd_journal_test_cursor");
  resolve(lib, a.next, "sd_journal_next");
  resolve(lib, a.previous, "sd_journal_previous");
  resolve(lib, a.get_realtime_usec, "sd_journal_get_realtime_usec");
  resolve(lib, a.get_data, "sd_journal_get_data");
  resolve(lib, a.enumerate_data, "sd_journal_enumerate_data");
  resolve(lib, a.restart_data, "sd_journal_restart_data");
  resolve(lib, a.get_cursor, "sd_journal_get_cursor");
  resolve(lib, a.get_fd, "sd_journal_get_fd");
  resolve(lib, a.process, "sd_journal_process");
  resolve(lib, a.set_data_threshold, "sd_journal_set_data_threshold");
  return a;  // the library stays loaded for the life of the process
}

}  // namespace

const Api& api() {
  static const Api loaded = load();
  return loaded;
}

}  // namespace sluice::journal
