// The `http` input: what a request means (method, auth, content type, tag,
// backpressure, all-or-nothing decoding into one chunk); see http_input.hpp.
#include "inputs/http/http_input.hpp"

#include <algorithm>
#include <cctype>
#include <chrono>
#include <cstdio>
#include <ctime>
#include <optional>

#include "agent/log.hpp"
#include "agent/record.hpp"
#include "agent/wall_clock.hpp"
#include "inputs/http/http_auth.hpp"
#include "inputs/http/http_body_decoder.hpp"
#include "inputs/http/http_input_settings.hpp"
#include "inputs/http/http_refusals.hpp"
#include "inputs/http/http_server.hpp"

namespace sluice {

namespace {

// A decompression buffer larger than this is released after its request.
constexpr size_t kKeepInflateBuffer = 1024 * 1024;

// The client a request is from: the first address of X-Forwarded-For (the
// original client, as a proxy in front reports it; what Fluent Bit reads),
// else the connection's peer address without its port.
std::string_view client_address(const RequestHead& head) {
  std::string_view xff = head.forwarded_for.substr(0, head.forwarded_for.find(','));
  while (!xff.empty() && (xff.front() == ' ' || xff.front() == '\t')) xff.remove_prefix(1);
  while (!xff.empty() && (xff.back() == ' ' || xff.back() == '\t')) xff.remove_suffix(1);
  if (!xff.empty()) return xff;
  std::string_view peer = head.remote.substr(0, head.remote.rfind(':'));
  return peer.empty() ? head.remote : peer;
}

// {"status":"ok","timestamp":"2026-11-21T10:20:30.123456789Z"}: the answer to
// GET /health (Fluent Bit's fields, without its motto).
std::string health_body() {
  auto now = std::chrono::system_clock::now().time_since_epoch();
  auto secs = std::chrono::duration_cast<std::chrono::seconds>(now);
  std::time_t t = static_cast<std::time_t>(secs.count());
  std::tm utc{};
  gmtime_r(&t, &utc);
  char stamp[64];
  std::snprintf(stamp, sizeof stamp, "%04d-%02d-%02dT%02d:%02d:%02d.%09lldZ", utc.tm_year + 1900, utc.tm_mon + 1,
                utc.tm_mday, utc.tm_hour, utc.tm_min, utc.tm_sec,
                static_cast<long long>(std::chrono::duration_cast<std::chrono::nanoseconds>(now - secs).count()));
  return std::string("{\"status\":\"ok\",\"timestamp\":\"") + stamp + "\"}\n";
}

// Counters of this input, made once at start.
struct HttpInputMetrics {
  Counter* accepted = nullptr;  // requests whose records entered the pipeline
  Counter* refused = nullptr;   // answered 4xx
  Counter* busy = nullptr;      // answered 503 (backpressure)
  Counter* bytes = nullptr;     // request body bytes, as received
};

// Runs on the main io_context: the server calls check() and handle() there,
// and emit() hands each accepted request's chunk(s) to the pipeline at once.
class HttpInput final : public Input, public RequestHandler {
 public:
  HttpInput(HttpInputSettings s, config::ComponentConfig cfg) : s_(std::move(s)), cfg_(std::move(cfg)) {}

  void start(InputContext& ctx) override {
    ctx_ = &ctx;
    auto& m = ctx.metrics();
    metrics_.accepted = &m.counter("sluice_input_http_requests_total", "input", ctx.instance(), false,
                                    "Requests whose records were accepted.");
    metrics_.refused = &m.counter("sluice_input_http_refused_total", "input", ctx.instance(), false,
                                   "Requests refused (malformed, unauthorized, too large, wrong type).");
    metrics_.busy = &m.counter("sluice_input_http_busy_total", "input", ctx.instance(), false,
                                "Requests answered 503 + Retry-After while the pipeline was paused.");
    metrics_.bytes =
        &m.counter("sluice_input_bytes_read_total", "input", ctx.instance(), false, "Bytes the input read.");
    try {
      server_.emplace(ctx.io(), server_settings(), *this);
      server_->start();
    } catch (const HttpServerError& e) {
      cfg_.fail(e.key, e.what());
    }
    log::info("input {}: listening on {}:{} ({})", ctx.instance(), s_.listen, server_->port(),
              s_.tls ? "HTTPS" : "HTTP");
  }

  void stop() override {
    if (server_) server_->stop();
  }

  HttpServerSettings server_settings() const { return http_server_settings(s_); }

  // The server calls these from its own handlers: in the input's log_level.
  std::optional<HttpAnswer> check(const RequestHead& head) override {
    log::Scope scope(ctx_->log_level());
    std::string_view path = head.target.substr(0, head.target.find('?'));
    if (head.method == "GET" && path == "/health" && s_.health_endpoint) {
      HttpAnswer a;
      a.body = health_body();
      a.headers = s_.success_headers;
      return a;
    }
    if (head.method != "POST") {
      auto a = refuse(head, 405, "method " + std::string(head.method) + " not allowed: send records with POST");
      a.headers.emplace_back("Allow", "POST");
      return a;
    }
    if (!authorized(head.authorization)) {
      // Never the credentials themselves: whether there were any is enough.
      auto a = refuse(head, 401, head.authorization.empty() ? "authentication required" : "wrong credentials");
      if (!s_.basic_credentials.empty()) a.headers.emplace_back("WWW-Authenticate", "Basic realm=\"sluice\"");
      if (!s_.bearer_credentials.empty()) a.headers.emplace_back("WWW-Authenticate", "Bearer realm=\"sluice\"");
      return a;
    }
    if (!body_format(head.content_type)) {
      return refuse(head, 415,
                    "unsupported Content-Type '" + std::string(head.content_type) +
                        "': send application/json, application/x-ndjson or application/x-www-form-urlencoded");
    }
    if (!body_encoding(head.content_encoding)) {
      return refuse(head, 415,
                    "unsupported Content-Encoding '" + std::string(head.content_encoding) +
                        "': send gzip, deflate, zstd or identity");
    }
    if (ctx_->paused()) return busy();
    return std::nullopt;
  }

  HttpAnswer handle(const RequestHead& head, std::string& body) override {
    log::Scope scope(ctx_->log_level());
    metrics_.bytes->add(body.size());
    // Checked again: the pipeline may have filled while the body arrived.
    if (ctx_->paused()) return busy();
    std::string_view text = body;
    if (auto encoding = *body_encoding(head.content_encoding); encoding != BodyEncoding::Identity) {
      auto error = BodyDecoder::inflate(encoding, body, s_.max_body_size, inflated_);
      if (error) return refuse(head, *error);
      text = inflated_;
    }
    std::string tag = s_.tag.empty() ? http_tag_from_target(head.target, s_.default_tag) : s_.tag;
    // Parsed records take about 1.5 times their JSON text (members, copied
    // strings); after this first block the arena grows in blocks of at most
    // Arena::kMaxBlock, which the block pool recycles. Unused room left over is
    // compacted away before the chunk is queued.
    auto chunk = std::make_unique<Chunk>(std::move(tag), std::clamp<size_t>(2 * text.size(), 4096, 256 * 1024));
    auto error = decoder_.decode(*body_format(head.content_type), text, wall_now_ns(), *chunk);
    if (inflated_.capacity() > kKeepInflateBuffer) inflated_ = std::string();
    if (error) return refuse(head, *error);
    if (!s_.remote_addr_key.empty()) {
      Value address = record::string(chunk->arena, client_address(head));
      for (Event& e : chunk->events) record::add(e.record, chunk->arena, s_.remote_addr_key, address);
    }
    // With storage.type filesystem, 2xx only once the records are on disk.
    if (!offer(std::move(chunk))) return busy("the input's buffer can't take records now (see its health): retry later");
    metrics_.accepted->add();
    HttpAnswer ok;
    ok.status = s_.success_code;
    ok.headers = s_.success_headers;
    return ok;
  }

  void refused(std::string_view remote, int status, std::string_view reason) override {
    log::Scope scope(ctx_->log_level());
    metrics_.refused->add();
    if (auto line = refusal_log_.refused(ctx_->instance(), remote, status, reason)) log::warn("{}", *line);
  }

 private:
  bool authorized(std::string_view authorization) const { return http_authorized(s_, authorization); }

  // A request that can't be taken: counted, logged (rate-limited, with the
  // client's address), answered with the reason.
  HttpAnswer refuse(const RequestHead& head, int status, const std::string& reason) {
    refused(head.remote, status, reason);
    return json_error(status, reason);
  }

  HttpAnswer refuse(const RequestHead& head, const BodyError& error) {
    return refuse(head, error.kind == BodyError::Kind::TooLarge ? 413 : 400, error.message);
  }

  HttpAnswer busy(std::string_view why = "the pipeline is full: retry later") {
    metrics_.busy->add();
    auto a = json_error(503, why);
    a.headers.emplace_back("Retry-After", "1");
    return a;
  }

  // With tag_key, records naming another tag move to a chunk of their own;
  // every chunk of the request goes to the pipeline in this one call. False
  // when one was refused (storage): the client is told to retry the request,
  // and chunks taken before it may then arrive twice (at least once).
  bool offer(ChunkPtr chunk) {
    if (s_.tag_key.empty()) return ctx_->offer(chunk);
    std::vector<ChunkPtr> others;
    size_t kept = 0;
    for (Event& e : chunk->events) {
      const Value* v = e.record.find(s_.tag_key);
      if (v == nullptr || !v->is_string() || v->as_string().empty() || v->as_string() == chunk->tag) {
        chunk->events[kept++] = e;
        continue;
      }
      std::string_view tag = v->as_string();
      auto it = std::find_if(others.begin(), others.end(), [&](const ChunkPtr& c) { return c->tag == tag; });
      if (it == others.end()) it = others.insert(others.end(), std::make_unique<Chunk>(std::string(tag), 4096));
      (*it)->events.push_back({e.time_ns, record::deep_copy(e.record, (*it)->arena)});
    }
    chunk->events.resize(kept);
    if (!ctx_->offer(chunk)) return false;
    for (auto& c : others)
      if (!ctx_->offer(c)) return false;
    return true;
  }

  HttpInputSettings s_;
  config::ComponentConfig cfg_;  // for errors at start (a port in use) at the key's line
  InputContext* ctx_ = nullptr;
  HttpInputMetrics metrics_;
  std::optional<HttpServer> server_;
  BodyDecoder decoder_;
  std::string inflated_;
  RefusalLog refusal_log_;
};

}  // namespace

std::string http_tag_from_target(std::string_view target, const std::string& default_tag) {
  std::string_view path = target.substr(0, target.find('?'));
  std::string tag;
  tag.reserve(path.size());
  for (size_t i = 0; i < path.size(); ++i) {
    char c = path[i];
    if (c == '%' && i + 2 < path.size() && std::isxdigit(static_cast<unsigned char>(path[i + 1])) &&
        std::isxdigit(static_cast<unsigned char>(path[i + 2]))) {
      c = static_cast<char>(std::stoi(std::string(path.substr(i + 1, 2)), nullptr, 16));
      i += 2;
    }
    tag += c;
  }
  if (!tag.empty() && tag.front() == '/') tag.erase(0, 1);
  if (tag.empty()) return default_tag;
  for (char& c : tag) {
    auto u = static_cast<unsigned char>(c);
    bool ok = (u >= 'a' && u <= 'z') || (u >= 'A' && u <= 'Z') || (u >= '0' && u <= '9') || c == '_' || c == '.';
    if (!ok) c = '_';
  }
  return tag;
}

std::unique_ptr<Input> make_http_input(const config::ComponentConfig& cfg, const BuildContext& ctx) {
  HttpInputSettings s = make_http_input_settings(cfg, ctx);
  try {
    check_tls_settings(http_server_settings(s));
  } catch (const HttpServerError& e) {
    cfg.fail(e.key, e.what());
  }
  return std::make_unique<HttpInput>(std::move(s), cfg);
}

}  // namespace sluice
