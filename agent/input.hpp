// The interface between the core and an input component.
#pragma once
#include <map>
#include <memory>
#include <string>

#include "agent/chunk.hpp"
#include "agent/config/component_config.hpp"
#include "agent/metrics.hpp"

namespace boost::asio { class io_context; }

namespace sluice {

namespace json { class Writer; }

class ParserSet;

// What the core lends an input. Every method runs on the main thread.
class InputContext {
 public:
  virtual ~InputContext() = default;
  virtual boost::asio::io_context& io() = 0;
  // Hands a chunk to the pipeline (filters, router, outputs). With
  // storage.type filesystem the chunk is written to the input's buffer
  // first; if that fails it still goes on, in memory only (for inputs whose
  // source is their buffer, like a file).
  virtual void emit(ChunkPtr chunk) = 0;
  // For inputs that acknowledge to a sender (HTTP 2xx, reading on over TCP):
  // true once the chunk is taken -- with storage.type filesystem, once it is
  // in the input's segment file (written, or fsynced with storage.sync full),
  // so a crash can no longer lose it. False: refused (disk full, a storage
  // limit under block); `chunk` is left to the caller, who pushes back and
  // offers it again later. Memory inputs always take it.
  virtual bool offer(ChunkPtr& chunk) {
    emit(std::move(chunk));
    return true;
  }
  // True while the memory budget or a blocking output buffer is full (for a
  // filesystem input: while its buffer refuses chunks): don't read more;
  // check again later (a file input waits, the file is the buffer).
  virtual bool paused() const = 0;
  // The input has nothing more to read (stdin EOF, tail exit_on_eof). When
  // every input has finished, sluice drains its outputs and exits.
  virtual void finished() = 0;
  virtual Metrics& metrics() = 0;
  // This instance's name for logs and metrics (alias, or plugin.N).
  virtual const std::string& instance() const = 0;
  // Its own log_level (log::level_number; -1: the service's). The core
  // applies it while calling the input; an input applies it (log::Scope) in
  // the handlers it runs by itself.
  virtual int log_level() const { return -1; }
};

// What an input hands to its successor when a reload rebuilds it with a new
// configuration (tail: where each file was delivered up to, so a tail without
// an offsets file resumes there instead of at the files' ends).
struct InputCarry {
  virtual ~InputCarry() = default;
};

// An input runs on the main io_context; it must never block it.
class Input {
 public:
  virtual ~Input() = default;
  // Starts reading. ctx outlives the input.
  virtual void start(InputContext& ctx) = 0;
  // Stops reading at shutdown; no emit() after this returns.
  virtual void stop() = 0;
  // Called last, after outputs drained and acknowledgements arrived: persist
  // positions (tail offsets) for the next start.
  virtual void finish() {}
  // For /api/v1/health: adds this input's own members (key/value pairs) to
  // the JSON object the core has opened for it, e.g. how far a file input
  // is behind. Main thread; must be cheap and must not block.
  virtual void describe_health(json::Writer& /*out*/) const {}

  // Hot reload. After stop(): true once every record this input emitted was
  // acknowledged (delivered, dead-lettered or dropped), so that finish() commits
  // positions nothing is still travelling behind. Inputs that acknowledge on
  // receipt (network inputs) are always settled.
  virtual bool settled() const { return true; }
  // After finish(): state for the input of the same plugin that replaces this one.
  virtual std::unique_ptr<InputCarry> carry_over() { return nullptr; }
  // Before start(): the carry_over() of the input this one replaces.
  virtual void resume_from(std::unique_ptr<InputCarry> /*carry*/) {}
};

// What a factory may use to build a component from its config.
struct BuildContext {
  const ParserSet* parsers = nullptr;
  std::string base_dir;  // directory of the main config file: relative paths start here
  const std::map<std::string, std::string>* env = nullptr;  // the env: section (Lua's FLB_ENV)
};

}  // namespace sluice
