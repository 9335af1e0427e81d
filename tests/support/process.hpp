// Child processes for end-to-end tests: start the real sluice binary (or a
// peer), signal it, wait for it with a deadline, read what it printed.
#pragma once
#include <sys/types.h>

#include <chrono>
#include <functional>
#include <optional>
#include <string>
#include <vector>

namespace sluice::test {

class Process {
 public:
  // Starts argv[0] with argv; stdout and stderr go to files in a fresh temp
  // directory (read them with out() / err()).
  explicit Process(std::vector<std::string> argv, std::vector<std::string> extra_env = {});
  ~Process();  // kills (SIGKILL) and reaps if still running
  Process(const Process&) = delete;
  Process& operator=(const Process&) = delete;

  pid_t pid() const { return pid_; }
  void signal(int sig);
  // Waits for exit up to timeout; returns the exit status (128+signal if killed), nullopt on timeout.
  std::optional<int> wait(std::chrono::milliseconds timeout);
  bool running();
  std::string out() const;
  std::string err() const;

 private:
  pid_t pid_ = -1;
  std::optional<int> status_;
  std::string out_path_;
  std::string err_path_;
};

// Polls cond every 20 ms until it is true or timeout passes; returns cond's last value.
bool wait_until(const std::function<bool()>& cond, std::chrono::milliseconds timeout);

// A fresh temporary directory, removed with its contents on destruction.
class TempDir {
 public:
  TempDir();
  ~TempDir();
  const std::string& path() const { return path_; }
  std::string file(const std::string& name) const { return path_ + "/" + name; }

 private:
  std::string path_;
};

std::string read_file(const std::string& path);
void write_file(const std::string& path, const std::string& content);
void append_file(const std::string& path, const std::string& content);
// The complete lines of a file (without their newlines). A last line with
// no newline yet is left out: the files tests read are mostly being written
// by sluice or a peer at the time, and half a line read back had failed a
// test under load.
std::vector<std::string> read_lines(const std::string& path);

}  // namespace sluice::test
