// Feeds text through a MultilineStream line by line and collects what
// comes out, in order: joined records and the lines no parser took.
#pragma once
#include <stdexcept>
#include <string>
#include <vector>

#include "agent/parse/multiline_stream.hpp"
#include "agent/parse/parser.hpp"

namespace sluice::multiline_test {

struct Collect final : MultilineSink {
  std::vector<std::string> texts;
  std::vector<MultilineRecord> records;  // views are dead after joined(): only scalars are read
  std::vector<std::vector<AckRef>> acks;
  void joined(MultilineRecord& r) override {
    texts.emplace_back(r.text);
    records.push_back(r);
    acks.push_back(std::move(*r.acks));
  }
};

inline std::vector<const MultilineParser*> parsers_named(const std::vector<std::string>& names,
                                                        const ParserSet& set = builtin_parser_set()) {
  std::vector<const MultilineParser*> out;
  for (const auto& n : names) {
    const MultilineParser* p = set.find_multiline(n);
    if (p == nullptr) throw std::runtime_error("no multiline parser " + n);
    out.push_back(p);
  }
  return out;
}

inline std::vector<std::string> split_lines(const std::string& text) {
  std::vector<std::string> lines;
  size_t start = 0;
  while (start < text.size()) {
    size_t nl = text.find('\n', start);
    if (nl == std::string::npos) nl = text.size();
    lines.push_back(text.substr(start, nl - start));
    start = nl + 1;
  }
  return lines;
}

// Every record (joined or standalone) of text, in order; open records are
// flushed at the end.
inline std::vector<std::string> run(const std::vector<std::string>& names, const std::string& text,
                                    const ParserSet& set = builtin_parser_set()) {
  MultilineStream stream(parsers_named(names, set), {});
  Collect c;
  uint64_t pos = 0;
  auto now = MultilineStream::Clock::now();
  for (const auto& line : split_lines(text)) {
    MultilineLine l;
    l.text = line;
    l.position = pos;
    if (!stream.offer(l, c, now)) c.texts.push_back(line);
    pos += line.size() + 1;
  }
  stream.flush_all(c);
  return c.texts;
}

}  // namespace sluice::multiline_test
