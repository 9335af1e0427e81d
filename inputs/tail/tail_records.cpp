// Building the tail input's records; see tail_records.hpp.
#include "inputs/tail/tail_records.hpp"

#include "agent/log.hpp"
#include "agent/parse/parser.hpp"
#include "agent/record.hpp"

namespace sluice::tail {

namespace {
log::RateLimit g_malformed_log(1000);
log::RateLimit g_parse_log(1000);
}  // namespace

RecordMaker::RecordMaker(const TailInputConfig& cfg, TailMetrics& metrics, Chunk& chunk, std::string_view path,
                         std::vector<Member>& scratch, int64_t now_ns)
    : cfg_(cfg), metrics_(metrics), chunk_(chunk), scratch_(scratch), now_ns_(now_ns), file_(path) {
  key_ = chunk.arena.copy(cfg.key);
  path_key_ = chunk.arena.copy(cfg.path_key);
  offset_key_ = chunk.arena.copy(cfg.offset_key);
  if (!cfg.path_key.empty()) path_ = record::string(chunk.arena, path);
}

void RecordMaker::add_source(MapBuilder& b, uint64_t offset) {
  if (!path_key_.empty()) b.set(path_key_, path_);
  if (!offset_key_.empty()) b.set(offset_key_, Value::integer(static_cast<int64_t>(offset)));
}

void RecordMaker::add_source(Value& record, uint64_t offset) {
  if (!path_key_.empty()) record::set(record, chunk_.arena, path_key_, path_);
  if (!offset_key_.empty()) {
    record::set(record, chunk_.arena, offset_key_, Value::integer(static_cast<int64_t>(offset)));
  }
}

void RecordMaker::add_line(std::string_view line, uint64_t offset, ContainerDecoder* decoder, MultilineStream* ml) {
  if (decoder != nullptr) {
    ContainerRecord r;
    switch (decoder->decode(line, offset, chunk_.arena, r)) {
      case ContainerDecoder::Result::Record:
        if (ml != nullptr) ml->flush_all(*this);  // an open trace ends where a container line comes
        add_container(r);
        return;
      case ContainerDecoder::Result::Partial: return;
      case ContainerDecoder::Result::Malformed:
        if (ml != nullptr) break;  // plain text lines are the other parsers' to judge
        metrics_.malformed->add();
        if (uint64_t n = g_malformed_log.hit(); n != 0) {
          log::warn("tail: {}: a line in none of the multiline.parser formats was kept as it came ({} so far)",
                    file_, n);
        }
        add_plain(line, offset, false);
        return;
    }
  }
  if (ml != nullptr) {
    MultilineLine l;
    l.text = line;
    l.time_ns = now_ns_;
    l.position = offset;
    if (ml->offer(l, *this, MultilineStream::Clock::now())) return;
  }
  if (cfg_.skip_empty_lines && line.empty()) return;
  if (cfg_.parser != nullptr) {
    if (auto parsed = cfg_.parser->parse(line, chunk_.arena)) {
      add_source(parsed->record, offset);
      chunk_.events.push_back({parsed->time_ns.value_or(now_ns_), parsed->record});
      return;
    }
    metrics_.parse_failures->add();
    if (uint64_t n = g_parse_log.hit(); n != 0) {
      log::warn("tail: {}: a line parser '{}' couldn't parse was kept as it came ({} so far)", file_,
                cfg_.parser->name(), n);
    }
  }
  // Fluent Bit's order: a line kept as it is has path_key and offset_key
  // first (in the old `multiline: on` mode too); one that went through
  // multiline.parser (its docker and cri included) has them last, as a
  // parsed line does.
  const bool as_read = decoder == nullptr && (ml == nullptr || cfg_.old_multiline != nullptr);
  add_plain(borrowed_ ? chunk_.arena.copy(line) : line, offset, as_read);
}

void RecordMaker::joined(MultilineRecord& r) {
  Value text = record::string(chunk_.arena, r.text);
  if (r.first != nullptr) {
    // The first line as its parser read it, with the joined text in key_content.
    Value rec = record::deep_copy(*r.first, chunk_.arena);
    if (!r.key.empty()) record::set(rec, chunk_.arena, chunk_.arena.copy(r.key), text);
    add_source(rec, r.position);
    chunk_.events.push_back({r.time_ns, rec});
  } else {
    MapBuilder b(chunk_.arena, scratch_);
    b.add(r.key.empty() ? key_ : chunk_.arena.copy(r.key), text);
    add_source(b, r.position);
    chunk_.events.push_back({r.time_ns, b.finish()});
  }
  if (r.lines > 1) metrics_.multiline_joined->add();
}

void RecordMaker::add_plain(std::string_view line, uint64_t offset, bool source_first) {
  MapBuilder b(chunk_.arena, scratch_);
  if (!source_first) {
    b.add(key_, Value::string(line));
    add_source(b, offset);
  } else {
    add_source(b, offset);
    if (b.size() == 0) b.add(key_, Value::string(line));
    else b.set(key_, Value::string(line));
  }
  chunk_.events.push_back({now_ns_, b.finish()});
}

void RecordMaker::add_container(const ContainerRecord& r) {
  MapBuilder b(chunk_.arena, scratch_);
  // Field order as the runtimes write them (and Fluent Bit emits them).
  if (r.kind == ContainerKind::Docker) {
    b.add("log", Value::string(r.log));
    if (!r.stream.empty()) b.add("stream", Value::string(r.stream));
    if (!r.time.empty()) b.add("time", Value::string(r.time));
  } else {
    b.add("time", Value::string(r.time));
    b.add("stream", Value::string(r.stream));
    b.add("_p", Value::string(r.partial ? "P" : "F"));
    b.add("log", Value::string(r.log));
  }
  add_source(b, r.offset);
  chunk_.events.push_back({r.time_ns.value_or(now_ns_), b.finish()});
}

}  // namespace sluice::tail
