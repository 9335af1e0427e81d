// The `file` output: file handles, reopening and writing; the line formats
// are in file_encoder.cpp. See file_output.hpp.
#include "outputs/file/file_output.hpp"

#include <algorithm>
#include <cctype>
#include <cerrno>
#include <chrono>
#include <cstring>
#include <filesystem>
#include <map>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include "outputs/file/file_encoder.hpp"

namespace sluice {

namespace {

namespace fs = std::filesystem;
using Clock = std::chrono::steady_clock;

// How often an open file is checked for having been moved or deleted
// (logrotate's rename-and-create): a stat(2) per file every few seconds.
constexpr auto kReopenCheck = std::chrono::seconds(2);

struct OpenFile {
  int fd = -1;
  dev_t dev = 0;
  ino_t ino = 0;
  Clock::time_point checked;
};

// Runs on its output worker thread. Keeps one fd per target file open across
// batches and appends each batch with write(2) from a reused buffer.
class FileOutput final : public Output {
 public:
  FileOutput(std::string dir, std::string file, bool mkdir, FileEncoding enc)
      : dir_(std::move(dir)), file_(std::move(file)), mkdir_(mkdir), enc_(std::move(enc)) {}
  ~FileOutput() override { stop(); }

  void flush(const Batch& batch, FlushDone done) override {
    if (!file_.empty()) {
      std::string path = path_for(file_);
      buffer_.clear();
      encode_file_lines(buffer_, batch, nullptr, enc_, wants_column_names(path));
      done(write_to(path));
      return;
    }
    // One file per tag: a batch usually holds one tag, sometimes a few.
    tags_.clear();
    for (const auto& part : batch.parts)
      if (std::find(tags_.begin(), tags_.end(), part.chunk->tag) == tags_.end()) tags_.push_back(part.chunk->tag);
    FlushResult first_failure = FlushResult::delivered();
    std::vector<const std::string*> failed;
    for (const auto& tag : tags_) {
      std::string path = path_for(file_name(tag));
      buffer_.clear();
      encode_file_lines(buffer_, batch, &tag, enc_, wants_column_names(path));
      FlushResult r = write_to(path);
      if (r.outcome != Outcome::Delivered) {
        if (failed.empty()) first_failure = r;
        failed.push_back(&tag);
      }
    }
    if (failed.empty() || failed.size() == tags_.size()) {
      done(std::move(first_failure));
      return;
    }
    // Some files took their lines: only the others' records are retried.
    FlushResult partial = first_failure;
    batch.for_each([&](const std::string& tag, const Event&) {
      bool bad = std::any_of(failed.begin(), failed.end(), [&](const std::string* f) { return *f == tag; });
      partial.per_record.push_back(bad ? RecordOutcome{first_failure.outcome, first_failure.reason} : RecordOutcome{});
    });
    done(std::move(partial));
  }

  void stop() override {
    for (auto& [path, f] : files_)
      if (f.fd >= 0) ::close(f.fd);
    files_.clear();
  }

 private:
  // The tag as a file name: a '/' in a tag must not lead out of `path`.
  static std::string file_name(const std::string& tag) {
    std::string name = tag;
    std::replace(name.begin(), name.end(), '/', '_');
    return name;
  }

  std::string path_for(const std::string& name) const {
    if (dir_.empty() || (!name.empty() && name[0] == '/')) return name;
    return dir_ + "/" + name;
  }

  // csv_column_names: the header goes at the top of a file that is still
  // empty (new, or truncated by a rotation). An error opening the file is
  // met again, and reported, by write_to().
  bool wants_column_names(const std::string& path) {
    if (enc_.format != FileFormat::Csv || !enc_.csv_column_names) return false;
    OpenFile& f = files_[path];
    if (!ensure_open(path, f).empty()) return false;
    struct stat st {};
    return ::fstat(f.fd, &st) == 0 && st.st_size == 0;
  }

  FlushResult write_to(const std::string& path) {
    if (buffer_.empty()) return FlushResult::delivered();
    OpenFile& f = files_[path];
    if (std::string err = ensure_open(path, f); !err.empty()) return FlushResult::retry(err);
    size_t off = 0;
    while (off < buffer_.size()) {
      ssize_t n = ::write(f.fd, buffer_.data() + off, buffer_.size() - off);
      if (n < 0) {
        if (errno == EINTR) continue;
        // ENOSPC, EIO, EDQUOT...: the core retries the batch later (what was
        // already written may repeat: at-least-once). Reopen next time.
        std::string why = "write to " + path + " failed: " + std::strerror(errno);
        ::close(f.fd);
        f.fd = -1;
        return FlushResult::retry(why);
      }
      off += static_cast<size_t>(n);
    }
    return FlushResult::delivered();
  }

  // Opens path if needed, or reopens it when the file we hold was moved
  // away or deleted. Returns an error text, or "" when f.fd is usable.
  std::string ensure_open(const std::string& path, OpenFile& f) {
    auto now = Clock::now();
    if (f.fd >= 0 && now - f.checked >= kReopenCheck) {
      f.checked = now;
      struct stat st {};
      if (::stat(path.c_str(), &st) != 0 || st.st_ino != f.ino || st.st_dev != f.dev) {
        ::close(f.fd);
        f.fd = -1;
      }
    }
    if (f.fd >= 0) return {};
    if (mkdir_ && !dir_.empty()) {
      std::error_code ec;
      fs::create_directories(fs::path(path).parent_path(), ec);
      if (ec) return "cannot create directory " + fs::path(path).parent_path().string() + ": " + ec.message();
    }
    int fd = ::open(path.c_str(), O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0644);
    if (fd < 0) return "cannot open " + path + ": " + std::strerror(errno);
    struct stat st {};
    ::fstat(fd, &st);
    f.fd = fd;
    f.dev = st.st_dev;
    f.ino = st.st_ino;
    f.checked = now;
    return {};
  }

  std::string dir_;
  std::string file_;
  bool mkdir_;
  FileEncoding enc_;
  std::string buffer_;
  std::vector<std::string> tags_;
  std::map<std::string, OpenFile> files_;
};

std::string lower(std::string s) {
  std::transform(s.begin(), s.end(), s.begin(), [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  return s;
}

}  // namespace

const config::PluginSchema& file_output_schema() {
  using config::KeyType;
  static const config::PluginSchema schema{
      "file",
      "Appends records to files: one per tag under `path`, or the one `file`.",
      {
          {"path", KeyType::String, "",
           "Directory of the output files (relative to the config file's directory, which is the default).",
           false, false, {}},
          {"file", KeyType::String, "", "File name (default: the record's tag).", false, false, {}},
          {"format", KeyType::String, "json_lines",
           "json_lines (the record with the date key, one per line), plain (the record's JSON only), "
           "template (see `template`), or Fluent Bit's out_file (\"tag: [time, {record}]\", its default), "
           "csv and ltsv.",
           false, false, {"json_lines", "plain", "template", "out_file", "csv", "ltsv"}},
          {"template", KeyType::String, "{time} {message}",
           "Line layout for format template: {key} is a record value, {time} the event time.", false, false, {}},
          {"delimiter", KeyType::String, "",
           "Between the fields of csv (default `,`) and ltsv (default a tab): a text, or Fluent Bit's names "
           "`comma`, `tab` (`\\t`), `space`.", false, false, {}},
          {"label_delimiter", KeyType::String, "",
           "Between an ltsv label and its value (default `:`); `comma`, `tab`, `space` as for delimiter.", false,
           false, {}},
          {"csv_column_names", KeyType::Bool, "off",
           "csv: write the first record's keys as a header line at the top of each new file.", false, false, {}},
          {"mkdir", KeyType::Bool, "off", "Create the directory (and its parents) if missing.", false, false, {}},
          json_lines::date_key_decl(),
          json_lines::date_format_decl(),
      }};
  return schema;
}

std::unique_ptr<Output> make_file_output(const config::ComponentConfig& cfg, const BuildContext& ctx) {
  FileEncoding enc;
  std::string format = lower(cfg.get_string("format"));
  enc.format = format == "plain"      ? FileFormat::Plain
               : format == "template" ? FileFormat::Template
               : format == "out_file" ? FileFormat::OutFile
               : format == "csv"      ? FileFormat::Csv
               : format == "ltsv"     ? FileFormat::Ltsv
                                      : FileFormat::JsonLines;
  bool separated = enc.format == FileFormat::Csv || enc.format == FileFormat::Ltsv;
  auto delimiter = [&](const char* key, std::string fallback) {
    if (!cfg.has(key)) return fallback;
    if (!separated) cfg.fail(key, "is used only with format csv or ltsv (format is " + format + ")");
    std::string v = cfg.get_string(key), name = lower(v);
    if (name == "comma") return std::string(",");
    if (name == "tab" || v == "\\t") return std::string("\t");
    if (name == "space") return std::string(" ");
    if (v.empty()) cfg.fail(key, "must not be empty");
    return v;
  };
  enc.delimiter = delimiter("delimiter", enc.format == FileFormat::Ltsv ? "\t" : ",");
  enc.label_delimiter = delimiter("label_delimiter", ":");
  if (cfg.has("label_delimiter") && enc.format != FileFormat::Ltsv)
    cfg.fail("label_delimiter", "is used only with format ltsv (format is " + format + ")");
  enc.csv_column_names = cfg.get_bool("csv_column_names");
  if (cfg.has("csv_column_names") && enc.format != FileFormat::Csv)
    cfg.fail("csv_column_names", "is used only with format csv (format is " + format + ")");
  enc.json = json_lines::options_from(cfg);
  enc.tmpl = FileTemplate(cfg.get_string("template"));
  if (cfg.has("template") && enc.format != FileFormat::Template)
    cfg.fail("template", "is used only with format: template (format is " + format + ")");
  // Relative paths start at the config file's directory, as everywhere in sluice.
  std::string dir = cfg.get_string("path");
  if (dir.empty()) dir = ctx.base_dir;
  else if (dir[0] != '/' && !ctx.base_dir.empty()) dir = ctx.base_dir + "/" + dir;
  std::string file = cfg.get_string("file");
  if (file.find('/') != std::string::npos && cfg.has("path"))
    cfg.fail("file", "is a file name inside `path`; put directories in `path`");
  return std::make_unique<FileOutput>(std::move(dir), std::move(file), cfg.get_bool("mkdir"), std::move(enc));
}

}  // namespace sluice
