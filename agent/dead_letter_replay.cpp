// `sluice dead-letter replay`; see dead_letter_replay.hpp. Runs on the
// calling thread; each output's OutputRunner has its worker thread, as in
// the service.
#include "agent/dead_letter_replay.hpp"

#include <map>
#include <mutex>
#include <thread>

#include "agent/dead_letter.hpp"
#include "agent/dead_letter_reader.hpp"
#include "agent/output_runner.hpp"
#include "agent/whole_line_file.hpp"
#include "outputs/registry.hpp"

namespace sluice {

namespace {

using Clock = std::chrono::steady_clock;

// A selected line, waiting to be sent.
struct Pending {
  size_t file;  // index into the selection's files
  DeadLetterPosition position;
  std::string text;
};

// Which records were acknowledged as done (delivered or dead-lettered
// again): one cookie per record, each record in a chunk of its own so that
// the answer is per record. Acknowledgements come on the output's worker.
class ReplayAcks : public AckSink {
 public:
  explicit ReplayAcks(size_t n) : done_(n, 0) {}
  void acknowledged(uint64_t cookie, bool delivered) override {
    std::lock_guard lock(mu_);
    done_[cookie] = delivered ? 1 : 0;
  }
  bool done(size_t i) {
    std::lock_guard lock(mu_);
    return done_[i] != 0;
  }

 private:
  std::mutex mu_;
  std::vector<char> done_;
};

// Reads the selected, not yet replayed lines of every file, grouped by output.
std::map<std::string, std::vector<Pending>> select_lines(const DeadLetterSelection& sel, std::ostream& out,
                                                         std::ostream& err, uint64_t& skipped_marked) {
  std::map<std::string, std::vector<Pending>> by_output;
  for (size_t f = 0; f < sel.files.size(); ++f) {
    const std::string& path = sel.files[f];
    std::string error = read_selected_lines(path, sel, err, [&](const DeadLetterPosition& p, std::string_view text,
                                                                const DeadLetterLine& line, bool replayed) {
      if (replayed) {
        ++skipped_marked;
        return;
      }
      by_output[std::string(line.output)].push_back({f, p, std::string(text)});
    });
    if (!error.empty()) out << path << ": not read: " << error << "\n";
  }
  return by_output;
}

struct Sent {
  uint64_t done = 0, delivered = 0, dead_lettered = 0, left = 0;
  std::string marks_error;  // the marks could not be written
};

// Sends lines through output `oc` named `name` and appends a mark for each
// record done to its file's marks.

Sent send_through(const config::PipelineConfig& cfg, const config::ComponentConfig& oc, const std::string& name,
                  const std::vector<Pending>& lines, const BuildContext& build,
                  const std::vector<std::string>& files, std::chrono::nanoseconds timeout) {
  const OutputPlugin* plugin = nullptr;
  for (const auto& p : output_plugins())
    if (p.name == oc.plugin()) plugin = &p;
  auto settings = OutputSettings::from_config(oc, cfg.service.get_duration("flush"));
  // A full buffer makes this thread wait (below), never drops: a record
  // dropped would count as done and be marked.
  settings.when_full = WhenFull::Block;
  DeadLetter again(settings.dead_letter_file.empty() ? default_dead_letter_path(cfg.service)
                                                     : settings.dead_letter_file);
  Metrics metrics;
  ReplayAcks acks(lines.size());
  auto deadline = Clock::now() + timeout;
  {
    OutputRunner runner(name, plugin->make(oc, build), std::move(settings), TagMatcher::glob("*"), again, metrics);
    runner.start();
    DeadLetterLineParser parser;
    for (size_t i = 0; i < lines.size(); ++i) {
      // The output's buffer bounds what is held at once, as for an input.
      while (runner.blocking_full() && Clock::now() < deadline) std::this_thread::sleep_for(std::chrono::milliseconds(5));
      const std::string& text = lines[i].text;
      auto chunk = std::make_unique<Chunk>("", text.size() * 2 + 256);
      DeadLetterLine line;
      parser.parse(text, chunk->arena, line);  // parsed once already: can't fail
      chunk->tag = std::string(line.tag);
      chunk->events.push_back({line.timestamp_ns, line.record});
      if (line.metadata.is_map()) chunk->metadata.push_back(line.metadata);
      chunk->acks.emplace_back(&acks, i);
      runner.enqueue(SharedChunk(std::move(chunk)));
    }
    runner.drain(deadline);
  }
  Sent s;
  s.delivered = metrics.value("sluice_output_records_delivered_total", name);
  s.dead_lettered = metrics.value("sluice_output_records_dead_lettered_total", name);
  std::vector<std::string> marks(files.size());
  int64_t now = DeadLetter::now_ns();
  for (size_t i = 0; i < lines.size(); ++i) {
    if (!acks.done(i)) {
      ++s.left;
      continue;
    }
    ++s.done;
    ReplayMarks::encode(marks[lines[i].file], lines[i].position, name, now);
  }
  for (size_t f = 0; f < files.size(); ++f) {
    if (marks[f].empty()) continue;
    if (std::error_code ec = WholeLineFile(ReplayMarks::path_for(files[f])).append(marks[f]))
      s.marks_error = "cannot write " + ReplayMarks::path_for(files[f]) + ": " + ec.message() +
                      " (the records were re-sent; a next replay sends them again)";
  }
  return s;
}

}  // namespace

int replay_dead_letters(const config::PipelineConfig& cfg, const ReplayOptions& options, std::ostream& out,
                        std::ostream& err) {
  uint64_t skipped_marked = 0;
  auto by_output = select_lines(options.select, out, err, skipped_marked);
  if (skipped_marked > 0) out << skipped_marked << " records skipped: replayed before\n";
  std::map<std::string, const config::ComponentConfig*> outputs;
  for (size_t i = 0; i < cfg.outputs.size(); ++i) outputs[output_instance_name(cfg.outputs[i], i)] = &cfg.outputs[i];

  int status = 0;
  ParserSet parsers = ParserSet::build(cfg.parsers);
  BuildContext build{&parsers, cfg.base_dir};
  if (by_output.empty()) out << "nothing to replay\n";
  for (const auto& [name, lines] : by_output) {
    auto it = outputs.find(name);
    if (it == outputs.end()) {
      err << lines.size() << " records of output " << name << " skipped: " << cfg.path
          << " has no output of that name (give it that alias to replay them)\n";
      status = 1;
      continue;
    }
    if (options.dry_run) {
      out << "would re-send " << lines.size() << " records through output " << name << "\n";
      continue;
    }
    Sent s = send_through(cfg, *it->second, name, lines, build, options.select.files, options.timeout);
    out << "output " << name << ": re-sent " << lines.size() << " records: " << s.delivered << " delivered, "
        << s.dead_lettered << " dead-lettered again";
    if (s.left > 0) out << ", " << s.left << " not delivered within the timeout (not marked: a next replay sends them)";
    out << "\n";
    if (!s.marks_error.empty()) err << s.marks_error << "\n";
    if (s.dead_lettered > 0 || s.left > 0 || !s.marks_error.empty()) status = 1;
  }
  return status;
}

}  // namespace sluice
