// Http2Connection against nghttp2's client session, bytes passed between
// them in memory: requests reach the handler as HTTP/1.1 ones do, answers
// (with trailers, or gRPC's trailers-only form) reach the client, limits
// refuse what they should without calling the handler, and broken input
// ends the connection with a GOAWAY, never a crash.
#include <catch2/catch.hpp>
#include <nghttp2/nghttp2.h>

#include <cstring>
#include <functional>
#include <map>
#include <optional>

#include "agent/grpc_wire.hpp"
#include "inputs/http/http2_connection.hpp"

namespace SLUICE_UNITY_ID {

using namespace sluice;

namespace {

struct SeenRequest {
  std::string method, target, content_type, authorization, grpc_encoding, body;
  bool http2 = false;
};

class RecordingHandler final : public RequestHandler {
 public:
  std::function<std::optional<HttpAnswer>(const RequestHead&)> on_check = [](const RequestHead&) {
    return std::optional<HttpAnswer>();
  };
  std::function<HttpAnswer(const RequestHead&, std::string&)> on_handle = [](const RequestHead&, std::string&) {
    HttpAnswer a;
    a.status = 201;
    return a;
  };
  std::vector<SeenRequest> handled;
  std::vector<std::string> refusals;  // "status reason"

  std::optional<HttpAnswer> check(const RequestHead& head) override { return on_check(head); }
  HttpAnswer handle(const RequestHead& head, std::string& body) override {
    handled.push_back({std::string(head.method), std::string(head.target), std::string(head.content_type),
                       std::string(head.authorization), std::string(head.grpc_encoding), body, head.http2});
    return on_handle(head, body);
  }
  void refused(std::string_view, int status, std::string_view reason) override {
    refusals.push_back(std::to_string(status) + " " + std::string(reason));
  }
};

struct Response {
  std::map<std::string, std::string> headers, trailers;
  std::string body;
  bool closed = false;
  uint32_t close_code = 0;  // the stream's error code (RST_STREAM), 0 when it ended normally
};

// An HTTP/2 client: nghttp2's client session, without I/O.
class Client {
 public:
  Client() {
    nghttp2_session_callbacks* cbs = nullptr;
    nghttp2_session_callbacks_new(&cbs);
    nghttp2_session_callbacks_set_on_header_callback(cbs, on_header);
    nghttp2_session_callbacks_set_on_data_chunk_recv_callback(cbs, on_data);
    nghttp2_session_callbacks_set_on_stream_close_callback(cbs, on_close);
    nghttp2_session_client_new(&session_, cbs, this);
    nghttp2_session_callbacks_del(cbs);
    nghttp2_submit_settings(session_, NGHTTP2_FLAG_NONE, nullptr, 0);
  }
  ~Client() { nghttp2_session_del(session_); }

  int32_t request(const std::string& method, const std::string& path,
                  std::vector<std::pair<std::string, std::string>> headers, std::string body) {
    std::vector<std::pair<std::string, std::string>> all = {
        {":method", method}, {":scheme", "http"}, {":authority", "127.0.0.1"}, {":path", path}};
    all.insert(all.end(), headers.begin(), headers.end());
    std::vector<nghttp2_nv> nva;
    for (auto& [n, v] : all)
      nva.push_back({reinterpret_cast<uint8_t*>(n.data()), reinterpret_cast<uint8_t*>(v.data()), n.size(), v.size(),
                     NGHTTP2_NV_FLAG_NONE});
    auto source = std::make_unique<std::pair<std::string, size_t>>(std::move(body), 0);
    nghttp2_data_provider provider;
    provider.source.ptr = source.get();
    provider.read_callback = [](nghttp2_session*, int32_t, uint8_t* buf, size_t length, uint32_t* flags,
                                nghttp2_data_source* src, void*) -> ssize_t {
      auto& [data, sent] = *static_cast<std::pair<std::string, size_t>*>(src->ptr);
      size_t n = std::min(length, data.size() - sent);
      std::memcpy(buf, data.data() + sent, n);
      sent += n;
      if (sent == data.size()) *flags |= NGHTTP2_DATA_FLAG_EOF;
      return static_cast<ssize_t>(n);
    };
    bool has_body = !source->first.empty();
    int32_t id = nghttp2_submit_request(session_, nullptr, nva.data(), nva.size(), has_body ? &provider : nullptr,
                                        nullptr);
    bodies_.push_back(std::move(source));
    return id;
  }
  std::string output() {
    std::string out;
    const uint8_t* data = nullptr;
    ssize_t n;
    while ((n = nghttp2_session_mem_send(session_, &data)) > 0) out.append(reinterpret_cast<const char*>(data), n);
    return out;
  }
  void input(const std::string& bytes) {
    nghttp2_session_mem_recv(session_, reinterpret_cast<const uint8_t*>(bytes.data()), bytes.size());
  }
  bool goaway_received() const { return nghttp2_session_want_read(session_) == 0; }
  std::map<int32_t, Response> responses;

 private:
  static int on_header(nghttp2_session*, const nghttp2_frame* frame, const uint8_t* name, size_t namelen,
                       const uint8_t* value, size_t valuelen, uint8_t, void* user) {
    auto& r = static_cast<Client*>(user)->responses[frame->hd.stream_id];
    auto& into = frame->headers.cat == NGHTTP2_HCAT_HEADERS ? r.trailers : r.headers;
    into[std::string(reinterpret_cast<const char*>(name), namelen)] =
        std::string(reinterpret_cast<const char*>(value), valuelen);
    return 0;
  }
  static int on_data(nghttp2_session*, uint8_t, int32_t id, const uint8_t* data, size_t len, void* user) {
    static_cast<Client*>(user)->responses[id].body.append(reinterpret_cast<const char*>(data), len);
    return 0;
  }
  static int on_close(nghttp2_session*, int32_t id, uint32_t code, void* user) {
    auto& r = static_cast<Client*>(user)->responses[id];
    r.closed = true;
    r.close_code = code;
    return 0;
  }

  nghttp2_session* session_ = nullptr;
  std::vector<std::unique_ptr<std::pair<std::string, size_t>>> bodies_;
};

// The server's body budget: `limit` bytes, always at least one body's worth
// (as http_server.cpp's).
class TestBudget final : public BodyBudget {
 public:
  explicit TestBudget(uint64_t limit = 4 * 1024 * 1024) : limit_(limit) {}
  bool take(uint64_t bytes) override {
    if (held > 0 && held + bytes > limit_) return false;
    held += bytes;
    takes.push_back(bytes);
    return true;
  }
  void give_back(uint64_t bytes) override { held -= bytes; }
  uint64_t held = 0;
  std::vector<uint64_t> takes;  // what each successful take() took

 private:
  uint64_t limit_;
};

// Passes bytes both ways until neither side has more (bounded).
void pump(Client& client, Http2Connection& server) {
  for (int round = 0; round < 10000; ++round) {
    std::string to_server = client.output();
    if (!to_server.empty()) server.receive(to_server);
    std::string to_client;
    server.take_output(to_client);
    if (!to_client.empty()) client.input(to_client);
    if (to_server.empty() && to_client.empty()) return;
  }
  FAIL("the two sides never went quiet");
}

HttpServerSettings settings(uint64_t max_body_size = 4 * 1024 * 1024) {
  HttpServerSettings s;
  s.max_body_size = max_body_size;
  return s;
}

}  // namespace

TEST_CASE("http2 connection: a request reaches the handler as HTTP/1.1's do, the answer the client",
          "[http2]") {
  RecordingHandler handler;
  TestBudget budget;
  handler.on_handle = [](const RequestHead&, std::string&) {
    HttpAnswer a = json_error(503, "busy");
    a.headers.emplace_back("Retry-After", "1");
    return a;
  };
  auto s = settings();
  Http2Connection server(s, handler, budget, "127.0.0.1:5000");
  Client client;
  std::string body(300000, 'x');  // more than one DATA frame and the default 64 KB window
  int32_t id = client.request("POST", "/app.log?x=1",
                              {{"content-type", "application/json"}, {"authorization", "Bearer t"},
                               {"grpc-encoding", "gzip"}},
                              body);
  pump(client, server);
  REQUIRE(handler.handled.size() == 1);
  const SeenRequest& seen = handler.handled[0];
  CHECK(seen.method == "POST");
  CHECK(seen.target == "/app.log?x=1");
  CHECK(seen.content_type == "application/json");
  CHECK(seen.authorization == "Bearer t");
  CHECK(seen.grpc_encoding == "gzip");
  CHECK(seen.http2);
  CHECK(seen.body == body);
  const Response& r = client.responses[id];
  CHECK(r.closed);
  CHECK(r.close_code == 0);
  CHECK(r.headers.at(":status") == "503");
  CHECK(r.headers.at("retry-after") == "1");  // HTTP/2 wants lower-case names
  CHECK(r.headers.at("content-type") == "application/json");
  CHECK(r.headers.at("content-length") == std::to_string(r.body.size()));
  CHECK(r.body == "{\"error\":\"busy\"}\n");
  CHECK(server.open_streams() == 0);
}

TEST_CASE("http2 connection: streams at once, each answered, a bodiless GET too", "[http2]") {
  RecordingHandler handler;
  TestBudget budget;
  handler.on_handle = [](const RequestHead& head, std::string& body) {
    HttpAnswer a;
    a.status = 200;
    a.body = std::string(head.target) + ":" + body;
    a.content_type = "text/plain";
    return a;
  };
  auto s = settings();
  Http2Connection server(s, handler, budget, "peer");
  Client client;
  std::vector<int32_t> ids;
  for (int i = 0; i < 20; ++i)
    ids.push_back(client.request("POST", "/s" + std::to_string(i), {}, std::string(i * 1000, 'a')));
  int32_t get = client.request("GET", "/health", {}, "");
  pump(client, server);
  CHECK(handler.handled.size() == 21);
  for (int i = 0; i < 20; ++i)
    CHECK(client.responses[ids[i]].body == "/s" + std::to_string(i) + ":" + std::string(i * 1000, 'a'));
  CHECK(client.responses[get].body == "/health:");
}

TEST_CASE("http2 connection: trailers after the body, and gRPC's trailers-only answer", "[http2]") {
  RecordingHandler handler;
  TestBudget budget;
  handler.on_handle = [](const RequestHead& head, std::string&) {
    HttpAnswer a;
    a.content_type = "application/grpc";
    if (head.target == "/ok") a.body.assign(5, '\0');
    a.trailers = {{"grpc-status", head.target == "/ok" ? "0" : "3"},
                  {"grpc-message", grpc::percent_encode("bad 100%\n")}};
    return a;
  };
  auto s = settings();
  Http2Connection server(s, handler, budget, "peer");
  Client client;
  int32_t ok = client.request("POST", "/ok", {{"content-type", "application/grpc"}}, std::string(5, '\0'));
  int32_t bad = client.request("POST", "/bad", {{"content-type", "application/grpc"}}, std::string(5, '\0'));
  pump(client, server);
  const Response& a = client.responses[ok];
  CHECK(a.headers.at(":status") == "200");
  CHECK(a.headers.at("content-type") == "application/grpc");
  CHECK(a.headers.count("grpc-status") == 0);
  CHECK(a.body == std::string(5, '\0'));
  CHECK(a.trailers.at("grpc-status") == "0");
  const Response& b = client.responses[bad];
  CHECK(b.headers.at("grpc-status") == "3");  // trailers-only: in the one HEADERS frame
  CHECK(b.headers.at("grpc-message") == "bad 100%25%0A");
  CHECK(b.headers.at("content-type") == "application/grpc");
  CHECK(b.trailers.empty());
  CHECK(b.body.empty());
  CHECK(b.closed);
}

TEST_CASE("http2 connection: a refusal from check() is answered, its body dropped, handle() never called",
          "[http2]") {
  RecordingHandler handler;
  TestBudget budget;
  handler.on_check = [](const RequestHead& head) -> std::optional<HttpAnswer> {
    if (head.authorization != "ok") return json_error(401, "who are you");
    return std::nullopt;
  };
  auto s = settings();
  Http2Connection server(s, handler, budget, "peer");
  Client client;
  // A large body is answered once 64 KB of it were dropped, then reset; a
  // small one once it has arrived.
  int32_t refused = client.request("POST", "/x", {}, std::string(200000, 'r'));
  int32_t small = client.request("POST", "/z", {}, "{}");
  int32_t allowed = client.request("POST", "/y", {{"authorization", "ok"}}, "{}");
  pump(client, server);
  CHECK(client.responses[refused].headers.at(":status") == "401");
  CHECK(client.responses[refused].closed);
  CHECK(client.responses[small].headers.at(":status") == "401");
  CHECK(client.responses[small].close_code == 0);
  CHECK(budget.held == 0);
  CHECK(client.responses[allowed].headers.at(":status") == "201");
  REQUIRE(handler.handled.size() == 1);
  CHECK(handler.handled[0].target == "/y");
}

TEST_CASE("http2 connection: a body over max_body_size is answered 413, or RESOURCE_EXHAUSTED to gRPC", "[http2]") {
  RecordingHandler handler;
  TestBudget budget;
  auto s = settings(10000);
  Http2Connection server(s, handler, budget, "10.0.0.1:1");
  Client client;
  int32_t big = client.request("POST", "/big", {}, std::string(10001, 'b'));
  int32_t grpc = client.request("POST", "/g", {{"content-type", "application/grpc"}}, std::string(20000, 'g'));
  int32_t fits = client.request("POST", "/fits", {}, std::string(10000, 'f'));
  pump(client, server);
  CHECK(client.responses[big].headers.at(":status") == "413");
  CHECK_THAT(client.responses[big].body, Catch::Contains("body larger than max_body_size (10000 bytes)"));
  CHECK(client.responses[grpc].headers.at("grpc-status") == "8");
  CHECK(client.responses[fits].headers.at(":status") == "201");
  REQUIRE(handler.handled.size() == 1);
  CHECK(handler.handled[0].target == "/fits");
  CHECK(handler.refusals ==
        std::vector<std::string>{"413 body larger than max_body_size (10000 bytes)",
                                 "413 body larger than max_body_size (10000 bytes)"});
}

TEST_CASE("http2 connection: bodies over the server's budget are refused with REFUSED_STREAM", "[http2]") {
  RecordingHandler handler;
  TestBudget budget;
  auto s = settings(4 * 1024 * 1024);
  Http2Connection server(s, handler, budget, "peer");
  Client client;
  // Three bodies of 3 MB arrive interleaved: together they pass the 4 MB
  // the server's connections may hold before any ends.
  std::vector<int32_t> ids;
  for (int i = 0; i < 3; ++i)
    ids.push_back(client.request("POST", "/b" + std::to_string(i), {}, std::string(3 << 20, 'z')));
  pump(client, server);
  int answered = 0, refused = 0;
  for (int32_t id : ids) {
    const Response& r = client.responses[id];
    CHECK(r.closed);
    if (r.close_code == NGHTTP2_REFUSED_STREAM) ++refused;
    else if (r.headers.count(":status") && r.headers.at(":status") == "201") ++answered;
  }
  CHECK(refused >= 1);
  CHECK(answered + refused == 3);
  CHECK(handler.handled.size() == static_cast<size_t>(answered));
  CHECK(server.open_streams() == 0);
  CHECK(budget.held == 0);  // every byte given back
}

TEST_CASE("http2 connection: an announced content-length takes its whole size from the budget at once",
          "[http2]") {
  RecordingHandler handler;
  TestBudget budget;  // 4 MB
  auto s = settings();
  Http2Connection server(s, handler, budget, "peer");
  Client client;
  std::string three_mb(3 << 20, 'c');
  int32_t first = client.request("POST", "/first", {{"content-length", std::to_string(three_mb.size())}}, three_mb);
  int32_t second = client.request("POST", "/second", {{"content-length", std::to_string(three_mb.size())}}, three_mb);
  // The second's first bytes come before the first has all arrived (its
  // window is 1 MB): 3 + 3 MB can't be held, so it is refused.
  pump(client, server);
  CHECK(client.responses[first].headers.at(":status") == "201");
  CHECK(client.responses[second].close_code == NGHTTP2_REFUSED_STREAM);
  REQUIRE(handler.handled.size() == 1);
  CHECK(handler.handled[0].body == three_mb);
  CHECK(budget.takes == std::vector<uint64_t>{3 << 20});  // once, all of it
  CHECK(budget.held == 0);
}

TEST_CASE("http2 connection: header lists over 16 KB are reset without reaching the handler", "[http2]") {
  RecordingHandler handler;
  TestBudget budget;
  auto s = settings();
  Http2Connection server(s, handler, budget, "peer");
  Client client;
  int32_t id = client.request("POST", "/h", {{"x-big", std::string(20000, 'h')}}, "{}");
  pump(client, server);
  CHECK(client.responses[id].closed);
  CHECK(client.responses[id].close_code != 0);
  CHECK(handler.handled.empty());
}

TEST_CASE("http2 connection: bytes that are not HTTP/2 end the connection with a GOAWAY", "[http2]") {
  RecordingHandler handler;
  TestBudget budget;
  auto s = settings();
  Http2Connection server(s, handler, budget, "peer");
  CHECK_FALSE(server.receive("GET / HTTP/1.1\r\nHost: x\r\n\r\n"));
  std::string out;
  server.take_output(out);
  CHECK(out.find(std::string("\x07\x00\x00\x00\x00\x00", 6)) != std::string::npos);  // a GOAWAY frame's type and flags
  CHECK(server.finished());
  REQUIRE(handler.refusals.size() == 1);
  CHECK_THAT(handler.refusals[0], Catch::StartsWith("400 HTTP/2 protocol error"));
  // A good preface followed by a frame on stream 0 that can't be there.
  Http2Connection second(s, handler, budget, "peer");
  std::string bad = std::string(kHttp2Preface) + std::string("\x00\x00\x00\x04\x00\x00\x00\x00\x00", 9) +
                    std::string("\x00\x00\x01\x00\x01\x00\x00\x00\x00x", 10);  // SETTINGS, then DATA on stream 0
  second.receive(bad);
  out.clear();
  second.take_output(out);
  CHECK(second.finished());
  CHECK(handler.handled.empty());
}

TEST_CASE("http2 connection: after stop() the handler is not called and a GOAWAY goes out", "[http2]") {
  RecordingHandler handler;
  TestBudget budget;
  auto s = settings();
  Http2Connection server(s, handler, budget, "peer");
  Client client;
  client.request("POST", "/before", {}, "{}");
  pump(client, server);
  CHECK(handler.handled.size() == 1);
  server.stop();
  client.request("POST", "/after", {}, "{}");
  pump(client, server);
  CHECK(handler.handled.size() == 1);
  CHECK(client.goaway_received());
}

}  // namespace SLUICE_UNITY_ID
