// The dead-letter file; see dead_letter.hpp.
#include "agent/dead_letter.hpp"

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <cstring>

#include "agent/json_writer.hpp"
#include "agent/log.hpp"

namespace sluice {

DeadLetter::~DeadLetter() {
  if (fd_ >= 0) ::close(fd_);
}

std::string DeadLetter::encode(std::string_view output, std::string_view reason, std::string_view tag,
                               const Event& event, int64_t now_ns) {
  std::string line = "{\"time\":\"";
  json::append_rfc3339(line, now_ns);
  line += "\",\"output\":";
  json::append_string(line, output);
  line += ",\"reason\":";
  json::append_string(line, reason);
  line += ",\"tag\":";
  json::append_string(line, tag);
  line += ",\"timestamp\":\"";
  json::append_rfc3339(line, event.time_ns);
  line += "\",\"record\":";
  json::append_value(line, event.record);
  line += "}\n";
  return line;
}

bool DeadLetter::write(std::string_view output, std::string_view reason, std::string_view tag, const Event& event) {
  int64_t now = std::chrono::duration_cast<std::chrono::nanoseconds>(
                    std::chrono::system_clock::now().time_since_epoch()).count();
  std::string line = encode(output, reason, tag, event, now);
  std::lock_guard lock(mu_);
  if (fd_ < 0) {
    fd_ = ::open(path_.c_str(), O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0640);
    if (fd_ < 0) {
      log::error("cannot open dead-letter file {}: {}; record follows: {}", path_, std::strerror(errno), line);
      return false;
    }
  }
  size_t done = 0;
  while (done < line.size()) {
    ssize_t n = ::write(fd_, line.data() + done, line.size() - done);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) {
      log::error("cannot write dead-letter file {}: {}; record follows: {}", path_, std::strerror(errno), line);
      return false;
    }
    done += static_cast<size_t>(n);
  }
  return true;
}

}  // namespace sluice
