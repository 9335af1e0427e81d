// The `cloudwatch_logs` codec; see cloudwatch_codec.hpp. The rules come from
// the CloudWatch Logs API reference (PutLogEvents, CreateLogGroup,
// CreateLogStream, PutRetentionPolicy, Common Errors); ../shared/protocols.md
// section 4 sums them up.
#include "outputs/cloudwatch/cloudwatch_codec.hpp"

#include <simdjson.h>

#include <algorithm>
#include <any>
#include <chrono>
#include <cstring>
#include <map>
#include <unordered_map>

#include "agent/json_writer.hpp"

namespace sluice::cloudwatch {

namespace {

constexpr std::string_view kTargetPrefix = "Logs_20140328.";

int64_t to_ms(int64_t time_ns) {
  int64_t ms = time_ns / 1'000'000;
  return (time_ns % 1'000'000 < 0) ? ms - 1 : ms;  // floor, for times before 1970
}

std::string_view op_name(int call) {
  static constexpr std::string_view kNames[] = {"PutLogEvents", "CreateLogGroup", "PutRetentionPolicy",
                                                "CreateLogStream"};
  return kNames[call];
}

// The error's type without the namespace some answers carry
// ("com.amazonaws.logs#ThrottlingException" → "ThrottlingException").
std::string_view short_type(std::string_view type) {
  size_t hash = type.rfind('#');
  return hash == std::string_view::npos ? type : type.substr(hash + 1);
}

bool is_throttling(std::string_view type) {
  return type == "ThrottlingException" || type == "RequestLimitExceeded" || type == "ServiceUnavailableException" ||
         type == "ServiceUnavailable" || type == "InternalFailure" || type == "LimitExceededException" ||
         type == "OperationAbortedException";
}

// The answer's credentials are the problem: a fresh signature may fix it.
bool is_auth_expiry(std::string_view type) {
  return type == "ExpiredTokenException" || type == "ExpiredToken" || type == "InvalidSignatureException" ||
         type == "SignatureDoesNotMatch" || type == "RequestExpired" || type == "IncompleteSignature";
}

}  // namespace

int64_t wall_clock_ms() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::system_clock::now().time_since_epoch())
      .count();
}

namespace {

// Where the first byte above 0x7F is (or size): eight bytes at a time, as
// most log messages are ASCII all along.
size_t ascii_prefix(std::string_view m) {
  size_t i = 0;
  for (; i + 8 <= m.size(); i += 8) {
    uint64_t w;
    std::memcpy(&w, m.data() + i, 8);
    if (w & 0x8080808080808080ULL) break;
  }
  while (i < m.size() && static_cast<unsigned char>(m[i]) < 0x80) ++i;
  return i;
}

}  // namespace

size_t sent_length(std::string_view m) {
  size_t i = ascii_prefix(m);
  size_t n = i;
  while (i < m.size()) {
    size_t len = json::utf8_sequence_length(m, i);
    n += len == 0 ? 3 : len;
    i += len == 0 ? 1 : len;
  }
  return n;
}

bool cut_message(std::string& m, size_t max) {
  size_t i = ascii_prefix(m);
  if (i > max) {
    m.resize(max);
    return true;
  }
  size_t sent = i;
  while (i < m.size()) {
    size_t len = json::utf8_sequence_length(m, i);
    size_t as_sent = len == 0 ? 3 : len;
    if (sent + as_sent > max) {
      m.resize(i);
      return true;
    }
    sent += as_sent;
    i += len == 0 ? 1 : len;
  }
  return false;
}

struct Codec::Counters {
  Counters(Metrics& m, const std::string& instance)
      : rejected(m.counter("sluice_output_cloudwatch_events_rejected_total", "output", instance, false,
                         "Events CloudWatch Logs rejected (too old, too new, expired).")),
        out_of_window(m.counter("sluice_output_cloudwatch_events_out_of_window_total", "output", instance, false,
                                "Events outside the time window CloudWatch Logs accepts (dead-lettered unsent).")),
        truncated(m.counter("sluice_output_cloudwatch_truncated_total", "output", instance, false,
                            "Messages truncated to CloudWatch Logs' event size limit.")),
        created(m.counter("sluice_output_cloudwatch_resources_created_total", "output", instance, false,
                          "Log groups and streams created.")) {}
  Counter& rejected;       // refused by CloudWatch per event (rejectedLogEventsInfo)
  Counter& out_of_window;  // older than 14 days or more than 2 hours ahead: never sent
  Counter& truncated;      // messages cut to max_event_size
  Counter& created;        // log groups and streams sluice created
};

Codec::Codec(NamingSettings naming, std::vector<http::Header> extra_headers, std::string path, NowMs now)
    : naming_(std::move(naming)), extra_headers_(std::move(extra_headers)), path_(std::move(path)), now_(std::move(now)) {
  if (path_.empty()) path_ = "/";
}

void Codec::start(OutputContext& ctx) {
  instance_ = ctx.instance();
  counters_ = std::make_shared<Counters>(ctx.metrics(), ctx.instance());
}

bool Codec::has_message(const Event& e, std::string* why) const {
  if (!naming_.log_key) return true;  // the whole record, never empty
  const Value* v = naming_.log_key->get(e.record);
  if (v == nullptr) {
    *why = "the record has no " + naming_.log_key->text() + " field (log_key)";
    return false;
  }
  if (v->is_string() && v->as_string().empty()) {
    *why = "the message is empty (CloudWatch needs at least one character)";
    return false;
  }
  return true;
}

bool Codec::message_of(const Event& e, std::string& out, std::string* why) const {
  out.clear();
  if (!naming_.log_key) {
    json::append_value(out, e.record);
  } else {
    const Value* v = naming_.log_key->get(e.record);
    if (v == nullptr) {
      *why = "the record has no " + naming_.log_key->text() + " field (log_key)";
      return false;
    }
    if (v->is_string()) out.assign(v->as_string());
    else json::append_value(out, *v);
  }
  if (out.empty()) {
    *why = "the message is empty (CloudWatch needs at least one character)";
    return false;
  }
  return true;
}

void Codec::destination_of(const std::string& tag, const Event& e, std::string& group, std::string& stream) const {
  group.clear();
  if (!naming_.group_template || !naming_.group_template->render(e.record, tag, group)) group = naming_.group;
  stream.clear();
  if (naming_.stream_template && naming_.stream_template->render(e.record, tag, stream)) return;
  stream = naming_.stream_prefix.empty() ? naming_.stream : naming_.stream_prefix + tag;
}

http::PlannedRequest Codec::call(Call c, const std::string& group, const std::string& stream) const {
  http::PlannedRequest p;
  p.request.method = "POST";
  p.request.target = path_;
  p.request.headers.push_back({"Content-Type", "application/x-amz-json-1.1"});
  p.request.headers.push_back({"X-Amz-Target", std::string(kTargetPrefix) + std::string(op_name(static_cast<int>(c)))});
  for (const auto& h : extra_headers_) p.request.headers.push_back(h);
  std::string& b = p.request.body;
  b += "{\"logGroupName\":";
  json::append_string(b, group);
  if (c == Call::Put || c == Call::CreateStream) {
    b += ",\"logStreamName\":";
    json::append_string(b, stream);
  }
  if (c == Call::Retention) b += ",\"retentionInDays\":" + std::to_string(naming_.retention_days);
  if (c != Call::Put) b += '}';
  p.context = Target{c, group, stream, false};
  return p;
}

void Codec::plan(std::span<const EventRef> events, std::vector<http::PlannedRequest>& requests,
                 std::vector<RecordOutcome>& outcomes) {
  const int64_t now = now_();
  struct Item {
    uint32_t event;
    int64_t ms;
  };
  // Events per log stream, streams in the order they first appear. Without
  // templates or a prefix every record goes to the one configured stream.
  const bool fixed = !naming_.group_template && !naming_.stream_template && naming_.stream_prefix.empty();
  std::vector<std::pair<std::string, std::string>> streams;
  std::vector<std::vector<Item>> items;
  std::map<std::pair<std::string, std::string>, size_t> index;
  std::string group, stream, why;
  for (uint32_t i = 0; i < events.size(); ++i) {
    const Event& e = *events[i].event;
    if (!has_message(e, &why)) {
      outcomes[i] = {Outcome::Permanent, why};
      continue;
    }
    int64_t ms = to_ms(e.time_ns);
    if (ms < now - kMaxAgeMs || ms > now + kMaxAheadMs) {
      counters_->out_of_window.add();
      outcomes[i] = {Outcome::Permanent, ms < now ? "the event is more than 14 days old: CloudWatch Logs refuses it"
                                                  : "the event is more than 2 hours in the future: CloudWatch Logs "
                                                    "refuses it"};
      continue;
    }
    size_t slot = 0;
    if (!fixed || streams.empty()) {
      destination_of(*events[i].tag, e, group, stream);
      auto [it, added] = index.try_emplace({group, stream}, streams.size());
      if (added) {
        streams.emplace_back(group, stream);
        items.emplace_back();
      }
      slot = it->second;
    }
    items[slot].push_back({i, ms});
  }
  std::string message;
  for (size_t s = 0; s < streams.size(); ++s) {
    auto& list = items[s];
    std::stable_sort(list.begin(), list.end(), [](const Item& a, const Item& b) { return a.ms < b.ms; });
    // Cut into calls: at most 10,000 events, 1 MiB (message bytes + 26 each),
    // and less than 24 hours from the first event to the last.
    size_t start = requests.size();
    size_t bytes = 0;
    int64_t first_ms = 0;
    for (const Item& it : list) {
      message_of(*events[it.event].event, message, &why);
      size_t length = sent_length(message);
      if (length > naming_.max_event_bytes) {
        cut_message(message, naming_.max_event_bytes);
        length = sent_length(message);
        counters_->truncated.add();
      }
      size_t size = length + kEventOverhead;
      bool full = requests.size() == start || requests.back().events.size() >= kMaxEventsPerCall ||
                  bytes + size > kMaxBytesPerCall || it.ms - first_ms >= kMaxSpanMs;
      if (full) {
        if (requests.size() > start) requests.back().request.body += "]}";
        requests.push_back(call(Call::Put, streams[s].first, streams[s].second));
        requests.back().request.body += ",\"logEvents\":[";
        bytes = 0;
        first_ms = it.ms;
      }
      http::PlannedRequest& p = requests.back();
      std::string& b = p.request.body;
      if (!p.events.empty()) b += ',';
      b += "{\"timestamp\":";
      b += std::to_string(it.ms);
      b += ",\"message\":";
      json::append_string(b, message);
      b += '}';
      p.events.push_back(it.event);
      bytes += size;
    }
    if (requests.size() > start) requests.back().request.body += "]}";
  }
}

// The same events again, to a stream that now exists (sorted as they were).
void Codec::encode_put(http::PlannedRequest& p, std::span<const EventRef> events) const {
  std::string& b = p.request.body;
  b += ",\"logEvents\":[";
  std::string message, why;
  bool first = true;
  for (uint32_t i : p.events) {
    if (!message_of(*events[i].event, message, &why)) continue;  // not planned into a put in the first place
    cut_message(message, naming_.max_event_bytes);
    if (!first) b += ',';
    first = false;
    b += "{\"timestamp\":" + std::to_string(to_ms(events[i].event->time_ns)) + ",\"message\":";
    json::append_string(b, message);
    b += '}';
  }
  b += "]}";
}

http::Answer Codec::read(http::PlannedRequest& sent, http::Response& response, std::span<const EventRef> events) {
  const Target& t = std::any_cast<const Target&>(sent.context);
  if (response.status == 0) return http::Answer::of(Outcome::Retry, response.error);
  simdjson::dom::parser parser;
  simdjson::dom::element doc;
  bool json = !response.body.empty() && !parser.parse(response.body).get(doc) && doc.is_object();
  if (response.status >= 200 && response.status <= 299) {
    if (t.call == Call::Put && !json)
      return http::Answer::of(Outcome::Retry, "unreadable PutLogEvents answer (HTTP " +
                                                  std::to_string(response.status) + ", not JSON): the events are sent again");
    return after_success(t, sent, response.body, events);
  }
  std::string_view type, message;
  if (json) {
    std::string_view v;
    if (!doc["__type"].get(v)) type = short_type(v);
    if (!doc["message"].get(v) || !doc["Message"].get(v)) message = v;
  }
  std::string reason = "CloudWatch Logs " + std::string(op_name(static_cast<int>(t.call))) + " answered HTTP " +
                       std::to_string(response.status);
  if (!type.empty()) reason += " " + std::string(type);
  if (!message.empty()) reason += ": " + std::string(message.substr(0, 512));
  if (type == "ResourceAlreadyExistsException" && (t.call == Call::CreateGroup || t.call == Call::CreateStream))
    return after_success(t, sent, "", events);  // someone else created it: as good
  if (type == "ResourceNotFoundException" && (t.call == Call::Put || t.call == Call::CreateStream))
    return not_found(t, sent, message);
  if (t.call == Call::Retention) {
    // The group exists; its retention is a nicety that must not hold the records back.
    if (uint64_t n = retention_log_.hit())
      log::warn("output {}: could not set the retention of log group {}: {} ({} so far)", instance_, t.group, reason, n);
    return after_success(t, sent, "", events);
  }
  if (type == "DataAlreadyAcceptedException") return http::Answer();  // stored by an earlier attempt
  http::Answer a;
  if (is_auth_expiry(type)) {
    a = http::Answer::of(Outcome::Retry, reason);
    a.reauthenticate = true;
  } else if (is_throttling(type) || type == "InvalidSequenceTokenException" || response.status == 429 ||
             response.status >= 500) {
    a = http::Answer::of(Outcome::Retry, reason);
    a.retry_after = response.retry_after;
  } else {
    a = http::Answer::of(Outcome::Permanent, reason);
  }
  return a;
}

http::Answer Codec::after_success(const Target& t, const http::PlannedRequest& sent, std::string_view body,
                                  std::span<const EventRef> events) {
  http::Answer a;
  auto next = [&](Call c) {
    http::PlannedRequest p = call(c, t.group, t.stream);
    p.events = sent.events;
    if (c == Call::Put) encode_put(p, events);
    // Everything after a create: a "not found" now means not visible yet.
    std::any_cast<Target&>(p.context).after_create = true;
    a.then.push_back(std::move(p));
  };
  switch (t.call) {
    case Call::CreateGroup:
      counters_->created.add();
      log::info("output {}: created log group {}", instance_, t.group);
      next(naming_.retention_days > 0 ? Call::Retention : Call::CreateStream);
      return a;
    case Call::Retention:
      next(Call::CreateStream);
      return a;
    case Call::CreateStream:
      counters_->created.add();
      log::info("output {}: created log stream {} in {}", instance_, t.stream, t.group);
      next(Call::Put);
      return a;
    case Call::Put:
      break;
  }
  // rejectedLogEventsInfo: indexes into this call's (sorted) events.
  simdjson::dom::parser parser;
  simdjson::dom::element info;
  if (parser.parse(body).get(info) || info["rejectedLogEventsInfo"].get(info) || !info.is_object()) return a;
  const size_t n = sent.events.size();
  auto index = [&](const char* key, int64_t fallback) {
    int64_t v = fallback;
    if (info[key].get(v)) return fallback;
    return std::clamp<int64_t>(v, 0, static_cast<int64_t>(n));
  };
  int64_t too_new_from = index("tooNewLogEventStartIndex", static_cast<int64_t>(n));
  int64_t too_old_to = index("tooOldLogEventEndIndex", 0);
  int64_t expired_to = index("expiredLogEventEndIndex", 0);
  a.per_event.assign(n, RecordOutcome{});
  for (size_t k = 0; k < n; ++k) {
    const auto i = static_cast<int64_t>(k);
    const char* why = nullptr;
    if (i >= too_new_from) why = "CloudWatch Logs rejected the event as too new (tooNewLogEventStartIndex)";
    else if (i < expired_to) why = "CloudWatch Logs rejected the event as older than the log group's retention "
                                   "(expiredLogEventEndIndex)";
    else if (i < too_old_to) why = "CloudWatch Logs rejected the event as too old (tooOldLogEventEndIndex)";
    if (why != nullptr) {
      counters_->rejected.add();
      a.per_event[k] = {Outcome::Permanent, why};
    }
  }
  return a;
}

http::Answer Codec::not_found(const Target& t, const http::PlannedRequest& sent, std::string_view message) {
  bool group_missing = message.find("log group") != std::string_view::npos || t.call == Call::CreateStream;
  std::string where = group_missing ? "log group " + t.group : "log stream " + t.stream + " in " + t.group;
  if (t.after_create)  // created a moment ago, not visible yet: wait and send again
    return http::Answer::of(Outcome::Retry, where + " does not exist yet after it was created");
  if (group_missing && !naming_.auto_create_group)
    return http::Answer::of(Outcome::Retry, where + " does not exist: create it, or set auto_create_group: on");
  http::Answer a = http::Answer::of(Outcome::Retry, where + " does not exist");
  http::PlannedRequest p = call(group_missing ? Call::CreateGroup : Call::CreateStream, t.group, t.stream);
  p.events = sent.events;
  a.then.push_back(std::move(p));
  return a;
}

}  // namespace sluice::cloudwatch
