// The `oci_logging` codec; see oci_codec.hpp. The body as OCI Logging's
// PutLogs reference gives it (../shared/protocols.md section 8).
#include "outputs/oci/oci_codec.hpp"

#include <simdjson.h>

#include <chrono>

#include "agent/json_writer.hpp"
#include "outputs/common/http_output_config.hpp"

namespace sluice::oci {

std::string uuid_from_hex(std::string_view h) {
  char u[36];
  write_uuid(h, u);
  return std::string(u, sizeof u);
}

void write_uuid(std::string_view h, char* u) {
  size_t o = 0;
  for (size_t i = 0; i < 32; ++i) {
    if (i == 8 || i == 12 || i == 16 || i == 20) u[o++] = '-';
    char c = h[i];
    if (i == 12) c = '8';  // version 8
    if (i == 16) c = "89ab"[(c >= 'a' ? c - 'a' + 10 : c - '0') & 3];  // variant 10xx
    u[o++] = c;
  }
}

Codec::Codec(Settings settings) : JsonArrayCodec({kMaxRequestBytes, 100'000, kMaxEntryBytes}), s_(std::move(settings)) {}

bool Codec::append_item(const EventRef& e, std::string& out, std::string* why) {
  const Value& record = e.event->record;
  data_.clear();
  if (!s_.log_key) {
    json::append_value(data_, record);
  } else {
    const Value* v = s_.log_key->get(record);
    if (v == nullptr) {
      *why = "the record has no " + s_.log_key->text() + " field (log_key)";
      return false;
    }
    if (v->is_string()) data_.assign(v->as_string());
    else json::append_value(data_, *v);
  }
  // The id: stable for the record, so a batch sent again carries the same ids.
  char id[RecordIdHasher::kHexLength];
  hasher_.id(*e.tag, e.event->time_ns, data_, id);
  char uuid[36];
  write_uuid(std::string_view(id, sizeof id), uuid);
  out += "{\"id\":\"";
  out.append(uuid, sizeof uuid);
  out += "\",\"data\":";
  json::append_string(out, data_);
  out += ",\"time\":\"";
  json::append_rfc3339(out, e.event->time_ns);
  out += "\"}";
  return true;
}

http::PlannedRequest Codec::make_request() {
  http::PlannedRequest p = post(s_.target, s_.http);
  prefix_ = "{\"specversion\":\"1.0\",\"logEntryBatches\":[{\"source\":";
  json::append_string(prefix_, s_.source);
  prefix_ += ",\"type\":";
  json::append_string(prefix_, s_.type);
  if (!s_.subject.empty()) {
    prefix_ += ",\"subject\":";
    json::append_string(prefix_, s_.subject);
  }
  prefix_ += ",\"defaultlogentrytime\":\"";
  json::append_rfc3339(prefix_, std::chrono::duration_cast<std::chrono::nanoseconds>(
                                    std::chrono::system_clock::now().time_since_epoch())
                                    .count());
  prefix_ += "\",\"entries\":[";
  return p;
}

http::Answer Codec::read_refusal(http::PlannedRequest& /*sent*/, http::Response& response) {
  // {"code":"NotAuthorizedOrNotFound","message":"…"}
  std::string_view code, message;
  simdjson::dom::parser parser;
  simdjson::dom::element doc;
  if (!parser.parse(response.body).get(doc)) {
    std::string_view v;
    if (!doc["code"].get(v)) code = v;
    if (!doc["message"].get(v)) message = v;
  }
  std::string reason = "OCI Logging answered HTTP " + std::to_string(response.status);
  if (!code.empty()) reason += " " + std::string(code);
  if (!message.empty()) reason += ": " + std::string(message.substr(0, 512));
  if (code.empty() && message.empty()) reason = "OCI Logging answered " + http::describe_answer(response);
  if (response.status == 409) {  // IncorrectState: OCI's SDKs retry it
    http::Answer a = http::Answer::of(Outcome::Retry, reason);
    a.retry_after = response.retry_after;
    return a;
  }
  return sort_refusal(response, std::move(reason), true);
}

}  // namespace sluice::oci
