// The state of one stream (a followed file, a tag) going through a list of
// multiline parsers: which records are open, what they hold, and when they
// are due. Feeds lines or records in order and hands out joined records.
// Single-threaded: the tail input and the multiline filter use it on the
// main thread.
#pragma once
#include <chrono>
#include <cstdint>
#include <list>
#include <optional>
#include <string>
#include <vector>

#include "agent/ack.hpp"
#include "agent/arena.hpp"
#include "agent/parse/multiline_parser.hpp"
#include "agent/value.hpp"

namespace sluice {

// What is offered: a line of text (tail) or a record (the filter).
struct MultilineLine {
  std::string_view text;           // text mode: the line
  const Value* record = nullptr;   // record mode: the event's record (a Map)
  int64_t time_ns = 0;
  uint64_t position = 0;           // the caller's: tail passes the line's file offset
  // The acknowledgements the line came with (record mode): an open record
  // holds them until it is handed out. batch (non-zero, one per chunk)
  // tells the lines of one chunk apart, so its acks are held once.
  const std::vector<AckRef>* acks = nullptr;
  uint64_t batch = 0;
};

// A record handed out: the joined text and where it goes.
struct MultilineRecord {
  std::string_view text;
  // The first line's record (record mode, or a text line its parser parsed)
  // with `key` to be set to text; null for plain text (key is then the
  // parser's key_content, "" if it has none: the caller's own key). With
  // first set and key empty, first is the whole record (a first_line
  // parser's first line whose last field isn't text: nothing was joined).
  const Value* first = nullptr;
  std::string_view key;
  int64_t time_ns = 0;
  uint64_t position = 0;  // the first line's
  size_t lines = 0;
  bool cut = false;       // ended early: it reached the size limit
  std::vector<AckRef>* acks = nullptr;  // may be moved from
};

class MultilineSink {
 public:
  virtual ~MultilineSink() = default;
  // Views in r are valid during the call only.
  virtual void joined(MultilineRecord& r) = 0;
};

class MultilineStream {
 public:
  using Clock = std::chrono::steady_clock;

  struct Settings {
    // Record mode: the key holding the text, for every parser (the filter's
    // multiline.key_content); else each parser's key_content, else "log".
    std::string key_override;
    // The flush timeout for every parser (the filter's flush_ms); 0 = each
    // parser's flush_timeout.
    std::chrono::milliseconds flush_timeout{0};
    // A record that would grow past this is handed out and a new one begun.
    size_t max_bytes = 2 * 1024 * 1024;
  };

  MultilineStream(std::vector<const MultilineParser*> parsers, Settings settings);

  // Offers the next line. True: a parser took it (it is in an open record,
  // or in a record already handed to sink). False: no parser did; every open
  // record was handed out first, and the caller keeps the line as it came.
  bool offer(const MultilineLine& line, MultilineSink& sink, Clock::time_point now);
  // Hands out the records that got no new line within their timeout.
  void flush_expired(MultilineSink& sink, Clock::time_point now);
  // Hands out every open record, oldest first.
  void flush_all(MultilineSink& sink);
  // Drops every open record (the file was truncated).
  void reset() { open_.clear(); }

  bool has_open() const { return !open_.empty(); }
  std::optional<Clock::time_point> next_deadline() const;
  // The position of the oldest line held in an open record.
  std::optional<uint64_t> oldest_position() const;
  size_t held_bytes() const;
  uint64_t cuts() const { return cuts_; }

 private:
  struct Open {
    const MultilineParser* parser;
    std::string group;
    const MultilineRule* rule = nullptr;  // regex: the rule the last line matched
    std::string text;
    Arena arena{512};
    Value first;  // a deep copy in arena; Null for plain text
    bool has_first = false;
    std::string key;
    int64_t time_ns = 0;
    uint64_t position = 0;
    size_t lines = 0;
    Clock::time_point due;
    std::vector<AckRef> acks;
    uint64_t acks_batch = 0;
  };
  // A line as one parser sees it.
  struct View {
    std::string_view content;
    std::string_view pattern;
    std::string_view group;
    const Value* record = nullptr;  // what becomes `first`
    std::string_view key;
    int64_t time_ns = 0;
  };

  bool resolve(const MultilineParser& p, const MultilineLine& line, Arena& scratch, View& v) const;
  bool step(const MultilineParser& p, const View& v, const MultilineLine& line, MultilineSink& sink,
            Clock::time_point now);
  bool step_first_line(const MultilineParser& p, const MultilineLine& line, Arena& scratch, MultilineSink& sink,
                       Clock::time_point now);
  Open* find(const MultilineParser& p, std::string_view group);
  Open& begin(const MultilineParser& p, const View& v, const MultilineLine& line);
  void append(Open& o, const View& v, const MultilineLine& line, std::string_view separator, MultilineSink& sink,
              Clock::time_point now);
  void hold_acks(Open& o, const MultilineLine& line);
  void flush(Open& o, MultilineSink& sink, bool cut = false);
  void flush_others(const MultilineParser& p, MultilineSink& sink);
  std::chrono::milliseconds timeout(const MultilineParser& p) const;

  std::vector<const MultilineParser*> parsers_;
  Settings settings_;
  std::list<Open> open_;  // oldest first
  size_t last_ = SIZE_MAX;  // the parser that took the last line: tried first
  uint64_t cuts_ = 0;
};

}  // namespace sluice
