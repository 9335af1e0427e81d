// The `http` output; see http_output.hpp.
#include "outputs/http/http_output.hpp"

#include <cctype>

#include "outputs/common/http_client.hpp"
#include "outputs/common/http_output_config.hpp"

namespace sluice {

namespace {

struct HttpOutputConfig {
  http::HttpOutputSettings http;
  std::string method;
  std::string uri;
  HttpFormat format = HttpFormat::Json;
  json_lines::Options json;
  std::string header_tag;  // header carrying the records' tag; "" = none
};

bool is_content_type(std::string_view name) {
  constexpr std::string_view kName = "content-type";
  if (name.size() != kName.size()) return false;
  for (size_t i = 0; i < name.size(); ++i)
    if (std::tolower(static_cast<unsigned char>(name[i])) != kName[i]) return false;
  return true;
}

// One request per run of batch parts with the same tag (Fluent Bit's
// header_tag), or the whole batch in one request.
std::vector<Batch> split_by_tag(const Batch& batch, bool by_tag) {
  std::vector<Batch> out;
  for (const auto& part : batch.parts) {
    if (out.empty() || (by_tag && out.back().parts.back().chunk->tag != part.chunk->tag)) out.emplace_back();
    out.back().parts.push_back(part);
  }
  return out;
}

// Collects the answers of the requests of one flush and reports once, when
// the last has come back. Runs on the output's worker thread.
struct FlushJoin {
  std::vector<FlushResult> results;
  std::vector<size_t> sizes;
  size_t pending = 0;
  FlushDone done;

  void finish() {
    bool same = true;
    for (const auto& r : results) same = same && r.outcome == results.front().outcome;
    if (same) {
      // One outcome for all: report it once, with the first reason and the longest Retry-After.
      FlushResult r = std::move(results.front());
      for (size_t i = 1; i < results.size(); ++i) {
        const auto& later = results[i].retry_after;
        if (later && (!r.retry_after || *later > *r.retry_after)) r.retry_after = later;
      }
      done(std::move(r));
      return;
    }
    FlushResult r;
    r.outcome = Outcome::Retry;
    for (size_t i = 0; i < results.size(); ++i) {
      if (results[i].outcome == Outcome::Retry && results[i].retry_after) r.retry_after = results[i].retry_after;
      for (size_t n = 0; n < sizes[i]; ++n) r.per_record.push_back({results[i].outcome, results[i].reason});
    }
    done(std::move(r));
  }
};

// Runs on its output worker thread: encodes each flush there and sends it on
// a Client made in start(); up to `workers` requests are in flight.
class HttpOutput final : public Output {
 public:
  explicit HttpOutput(HttpOutputConfig config) : config_(std::move(config)) {
    for (const auto& h : config_.http.headers) user_content_type_ = user_content_type_ || is_content_type(h.name);
  }

  void start(OutputContext& ctx) override {
    client_ = std::make_unique<http::Client>(ctx.io(), config_.http.client);
  }

  void flush(const Batch& batch, FlushDone done) override {
    std::vector<Batch> requests = split_by_tag(batch, !config_.header_tag.empty());
    if (requests.empty()) {
      done(FlushResult::delivered());
      return;
    }
    if (requests.size() == 1) {
      client_->send(make_request(requests.front()),
                    [done = std::move(done)](http::Response r) { done(http::classify_response(r)); });
      return;
    }
    auto join = std::make_shared<FlushJoin>();
    join->results.resize(requests.size());
    join->pending = requests.size();
    join->done = std::move(done);
    for (size_t i = 0; i < requests.size(); ++i) {
      join->sizes.push_back(requests[i].size());
      client_->send(make_request(requests[i]), [join, i](http::Response r) {
        join->results[i] = http::classify_response(r);
        if (--join->pending == 0) join->finish();
      });
    }
  }

  void stop() override {
    if (client_) client_->close();
  }

 private:
  http::Request make_request(const Batch& batch) const {
    http::Request req;
    req.method = config_.method;
    req.target = config_.uri;
    req.gzip = config_.http.gzip;
    req.headers.reserve(config_.http.headers.size() + 2);
    if (!user_content_type_) req.headers.push_back({"Content-Type", std::string(http_content_type(config_.format))});
    if (!config_.header_tag.empty() && !batch.parts.empty()) {
      req.headers.push_back({config_.header_tag, batch.parts.front().chunk->tag});
    }
    for (const auto& h : config_.http.headers) req.headers.push_back(h);
    encode_http_body(req.body, batch, config_.format, config_.json);
    return req;
  }

  HttpOutputConfig config_;
  bool user_content_type_ = false;  // a `header` replaces the format's Content-Type
  std::unique_ptr<http::Client> client_;
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
  return std::nullopt;
}

std::string_view http_content_type(HttpFormat format) {
  return format == HttpFormat::JsonLines ? "application/x-ndjson" : "application/json";
}

void encode_http_body(std::string& out, const Batch& batch, HttpFormat format, const json_lines::Options& options) {
  switch (format) {
    case HttpFormat::Json: json_lines::encode_array(out, batch, options); break;
    case HttpFormat::JsonLines: json_lines::encode(out, batch, options); break;
    case HttpFormat::JsonStream:
      batch.for_each([&](const std::string& /*tag*/, const Event& e) { json_lines::append_object(out, e, options); });
      break;
  }
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
             "(objects one after the other).",
             false, false, {"json", "json_lines", "ndjson", "json_stream"}},
            json_lines::date_key_decl(),
            json_lines::date_format_decl(),
            {"header_tag", KeyType::String, "",
             "Header that carries the records' tag (one request per tag then)."},
        }};
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
  return std::make_unique<HttpOutput>(std::move(c));
}

}  // namespace sluice
