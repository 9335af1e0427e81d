// The Google Cloud Logging codec; see google_codec.hpp. Answers as the
// entries.write reference and Google's error model describe them
// (../shared/protocols.md section 5).
#include "outputs/google/google_codec.hpp"

#include <simdjson.h>

#include <charconv>

#include "agent/json_writer.hpp"
#include "agent/log.hpp"
#include "outputs/common/gcp/google_token_fetch.hpp"

namespace sluice::google {

namespace {

// gRPC codes an entry may fail with that are worth sending again.
bool retryable_code(int64_t code) { return code == 4 || code == 8 || code == 10 || code == 13 || code == 14; }

std::string_view code_name(int64_t code) {
  switch (code) {
    case 3: return "INVALID_ARGUMENT";
    case 4: return "DEADLINE_EXCEEDED";
    case 5: return "NOT_FOUND";
    case 7: return "PERMISSION_DENIED";
    case 8: return "RESOURCE_EXHAUSTED";
    case 9: return "FAILED_PRECONDITION";
    case 10: return "ABORTED";
    case 13: return "INTERNAL";
    case 14: return "UNAVAILABLE";
    case 16: return "UNAUTHENTICATED";
    default: return "";
  }
}

}  // namespace

Codec::Codec(Settings settings, std::string project, std::string metadata_server)
    : s_(std::move(settings)),
      project_(std::move(project)),
      metadata_server_(std::move(metadata_server)),
      encoder_(s_),
      target_(s_.path_prefix + "/v2/entries:write") {}

void Codec::ask_metadata_for_project() {
  if (asking_ || metadata_server_.empty() || io_ == nullptr) return;
  auto endpoint = http::parse_endpoint(metadata_server_.find("://") == std::string::npos ? "http://" + metadata_server_
                                                                                        : metadata_server_);
  if (!endpoint) return;
  if (!metadata_) {
    http::ClientSettings c;
    c.host = endpoint->host;
    c.port = endpoint->port;
    c.tls.enabled = endpoint->tls;
    c.connect_timeout = c.request_timeout = std::chrono::seconds(10);
    metadata_ = std::make_unique<http::Client>(*io_, c);  // never through a proxy
  }
  asking_ = true;
  gcp::fetch_metadata_project_id(*metadata_, endpoint->path, metadata_server_,
                                 [this, alive = std::weak_ptr<int>(alive_)](std::string project, std::string error) {
                                   if (alive.expired()) return;
                                   asking_ = false;
                                   if (!project.empty()) {
                                     project_ = std::move(project);
                                     log::info("output {}: writing to Google Cloud project {} (from the metadata "
                                               "server)", instance_, project_);
                                   } else if (uint64_t n = project_log_.hit()) {
                                     log::warn("output {}: no Google Cloud project yet: {} ({} so far)", instance_,
                                               error, n);
                                   }
                                 });
}

void Codec::start(OutputContext& ctx) {
  io_ = &ctx.io();
  instance_ = ctx.instance();
  too_large_ = &ctx.metrics().counter("sluice_output_google_entries_too_large_total", "output", ctx.instance(), false,
                                     "Entries larger than Cloud Logging accepts (dead-lettered).");
  rejected_ = &ctx.metrics().counter("sluice_output_google_entries_rejected_total", "output", ctx.instance(), false,
                                    "Entries Cloud Logging rejected in a partial success (dead-lettered).");
}

void Codec::open_request(std::vector<http::PlannedRequest>& requests, const std::string& project) {
  http::PlannedRequest& p = requests.emplace_back();
  p.request.method = "POST";
  p.request.target = target_;
  p.request.gzip = s_.http.gzip;
  p.request.headers.push_back({"Content-Type", "application/json"});
  for (const auto& h : s_.http.headers) p.request.headers.push_back(h);
  std::string& b = p.request.body;
  b += "{\"resource\":";
  encoder_.append_default_resource(b, project);
  if (!s_.labels.empty()) {
    b += ",\"labels\":{";
    for (size_t i = 0; i < s_.labels.size(); ++i) {
      if (i) b += ',';
      json::append_string(b, s_.labels[i].first);
      b += ':';
      json::append_string(b, s_.labels[i].second);
    }
    b += '}';
  }
  // Valid entries are written even when others in the request are refused.
  b += ",\"partialSuccess\":true,\"entries\":[";
}

void Codec::plan(std::span<const EventRef> events, std::vector<http::PlannedRequest>& requests,
                 std::vector<RecordOutcome>& outcomes) {
  const std::string project = project_;
  if (project.empty()) {
    ask_metadata_for_project();
    for (auto& o : outcomes)
      o = {Outcome::Retry, "the Google Cloud project is not known yet (set export_to_project_id, or wait for the "
                           "metadata server to name it)"};
    return;
  }
  const size_t first = requests.size();
  for (uint32_t i = 0; i < events.size(); ++i) {
    entry_.clear();
    encoder_.encode(*events[i].tag, *events[i].event, project, entry_);
    if (entry_.size() > kMaxEntryBytes) {
      too_large_->add();
      outcomes[i] = {Outcome::Permanent, "the log entry is " + std::to_string(entry_.size()) +
                                             " bytes, above Cloud Logging's 256 KiB per entry"};
      continue;
    }
    if (requests.size() == first || requests.back().events.size() >= kMaxEntriesPerRequest ||
        requests.back().request.body.size() + entry_.size() + 2 > kMaxRequestBytes)
      open_request(requests, project);
    http::PlannedRequest& p = requests.back();
    if (!p.events.empty()) p.request.body += ',';
    p.request.body += entry_;
    p.events.push_back(i);
  }
  for (size_t r = first; r < requests.size(); ++r) requests[r].request.body += "]}";
}

http::Answer Codec::read(http::PlannedRequest& sent, http::Response& response, std::span<const EventRef>) {
  int status = response.status;
  if (status >= 200 && status <= 299) return http::Answer();
  if (status == 0) return http::Answer::of(Outcome::Retry, response.error);
  simdjson::dom::parser parser;
  simdjson::dom::element error;
  std::string_view status_name, message;
  simdjson::dom::object partial;
  bool has_partial = false;
  if (!parser.parse(response.body).get(error) && !error["error"].get(error)) {
    std::string_view v;
    if (!error["status"].get(v)) status_name = v;
    if (!error["message"].get(v)) message = v;
    simdjson::dom::array details;
    if (!error["details"].get(details)) {
      for (auto d : details) {
        std::string_view type;
        if (d["@type"].get(type) || type.find("WriteLogEntriesPartialErrors") == std::string_view::npos) continue;
        has_partial = !d["logEntryErrors"].get(partial);
      }
    }
  }
  std::string reason = "Cloud Logging answered HTTP " + std::to_string(status);
  if (!status_name.empty()) reason += " " + std::string(status_name);
  if (!message.empty()) reason += ": " + std::string(message.substr(0, 512));
  http::Answer a;
  if (status == 401) {
    // The token expired or was revoked: fetch another, send again.
    a = http::Answer::of(Outcome::Retry, reason);
    a.reauthenticate = true;
    return a;
  }
  if (status == 408 || status == 429 || status >= 500) {
    a = http::Answer::of(Outcome::Retry, reason);
    a.retry_after = response.retry_after;
    return a;
  }
  if (!has_partial) return http::Answer::of(Outcome::Permanent, reason);
  // partialSuccess: the entries listed failed (keys are 0-based indexes into
  // the request's entries), every other entry was written.
  a.per_event.assign(sent.events.size(), RecordOutcome{});
  for (auto [key, value] : partial) {
    size_t index = 0;
    auto r = std::from_chars(key.data(), key.data() + key.size(), index);
    if (r.ec != std::errc() || index >= a.per_event.size()) continue;
    int64_t code = 0;
    std::string_view entry_message;
    if (value["code"].get(code)) code = 0;  // absent: no code to name
    if (value["message"].get(entry_message)) entry_message = "";
    std::string why = "Cloud Logging refused the entry (code " + std::to_string(code);
    if (auto name = code_name(code); !name.empty()) why += " " + std::string(name);
    why += "): " + std::string(entry_message.substr(0, 512));
    bool again = retryable_code(code);
    if (!again) rejected_->add();
    a.per_event[index] = {again ? Outcome::Retry : Outcome::Permanent, std::move(why)};
  }
  return a;
}

}  // namespace sluice::google
