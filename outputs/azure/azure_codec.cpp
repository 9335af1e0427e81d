// The `azure_logs_ingestion` codec; see azure_codec.hpp. Answers as the Logs
// Ingestion API reference and its service limits describe them
// (../shared/protocols.md section 6).
#include "outputs/azure/azure_codec.hpp"

#include <simdjson.h>

#include "agent/json_writer.hpp"
#include "outputs/common/http_output_config.hpp"

namespace sluice::azure {

Codec::Codec(Settings settings)
    : JsonArrayCodec({kMaxCallBytes, 1'000'000, kMaxCallBytes}), s_(std::move(settings)) {}

bool Codec::append_item(const EventRef& e, std::string& out, std::string* /*why*/) {
  const Value& record = e.event->record;
  if (!s_.time_generated || record.find(s_.time_key) != nullptr) {
    json::append_value(out, record);
    return true;
  }
  // The record's own time first, then its fields.
  out += '{';
  json::append_string(out, s_.time_key);
  out += ":\"";
  json::append_rfc3339(out, e.event->time_ns);
  out += '"';
  for (const Member& m : record.members()) {
    out += ',';
    json::append_string(out, m.key);
    out += ':';
    json::append_value(out, m.value);
  }
  out += '}';
  return true;
}

http::PlannedRequest Codec::make_request() { return post(s_.target, s_.http); }

http::Answer Codec::read_refusal(http::PlannedRequest& /*sent*/, http::Response& response) {
  // {"error":{"code":"InvalidStream","message":"…"}}
  std::string_view code, message;
  simdjson::dom::parser parser;
  simdjson::dom::element error;
  if (!parser.parse(response.body).get(error) && !error["error"].get(error)) {
    std::string_view v;
    if (!error["code"].get(v)) code = v;
    if (!error["message"].get(v)) message = v;
  }
  std::string reason = "Azure Monitor answered HTTP " + std::to_string(response.status);
  if (!code.empty()) reason += " " + std::string(code);
  if (!message.empty()) reason += ": " + std::string(message.substr(0, 512));
  if (code.empty() && message.empty()) reason = "Azure Monitor answered " + http::describe_answer(response);
  return sort_refusal(response, std::move(reason), true);
}

}  // namespace sluice::azure
