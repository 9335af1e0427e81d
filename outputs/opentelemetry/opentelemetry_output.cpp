// The `opentelemetry` output's keys (Fluent Bit's), its codec and factory;
// see opentelemetry_output.hpp.
#include "outputs/opentelemetry/opentelemetry_output.hpp"

#include <algorithm>
#include <cstdlib>

#include "agent/ascii_case.hpp"
#include "agent/config/compat_keys.hpp"
#include "agent/grpc_wire.hpp"
#include "agent/log.hpp"
#include "agent/metrics.hpp"
#include "agent/protobuf_reader.hpp"
#include "agent/record_template.hpp"
#include "agent/zlib_codec.hpp"
#include "agent/zstd_codec.hpp"
#include "outputs/common/http_output_config.hpp"
#include "outputs/common/http_sink.hpp"
#include "outputs/opentelemetry/otlp_logs_encoder.hpp"

namespace sluice {

namespace {

constexpr std::string_view kHttp2 =
    "HTTP/2 is used with grpc: on (OTLP/gRPC); OTLP/HTTP goes over HTTP/1.1 (keep-alive), which every OTLP "
    "endpoint takes.";
constexpr std::string_view kLogsOnly = "sluice sends logs only: there are no metrics, traces or profiles to send.";

struct Settings {
  http::HttpOutputSettings http;
  std::string logs_uri = "/v1/logs";
  bool grpc = false;  // OTLP/gRPC: LogsService/Export calls over HTTP/2
  bool zstd = false;  // compress: zstd (http.gzip for gzip)
  std::string grpc_logs_uri = "/opentelemetry.proto.collector.logs.v1.LogsService/Export";
  size_t batch_size = 1000;
  otlp::EncoderSettings encoder;
};

// Reads a partial_success out of an ExportLogsServiceResponse:
// { ExportLogsPartialSuccess partial_success = 1 { int64 rejected_log_records = 1; string error_message = 2; } }.
struct PartialSuccess {
  uint64_t rejected = 0;
  std::string message;
};
PartialSuccess read_partial_success(std::string_view body) {
  PartialSuccess p;
  protobuf::Reader response(body);
  protobuf::Field f;
  while (response.next(f)) {
    if (f.number != 1 || f.type != protobuf::WireType::Len) continue;
    protobuf::Reader partial(f.bytes);
    protobuf::Field g;
    while (partial.next(g)) {
      if (g.number == 1 && g.type == protobuf::WireType::Varint) p.rejected = g.number_value;
      if (g.number == 2 && g.type == protobuf::WireType::Len) p.message = std::string(g.bytes);
    }
  }
  return p;
}

class OtlpCodec final : public http::Codec {
 public:
  explicit OtlpCodec(Settings s) : s_(std::move(s)) {}

  bool wants_metadata() const override { return true; }

  void start(OutputContext& ctx) override {
    instance_ = ctx.instance();
    rejected_ = &ctx.metrics().counter(
        "sluice_output_otlp_rejected_records_total", "output", ctx.instance(), false,
        "Records the OTLP endpoint accepted the request of but reported rejected (partial_success); not retried, as "
        "the OTLP specification asks.");
  }

  // Requests of at most batch_size records each.
  void plan(std::span<const EventRef> events, std::vector<http::PlannedRequest>& requests,
            std::vector<RecordOutcome>& /*outcomes*/) override {
    for (size_t from = 0; from < events.size(); from += s_.batch_size) {
      http::PlannedRequest p;
      size_t to = std::min(events.size(), from + s_.batch_size);
      for (size_t i = from; i < to; ++i) p.events.push_back(static_cast<uint32_t>(i));
      p.request.method = "POST";
      for (const auto& h : s_.http.headers) p.request.headers.push_back(h);
      otlp::encode_logs_request(events, p.events, s_.encoder, p.request.body);
      if (s_.grpc) {
        // gRPC compresses the message (grpc-encoding), not the HTTP body.
        p.request.target = s_.grpc_logs_uri;
        p.request.headers.push_back({"content-type", "application/grpc"});
        p.request.headers.push_back({"te", "trailers"});
        if (s_.http.gzip || s_.zstd) {
          p.request.headers.push_back({"grpc-encoding", s_.zstd ? "zstd" : "gzip"});
          p.request.body = grpc::frame(compressed(p.request.body), true);
        } else {
          p.request.body = grpc::frame(p.request.body, false);
        }
      } else {
        p.request.target = s_.logs_uri;
        p.request.gzip = s_.http.gzip;
        if (s_.zstd) {
          p.request.body = zstd::compress(p.request.body);
          p.request.content_encoding = "zstd";
        }
        p.request.headers.push_back({"Content-Type", "application/x-protobuf"});
      }
      requests.push_back(std::move(p));
    }
  }

  // The shared rules (2xx delivered; 408, 429, 5xx retried after Retry-After;
  // other 4xx permanent), and a 2xx's partial_success counted and logged.
  http::Answer read(http::PlannedRequest& sent, http::Response& response, std::span<const EventRef> events) override {
    if (s_.grpc && response.status == 200) return read_grpc(sent, response);
    http::Answer a = http::Codec::read(sent, response, events);
    if (a.outcome == Outcome::Delivered && !response.body.empty()) {
      const std::string* type = response.header("Content-Type");
      if (type == nullptr || type->find("protobuf") != std::string::npos) count_partial_success(sent, response.body);
    }
    return a;
  }

 private:
  std::string compressed(std::string_view body) const {
    return s_.zstd ? zstd::compress(body) : zlib::compress(body, zlib::Wrapper::Gzip, zlib::kFastest);
  }

  // An OTLP/gRPC answer (HTTP 200; anything else, or no answer, took the
  // shared rules): its grpc-status, as the OTLP specification sorts them.
  http::Answer read_grpc(const http::PlannedRequest& sent, const http::Response& response) {
    const std::string* status = response.header("grpc-status");
    if (status == nullptr)
      return http::Answer::of(Outcome::Retry, "an HTTP/2 answer without grpc-status: not a gRPC server?");
    int code = std::atoi(status->c_str());
    if (code == 0) {
      // An ExportLogsServiceResponse, uncompressed (we asked for none).
      std::string why;
      if (auto m = grpc::unframe(response.body, why); m && !m->compressed) count_partial_success(sent, m->bytes);
      return http::Answer::of(Outcome::Delivered, "");
    }
    const std::string* message = response.header("grpc-message");
    std::string why = "gRPC " + grpc::status_name(code) + (message ? ": " + grpc::percent_decode(*message) : "");
    // Retryable: CANCELLED, DEADLINE_EXCEEDED, ABORTED, OUT_OF_RANGE,
    // UNAVAILABLE, DATA_LOSS; RESOURCE_EXHAUSTED only when the server says
    // it can recover (a RetryInfo in grpc-status-details-bin).
    bool retry = code == 1 || code == 4 || code == 10 || code == 11 || code == 14 || code == 15 ||
                 (code == 8 && response.header("grpc-status-details-bin") != nullptr);
    return http::Answer::of(retry ? Outcome::Retry : Outcome::Permanent, why);
  }

  void count_partial_success(const http::PlannedRequest& sent, std::string_view body) {
    PartialSuccess p = read_partial_success(body);
    if (p.rejected == 0) return;
    rejected_->add(p.rejected);
    log::warn("output {}: the OTLP endpoint rejected {} of {} records: {}", instance_, p.rejected, sent.events.size(),
              p.message.empty() ? "(no reason given)" : p.message);
  }

  Settings s_;
  std::string instance_;
  Counter* rejected_ = nullptr;
};

}  // namespace

const config::PluginSchema& opentelemetry_output_schema() {
  using config::KeyType;
  static const config::PluginSchema s = [] {
    config::PluginSchema schema{
        "opentelemetry",
        "Sends records to an OTLP endpoint (the OpenTelemetry Collector, a vendor's OTLP intake) as "
        "protobuf ExportLogsServiceRequests, to logs_uri over HTTP/1.1 or, with grpc: on, as OTLP/gRPC calls "
        "over HTTP/2, as Fluent Bit's opentelemetry output does for logs: "
        "each record's body (the record, or its logs_body_key), and from its metadata's otlp map (the "
        "opentelemetry input's) its time, severity, attributes, trace and span ids and flags, under its resource "
        "and scope.",
        {
            {"logs_uri", KeyType::String, "/v1/logs", "The path logs are POSTed to."},
            {"batch_size", KeyType::Int, "1000", "Most log records in one request."},
            {"logs_body_key", KeyType::Multi, "",
             "A record accessor ($log, $message['text']): the first one a record has is its body, and its other "
             "keys are left out; a record with none is the body whole. Repeat for several. Default: $log, then "
             "$message (Fluent Bit's)."},
            {"logs_body_key_attributes", KeyType::Bool, "off",
             "When a logs_body_key matched, the record's other keys become the log's attributes (else they are "
             "not sent)."},
            {"logs_metadata_key", KeyType::String, "otlp", "The metadata key holding a log's OTLP fields."},
            {"logs_observed_timestamp_metadata_key", KeyType::String, "$ObservedTimestamp",
             "Where in the metadata the observed time is when otlp has none."},
            {"logs_timestamp_metadata_key", KeyType::String, "$Timestamp",
             "Where in the metadata the time is when otlp has none (else the record's time)."},
            {"logs_severity_text_metadata_key", KeyType::String, "$SeverityText",
             "Where in the metadata the severity text is when otlp has none."},
            {"logs_severity_number_metadata_key", KeyType::String, "$SeverityNumber",
             "Where in the metadata the severity number is when otlp has none."},
            {"logs_trace_flags_metadata_key", KeyType::String, "$TraceFlags",
             "Where in the metadata the trace flags are when otlp has none."},
            {"logs_span_id_metadata_key", KeyType::String, "$SpanId",
             "Where in the metadata the span id (16 hex digits) is when otlp has none."},
            {"logs_trace_id_metadata_key", KeyType::String, "$TraceId",
             "Where in the metadata the trace id (32 hex digits) is when otlp has none."},
            {"logs_attributes_metadata_key", KeyType::String, "$Attributes",
             "Where in the metadata the attributes map is when otlp has none."},
            {"logs_span_id_message_key", KeyType::String, "$SpanId",
             "Where in the record the span id is, when neither otlp nor the metadata key has it."},
            {"logs_trace_id_message_key", KeyType::String, "$TraceId",
             "Where in the record the trace id is, when neither otlp nor the metadata key has it."},
            {"logs_severity_text_message_key", KeyType::String, "$SeverityText",
             "Where in the record the severity text is, when neither otlp nor the metadata key has it."},
            {"logs_severity_number_message_key", KeyType::String, "$SeverityNumber",
             "Where in the record the severity number is, when neither otlp nor the metadata key has it."},
            {"grpc", KeyType::Bool, "off",
             "Send OTLP/gRPC: LogsService/Export calls over HTTP/2 (with tls, ALPN h2; without, prior knowledge), "
             "as the OpenTelemetry Collector's otlp receiver (port 4317) takes them. compress (gzip or zstd) "
             "compresses each message (grpc-encoding). No proxy is used."},
            {"grpc_logs_uri", KeyType::String, "/opentelemetry.proto.collector.logs.v1.LogsService/Export",
             "The gRPC method logs are sent to, with grpc: on."},
            config::compat_note("http2", KeyType::String, kHttp2),
            config::compat_note("metrics_uri", KeyType::String, kLogsOnly),
            config::compat_note("traces_uri", KeyType::String, kLogsOnly),
            config::compat_note("profiles_uri", KeyType::String, kLogsOnly),
            config::compat_note("grpc_metrics_uri", KeyType::String, kLogsOnly),
            config::compat_note("grpc_traces_uri", KeyType::String, kLogsOnly),
            config::compat_note("grpc_profiles_uri", KeyType::String, kLogsOnly),
            config::compat_note("add_label", KeyType::Multi, kLogsOnly),
            config::compat_note("log_response_payload", KeyType::Bool,
                                "a failed request's answer is logged and dead-lettered with its records."),
            config::compat_note("logs_max_resources", KeyType::Int, "every resource of a batch goes in its request."),
            config::compat_note("logs_max_scopes", KeyType::Int, "every scope of a batch goes in its request."),
            config::compat_note("logs_instrumentation_scope_metadata_key", KeyType::String,
                                "the scope is read from the metadata's otlp.scope."),
            config::compat_note("logs_resource_metadata_key", KeyType::String,
                                "the resource is read from the metadata's otlp.resource."),
        }};
    for (auto& k : http::http_output_keys("4318")) {
      if (k.name == "compress") {  // and zstd, as Fluent Bit's opentelemetry output
        k.description = "Compress requests: gzip or zstd (over gRPC, each message, with grpc-encoding), or empty "
                        "for none.";
        k.choices.push_back("zstd");
      }
      schema.keys.push_back(std::move(k));
    }
    return schema;
  }();
  return s;
}

std::unique_ptr<Output> make_opentelemetry_output(const config::ComponentConfig& cfg, const BuildContext& ctx) {
  Settings s;
  s.http = http::read_http_output_settings(cfg, ctx.base_dir);
  s.logs_uri = cfg.get_string("logs_uri");
  if (s.logs_uri.empty() || s.logs_uri.front() != '/') cfg.fail("logs_uri", "expected a path starting with '/'");
  s.grpc = cfg.get_bool("grpc");
  s.grpc_logs_uri = cfg.get_string("grpc_logs_uri");
  if (s.grpc_logs_uri.empty() || s.grpc_logs_uri.front() != '/')
    cfg.fail("grpc_logs_uri", "expected a path starting with '/'");
  if (s.grpc && cfg.has("proxy")) cfg.fail("proxy", "is not used with grpc: on (gRPC connects directly)");
  if (s.grpc) s.http.client.http2 = true;
  s.zstd = ascii_lower(cfg.get_string("compress")) == "zstd";
  int64_t batch = cfg.get_int("batch_size");
  if (batch < 1 || batch > 100000) cfg.fail("batch_size", "expected 1 to 100000 records, got " + std::to_string(batch));
  s.batch_size = static_cast<size_t>(batch);
  std::vector<std::string> body_keys = cfg.get_list("logs_body_key");
  if (body_keys.empty()) body_keys = {"$log", "$message"};  // Fluent Bit's default
  for (const auto& text : body_keys) s.encoder.body_keys.push_back(compile_accessor_key(cfg, "logs_body_key", text));
  s.encoder.body_key_attributes = cfg.get_bool("logs_body_key_attributes");
  s.encoder.metadata_key = cfg.get_string("logs_metadata_key");
  if (s.encoder.metadata_key.empty()) cfg.fail("logs_metadata_key", "expected a key");
  auto& e = s.encoder;
  e.observed_timestamp_metadata = read_accessor_key(cfg, "logs_observed_timestamp_metadata_key");
  e.timestamp_metadata = read_accessor_key(cfg, "logs_timestamp_metadata_key");
  e.severity_text_metadata = read_accessor_key(cfg, "logs_severity_text_metadata_key");
  e.severity_number_metadata = read_accessor_key(cfg, "logs_severity_number_metadata_key");
  e.trace_flags_metadata = read_accessor_key(cfg, "logs_trace_flags_metadata_key");
  e.span_id_metadata = read_accessor_key(cfg, "logs_span_id_metadata_key");
  e.trace_id_metadata = read_accessor_key(cfg, "logs_trace_id_metadata_key");
  e.attributes_metadata = read_accessor_key(cfg, "logs_attributes_metadata_key");
  e.span_id_message = read_accessor_key(cfg, "logs_span_id_message_key");
  e.trace_id_message = read_accessor_key(cfg, "logs_trace_id_message_key");
  e.severity_text_message = read_accessor_key(cfg, "logs_severity_text_message_key");
  e.severity_number_message = read_accessor_key(cfg, "logs_severity_number_message_key");
  http::ClientSettings client = s.http.client;
  return std::make_unique<http::HttpSink>(std::move(client), std::make_unique<OtlpCodec>(std::move(s)));
}

}  // namespace sluice
