// GELF over HTTP: each message POSTed on its own to the GELF HTTP input
// (success 202 Accepted) through the shared client in outputs/common.
#include "outputs/common/http_client.hpp"
#include "outputs/common/http_output_config.hpp"
#include "outputs/gelf/gelf_transport.hpp"

namespace sluice::gelf {

namespace {

// Runs on the output's worker thread, as the client does. Graylog's GELF
// HTTP input takes one message per request (several only with its optional
// "bulk receiving", off by default), so a batch is a run of requests that
// the client spreads over `workers` keep-alive connections.
class HttpTransport final : public Transport {
 public:
  HttpTransport(boost::asio::io_context& io, const Settings& s) : s_(s), client_(io, client_settings(s)) {}

  void send(const Messages& msgs, SendDone done) override {
    auto join = std::make_shared<Join>();
    join->outcomes.resize(msgs.size());
    join->pending = msgs.size();
    join->done = std::move(done);
    for (size_t i = 0; i < msgs.size(); ++i) {
      http::Request req;
      req.target = s_.uri;
      req.headers.push_back({"Content-Type", "application/json"});
      req.body.assign(msgs.at(i));
      req.gzip = s_.compression == Compression::Gzip;
      client_.send(std::move(req), [join, i](http::Response response) {
        // 202 Accepted is Graylog's answer; 400 (bad JSON) is permanent; no answer, 429 and 5xx retry.
        FlushResult r = http::classify_response(response);
        join->outcomes[i] = {r.outcome, std::move(r.reason)};
        if (--join->pending == 0) join->done(std::move(join->outcomes));
      });
    }
  }

  void close() override { client_.close(); }

 private:
  struct Join {
    std::vector<RecordOutcome> outcomes;
    size_t pending = 0;
    SendDone done;
  };

  static http::ClientSettings client_settings(const Settings& s) {
    http::ClientSettings c;
    c.host = s.host;
    c.port = s.port;
    c.tls = s.tls;
    c.connect_timeout = s.connect_timeout;
    c.request_timeout = s.request_timeout;
    c.max_connections = static_cast<size_t>(s.workers);
    c.proxy = http::proxy_from_environment(s.host, s.tls.enabled);
    return c;
  }

  const Settings& s_;
  http::Client client_;
};

}  // namespace

std::unique_ptr<Transport> make_http_transport(boost::asio::io_context& io, const Settings& s) {
  return std::make_unique<HttpTransport>(io, s);
}

}  // namespace sluice::gelf
