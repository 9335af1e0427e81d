// libsystemd's journal reader (sd-journal), loaded when the first systemd
// input is configured (dlopen of libsystemd.so.0, in every Debian system as
// libsystemd0), not linked: linked, it and the compression libraries it
// needs would cost every sluice resident memory at start, systemd input or
// not (issue 12's sidecar budget), as librdkafka would for kafka.
#pragma once
#include <cstddef>
#include <cstdint>

extern "C" {
struct sd_journal;  // opaque: only pointers cross the API
}

namespace sluice::journal {

// sd_journal_open()'s flag: this machine's journal only.
inline constexpr int kLocalOnly = 1;

// The sd_journal_* functions sluice calls (members named as the functions,
// without the prefix); their meaning is libsystemd's (sd-journal(3)).
struct Api {
  int (*open)(sd_journal**, int flags) = nullptr;
  int (*open_directory)(sd_journal**, const char* path, int flags) = nullptr;
  void (*close)(sd_journal*) = nullptr;
  int (*add_match)(sd_journal*, const void* data, size_t size) = nullptr;
  int (*add_disjunction)(sd_journal*) = nullptr;
  int (*add_conjunction)(sd_journal*) = nullptr;
  int (*seek_head)(sd_journal*) = nullptr;
  int (*seek_tail)(sd_journal*) = nullptr;
  int (*seek_cursor)(sd_journal*, const char* cursor) = nullptr;
  int (*test_cursor)(sd_journal*, const char* cursor) = nullptr;
  int (*next)(sd_journal*) = nullptr;
  int (*previous)(sd_journal*) = nullptr;
  int (*get_realtime_usec)(sd_journal*, uint64_t* usec) = nullptr;
  int (*get_data)(sd_journal*, const char* field, const void** data, size_t* length) = nullptr;
  int (*enumerate_data)(sd_journal*, const void** data, size_t* length) = nullptr;
  void (*restart_data)(sd_journal*) = nullptr;
  int (*get_cursor)(sd_journal*, char** cursor) = nullptr;
  int (*get_fd)(sd_journal*) = nullptr;
  int (*process)(sd_journal*) = nullptr;
  int (*set_data_threshold)(sd_journal*, size_t size) = nullptr;
};

// The loaded library; throws std::runtime_error saying what is missing (the
// package to install) when it can't be loaded. Loaded once, kept.
const Api& api();

}  // namespace sluice::journal
