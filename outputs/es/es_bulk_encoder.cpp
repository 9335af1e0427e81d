// _bulk NDJSON encoding; see es_bulk_encoder.hpp.
#include "outputs/es/es_bulk_encoder.hpp"

#include <algorithm>
#include <charconv>
#include <chrono>
#include <ctime>

#include "agent/json_writer.hpp"

namespace sluice::es {

namespace {

int64_t floor_seconds(int64_t time_ns) {
  int64_t secs = time_ns / 1'000'000'000;
  if (time_ns % 1'000'000'000 < 0) --secs;
  return secs;
}

// The nanoseconds within the second, for a time before 1970 too.
int64_t nanos_of(int64_t time_ns) {
  int64_t nanos = time_ns % 1'000'000'000;
  return nanos < 0 ? nanos + 1'000'000'000 : nanos;
}

// s JSON-escaped, without the surrounding quotes.
void append_escaped(std::string& out, std::string_view s) {
  size_t at = out.size();
  json::append_string(out, s);
  out.erase(at, 1);
  out.pop_back();
}

void append_digits(std::string& out, int64_t value, int width) {
  char buf[16];
  for (int i = width - 1; i >= 0; --i) {
    buf[i] = static_cast<char>('0' + value % 10);
    value /= 10;
  }
  out.append(buf, static_cast<size_t>(width));
}

}  // namespace

// A strftime pattern formatted for one second (UTC) at a time: records of a
// batch mostly share their second, so each distinct second is formatted once.
class BulkEncoder::TimeCache {
 public:
  explicit TimeCache(std::string pattern) : pattern_(std::move(pattern)) {}

  // JSON-escaped, without quotes.
  std::string_view get(int64_t secs) {
    if (valid_ && secs == secs_) return text_;
    std::time_t t = static_cast<std::time_t>(secs);
    std::tm tm{};
    gmtime_r(&t, &tm);
    char buf[1024];
    size_t n = std::strftime(buf, sizeof buf, pattern_.c_str(), &tm);
    text_.clear();
    // 0 means empty or too long: the pattern itself is the least surprising name.
    append_escaped(text_, n == 0 ? std::string_view(pattern_) : std::string_view(buf, n));
    secs_ = secs;
    valid_ = true;
    return text_;
  }

 private:
  std::string pattern_;
  std::string text_;
  int64_t secs_ = 0;
  bool valid_ = false;
};

BulkEncoder::BulkEncoder(EncoderSettings settings) : settings_(std::move(settings)) {
  dynamic_index_ = settings_.index.find('%') != std::string::npos;
  switch (settings_.op_type) {
    case OpType::Create: action_head_ = R"({"create":{"_index":)"; break;
    case OpType::Index: action_head_ = R"({"index":{"_index":)"; break;
    case OpType::Update: action_head_ = R"({"update":{"_index":)"; doc_head_ = R"({"doc":)"; break;
    case OpType::Upsert: action_head_ = R"({"update":{"_index":)"; doc_head_ = R"({"doc_as_upsert":true,"doc":)"; break;
  }
  if (dynamic_index_) {
    index_cache_ = std::make_unique<TimeCache>(settings_.index);
  } else {
    json::append_string(static_index_, settings_.index);
  }
  if (settings_.prefix_key) date_cache_ = std::make_unique<TimeCache>(settings_.date_format);
  append_escaped(separator_, settings_.prefix_separator);
  if (!settings_.type.empty()) {
    type_part_ = R"(,"_type":)";
    json::append_string(type_part_, settings_.type);
  }
  if (!settings_.time_key.empty()) time_key_cache_ = std::make_unique<TimeCache>(settings_.time_key_format);
}

BulkEncoder::~BulkEncoder() = default;

void BulkEncoder::encode(std::span<const EventRef> events, EncodeResult& out) {
  std::vector<uint32_t> all(events.size());
  for (uint32_t i = 0; i < all.size(); ++i) all[i] = i;
  encode(events, all, out);
}

void BulkEncoder::encode(std::span<const EventRef> events, std::span<const uint32_t> which, EncodeResult& out) {
  const size_t max = settings_.max_request_bytes;
  size_t left = which.size();
  BulkBody cur;
  reserve(cur, left);
  size_t encoded_bytes = 0;
  for (uint32_t i : which) {
    --left;
    const size_t start = cur.body.size();
    bool own_id = append_item(cur.body, events[i]);
    if (cur.body.size() > max) {
      if (start == 0) {
        out.too_big.push_back(i);
        cur.body.clear();
        continue;
      }
      // The item goes first into a new body; the full one is done.
      BulkBody next;
      reserve(next, left + 1);
      next.body.assign(cur.body, start, std::string::npos);
      cur.body.resize(start);
      if (next.body.size() > max) {
        out.too_big.push_back(i);
        continue;
      }
      encoded_bytes += cur.body.size();
      out.bodies.push_back(std::move(cur));
      cur = std::move(next);
    }
    cur.items.push_back({i, own_id, !doc_head_.empty()});
  }
  encoded_bytes += cur.body.size();
  if (!cur.items.empty()) out.bodies.push_back(std::move(cur));
  if (!which.empty()) bytes_per_item_ = std::max<size_t>(64, encoded_bytes / which.size());
}

// Sized from the previous batches: a body grown by doubling would touch
// (and page-fault in) twice its size.
void BulkEncoder::reserve(BulkBody& body, size_t items) {
  size_t estimate = items * bytes_per_item_ + bytes_per_item_ / 8 * items + 4096;
  body.body.reserve(std::min<size_t>(estimate, settings_.max_request_bytes + 64 * 1024));
  body.items.reserve(std::min<size_t>(items, settings_.max_request_bytes / 64));
}

bool BulkEncoder::append_item(std::string& out, const EventRef& ref) {
  if (settings_.id_key) {
    std::string& id = id_scratch_;
    bool found = id_from_record(ref.event->record, id);
    append_action(out, ref, found ? std::string_view(id) : std::string_view());
    append_document(out, ref);
    return found && doc_head_.empty();
  }
  if (settings_.generate_id) {
    // The id hashes the source, which follows the action line: encode it aside.
    source_scratch_.clear();
    append_source(source_scratch_, ref);
    char id[RecordIdHasher::kHexLength];
    hasher_.id(*ref.tag, ref.event->time_ns, source_scratch_, id);
    append_action(out, ref, std::string_view(id, sizeof id));
    if (doc_head_.empty()) {
      out += source_scratch_;
      return true;
    }
    out += doc_head_;
    out.append(source_scratch_, 0, source_scratch_.size() - 1);  // without its newline
    out += "}\n";
    return false;
  }
  append_action(out, ref, {});
  append_document(out, ref);
  return false;
}

// The source line, or for update and upsert the source as the partial
// document of {"doc": ...}. (A 409 on an update is a concurrent change, not
// the document being there already: append_item returns own_id false for
// them, and their BulkItem says update.)
void BulkEncoder::append_document(std::string& out, const EventRef& ref) {
  if (doc_head_.empty()) return append_source(out, ref);
  out += doc_head_;
  append_source(out, ref);
  out.back() = '}';
  out.push_back('\n');
}

std::string BulkEncoder::generated_id(const std::string& tag, const Event& event) {
  EventRef ref{&tag, &event};
  source_scratch_.clear();
  append_source(source_scratch_, ref);
  char id[RecordIdHasher::kHexLength];
  hasher_.id(tag, event.time_ns, source_scratch_, id);
  return std::string(id, sizeof id);
}

bool BulkEncoder::id_from_record(const Value& record, std::string& id) {
  const Value* v = settings_.id_key->get(record);
  if (v == nullptr) return false;
  id.clear();
  if (v->is_string()) {
    if (v->as_string().empty()) return false;  // ES refuses an empty _id
    id.assign(v->as_string());
    return true;
  }
  if (v->is_int()) {
    char buf[24];
    auto r = std::to_chars(buf, buf + sizeof buf, v->as_int());
    id.assign(buf, r.ptr);
    return true;
  }
  return false;  // maps, arrays, bools: no sensible id; let Elasticsearch pick one
}

void BulkEncoder::append_action(std::string& out, const EventRef& ref, std::string_view id) {
  out += action_head_;
  int64_t secs = settings_.current_time_index
                     ? std::chrono::duration_cast<std::chrono::seconds>(
                           std::chrono::system_clock::now().time_since_epoch()).count()
                     : floor_seconds(ref.event->time_ns);
  append_index_name(out, ref, secs);
  out += type_part_;
  if (!id.empty()) {
    out += R"(,"_id":)";
    json::append_string(out, id);
  }
  out += "}}\n";
}

void BulkEncoder::append_index_name(std::string& out, const EventRef& ref, int64_t secs) {
  if (settings_.prefix_key) {
    const Value* prefix = settings_.prefix_key->get(ref.event->record);
    if (prefix != nullptr && prefix->is_string() && !prefix->as_string().empty()) {
      out.push_back('"');
      append_escaped(out, prefix->as_string());
      out += separator_;
      out += date_cache_->get(secs);
      out.push_back('"');
      return;
    }
  }
  if (!dynamic_index_) {
    out += static_index_;
    return;
  }
  out.push_back('"');
  out += index_cache_->get(secs);
  out.push_back('"');
}

void BulkEncoder::append_source(std::string& out, const EventRef& ref) {
  const Value& record = ref.event->record;
  out.push_back('{');
  bool first = true;
  // A record's own field of the same name wins: a second one would make
  // Elasticsearch refuse the document (duplicate field).
  if (time_key_cache_ && record.find(settings_.time_key) == nullptr) {
    const int64_t t = ref.event->time_ns;
    json::append_string(out, settings_.time_key);
    out += ":\"";
    out += time_key_cache_->get(floor_seconds(t));
    out.push_back('.');
    if (settings_.time_key_nanos) {
      append_digits(out, nanos_of(t), 9);
    } else {
      append_digits(out, nanos_of(t) / 1'000'000, 3);
    }
    out += "Z\"";
    first = false;
  }
  if (!settings_.tag_key.empty() && record.find(settings_.tag_key) == nullptr) {
    if (!first) out.push_back(',');
    json::append_string(out, settings_.tag_key);
    out.push_back(':');
    json::append_string(out, *ref.tag);
    first = false;
  }
  if (record.is_map()) {
    for (const auto& m : record.members()) {
      if (!first) out.push_back(',');
      first = false;
      append_key(out, m.key);
      append_value(out, m.value);
    }
  }
  out += "}\n";
}

void BulkEncoder::append_value(std::string& out, const Value& v) {
  if (!settings_.replace_dots) {
    json::append_value(out, v);
    return;
  }
  // replace_dots applies to nested maps too (inside arrays as well).
  if (v.is_map()) {
    append_map(out, v);
  } else if (v.is_array()) {
    out.push_back('[');
    bool first = true;
    for (const auto& item : v.items()) {
      if (!first) out.push_back(',');
      first = false;
      append_value(out, item);
    }
    out.push_back(']');
  } else {
    json::append_value(out, v);
  }
}

void BulkEncoder::append_key(std::string& out, std::string_view key) {
  if (settings_.replace_dots && key.find('.') != std::string_view::npos) {
    key_scratch_.assign(key);
    for (char& c : key_scratch_)
      if (c == '.') c = '_';
    key = key_scratch_;
  }
  json::append_string(out, key);
  out.push_back(':');
}

void BulkEncoder::append_map(std::string& out, const Value& map) {
  out.push_back('{');
  bool first = true;
  for (const auto& m : map.members()) {
    if (!first) out.push_back(',');
    first = false;
    append_key(out, m.key);
    append_value(out, m.value);
  }
  out.push_back('}');
}

}  // namespace sluice::es
