// The `http` output; see http_output.hpp.
#include "outputs/http/http_output.hpp"

#include <cctype>
#include <optional>

#include "agent/config/accessor_key.hpp"
#include "agent/config/compat_keys.hpp"
#include "outputs/common/http_output_config.hpp"
#include "outputs/common/http_sink.hpp"
#include "outputs/gelf/gelf_encoder.hpp"
#include "outputs/gelf/gelf_settings.hpp"

namespace sluice {

namespace {

struct HttpOutputConfig {
  http::HttpOutputSettings http;
  std::string method;
  std::string uri;
  HttpFormat format = HttpFormat::Json;
  json_lines::Options json;
  std::string header_tag;  // header carrying the records' tag; "" = none
  gelf::FieldKeys gelf;     // format gelf
  // Fluent Bit's body_key / headers_key: each record is its own request,
  // its body the string at body_key, its headers the map at headers_key.
  std::optional<RecordAccessor> body_key, headers_key;
};

bool is_content_type(std::string_view name) {
  constexpr std::string_view kName = "content-type";
  if (name.size() != kName.size()) return false;
  for (size_t i = 0; i < name.size(); ++i)
    if (std::tolower(static_cast<unsigned char>(name[i])) != kName[i]) return false;
  return true;
}

// One request per flush, or per run of records with the same tag (Fluent
// Bit's header_tag). Runs on the output's worker thread.
class HttpCodec final : public http::Codec {
 public:
  explicit HttpCodec(HttpOutputConfig config) : config_(std::move(config)), gelf_(config_.gelf) {
    for (const auto& h : config_.http.headers) user_content_type_ = user_content_type_ || is_content_type(h.name);
  }

  void plan(std::span<const EventRef> events, std::vector<http::PlannedRequest>& requests,
            std::vector<RecordOutcome>& outcomes) override {
    for (uint32_t i = 0; i < events.size(); ++i) {
      if (requests.empty() || (!config_.header_tag.empty() && *events[requests.back().events.back()].tag != *events[i].tag))
        requests.push_back(new_request(*events[i].tag));
      requests.back().events.push_back(i);
    }
    if (config_.body_key) return plan_relayed(events, requests, outcomes);
    if (config_.format == HttpFormat::Gelf) return encode_gelf(requests, events, outcomes);
    for (auto& r : requests) encode(r, events);
  }

 private:
  http::PlannedRequest new_request(const std::string& tag) const {
    http::PlannedRequest p;
    http::Request& req = p.request;
    req.method = config_.method;
    req.target = config_.uri;
    req.gzip = config_.http.gzip;
    req.headers.reserve(config_.http.headers.size() + 2);
    if (!user_content_type_) req.headers.push_back({"Content-Type", std::string(http_content_type(config_.format))});
    if (!config_.header_tag.empty()) req.headers.push_back({config_.header_tag, tag});
    for (const auto& h : config_.http.headers) req.headers.push_back(h);
    return p;
  }

  void encode(http::PlannedRequest& p, std::span<const EventRef> events) const {
    scratch_.clear();
    for (uint32_t i : p.events) scratch_.push_back(events[i].event);
    encode_http_body(p.request.body, scratch_, config_.format, config_.json);
  }

  // A record GELF can't carry (no short_message, message or log) is
  // dead-lettered with the reason; Fluent Bit fails the whole request.
  void encode_gelf(std::vector<http::PlannedRequest>& requests, std::span<const EventRef> events,
                   std::vector<RecordOutcome>& outcomes) {
    for (auto& r : requests) {
      std::vector<uint32_t> carried;
      for (uint32_t i : r.events) {
        if (!gelf_.encode(*events[i].tag, *events[i].event, r.request.body)) {
          outcomes[i] = {Outcome::Permanent, gelf_.no_short_message_reason()};
          continue;
        }
        r.request.body += '\n';
        carried.push_back(i);
      }
      r.events = std::move(carried);
    }
    std::erase_if(requests, [](const http::PlannedRequest& r) { return r.events.empty(); });
  }

  // body_key / headers_key: one request per record, sent as the record
  // says. A record without a string body or a map of headers is
  // dead-lettered with the reason (Fluent Bit drops it with a warning).
  void plan_relayed(std::span<const EventRef> events, std::vector<http::PlannedRequest>& requests,
                    std::vector<RecordOutcome>& outcomes) {
    requests.clear();
    for (uint32_t i = 0; i < events.size(); ++i) {
      const Value& record = events[i].event->record;
      const Value* body = config_.body_key->get(record);
      const Value* headers = config_.headers_key->get(record);
      if (body == nullptr || !body->is_string() || headers == nullptr || !headers->is_map()) {
        outcomes[i] = {Outcome::Permanent, "the record has no string at " + config_.body_key->text() +
                                               " or no map at " + config_.headers_key->text() +
                                               " (body_key, headers_key)"};
        continue;
      }
      http::PlannedRequest p = new_request(*events[i].tag);
      for (const Member& h : headers->members()) {
        if (!h.value.is_string()) continue;  // as Fluent Bit: string values only
        if (is_content_type(h.key))
          std::erase_if(p.request.headers, [](const http::Header& x) { return is_content_type(x.name); });
        p.request.headers.push_back({std::string(h.key.view()), std::string(h.value.as_string())});
      }
      p.request.body = std::string(body->as_string());
      p.events.push_back(i);
      requests.push_back(std::move(p));
    }
  }

  HttpOutputConfig config_;
  gelf::Encoder gelf_;
  bool user_content_type_ = false;  // a `header` replaces the format's Content-Type
  mutable std::vector<const Event*> scratch_;
};

std::string upper(std::string s) {
  for (char& c : s) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  return s;
}

}  // namespace

std::optional<HttpFormat> parse_http_format(std::string_view name) {
  std::string n;
  for (char c : name) n.push_back(static_cast<char>(std::tolower(static_cast<unsigned char>(c))));
  if (n == "json") return HttpFormat::Json;
  if (n == "json_lines" || n == "ndjson") return HttpFormat::JsonLines;
  if (n == "json_stream") return HttpFormat::JsonStream;
  if (n == "gelf") return HttpFormat::Gelf;
  return std::nullopt;
}

std::string_view http_content_type(HttpFormat format) {
  return format == HttpFormat::JsonLines ? "application/x-ndjson" : "application/json";
}

void encode_http_body(std::string& out, std::span<const Event* const> events, HttpFormat format,
                      const json_lines::Options& options) {
  if (format == HttpFormat::Json) out += '[';
  for (size_t i = 0; i < events.size(); ++i) {
    if (format == HttpFormat::Json && i > 0) out += ',';
    json_lines::append_object(out, *events[i], options);
    if (format == HttpFormat::JsonLines) out += '\n';
  }
  if (format == HttpFormat::Json) out += ']';
}

const config::PluginSchema& http_output_schema() {
  using config::KeyType;
  static const config::PluginSchema schema = [] {
    config::PluginSchema s{
        "http",
        "Sends records to any HTTP endpoint: one request per batch, as a JSON array, JSON lines or concatenated "
        "JSON, optionally gzipped, over HTTP or HTTPS with keep-alive connections.",
        {
            {"uri", KeyType::String, "/", "Path (and query) of the requests."},
            {"http_method", KeyType::String, "POST", "POST or PUT.", false, false, {"post", "put"}},
            {"format", KeyType::String, "json",
             "json (one JSON array per request), json_lines or ndjson (one object per line), json_stream "
             "(objects one after the other), or gelf (one GELF 1.1 object per line, the gelf_*_key keys as in "
             "the gelf output; a record without a message is dead-lettered).",
             false, false, {"json", "json_lines", "ndjson", "json_stream", "gelf"}},
            json_lines::date_key_decl(),
            json_lines::date_format_decl(),
            config::compat_note("log_response_payload", KeyType::Bool,
                                "the answer to a request that fails is logged (the start of its body), nothing of "
                                "one that succeeds."),
            {"body_key", KeyType::String, "",
             "A record accessor ($body): each record is sent as its own request, this string as the body (with "
             "headers_key). A record without it is dead-lettered."},
            {"headers_key", KeyType::String, "",
             "A record accessor ($headers) to a map whose string values are that request's headers (with "
             "body_key)."},
            {"header_tag", KeyType::String, "",
             "Header that carries the records' tag (one request per tag then)."},
        }};
    for (auto& k : gelf::field_key_decls()) s.keys.push_back(std::move(k));  // format gelf
    for (auto& k : http::http_output_keys("80")) s.keys.push_back(std::move(k));
    return s;
  }();
  return schema;
}

std::unique_ptr<Output> make_http_output(const config::ComponentConfig& cfg, const BuildContext& ctx) {
  HttpOutputConfig c;
  c.http = http::read_http_output_settings(cfg, ctx.base_dir);
  c.method = upper(cfg.get_string("http_method"));
  c.uri = cfg.get_string("uri");
  if (c.uri.empty() || c.uri.front() != '/' || c.uri.find_first_of(" \r\n") != std::string::npos) {
    cfg.fail("uri", "expects a path starting with '/' (spaces percent-encoded), got \"" + c.uri + "\"");
  }
  c.format = parse_http_format(cfg.get_string("format")).value_or(HttpFormat::Json);
  c.json = json_lines::options_from(cfg);
  c.header_tag = cfg.get_string("header_tag");
  c.gelf = gelf::read_field_keys(cfg);
  std::string body_key = cfg.get_string("body_key"), headers_key = cfg.get_string("headers_key");
  if (body_key.empty() != headers_key.empty())
    cfg.fail(body_key.empty() ? "headers_key" : "body_key", "body_key and headers_key go together (as in Fluent Bit)");
  if (!body_key.empty()) {
    c.body_key = config::accessor_at(cfg, "body_key", body_key);
    c.headers_key = config::accessor_at(cfg, "headers_key", headers_key);
  }
  http::ClientSettings client = c.http.client;
  return std::make_unique<http::HttpSink>(std::move(client), std::make_unique<HttpCodec>(std::move(c)));
}

}  // namespace sluice
