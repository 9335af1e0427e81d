// The `logdna` codec and its settings; see logdna_codec.hpp (protocols.md 7a).
#include "outputs/logdna/logdna_codec.hpp"

#include <cctype>
#include <chrono>
#include <cstdlib>

#include <simdjson.h>

#include "agent/host_name.hpp"
#include "agent/json_writer.hpp"
#include "outputs/common/percent_encoding.hpp"

namespace sluice::logdna {

namespace {

// HOSTNAME first: in a container it names the pod, as Fluent Bit's logdna reads it.
std::string hostname() {
  if (const char* h = std::getenv("HOSTNAME"); h != nullptr && *h != '\0') return h;
  return host_name();
}

void field(std::string& out, std::string_view name, const Value& v) {
  json::append_string(out, name);
  out += ':';
  json::append_value(out, v);
  out += ',';
}

bool promoted(std::string_view k) { return k == "level" || k == "severity" || k == "meta" || k == "file" || k == "app"; }

}  // namespace

Settings read_settings(const config::ComponentConfig& cfg, const BuildContext& ctx) {
  Settings s;
  std::string url = cfg.get_string("endpoint");
  if (url.empty()) {
    int64_t port = cfg.get_int("logdna_port");
    if (port < 1 || port > 65535) cfg.fail("logdna_port", "expects a port from 1 to 65535");
    url = "https://" + cfg.get_string("logdna_host") + ":" + std::to_string(port) + cfg.get_string("logdna_endpoint");
  }
  auto endpoint = http::parse_endpoint(url);
  if (!endpoint) cfg.fail(cfg.has("endpoint") ? "endpoint" : "logdna_host", "expects a host name, got '" + url + "'");
  s.http = http::read_http_output_settings(cfg, ctx.base_dir, endpoint);
  // Mezmo takes the key either way; basic auth is what Fluent Bit sends.
  if (cfg.get_string("auth_header") == "apikey")
    s.http.headers.push_back({"apikey", cfg.get_string("api_key")});
  else
    s.http.headers.push_back({"Authorization", http::basic_auth(cfg.get_string("api_key"), "")});
  std::string host = cfg.get_string("hostname");
  if (host.empty()) host = hostname();
  std::string tags;
  for (const auto& t : cfg.get_list("tags")) tags += (tags.empty() ? "" : ",") + http::percent_encode(t);
  s.target_prefix = (endpoint->path.empty() ? "/" : endpoint->path) + "?hostname=" + http::percent_encode(host) +
                    "&mac=" + http::percent_encode(cfg.get_string("mac_addr")) + "&ip=" + http::percent_encode(cfg.get_string("ip_addr")) +
                    "&tags=" + tags;
  s.app = cfg.get_string("app");
  s.file = cfg.get_string("file");
  s.exclude_promoted_keys = cfg.get_bool("exclude_promoted_keys");
  return s;
}

// Mezmo's ingest API takes up to 10 MB per request.
Codec::Codec(Settings s) : JsonArrayCodec({10'000'000, 100'000, 10'000'000}), s_(std::move(s)) {}

bool Codec::append_item(const EventRef& e, std::string& out, std::string* /*why*/) {
  const Value& r = e.event->record;
  out += '{';
  const Value* level = r.find("level");
  if (level == nullptr) level = r.find("severity");
  if (level != nullptr) field(out, "level", *level);
  if (const Value* meta = r.find("meta")) field(out, "meta", *meta);
  if (const Value* file = r.find("file")) field(out, "file", *file);
  else if (!s_.file.empty()) field(out, "file", Value::string(s_.file));
  const Value* app = r.find("app");
  field(out, "app", app != nullptr ? *app : Value::string(s_.app));
  // Milliseconds, as Mezmo's API documents them (Fluent Bit sends seconds).
  out += "\"timestamp\":" + std::to_string(e.event->time_ns / 1'000'000) + ",\"line\":";
  line_.clear();
  if (!s_.exclude_promoted_keys) {
    json::append_value(line_, r);
  } else {
    line_ += '{';
    bool first = true;
    for (const Member& m : r.members()) {
      if (promoted(m.key)) continue;
      if (!first) line_ += ',';
      first = false;
      json::append_string(line_, m.key);
      line_ += ':';
      json::append_value(line_, m.value);
    }
    line_ += '}';
  }
  json::append_string(out, line_);
  out += '}';
  return true;
}

http::PlannedRequest Codec::make_request() {
  // `now` lets Mezmo correct this host's clock.
  auto now = std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::system_clock::now().time_since_epoch());
  return post(s_.target_prefix + "&now=" + std::to_string(now.count()), s_.http, "application/json; charset=UTF-8");
}

http::Answer Codec::read_success(http::PlannedRequest& sent, http::Response& response) {
  if (response.status != 207) return http::Answer();
  // Multi-status: {"status":[200, 400, ...]}, one per line in the order
  // sent (what @logdna/logger reads). An answer we can't read is sent again
  // whole: a duplicate is better than a lost line.
  simdjson::dom::parser parser;
  simdjson::dom::array statuses;
  if (parser.parse(response.body).get_object()["status"].get(statuses) || statuses.size() != sent.events.size())
    return http::Answer::of(Outcome::Retry, "Mezmo answered 207 without one status per line: " +
                                                http::describe_answer(response));
  http::Answer a;
  a.per_event.assign(sent.events.size(), RecordOutcome{});
  size_t i = 0;
  for (simdjson::dom::element e : statuses) {
    int64_t status = 0;
    if (e.get(status)) status = 0;  // not a number: unknown, so sent again
    if (status < 200 || status > 299) {
      bool again = status == 0 || status == 408 || status == 429 || status >= 500;
      a.per_event[i] = {again ? Outcome::Retry : Outcome::Permanent,
                        "Mezmo refused the line (status " + std::to_string(status) + ")"};
    }
    ++i;
  }
  return a;
}

http::Answer Codec::read_refusal(http::PlannedRequest& /*sent*/, http::Response& response) {
  // The key is static: a 401 or 403 won't get better by asking again.
  return sort_refusal(response, "Mezmo answered " + http::describe_answer(response), false);
}

}  // namespace sluice::logdna
