// One HTTP output = a codec (and maybe a signer) on the shared sink. The
// codec plans a flush into requests and reads each answer into per-record
// outcomes; the sink owns the client and the signer, compresses and signs
// each request, sends it, joins the answers and reports once to the core.
#pragma once
#include <any>
#include <chrono>
#include <functional>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include "agent/output.hpp"
#include "outputs/common/http2_client.hpp"
#include "outputs/common/http_client.hpp"
#include "outputs/common/http_signer.hpp"

namespace sluice::http {

// A request a codec planned, and the events it carries.
struct PlannedRequest {
  Request request;               // request.gzip: the sink compresses the body before signing it
  std::vector<uint32_t> events;  // indices into the flush's events
  std::any context;              // the codec's own: which call this is, what it needs to read the answer
};

// What a codec read from one answer.
struct Answer {
  // The outcome of every event of the request, unless per_event is set.
  Outcome outcome = Outcome::Delivered;
  std::string reason;
  // One per PlannedRequest::events entry, in that order; empty = `outcome` for all.
  std::vector<RecordOutcome> per_event;
  std::optional<std::chrono::milliseconds> retry_after;  // the backend asked for a pause
  // The backend refused the credentials: the signer forgets them and the
  // next request fetches fresh ones (the records are retried by the core).
  bool reauthenticate = false;
  // Requests to send next (413 halves, create-then-put). An event carried by
  // one of them takes its outcome from that request's answer, not this one.
  std::vector<PlannedRequest> then;

  static Answer of(Outcome o, std::string why) {
    Answer a;
    a.outcome = o;
    a.reason = std::move(why);
    return a;
  }
};

// Runs on the output's worker thread (start, plan and read). Not shared
// between threads; several flushes may be in flight (workers), so state a
// codec keeps between calls must not belong to one flush.
class Codec {
 public:
  virtual ~Codec() = default;
  // Once, before the first plan: the codec's own counters.
  virtual void start(OutputContext& /*ctx*/) {}
  // Whether plan() reads EventRef::metadata (Output::wants_metadata).
  virtual bool wants_metadata() const { return false; }
  // Encodes one flush. `outcomes` holds one Delivered entry per event: an
  // event no request can carry (too large, outside the backend's time
  // window) gets its Permanent outcome there and goes in no request.
  virtual void plan(std::span<const EventRef> events, std::vector<PlannedRequest>& requests,
                    std::vector<RecordOutcome>& outcomes) = 0;
  // Sorts one answer (status 0: no answer, see Response::error). The default
  // applies the shared rules to the whole request (classify_response).
  virtual Answer read(PlannedRequest& sent, Response& response, std::span<const EventRef> events);
};

// How the sink sends: the shared client, or a test's function.
using SendFn = std::function<void(Request, ResponseHandler)>;

// The Output every HTTP backend is. Runs on its worker thread: flush, the
// signer's callbacks and the client's answers all run on OutputContext::io().
class HttpSink final : public Output {
 public:
  HttpSink(ClientSettings client, std::unique_ptr<Codec> codec, std::unique_ptr<Signer> signer = nullptr);
  // For tests: requests go to send instead of a client; host is the Host
  // header a signer signs.
  HttpSink(SendFn send, std::string host, std::unique_ptr<Codec> codec, std::unique_ptr<Signer> signer = nullptr);
  ~HttpSink() override;

  void start(OutputContext& ctx) override;
  void flush(const Batch& batch, FlushDone done) override;
  void stop() override;
  bool wants_metadata() const override { return codec_->wants_metadata(); }

 private:
  struct Job;
  using JobPtr = std::shared_ptr<Job>;
  struct Counters;

  void dispatch(const JobPtr& job, PlannedRequest planned);
  void send(const JobPtr& job, std::shared_ptr<PlannedRequest> sent);
  void on_answer(const JobPtr& job, const std::shared_ptr<PlannedRequest>& sent, Response response);
  void settle(const JobPtr& job, const PlannedRequest& sent, const Answer& answer);
  void finish(const JobPtr& job);

  ClientSettings client_settings_;
  std::string host_header_;
  SendFn send_;
  std::unique_ptr<Client> client_;
  std::unique_ptr<Http2Client> http2_client_;  // with ClientSettings::http2
  std::unique_ptr<Codec> codec_;
  std::unique_ptr<Signer> signer_;
  std::unique_ptr<Counters> counters_;
};

}  // namespace sluice::http
