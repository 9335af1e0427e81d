// JSON-array request batching for cloud outputs; see json_array_codec.hpp.
#include "outputs/common/json_array_codec.hpp"

#include <algorithm>

#include "outputs/common/http_output_config.hpp"

namespace sluice::http {

void JsonArrayCodec::encode(std::span<const EventRef> events, std::span<const uint32_t> which,
                            std::vector<PlannedRequest>& out, std::vector<std::pair<uint32_t, std::string>>& refused) {
  const size_t wrap = body_prefix().size() + body_suffix().size();
  const size_t first = out.size();
  std::string why;
  for (uint32_t i : which) {
    item_.clear();
    if (!append_item(events[i], item_, &why)) {
      refused.emplace_back(i, why);
      continue;
    }
    if (item_.size() > limits_.max_item_bytes || item_.size() + wrap > limits_.max_request_bytes) {
      refused.emplace_back(i, "the record is " + std::to_string(item_.size()) + " bytes as sent, above " +
                                  std::string(backend_name()) + "'s " +
                                  std::to_string(std::min(limits_.max_item_bytes, limits_.max_request_bytes - wrap)) +
                                  " bytes per record");
      continue;
    }
    bool full = out.size() == first || out.back().events.size() >= limits_.max_items ||
                out.back().request.body.size() + item_separator().size() + item_.size() + body_suffix().size() >
                               limits_.max_request_bytes;
    if (full) {
      if (out.size() > first) close_body(out.back().request.body);
      out.push_back(make_request());
      // Sized up front like the last body: growing a few MB by doubling
      // costs more in copies and page faults than writing it.
      out.back().request.body.reserve(std::min(limits_.max_request_bytes + 64, std::max(last_body_size_, item_.size()) + 1024));
      out.back().request.body += body_prefix();
    }
    PlannedRequest& p = out.back();
    if (!p.events.empty()) p.request.body += item_separator();
    p.request.body += item_;
    p.events.push_back(i);
  }
  if (out.size() > first) close_body(out.back().request.body);
}

void JsonArrayCodec::close_body(std::string& body) {
  body += body_suffix();
  last_body_size_ = body.size();
}

void JsonArrayCodec::plan(std::span<const EventRef> events, std::vector<PlannedRequest>& requests,
                          std::vector<RecordOutcome>& outcomes) {
  std::vector<uint32_t> all(events.size());
  for (uint32_t i = 0; i < all.size(); ++i) all[i] = i;
  std::vector<std::pair<uint32_t, std::string>> refused;
  encode(events, all, requests, refused);
  for (auto& [i, why] : refused) outcomes[i] = {Outcome::Permanent, std::move(why)};
}

Answer JsonArrayCodec::read(PlannedRequest& sent, Response& response, std::span<const EventRef> events) {
  if (response.status >= 200 && response.status <= 299) return read_success(sent, response);
  if (response.status != 413) return read_refusal(sent, response);
  // Too large for this backend after all (a lower limit than documented, a
  // proxy's): send the records again in two halves; a single one is refused.
  if (sent.events.size() < 2)
    return Answer::of(Outcome::Permanent, describe_answer(response) + ": the record alone is larger than " +
                                              std::string(backend_name()) + " accepts");
  size_t half = sent.events.size() / 2;
  std::span<const uint32_t> all(sent.events);
  std::vector<std::pair<uint32_t, std::string>> refused;
  Answer a = Answer::of(Outcome::Retry, describe_answer(response));
  encode(events, all.subspan(0, half), a.then, refused);
  encode(events, all.subspan(half), a.then, refused);
  if (!refused.empty()) {  // the same records as before: nothing new can be refused here
    a.per_event.assign(sent.events.size(), RecordOutcome{});
    for (auto& [i, why] : refused)
      for (size_t k = 0; k < sent.events.size(); ++k)
        if (sent.events[k] == i) a.per_event[k] = {Outcome::Permanent, why};
  }
  return a;
}

PlannedRequest JsonArrayCodec::post(std::string target, const HttpOutputSettings& http, std::string content_type) {
  PlannedRequest p;
  p.request.method = "POST";
  p.request.target = std::move(target);
  p.request.gzip = http.gzip;
  p.request.headers.reserve(http.headers.size() + 1);
  p.request.headers.push_back({"Content-Type", std::move(content_type)});
  for (const auto& h : http.headers) p.request.headers.push_back(h);
  return p;
}

Answer JsonArrayCodec::sort_refusal(const Response& response, std::string reason, bool signed_requests) {
  int status = response.status;
  Answer a;
  if (status == 0) {
    a = Answer::of(Outcome::Retry, response.error);
  } else if (status == 401 && signed_requests) {  // expired or revoked: new credentials, then again
    a = Answer::of(Outcome::Retry, std::move(reason));
    a.reauthenticate = true;
  } else if (status == 408 || status == 429 || status >= 500) {
    a = Answer::of(Outcome::Retry, std::move(reason));
    a.retry_after = response.retry_after;
  } else {
    a = Answer::of(Outcome::Permanent, std::move(reason));
  }
  return a;
}

Answer JsonArrayCodec::read_refusal(PlannedRequest& /*sent*/, Response& response) {
  FlushResult r = classify_response(response);
  Answer a = Answer::of(r.outcome, std::string(backend_name()) + ": " + r.reason);
  a.retry_after = r.retry_after;
  return a;
}

}  // namespace sluice::http
