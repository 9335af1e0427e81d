// The `stdout` output; see stdout_output.hpp.
#include "outputs/stdout/stdout_output.hpp"

#include <cerrno>
#include <charconv>
#include <cctype>
#include <cstring>
#include <poll.h>
#include <unistd.h>

#include "agent/json_writer.hpp"
#include "outputs/common/json_lines_encoder.hpp"

namespace sluice {

void encode_stdout(std::string& out, const Batch& batch, StdoutFormat format, const json_lines::Options& options) {
  switch (format) {
    case StdoutFormat::Msgpack: {
      // Fluent Bit's human-readable dump: one "[index] tag: [time, record]" line per event.
      size_t index = 0;
      batch.for_each([&](const std::string& tag, const Event& e) {
        char buf[24];
        auto r = std::to_chars(buf, buf + sizeof buf, index++);
        out.push_back('[');
        out.append(buf, r.ptr);
        out += "] ";
        out += tag;
        out += ": [";
        json_lines::append_seconds(out, e.time_ns, 9);
        out += ", ";
        json::append_value(out, e.record);
        out += "]\n";
      });
      break;
    }
    case StdoutFormat::Json: {
      // One JSON array per batch.
      json_lines::encode_array(out, batch, options);
      out.push_back('\n');
      break;
    }
    case StdoutFormat::JsonLines: json_lines::encode(out, batch, options); break;
  }
}

namespace {

// Runs on its output worker thread; stdout is written with one blocking
// write(2) loop per batch from a buffer reused across batches.
class StdoutOutput final : public Output {
 public:
  StdoutOutput(StdoutFormat format, json_lines::Options options, int fd)
      : format_(format), options_(std::move(options)), fd_(fd) {}

  void flush(const Batch& batch, FlushDone done) override {
    buffer_.clear();
    encode_stdout(buffer_, batch, format_, options_);
    done(write_all());
  }

 private:
  FlushResult write_all() {
    size_t off = 0;
    while (off < buffer_.size()) {
      ssize_t n = ::write(fd_, buffer_.data() + off, buffer_.size() - off);
      if (n < 0) {
        if (errno == EINTR) continue;
        if (errno == EAGAIN || errno == EWOULDBLOCK) {
          wait_writable();
          continue;
        }
        // A retry rewrites what was already written: at-least-once.
        return FlushResult::retry(std::string("write to stdout failed: ") + std::strerror(errno));
      }
      off += static_cast<size_t>(n);
    }
    return FlushResult::delivered();
  }

  // stdout may be non-blocking (its open file description is shared with
  // other processes, e.g. a terminal): wait for room instead of failing.
  void wait_writable() const {
    pollfd p{fd_, POLLOUT, 0};
    ::poll(&p, 1, 1000);
  }

  StdoutFormat format_;
  json_lines::Options options_;
  int fd_;
  std::string buffer_;
};

}  // namespace

const config::PluginSchema& stdout_output_schema() {
  using config::KeyType;
  static const config::PluginSchema schema{
      "stdout",
      "Prints records to standard output.",
      {
          {"format", KeyType::String, "msgpack",
           "msgpack (human-readable \"[0] tag: [time, {...}]\" lines, as Fluent Bit), json_lines "
           "(one JSON object per line), or json (one JSON array per batch).",
           false, false, {"msgpack", "json_lines", "json"}},
          json_lines::date_key_decl(),
          json_lines::date_format_decl(),
      }};
  return schema;
}

std::optional<StdoutFormat> parse_stdout_format(std::string_view name) {
  std::string n;
  for (char c : name) n.push_back(static_cast<char>(std::tolower(static_cast<unsigned char>(c))));
  if (n == "msgpack") return StdoutFormat::Msgpack;
  if (n == "json_lines") return StdoutFormat::JsonLines;
  if (n == "json") return StdoutFormat::Json;
  return std::nullopt;
}

std::unique_ptr<Output> make_stdout_output_fd(const config::ComponentConfig& cfg, int fd) {
  // The loader checked `format` against the choices.
  StdoutFormat format = parse_stdout_format(cfg.get_string("format")).value_or(StdoutFormat::Msgpack);
  return std::make_unique<StdoutOutput>(format, json_lines::options_from(cfg), fd);
}

std::unique_ptr<Output> make_stdout_output(const config::ComponentConfig& cfg, const BuildContext& /*ctx*/) {
  return make_stdout_output_fd(cfg, STDOUT_FILENO);
}

}  // namespace sluice
