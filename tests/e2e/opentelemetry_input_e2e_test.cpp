// The opentelemetry input end to end, with real senders: the official
// OpenTelemetry JS SDK's OTLP exporters (tests/peers/otlp_log_sender.js:
// OTLP/HTTP in protobuf and JSON, gzip; OTLP/gRPC on @grpc/grpc-js, over
// HTTP/2 with and without TLS), Python's grpcio (the gRPC C-core,
// tests/peers/otlp_grpc_python_sender.py) and curl. Every log the SDK was told was
// exported reaches the file output once with its body, severity, attributes,
// ids and resource; errors answer a google.rpc.Status (a grpc-status over
// gRPC); a full pipeline answers 503 (UNAVAILABLE), which the SDK retries;
// kill -9 loses nothing answered, metadata included.
#include <catch2/catch.hpp>

#include <signal.h>

#include <algorithm>
#include <filesystem>
#include <map>
#include <optional>
#include <thread>

#include "tests/support/net.hpp"
#include "tests/support/process.hpp"

namespace SLUICE_UNITY_ID {

using namespace sluice::test;
using namespace std::chrono_literals;

namespace {

const std::string kCurl = "/usr/bin/curl";
const std::string kGrpcExport = "/opentelemetry.proto.collector.logs.v1.LogsService/Export";

std::string peer(const std::string& script) { return std::string(SLUICE_SOURCE_DIR) + "/tests/peers/" + script; }

// sluice with one opentelemetry input (extra keys `input_keys`, filters
// `filters`) writing each tag's records as JSON lines to dir/out/<tag>.
class Sluice {
 public:
  Sluice(const TempDir& dir, const std::string& input_keys, const std::string& output_keys = "",
         const std::string& filters = "", const std::string& service = "")
      : dir_(dir), port(free_tcp_port()) {
    write_file(dir.file("p.yaml"),
               "service:\n  flush: 50ms\n  log_level: info\n" + service +
                   "pipeline:\n  inputs:\n    - name: opentelemetry\n      listen: 127.0.0.1\n      port: " +
                   std::to_string(port) + "\n" + input_keys + filters +
                   "  outputs:\n    - name: file\n      match: '*'\n      path: " + dir.file("out") +
                   "\n      mkdir: on\n      format: plain\n" + output_keys);
    start();
  }
  void start() {
    if (process_) logs_ += process_->err();
    process_ = std::make_unique<Process>(std::vector<std::string>{SLUICE_BINARY, "-c", dir_.file("p.yaml")});
    bool up = wait_until([&] { return port_open(port) || !process_->running(); }, 10s);
    INFO(process_->err());
    REQUIRE(up);
    REQUIRE(process_->running());
  }
  void stop() {
    process_->signal(SIGTERM);
    CHECK(process_->wait(15s) == 0);
  }
  void kill9() {
    process_->signal(SIGKILL);
    process_->wait(10s);
  }
  ~Sluice() {
    if (!process_->running()) return;
    process_->signal(SIGTERM);
    auto status = process_->wait(15s);
    INFO(process_->err());
    CHECK(status == 0);
  }
  std::string url(const std::string& path) const { return "http://127.0.0.1:" + std::to_string(port) + path; }
  std::vector<std::string> records(const std::string& tag, size_t n) const {
    std::string file = dir_.file("out/" + tag);
    wait_until([&] { return std::filesystem::exists(file) && read_lines(file).size() >= n; }, 15s);
    return std::filesystem::exists(file) ? read_lines(file) : std::vector<std::string>{};
  }
  std::string log() const { return logs_ + process_->err(); }

 private:
  const TempDir& dir_;
  std::string logs_;

 public:
  uint16_t port;

 private:
  std::unique_ptr<Process> process_;
};

struct Run {
  std::optional<int> status;
  std::string out, err;
};

Run run(std::vector<std::string> argv, std::chrono::milliseconds timeout = 60s) {
  Process p(std::move(argv));
  Run r;
  r.status = p.wait(timeout);
  r.out = p.out();
  r.err = p.err();
  return r;
}

// The official SDK exporting `count` logs; extra: --gzip, --body-map, --headers ...
// gRPC's URL is the server's (no path).
Run sdk_send(const Sluice& s, const std::string& encoding, int count, const std::string& service,
             std::vector<std::string> extra = {}) {
  std::string url = encoding == "grpc" ? s.url("") : s.url("/v1/logs");
  std::vector<std::string> argv = {"/usr/bin/env", "node", peer("otlp_log_sender.js"), "--url", url,
                                   "--encoding", encoding, "--count", std::to_string(count), "--service", service};
  argv.insert(argv.end(), extra.begin(), extra.end());
  return run(argv);
}

// How many records hold each `"seq":N` for one service.
std::map<int, int> seqs_of(const std::vector<std::string>& lines, const std::string& service) {
  std::map<int, int> seen;
  for (const auto& l : lines) {
    if (l.find(R"("service.name":")" + service + "\"") == std::string::npos) continue;
    auto at = l.find(R"("seq":)");
    if (at != std::string::npos) ++seen[std::stoi(l.substr(at + 6))];
  }
  return seen;
}

// The log seq 0 of `service`, sent with --body-map and read with
// logs_metadata_in_record: its map body is the record, and the OTLP fields
// ride along under "otlp".
void check_first_body_map_log(const std::vector<std::string>& lines, const std::string& service) {
  auto first = std::find_if(lines.begin(), lines.end(), [&](const std::string& l) {
    return l.find(service) != std::string::npos && l.find(R"("seq":0})") != std::string::npos;
  });
  REQUIRE(first != lines.end());
  CHECK(first->starts_with(R"({"msg":"request 0","i":0,"ok":true,"nested":{"a":[1,"two",3.5]},"otlp":{)"));
  for (const char* part : {R"("timestamp":1700000000000000000,"severity_number":9,"severity_text":"INFO",)",
                           R"("attributes":{"http.method":"GET","http.status_code":200,"seq":0},)",
                           R"("trace_id":"0af7651916cd43dd8448eb211c80319c","span_id":"b7ad6b7169203331",)",
                           R"("trace_flags":1,)", R"("scope":{"name":"sluice-test","version":"1.2.3"})"})
    CHECK_THAT(*first, Catch::Contains(part));
}

// curl printing the status code, the answer's body going to dir/body.
Run curl(const TempDir& dir, std::vector<std::string> args) {
  std::vector<std::string> argv = {kCurl, "-sS", "-o", dir.file("body"), "-w", "%{http_code}"};
  argv.insert(argv.end(), args.begin(), args.end());
  return run(argv, 30s);
}

}  // namespace

TEST_CASE("opentelemetry e2e: the OpenTelemetry JS SDK exports over http/protobuf and http/json, gzip too",
          "[e2e][opentelemetry]") {
  TempDir dir;
  Sluice s(dir, "      logs_metadata_in_record: on\n");
  auto pb = sdk_send(s, "protobuf", 300, "pb-svc", {"--gzip", "--body-map"});
  INFO(pb.err);
  CHECK(pb.status == 0);
  CHECK(pb.out == "sent 300\n");
  auto js = sdk_send(s, "json", 200, "json-svc");
  INFO(js.err);
  CHECK(js.status == 0);

  auto lines = s.records("v1_logs", 500);
  REQUIRE(lines.size() == 500);
  std::map<int, int> once_pb, once_js;
  for (int i = 0; i < 300; ++i) once_pb[i] = 1;
  for (int i = 0; i < 200; ++i) once_js[i] = 1;
  CHECK(seqs_of(lines, "pb-svc") == once_pb);
  CHECK(seqs_of(lines, "json-svc") == once_js);
  check_first_body_map_log(lines, "pb-svc");
  auto first_js = std::find_if(lines.begin(), lines.end(), [](const std::string& l) {
    return l.find("json-svc") != std::string::npos && l.find(R"("seq":7})") != std::string::npos;
  });
  REQUIRE(first_js != lines.end());
  CHECK(first_js->starts_with(R"({"log":"request 7","otlp":{)"));
  s.stop();
  CHECK_THAT(s.log(), Catch::Contains("input opentelemetry.0: 500 records read"));  // counted once each
}

TEST_CASE("opentelemetry e2e: errors answer a google.rpc.Status the client can read", "[e2e][opentelemetry]") {
  TempDir dir;
  Sluice s(dir, "      bearer_token: s3cret\n      tag: otel.in\n");
  std::vector<std::string> auth = {"-H", "Authorization: Bearer s3cret"};
  auto with_auth = [&](std::vector<std::string> args) {
    args.insert(args.begin(), auth.begin(), auth.end());
    return curl(dir, args);
  };
  SECTION("a broken JSON export: 400, a JSON Status naming the log and field") {
    auto r = with_auth({"-H", "Content-Type: application/json", "-d",
                        R"({"resourceLogs":[{"scopeLogs":[{"logRecords":[{"timeUnixNano":"soon"}]}]}]})",
                        s.url("/v1/logs")});
    CHECK(r.out == "400");
    CHECK(read_file(dir.file("body")) ==
          R"({"code":3,"message":"invalid OTLP/JSON (ExportLogsServiceRequest): resourceLogs[0].scopeLogs[0].)"
          R"x(logRecords[0].timeUnixNano: expected a non-negative integer (a number or a string of digits)"})x");
  }
  SECTION("a broken protobuf export: 400, a protobuf Status") {
    write_file(dir.file("bad.pb"), "\x0a\x7f not protobuf");
    auto r = with_auth({"-H", "Content-Type: application/x-protobuf", "--data-binary", "@" + dir.file("bad.pb"),
                        s.url("/v1/logs")});
    CHECK(r.out == "400");
    std::string body = read_file(dir.file("body"));
    REQUIRE(body.size() > 4);
    CHECK(body.substr(0, 2) == std::string("\x08\x03", 2));  // code = 3 (INVALID_ARGUMENT)
    CHECK_THAT(body, Catch::Contains("a length past the end of the message"));
  }
  SECTION("traces, gRPC paths, other types, no credentials") {
    CHECK(with_auth({"-H", "Content-Type: application/json", "-d", "{}", s.url("/v1/traces")}).out == "404");
    CHECK_THAT(read_file(dir.file("body")), Catch::Contains("takes logs only (POST /v1/logs)"));
    CHECK(with_auth({"-H", "Content-Type: application/grpc", "-d", "x",
                     s.url("/opentelemetry.proto.collector.logs.v1.LogsService/Export")})
              .out == "415");
    CHECK_THAT(read_file(dir.file("body")), Catch::Contains("gRPC needs HTTP/2"));
    CHECK(with_auth({"-H", "Content-Type: text/plain", "-d", "x", s.url("/v1/logs")}).out == "415");
    CHECK(with_auth({s.url("/v1/logs")}).out == "405");
    CHECK(curl(dir, {"-H", "Content-Type: application/json", "-d", "{}", s.url("/v1/logs")}).out == "401");
    // The SDK is told too, and says so.
    auto refused = sdk_send(s, "protobuf", 3, "no-auth");
    CHECK(refused.status == 1);
    auto sent = sdk_send(s, "protobuf", 3, "with-auth", {"--headers", "Authorization=Bearer s3cret"});
    INFO(sent.err);
    CHECK(sent.status == 0);
    CHECK(s.records("otel.in", 3).size() == 3);
    CHECK_THAT(s.log(), Catch::Contains("401"));
  }
}

TEST_CASE("opentelemetry e2e: a full pipeline answers 503 + Retry-After, the SDK retries, each log arrives once",
          "[e2e][opentelemetry]") {
  TempDir dir;
  // A file where the output's directory should be: every flush fails until it goes.
  write_file(dir.file("out"), "not a directory");
  Sluice s(dir, "", "      mem_buf_limit: 1k\n      batch_max_bytes: 1k\n      retry_base: 100ms\n      retry_cap: 200ms\n");
  // One log per request until the output's buffer is full: the input answers 503.
  int accepted = 0;
  std::string answer;
  bool busy = wait_until([&] {
    answer = curl(dir, {"-i", "-H", "Content-Type: application/json", "-d",
                        R"({"resourceLogs":[{"scopeLogs":[{"logRecords":[{"body":{"stringValue":"early"}}]}]}]})",
                        s.url("/v1/logs")})
                 .out;
    if (answer == "200") {
      ++accepted;
      CHECK(read_file(dir.file("body")).ends_with("\r\n\r\n{}"));
    }
    return answer == "503";
  }, 10s);
  REQUIRE(busy);
  CHECK(accepted > 0);
  std::string head = read_file(dir.file("body"));
  CHECK_THAT(head, Catch::Contains("Retry-After: 1\r\n"));
  CHECK_THAT(head, Catch::EndsWith(R"({"code":14,"message":"the pipeline is full: retry later"})"));
  // Over gRPC the same answer is UNAVAILABLE (14), in trailers-only form.
  write_file(dir.file("empty.grpc"), std::string(5, '\0'));  // an empty ExportLogsServiceRequest
  auto grpc_busy = curl(dir, {"--http2-prior-knowledge", "-D", dir.file("head"), "-H", "Content-Type: application/grpc",
                              "--data-binary", "@" + dir.file("empty.grpc"), s.url(kGrpcExport)});
  CHECK(grpc_busy.out == "200");
  CHECK_THAT(read_file(dir.file("head")), Catch::Contains("grpc-status: 14\r\n"));
  // OTLP/HTTP is answered 503, OTLP/gRPC UNAVAILABLE: both SDK exporters retry.
  Process sender({"/usr/bin/env", "node", peer("otlp_log_sender.js"), "--url", s.url("/v1/logs"), "--encoding",
                  "protobuf", "--count", "50", "--service", "retried"});
  Process grpc_sender({"/usr/bin/env", "node", peer("otlp_log_sender.js"), "--url", s.url(""), "--encoding", "grpc",
                       "--count", "50", "--service", "retried-grpc"});
  std::this_thread::sleep_for(1500ms);
  std::filesystem::remove(dir.file("out"));
  auto status = sender.wait(60s);
  auto grpc_status = grpc_sender.wait(60s);
  INFO(sender.err());
  INFO(grpc_sender.err());
  CHECK(status == 0);
  CHECK(grpc_status == 0);
  auto lines = s.records("v1_logs", accepted + 100);
  CHECK(lines.size() == static_cast<size_t>(accepted + 100));
  CHECK(std::count(lines.begin(), lines.end(), R"({"log":"early"})") == accepted);
  CHECK(std::count_if(lines.begin(), lines.end(),
                      [](const std::string& l) { return l.starts_with(R"({"log":"request )"); }) == 100);
}

TEST_CASE("opentelemetry e2e: the SDK's OTLP/gRPC exporter over HTTP/2, over TLS with ALPN h2, its errors",
          "[e2e][opentelemetry]") {
  TempDir dir;
  SECTION("HTTP/2 without TLS, gzip: every log once, its fields in the metadata as over OTLP/HTTP") {
    Sluice s(dir, "      logs_metadata_in_record: on\n");
    auto g = sdk_send(s, "grpc", 300, "grpc-svc", {"--gzip", "--body-map"});
    INFO(g.err);
    CHECK(g.status == 0);
    CHECK(g.out == "sent 300\n");
    auto h = sdk_send(s, "grpc", 5, "grpc-plain");
    CHECK(h.status == 0);
    auto lines = s.records("v1_logs", 305);
    REQUIRE(lines.size() == 305);
    std::map<int, int> once;
    for (int i = 0; i < 300; ++i) once[i] = 1;
    CHECK(seqs_of(lines, "grpc-svc") == once);
    CHECK(seqs_of(lines, "grpc-plain").size() == 5);
    check_first_body_map_log(lines, "grpc-svc");
  }
  SECTION("Python's grpcio (the gRPC C-core), gzip-compressed messages, a bearer token") {
    Sluice s(dir, "      bearer_token: s3cret\n");
    const std::string sender = std::string(SLUICE_SOURCE_DIR) + "/tests/peers/otlp_grpc_python_sender.py";
    std::string target = "127.0.0.1:" + std::to_string(s.port);
    auto ok = run({"/usr/bin/python3", sender, "--target", target, "--count", "250", "--batch", "100", "--gzip",
                   "--token", "s3cret"});
    INFO(ok.out);
    CHECK(ok.status == 0);
    CHECK(ok.out == "sent 250\n");
    auto refused = run({"/usr/bin/python3", sender, "--target", target, "--count", "1"});
    CHECK(refused.status == 1);
    CHECK(refused.out == "UNAUTHENTICATED: authentication required\n");
    auto lines = s.records("v1_logs", 250);
    REQUIRE(lines.size() == 250);
    CHECK(lines[0] == R"({"log":"python log 0"})");
    CHECK(lines[249] == R"({"log":"python log 249"})");
  }
  SECTION("TLS (ALPN h2) with a bearer token in the call's metadata; UNAUTHENTICATED without it") {
    auto pki = make_test_pki(dir.path());
    Sluice s(dir, "      bearer_token: s3cret\n      tls: on\n      tls.crt_file: " + pki.server_crt +
                      "\n      tls.key_file: " + pki.server_key + "\n");
    std::string url = "https://127.0.0.1:" + std::to_string(s.port);
    auto send = [&](std::vector<std::string> extra) {
      std::vector<std::string> argv = {"/usr/bin/env", "node",   peer("otlp_log_sender.js"), "--url", url, "--encoding",
                                       "grpc",         "--count", "20", "--ca", pki.ca_crt};
      argv.insert(argv.end(), extra.begin(), extra.end());
      return run(argv);
    };
    auto ok = send({"--headers", "authorization=Bearer s3cret"});
    INFO(ok.err);
    CHECK(ok.status == 0);
    auto refused = send({});
    CHECK(refused.status == 1);
    CHECK_THAT(refused.err, Catch::Contains("UNAUTHENTICATED: authentication required"));
    CHECK(s.records("v1_logs", 20).size() == 20);
  }
  SECTION("grpc-status answers: another OTLP service, a broken message, an unknown compression") {
    Sluice s(dir, "");
    auto grpc_call = [&](const std::string& path, const std::string& body, std::vector<std::string> headers = {}) {
      write_file(dir.file("req.grpc"), body);
      std::vector<std::string> args = {"--http2-prior-knowledge", "-D", dir.file("head"), "-H",
                                       "Content-Type: application/grpc", "--data-binary", "@" + dir.file("req.grpc")};
      for (const auto& h : headers) args.insert(args.end(), {"-H", h});
      args.push_back(s.url(path));
      CHECK(curl(dir, args).out == "200");  // gRPC answers 200 and puts its status in grpc-status
      return read_file(dir.file("head"));
    };
    auto traces = grpc_call("/opentelemetry.proto.collector.trace.v1.TraceService/Export", std::string(5, '\0'));
    CHECK_THAT(traces, Catch::Contains("grpc-status: 12\r\n"));  // UNIMPLEMENTED
    CHECK_THAT(traces, Catch::Contains("grpc-message: this OTLP endpoint takes logs only"));
    auto short_message = grpc_call(kGrpcExport, std::string("\0\0\0\0\x09\x0a\x02", 7));
    CHECK_THAT(short_message, Catch::Contains("grpc-status: 3\r\n"));  // INVALID_ARGUMENT
    CHECK_THAT(short_message, Catch::Contains("announces 9 bytes, the body holds 2"));
    auto bad_protobuf = grpc_call(kGrpcExport, std::string("\0\0\0\0\x02\x0a\x7f", 7));
    CHECK_THAT(bad_protobuf, Catch::Contains("grpc-status: 3\r\n"));
    CHECK_THAT(bad_protobuf, Catch::Contains("a length past the end of the message"));
    auto snappy = grpc_call(kGrpcExport, std::string("\1\0\0\0\0", 5), {"grpc-encoding: snappy"});
    CHECK_THAT(snappy, Catch::Contains("grpc-status: 12\r\n"));
    CHECK_THAT(snappy, Catch::Contains("grpc-accept-encoding: identity,gzip,deflate,zstd\r\n"));
    // A good empty export: an empty response message, then grpc-status 0 in the trailers.
    write_file(dir.file("req.grpc"), std::string(5, '\0'));
    auto ok = run({kCurl, "-sS", "--http2-prior-knowledge", "-o", dir.file("body"), "-w", "%{http_code}", "-H",
                   "Content-Type: application/grpc", "-H", "TE: trailers", "--raw", "-D", dir.file("head"),
                   "--data-binary", "@" + dir.file("req.grpc"), s.url(kGrpcExport)});
    CHECK(ok.out == "200");
    CHECK(read_file(dir.file("body")) == std::string(5, '\0'));
  }
  SECTION("zstd, compressed by the zstd CLI: an OTLP/HTTP body and a gRPC message") {
    Sluice s(dir, "");
    const std::string fixture = std::string(SLUICE_SOURCE_DIR) + "/tests/data/otlp/sdk-protobuf.pb";  // 3 logs
    auto z = run({"/usr/bin/zstd", "-q", "-f", "-o", dir.file("export.zst"), fixture});
    REQUIRE(z.status == 0);
    CHECK(curl(dir, {"-H", "Content-Type: application/x-protobuf", "-H", "Content-Encoding: zstd", "--data-binary",
                     "@" + dir.file("export.zst"), s.url("/v1/logs")})
              .out == "200");
    std::string message = read_file(dir.file("export.zst"));
    std::string framed = std::string("\1", 1);  // compressed, then the length, big-endian
    for (int shift : {24, 16, 8, 0}) framed += static_cast<char>((message.size() >> shift) & 0xff);
    write_file(dir.file("req.grpc"), framed + message);
    CHECK(curl(dir, {"--http2-prior-knowledge", "-H", "Content-Type: application/grpc", "-H", "grpc-encoding: zstd",
                     "--data-binary", "@" + dir.file("req.grpc"), s.url(kGrpcExport)})
              .out == "200");
    auto lines = s.records("v1_logs", 6);
    REQUIRE(lines.size() == 6);
    CHECK(std::count(lines.begin(), lines.end(), R"({"log":"request 2"})") == 2);
  }
  SECTION("http2: off: the gRPC exporter can't connect, and says so") {
    Sluice s(dir, "      http2: off\n");
    auto g = sdk_send(s, "grpc", 1, "no-h2");
    CHECK(g.status == 1);
    CHECK_THAT(s.log(), Catch::Contains("505 an HTTP/2 client (prior knowledge), but this input serves HTTP/1.1 only"));
  }
}

TEST_CASE("opentelemetry e2e: kill -9 with storage.type filesystem loses no answered log, nor its metadata",
          "[e2e][opentelemetry]") {
  TempDir dir;
  write_file(dir.file("out"), "not a directory");
  write_file(dir.file("meta.lua"),
             "function cb(tag, ts, group, metadata, record)\n"
             "  record.sev = metadata.otlp.severity_text\n"
             "  record.service = metadata.otlp.resource.attributes['service.name']\n"
             "  return 1, ts, metadata, record\n"
             "end\n");
  Sluice s(dir, "      storage.type: filesystem\n", "      retry_base: 100ms\n      retry_cap: 200ms\n",
           "  filters:\n    - name: lua\n      match: '*'\n      script: " + dir.file("meta.lua") + "\n      call: cb\n",
           "  storage.path: " + dir.file("buf") + "\n");
  auto sent = sdk_send(s, "protobuf", 20, "durable");
  INFO(sent.err);
  REQUIRE(sent.status == 0);
  s.kill9();
  std::filesystem::remove(dir.file("out"));
  s.start();
  auto lines = s.records("v1_logs", 20);
  REQUIRE(lines.size() == 20);
  // The Lua filter read both from the metadata (the keys in Lua's order).
  for (const auto& l : lines) {
    CHECK_THAT(l, Catch::Contains(R"("sev":"INFO")"));
    CHECK_THAT(l, Catch::Contains(R"("service":"durable")"));
  }
}

}  // namespace SLUICE_UNITY_ID
