// The `opentelemetry` input: what an OTLP/HTTP or OTLP/gRPC request means and
// what it is answered (opentelemetry.io/docs/specs/otlp/); see opentelemetry_input.hpp.
#include "inputs/opentelemetry/opentelemetry_input.hpp"

#include <algorithm>
#include <chrono>
#include <optional>

#include "agent/grpc_wire.hpp"
#include "agent/json_writer.hpp"
#include "agent/log.hpp"
#include "agent/protobuf_writer.hpp"
#include "agent/record.hpp"
#include "agent/wall_clock.hpp"
#include "inputs/http/http2_connection.hpp"
#include "inputs/http/http_auth.hpp"
#include "inputs/http/http_body_decoder.hpp"
#include "inputs/http/http_refusals.hpp"
#include "inputs/http/http_server.hpp"
#include "inputs/opentelemetry/opentelemetry_input_settings.hpp"
#include "inputs/opentelemetry/otlp_logs.hpp"

namespace sluice {

namespace {

constexpr size_t kKeepInflateBuffer = 1024 * 1024;

// Grpc: protobuf in gRPC's framing, answered with a grpc-status.
enum class Encoding : uint8_t { Protobuf, Json, Grpc };

// gRPC's method for OTLP logs, and the prefix of the other OTLP services'.
constexpr std::string_view kGrpcExportLogs = "/opentelemetry.proto.collector.logs.v1.LogsService/Export";
constexpr std::string_view kGrpcOtlpServices = "/opentelemetry.proto.collector.";

// google.rpc.Status codes the answers use.
constexpr int kInvalidArgument = 3;
constexpr int kNotFound = 5;
constexpr int kUnauthenticated = 16;
constexpr int kUnavailable = 14;
constexpr int kUnimplemented = 12;
constexpr int kResourceExhausted = 8;

// The body's encoding from its Content-Type: protobuf, JSON (a missing one
// reads as JSON, as Fluent Bit reads it) or gRPC; nullopt: unsupported.
std::optional<Encoding> encoding_of(std::string_view content_type) {
  std::string t = media_type(content_type);
  if (t.empty() || t == "application/json") return Encoding::Json;
  if (t == "application/x-protobuf" || t == "application/protobuf") return Encoding::Protobuf;
  if (t == "application/grpc" || t == "application/grpc+proto") return Encoding::Grpc;
  return std::nullopt;
}

// An error answer as OTLP wants it: over HTTP, a google.rpc.Status
// ({int32 code = 1; string message = 2;}) in the request's encoding; over
// gRPC, the same code and message as grpc-status and grpc-message
// ("trailers-only": HTTP status 200, no body).
HttpAnswer status_answer(int http_status, int code, std::string_view message, Encoding encoding) {
  if (encoding == Encoding::Grpc) return grpc_error_answer(code, message);
  HttpAnswer a;
  a.status = http_status;
  if (encoding == Encoding::Json) {
    a.body = "{\"code\":" + std::to_string(code) + ",\"message\":";
    json::append_string(a.body, message);
    a.body += "}";
    a.content_type = "application/json";
  } else {
    protobuf::append_varint_field(a.body, 1, static_cast<uint64_t>(code));
    protobuf::append_len_field(a.body, 2, message);
    a.content_type = "application/x-protobuf";
  }
  return a;
}

// The Export call's message and how it is compressed (grpc-encoding, when
// its flag says so); nullopt with why set when it can't be read.
struct GrpcPayload {
  std::string_view bytes;
  BodyEncoding compression = BodyEncoding::Identity;
};
std::optional<GrpcPayload> grpc_payload(std::string_view body, std::string_view grpc_encoding, std::string& why) {
  std::optional<grpc::Message> m = grpc::unframe(body, why);
  if (!m) return std::nullopt;
  if (!m->compressed) return GrpcPayload{m->bytes};
  auto compression = body_encoding(grpc_encoding == "identity" ? "" : grpc_encoding);
  if (!compression || *compression == BodyEncoding::Identity) {
    why = "gRPC message marked compressed without a grpc-encoding (gzip, deflate or zstd)";
    return std::nullopt;
  }
  return GrpcPayload{m->bytes, *compression};
}

struct OtelInputMetrics {
  Counter* accepted = nullptr;  // requests whose logs entered the pipeline
  Counter* refused = nullptr;   // answered 4xx
  Counter* busy = nullptr;      // answered 503 (backpressure)
  Counter* bytes = nullptr;     // request body bytes, as received
};

class OpentelemetryInput final : public Input, public RequestHandler {
 public:
  OpentelemetryInput(OpentelemetryInputSettings s, config::ComponentConfig cfg)
      : s_(std::move(s)), cfg_(std::move(cfg)) {}

  void start(InputContext& ctx) override {
    ctx_ = &ctx;
    auto& m = ctx.metrics();
    metrics_.accepted = &m.counter("sluice_input_otlp_requests_total", "input", ctx.instance(), false,
                                    "OTLP export requests whose logs were accepted.");
    metrics_.refused = &m.counter("sluice_input_otlp_refused_total", "input", ctx.instance(), false,
                                   "Requests refused (malformed, unauthorized, too large, wrong path or type).");
    metrics_.busy = &m.counter("sluice_input_otlp_busy_total", "input", ctx.instance(), false,
                                "Requests answered 503 + Retry-After while the pipeline was paused.");
    metrics_.bytes =
        &m.counter("sluice_input_bytes_read_total", "input", ctx.instance(), false, "Bytes the input read.");
    try {
      server_.emplace(ctx.io(), http_server_settings(s_.http), *this);
      server_->start();
    } catch (const HttpServerError& e) {
      cfg_.fail(e.key, e.what());
    }
    log::info("input {}: OTLP on {}:{} ({}): OTLP/HTTP logs at /v1/logs{}", ctx.instance(), s_.http.listen,
              server_->port(), s_.http.tls ? "HTTPS" : "HTTP", s_.http.http2 ? ", OTLP/gRPC (HTTP/2) too" : "");
  }

  void stop() override {
    if (server_) server_->stop();
  }

  std::optional<HttpAnswer> check(const RequestHead& head) override {
    log::Scope scope(ctx_->log_level());
    auto encoding = encoding_of(head.content_type);
    Encoding answer_as = encoding.value_or(Encoding::Json);
    std::string_view path = head.target.substr(0, head.target.find('?'));
    if (encoding == Encoding::Grpc) return check_grpc(head, path);
    if (path != "/v1/logs") {
      if (path == "/v1/traces" || path == "/v1/metrics" || path.starts_with("/v1development/"))
        return refuse(head, 404, kNotFound,
                      "this OTLP endpoint takes logs only (POST /v1/logs); " + std::string(path) + " is not served",
                      answer_as);
      if (path == kGrpcExportLogs)
        return refuse(head, 415, kInvalidArgument,
                      "this is OTLP/gRPC's logs method: send it as gRPC (Content-Type application/grpc, over "
                      "HTTP/2), or export OTLP/HTTP to /v1/logs",
                      answer_as);
      return refuse(head, 404, kNotFound, "no such endpoint: OTLP logs go to POST /v1/logs", answer_as);
    }
    if (head.method != "POST") {
      auto a = refuse(head, 405, kInvalidArgument,
                      "method " + std::string(head.method) + " not allowed: export logs with POST", answer_as);
      a.headers.emplace_back("Allow", "POST");
      return a;
    }
    if (auto refusal = check_auth(head, answer_as)) return refusal;
    if (!encoding) {
      return refuse(head, 415, kInvalidArgument,
                    "unsupported Content-Type '" + std::string(head.content_type) +
                        "': send application/x-protobuf or application/json",
                    answer_as);
    }
    if (!body_encoding(head.content_encoding)) {
      return refuse(head, 415, kInvalidArgument,
                    "unsupported Content-Encoding '" + std::string(head.content_encoding) +
                        "': send gzip, deflate, zstd or identity",
                    answer_as);
    }
    if (ctx_->paused()) return busy(answer_as);
    return std::nullopt;
  }

  HttpAnswer handle(const RequestHead& head, std::string& body) override {
    log::Scope scope(ctx_->log_level());
    metrics_.bytes->add(body.size());
    Encoding encoding = *encoding_of(head.content_type);
    if (ctx_->paused()) return busy(encoding);
    std::string_view payload = body;
    BodyEncoding compression = *body_encoding(encoding == Encoding::Grpc ? "" : head.content_encoding);
    if (encoding == Encoding::Grpc) {
      std::string why;
      std::optional<GrpcPayload> m = grpc_payload(body, head.grpc_encoding, why);
      if (!m) return refuse(head, 400, kInvalidArgument, why, encoding);
      payload = m->bytes;
      compression = m->compression;
    }
    if (compression != BodyEncoding::Identity) {
      auto error = BodyDecoder::inflate(compression, payload, s_.http.max_body_size, inflated_);
      if (error)
        return refuse(head, error->kind == BodyError::Kind::TooLarge ? 413 : 400,
                      error->kind == BodyError::Kind::TooLarge ? kResourceExhausted : kInvalidArgument,
                      error->message, encoding);
      payload = inflated_;
    }
    // Decoded logs take about twice their protobuf (members, values, the
    // metadata beside each record).
    auto chunk = std::make_unique<Chunk>(s_.tag, std::clamp<size_t>(3 * payload.size(), 4096, 256 * 1024));
    std::optional<std::string> error = encoding == Encoding::Json
                                           ? json_.decode(payload, s_.logs, wall_now_ns(), *chunk)
                                           : decode_otlp_logs_protobuf(payload, s_.logs, wall_now_ns(), *chunk);
    if (inflated_.capacity() > kKeepInflateBuffer) inflated_ = std::string();
    if (error) return refuse(head, 400, kInvalidArgument, *error, encoding);
    // The pipeline counts the records (sluice_input_records_total).
    if (!chunk->events.empty() && !offer(std::move(chunk)))
      return busy(encoding, "the input's buffer can't take records now (see its health): retry later");
    metrics_.accepted->add();
    HttpAnswer ok;
    if (encoding == Encoding::Grpc) {
      // An empty ExportLogsServiceResponse in gRPC's framing (uncompressed,
      // length 0), then grpc-status 0.
      ok.body = grpc::frame("", false);
      ok.content_type = "application/grpc";
      ok.trailers = {{"grpc-status", "0"}};
      return ok;
    }
    ok.status = s_.success_code;
    // An empty ExportLogsServiceResponse (no partial_success): nothing in
    // protobuf, {} in JSON. 201 and 204 go without a body, as Fluent Bit's.
    if (ok.status == 200 && encoding == Encoding::Json) ok.body = "{}";
    ok.content_type = encoding == Encoding::Json ? "application/json" : "application/x-protobuf";
    return ok;
  }

  void refused(std::string_view remote, int status, std::string_view reason) override {
    log::Scope scope(ctx_->log_level());
    metrics_.refused->add();
    if (auto line = refusal_log_.refused(ctx_->instance(), remote, status, reason)) log::warn("{}", *line);
  }

 private:
  // What check() asks of a gRPC request: HTTP/2, the logs service's Export
  // method, credentials, a message compression it can read.
  std::optional<HttpAnswer> check_grpc(const RequestHead& head, std::string_view path) {
    constexpr Encoding grpc = Encoding::Grpc;
    if (!head.http2)  // answered as HTTP/1.1 can: a status code and a JSON Status
      return refuse(head, 415, kInvalidArgument, "gRPC needs HTTP/2: this request came over HTTP/1.1", Encoding::Json);
    if (path != kGrpcExportLogs) {
      if (path.starts_with(kGrpcOtlpServices))
        return refuse(head, 404, kUnimplemented,
                      "this OTLP endpoint takes logs only (" + std::string(kGrpcExportLogs.substr(1)) + "); " +
                          std::string(path.substr(1)) + " is not served",
                      grpc);
      return refuse(head, 404, kUnimplemented, "unknown gRPC method " + std::string(path), grpc);
    }
    if (head.method != "POST")
      return refuse(head, 405, kInvalidArgument, "method " + std::string(head.method) + " is not gRPC's POST", grpc);
    if (auto refusal = check_auth(head, grpc)) return refusal;
    if (std::string_view e = head.grpc_encoding;
        !e.empty() && e != "identity" && e != "gzip" && e != "deflate" && e != "zstd") {
      // gRPC's answer to a compression the server lacks: UNIMPLEMENTED and
      // the ones it has.
      auto a = refuse(head, 415, kUnimplemented,
                      "unsupported grpc-encoding '" + std::string(e) + "': send gzip, deflate, zstd or identity",
                      grpc);
      a.headers.emplace_back("grpc-accept-encoding", "identity,gzip,deflate,zstd");
      return a;
    }
    if (ctx_->paused()) return busy(grpc);
    return std::nullopt;
  }

  std::optional<HttpAnswer> check_auth(const RequestHead& head, Encoding answer_as) {
    if (http_authorized(s_.http, head.authorization)) return std::nullopt;
    auto a = refuse(head, 401, kUnauthenticated,
                    head.authorization.empty() ? "authentication required" : "wrong credentials", answer_as);
    if (answer_as == Encoding::Grpc) return a;
    if (!s_.http.basic_credentials.empty()) a.headers.emplace_back("WWW-Authenticate", "Basic realm=\"sluice\"");
    if (!s_.http.bearer_credentials.empty()) a.headers.emplace_back("WWW-Authenticate", "Bearer realm=\"sluice\"");
    return a;
  }

  HttpAnswer refuse(const RequestHead& head, int status, int code, const std::string& reason, Encoding encoding) {
    refused(head.remote, status, reason);
    return status_answer(status, code, reason, encoding);
  }

  HttpAnswer busy(Encoding encoding, std::string_view why = "the pipeline is full: retry later") {
    metrics_.busy->add();
    auto a = status_answer(503, kUnavailable, why, encoding);
    a.headers.emplace_back("Retry-After", "1");
    return a;
  }

  // With tag_key, records naming another tag move (with their metadata) to a
  // chunk of their own; every chunk of the request goes to the pipeline in
  // this one call. False when one was refused (storage): the client is told
  // to retry, and chunks taken before it may then arrive twice (at least once).
  bool offer(ChunkPtr chunk) {
    if (s_.tag_key.empty()) return ctx_->offer(chunk);
    std::vector<ChunkPtr> others;
    size_t kept = 0;
    for (size_t i = 0; i < chunk->events.size(); ++i) {
      Event& e = chunk->events[i];
      const Value* v = e.record.find(s_.tag_key);
      if (v == nullptr || !v->is_string() || v->as_string().empty() || v->as_string() == chunk->tag) {
        chunk->metadata[kept] = chunk->metadata[i];
        chunk->events[kept++] = e;
        continue;
      }
      std::string_view tag = v->as_string();
      auto it = std::find_if(others.begin(), others.end(), [&](const ChunkPtr& c) { return c->tag == tag; });
      if (it == others.end()) it = others.insert(others.end(), std::make_unique<Chunk>(std::string(tag), 4096));
      (*it)->events.push_back({e.time_ns, record::deep_copy(e.record, (*it)->arena)});
      (*it)->metadata.push_back(record::deep_copy(chunk->metadata[i], (*it)->arena));
    }
    chunk->events.resize(kept);
    chunk->metadata.resize(kept);
    if (kept > 0 && !ctx_->offer(chunk)) return false;
    for (auto& c : others)
      if (!ctx_->offer(c)) return false;
    return true;
  }

  OpentelemetryInputSettings s_;
  config::ComponentConfig cfg_;  // for errors at start (a port in use) at the key's line
  InputContext* ctx_ = nullptr;
  OtelInputMetrics metrics_;
  std::optional<HttpServer> server_;
  OtlpJsonDecoder json_;
  std::string inflated_;
  RefusalLog refusal_log_;
};

}  // namespace

std::unique_ptr<Input> make_opentelemetry_input(const config::ComponentConfig& cfg, const BuildContext& ctx) {
  OpentelemetryInputSettings s = make_opentelemetry_input_settings(cfg, ctx);
  try {
    check_tls_settings(http_server_settings(s.http));
  } catch (const HttpServerError& e) {
    cfg.fail(e.key, e.what());
  }
  return std::make_unique<OpentelemetryInput>(std::move(s), cfg);
}

}  // namespace sluice
