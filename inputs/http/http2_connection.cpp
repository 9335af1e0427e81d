// One HTTP/2 server connection on nghttp2, without I/O; see http2_connection.hpp.
#include "inputs/http/http2_connection.hpp"

#include <nghttp2/nghttp2.h>

#include <algorithm>
#include <array>
#include <cstdlib>
#include <cstring>
#include <optional>
#include <unordered_map>
#include <utility>
#include <vector>

#include "agent/ascii_case.hpp"
#include "agent/grpc_wire.hpp"

namespace sluice {

namespace {

// A refused request's body is read and dropped, and the refusal sent once
// it has all arrived (as HTTP/1.1's server does: some clients, curl 7.88
// among them, stall on an answer that comes before their upload ends). A
// body that goes on past this much is answered at once, then reset
// (NO_ERROR: the answer stands) so that the client stops sending.
constexpr uint64_t kDiscardLimit = 64 * 1024;
// Streams a client may have open at once, and how much of one request's
// body (and of all of them) it may send before we have read it: large
// enough that a 4 MB export doesn't wait a round trip per 64 KB (the
// protocol's default window); the BodyBudget bounds the memory anyway.
constexpr uint32_t kMaxStreams = 100;
constexpr int32_t kStreamWindow = 1024 * 1024;
constexpr int32_t kConnectionWindow = 4 * 1024 * 1024;

struct Stream {
  std::string method, path, content_type, content_encoding, authorization, forwarded_for, grpc_encoding;
  size_t header_bytes = 0;
  uint64_t content_length = 0;  // as announced (0: not), to size the body once
  std::string body;
  uint64_t taken = 0;  // of the budget, for body: its size, or the announced length
  bool answered = false;     // an answer was submitted (its request may still be arriving)
  bool answer_sent = false;  // ... and its last frame went out
  bool request_ended = false;
  bool reset = false;        // we sent RST_STREAM
  std::optional<HttpAnswer> refusal;  // to send when the request ends
  uint64_t discarded = 0;    // body bytes dropped since the refusal
  // The answer being sent: body from `sent` on, then the trailers, if any.
  std::string answer;
  size_t sent = 0;
  std::vector<std::pair<std::string, std::string>> trailers;
};

nghttp2_nv nv(const std::string& name, const std::string& value) {
  return {reinterpret_cast<uint8_t*>(const_cast<char*>(name.data())),
          reinterpret_cast<uint8_t*>(const_cast<char*>(value.data())), name.size(), value.size(),
          NGHTTP2_NV_FLAG_NONE};
}

}  // namespace

struct Http2Connection::Impl {
  Impl(const HttpServerSettings& s, RequestHandler& h, BodyBudget& b, std::string remote)
      : settings(s), handler(&h), budget(b), remote(std::move(remote)) {}
  ~Impl() {
    if (session != nullptr) nghttp2_session_del(session);
    budget.give_back(buffered);
  }

  // A stream's body is no longer needed: its bytes go back to the budget.
  void drop_body(Stream& st) {
    buffered -= st.taken;
    budget.give_back(st.taken);
    st.taken = 0;
    st.body = std::string();
  }

  Stream* stream(int32_t id) {
    auto it = streams.find(id);
    return it == streams.end() ? nullptr : it->second.get();
  }

  RequestHead head(const Stream& st) const {
    RequestHead h;
    h.method = st.method;
    h.target = st.path;
    h.content_type = st.content_type;
    h.content_encoding = st.content_encoding;
    h.authorization = st.authorization;
    h.forwarded_for = st.forwarded_for;
    h.grpc_encoding = st.grpc_encoding;
    h.remote = remote;
    h.http2 = true;
    return h;
  }

  // Sends an answer on a stream: HEADERS, then the body in DATA frames, then
  // the trailers. An answer with trailers and no body is gRPC's
  // "trailers-only" form: one HEADERS frame holding both.
  void answer(int32_t id, Stream& st, HttpAnswer a) {
    if (st.answered) return;
    st.answered = true;
    std::vector<std::pair<std::string, std::string>> fields;
    fields.emplace_back(":status", std::to_string(a.status));
    fields.emplace_back("server", "sluice");
    const bool trailers_only = a.body.empty() && !a.trailers.empty();
    if (!a.body.empty() || trailers_only) fields.emplace_back("content-type", a.content_type);
    if (a.trailers.empty() && a.status != 204 && a.status != 304)
      fields.emplace_back("content-length", std::to_string(a.body.size()));
    for (auto& [name, value] : a.headers) fields.emplace_back(ascii_lower(name), std::move(value));
    for (auto& [name, value] : a.trailers)
      if (trailers_only) fields.emplace_back(ascii_lower(name), std::move(value));
      else st.trailers.emplace_back(ascii_lower(name), std::move(value));
    std::vector<nghttp2_nv> nva;
    nva.reserve(fields.size());
    for (const auto& [name, value] : fields) nva.push_back(nv(name, value));
    st.answer = std::move(a.body);
    st.sent = 0;
    nghttp2_data_provider body;
    body.source.ptr = &st;
    body.read_callback = read_answer;
    // HEAD-less answers with neither body nor trailers end with their HEADERS.
    bool has_data = !st.answer.empty() || !st.trailers.empty();
    nghttp2_submit_response(session, id, nva.data(), nva.size(), has_data ? &body : nullptr);
  }

  // A request the server itself refuses (too large, too many): in gRPC's
  // form for a gRPC request, else a one-line JSON error.
  void refuse(int32_t id, Stream& st, int status, int grpc_code, const std::string& reason) {
    if (handler != nullptr) handler->refused(remote, status, reason);
    refuse_with(id, st, st.content_type.starts_with("application/grpc") ? grpc_error_answer(grpc_code, reason)
                                                                         : json_error(status, reason));
  }

  // The rest of a refused request's body is dropped as it arrives; the
  // answer goes when it has (see kDiscardLimit).
  void refuse_with(int32_t id, Stream& st, HttpAnswer a) {
    drop_body(st);
    if (st.request_ended) return answer(id, st, std::move(a));
    st.refusal = std::move(a);
  }

  void send_refusal(int32_t id, Stream& st) {
    HttpAnswer a = std::move(*st.refusal);
    st.refusal.reset();
    answer(id, st, std::move(a));
  }

  void end_of_headers(int32_t id, Stream& st) {
    if (handler == nullptr) return refuse(id, st, 503, 14, "the server is stopping");
    if (std::optional<HttpAnswer> refusal = handler->check(head(st))) refuse_with(id, st, std::move(*refusal));
  }

  void end_of_request(int32_t id, Stream& st) {
    st.request_ended = true;
    if (st.refusal) return send_refusal(id, st);
    if (st.answered) return;
    if (handler == nullptr) return refuse(id, st, 503, 14, "the server is stopping");
    HttpAnswer a = handler->handle(head(st), st.body);
    drop_body(st);
    answer(id, st, std::move(a));
  }

  static ssize_t read_answer(nghttp2_session* session, int32_t id, uint8_t* buf, size_t length,
                             uint32_t* flags, nghttp2_data_source* source, void*) {
    auto& st = *static_cast<Stream*>(source->ptr);
    size_t n = std::min(length, st.answer.size() - st.sent);
    std::memcpy(buf, st.answer.data() + st.sent, n);
    st.sent += n;
    if (st.sent == st.answer.size()) {
      *flags |= NGHTTP2_DATA_FLAG_EOF;
      if (!st.trailers.empty()) {
        std::vector<nghttp2_nv> nva;
        for (const auto& [name, value] : st.trailers) nva.push_back(nv(name, value));
        if (nghttp2_submit_trailer(session, id, nva.data(), nva.size()) == 0) *flags |= NGHTTP2_DATA_FLAG_NO_END_STREAM;
      }
    }
    return static_cast<ssize_t>(n);
  }

  static int on_begin_headers(nghttp2_session*, const nghttp2_frame* frame, void* user) {
    auto& self = *static_cast<Impl*>(user);
    if (frame->hd.type == NGHTTP2_HEADERS && frame->headers.cat == NGHTTP2_HCAT_REQUEST)
      self.streams.emplace(frame->hd.stream_id, std::make_unique<Stream>());
    return 0;
  }

  static int on_header(nghttp2_session*, const nghttp2_frame* frame, const uint8_t* name_bytes,
                       size_t name_len, const uint8_t* value_bytes, size_t value_len, uint8_t, void* user) {
    auto& self = *static_cast<Impl*>(user);
    Stream* st = self.stream(frame->hd.stream_id);
    if (st == nullptr || frame->headers.cat != NGHTTP2_HCAT_REQUEST) return 0;  // trailers: not needed
    st->header_bytes += name_len + value_len + 32;  // RFC 9113 §6.5.2's accounting
    // Over the limit: nghttp2 resets the stream.
    if (st->header_bytes > kRequestHeaderLimit) return NGHTTP2_ERR_TEMPORAL_CALLBACK_FAILURE;
    std::string_view name(reinterpret_cast<const char*>(name_bytes), name_len);
    std::string_view value(reinterpret_cast<const char*>(value_bytes), value_len);
    // nghttp2 has checked the names are lower case, as HTTP/2 requires.
    // Only the headers a handler reads are kept.
    if (name == ":method") st->method = value;
    else if (name == ":path") st->path = value;
    else if (name == "content-type") st->content_type = value;
    else if (name == "content-encoding") st->content_encoding = value;
    else if (name == "authorization") st->authorization = value;
    else if (name == "x-forwarded-for") st->forwarded_for = value;
    else if (name == "grpc-encoding") st->grpc_encoding = value;
    else if (name == "content-length") st->content_length = std::strtoull(std::string(value).c_str(), nullptr, 10);
    return 0;
  }

  static int on_data(nghttp2_session* session, uint8_t, int32_t id, const uint8_t* data, size_t len, void* user) {
    auto& self = *static_cast<Impl*>(user);
    Stream* st = self.stream(id);
    if (st == nullptr) return 0;
    if (st->refusal || st->answered) {  // refused: read and dropped
      st->discarded += len;
      if (st->discarded <= kDiscardLimit) return 0;
      if (st->refusal) self.send_refusal(id, *st);
      if (st->answer_sent) self.reset_after_answer(id, *st);
      return 0;
    }
    if (st->body.size() + len > self.settings.max_body_size) {
      self.refuse(id, *st, 413, 8,
                  "body larger than max_body_size (" + std::to_string(self.settings.max_body_size) + " bytes)");
      return 0;
    }
    // A body whose length was announced is taken from the budget, and
    // allocated, whole on its first bytes (as HTTP/1.1's by its
    // Content-Length); any other as it grows.
    uint64_t need = st->body.size() + len;
    if (need > st->taken) {
      uint64_t announced = std::min<uint64_t>(st->content_length, self.settings.max_body_size);
      uint64_t want = std::max(need, announced);
      if (!self.budget.take(want - st->taken)) {
        // Bodies of other streams (of this or other connections) hold the
        // budget: this one is refused before anything is processed, which
        // clients retry (RFC 9113 §8.7).
        nghttp2_submit_rst_stream(session, NGHTTP2_FLAG_NONE, id, NGHTTP2_REFUSED_STREAM);
        self.drop_body(*st);
        st->answered = true;
        return 0;
      }
      self.buffered += want - st->taken;
      st->taken = want;
      if (want > need) st->body.reserve(want);
    }
    st->body.append(reinterpret_cast<const char*>(data), len);
    return 0;
  }

  static int on_frame(nghttp2_session*, const nghttp2_frame* frame, void* user) {
    auto& self = *static_cast<Impl*>(user);
    if (frame->hd.type != NGHTTP2_HEADERS && frame->hd.type != NGHTTP2_DATA) return 0;
    int32_t id = frame->hd.stream_id;
    Stream* st = self.stream(id);
    if (st == nullptr) return 0;
    if (frame->hd.type == NGHTTP2_HEADERS && frame->headers.cat == NGHTTP2_HCAT_REQUEST) self.end_of_headers(id, *st);
    if ((frame->hd.flags & NGHTTP2_FLAG_END_STREAM) != 0) self.end_of_request(id, *st);
    return 0;
  }

  // A complete answer went out before its request ended (a refusal), and
  // the client went on sending more than kDiscardLimit: ask it to stop
  // (RFC 9113 §8.1). Not sooner: some clients (curl 7.88) report a reset
  // stream as failed even after its whole answer.
  void reset_after_answer(int32_t id, Stream& st) {
    if (st.reset || st.request_ended) return;
    st.reset = true;
    nghttp2_submit_rst_stream(session, NGHTTP2_FLAG_NONE, id, NGHTTP2_NO_ERROR);
  }

  static int on_frame_sent(nghttp2_session*, const nghttp2_frame* frame, void* user) {
    auto& self = *static_cast<Impl*>(user);
    if ((frame->hd.flags & NGHTTP2_FLAG_END_STREAM) == 0) return 0;
    if (Stream* st = self.stream(frame->hd.stream_id)) {
      st->answer_sent = true;
      if (st->discarded > kDiscardLimit) self.reset_after_answer(frame->hd.stream_id, *st);
    }
    return 0;
  }

  static int on_close(nghttp2_session*, int32_t id, uint32_t, void* user) {
    auto& self = *static_cast<Impl*>(user);
    if (auto it = self.streams.find(id); it != self.streams.end()) {
      self.drop_body(*it->second);
      self.streams.erase(it);
    }
    return 0;
  }

  const HttpServerSettings& settings;
  RequestHandler* handler;  // nullptr once stopped
  BodyBudget& budget;
  std::string remote;
  nghttp2_session* session = nullptr;
  std::unordered_map<int32_t, std::unique_ptr<Stream>> streams;
  uint64_t buffered = 0;  // request body bytes held (taken from the budget), all streams
};

HttpAnswer grpc_error_answer(int code, std::string_view message) {
  HttpAnswer a;
  a.content_type = "application/grpc";
  a.trailers = {{"grpc-status", std::to_string(code)}, {"grpc-message", grpc::percent_encode(message)}};
  return a;
}

Http2Connection::Http2Connection(const HttpServerSettings& settings, RequestHandler& handler, BodyBudget& budget,
                                 std::string remote)
    : impl_(std::make_unique<Impl>(settings, handler, budget, std::move(remote))) {
  nghttp2_session_callbacks* cbs = nullptr;
  nghttp2_session_callbacks_new(&cbs);
  nghttp2_session_callbacks_set_on_begin_headers_callback(cbs, Impl::on_begin_headers);
  nghttp2_session_callbacks_set_on_header_callback(cbs, Impl::on_header);
  nghttp2_session_callbacks_set_on_data_chunk_recv_callback(cbs, Impl::on_data);
  nghttp2_session_callbacks_set_on_frame_recv_callback(cbs, Impl::on_frame);
  nghttp2_session_callbacks_set_on_frame_send_callback(cbs, Impl::on_frame_sent);
  nghttp2_session_callbacks_set_on_stream_close_callback(cbs, Impl::on_close);
  int rc = nghttp2_session_server_new(&impl_->session, cbs, impl_.get());
  nghttp2_session_callbacks_del(cbs);
  if (rc != 0) throw std::bad_alloc();
  std::array<nghttp2_settings_entry, 3> settings_sent{{
      {NGHTTP2_SETTINGS_MAX_CONCURRENT_STREAMS, kMaxStreams},
      {NGHTTP2_SETTINGS_INITIAL_WINDOW_SIZE, static_cast<uint32_t>(kStreamWindow)},
      {NGHTTP2_SETTINGS_MAX_HEADER_LIST_SIZE, static_cast<uint32_t>(kRequestHeaderLimit)},
  }};
  nghttp2_submit_settings(impl_->session, NGHTTP2_FLAG_NONE, settings_sent.data(), settings_sent.size());
  nghttp2_session_set_local_window_size(impl_->session, NGHTTP2_FLAG_NONE, 0, kConnectionWindow);
}

Http2Connection::~Http2Connection() = default;

bool Http2Connection::receive(std::string_view bytes) {
  ssize_t rc = nghttp2_session_mem_recv(impl_->session, reinterpret_cast<const uint8_t*>(bytes.data()), bytes.size());
  if (rc < 0) {
    if (impl_->handler != nullptr)
      impl_->handler->refused(impl_->remote, 400,
                              std::string("HTTP/2 protocol error: ") + nghttp2_strerror(static_cast<int>(rc)));
    nghttp2_session_terminate_session(impl_->session, NGHTTP2_PROTOCOL_ERROR);
    return false;
  }
  return true;
}

void Http2Connection::take_output(std::string& out) {
  for (;;) {
    const uint8_t* data = nullptr;
    ssize_t n = nghttp2_session_mem_send(impl_->session, &data);
    if (n <= 0) return;
    out.append(reinterpret_cast<const char*>(data), static_cast<size_t>(n));
  }
}

bool Http2Connection::finished() const {
  return nghttp2_session_want_read(impl_->session) == 0 && nghttp2_session_want_write(impl_->session) == 0;
}

size_t Http2Connection::open_streams() const { return impl_->streams.size(); }

void Http2Connection::stop() {
  if (impl_->handler == nullptr) return;
  impl_->handler = nullptr;
  nghttp2_session_terminate_session(impl_->session, NGHTTP2_NO_ERROR);
}

}  // namespace sluice
