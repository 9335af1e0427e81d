// The `gelf` output: encodes each record (gelf_encoder) and hands the batch
// to the transport of its mode (gelf_udp, gelf_tcp); over HTTP it is a codec
// on the shared HTTP sink (gelf_http). See gelf_output.hpp.
#include "outputs/gelf/gelf_output.hpp"

#include "agent/log.hpp"
#include "outputs/common/record_outcomes.hpp"
#include "outputs/gelf/gelf_encoder.hpp"
#include "outputs/gelf/gelf_tcp.hpp"
#include "outputs/gelf/gelf_transport.hpp"

namespace sluice {

namespace {

using namespace gelf;

// One flush in flight: the encoded messages and every record's outcome.
struct Flight {
  Messages msgs;
  std::vector<uint32_t> record_of;  // msgs[i] encodes record record_of[i]
  std::vector<RecordOutcome> outcomes;
};

// Runs on its worker thread (OutputContext::io()); the transport does its
// I/O there asynchronously, so flush() returns before delivery.
class GelfOutput final : public Output {
 public:
  GelfOutput(Settings s, std::shared_ptr<TlsContext> tls)
      : s_(std::move(s)), encoder_(s_.keys), tls_(std::move(tls)) {}

  void start(OutputContext& ctx) override {
    auto counter = [&](const char* name, const char* help) {
      return &ctx.metrics().counter(name, "output", ctx.instance(), false, help);
    };
    counters_.chunked = counter("sluice_output_gelf_chunked_total", "GELF messages sent in UDP chunks.");
    counters_.oversized =
        counter("sluice_output_gelf_oversized_total", "GELF messages too large to send (dead-lettered).");
    counters_.invalid = counter("sluice_output_gelf_invalid_total",
                                "Records that could not be made a GELF message (dead-lettered).");
    counters_.reconnects =
        counter("sluice_output_gelf_connections_total", "Connections (TCP, TLS) or sockets (UDP) opened.");
    switch (s_.mode) {
      case Mode::Udp: transport_ = make_udp_transport(ctx.io(), s_, counters_); break;
      case Mode::Tcp:
      case Mode::Tls: transport_ = make_tcp_transport(ctx.io(), s_, counters_, tls_); break;
      case Mode::Http: break;  // make_gelf_output made an HTTP sink instead
    }
  }

  void flush(const Batch& batch, FlushDone done) override {
    auto flight = std::make_shared<Flight>();
    flight->outcomes.resize(batch.size());
    uint32_t index = 0;
    batch.for_each([&](const std::string& tag, const Event& e) {
      size_t start = flight->msgs.text.size();
      if (encoder_.encode(tag, e, flight->msgs.text)) {
        flight->msgs.end_message(start);
        flight->record_of.push_back(index);
      } else {
        counters_.invalid->add();
        flight->outcomes[index] = {Outcome::Permanent, encoder_.no_short_message_reason()};
      }
      ++index;
    });
    if (flight->msgs.size() == 0) return done(summarize(flight->outcomes));
    transport_->send(flight->msgs, [flight, done = std::move(done)](std::vector<RecordOutcome> sent) {
      for (size_t i = 0; i < sent.size(); ++i) flight->outcomes[flight->record_of[i]] = std::move(sent[i]);
      done(summarize(flight->outcomes));
    });
  }

  void stop() override {
    if (transport_) transport_->close();
  }

 private:
  Settings s_;
  Encoder encoder_;
  std::shared_ptr<TlsContext> tls_;
  Counters counters_;
  std::unique_ptr<Transport> transport_;
};

}  // namespace

const config::PluginSchema& gelf_output_schema() { return gelf::schema(); }

std::unique_ptr<Output> make_gelf_output(const config::ComponentConfig& cfg, const BuildContext& ctx) {
  Settings s = read_settings(cfg, ctx);
  if (s.mode == Mode::Http) return make_http_sink(std::move(s));
  std::shared_ptr<TlsContext> tls;
  // Loaded now so that unusable tls.* files are configuration errors; the
  // HTTP client makes its own context from the same settings.
  if (s.tls.enabled) {
    try {
      tls = make_tls_context(s.tls);
    } catch (const TlsSetupError& e) {
      cfg.fail(e.key, e.what());
    }
  }
  return std::make_unique<GelfOutput>(std::move(s), std::move(tls));
}

}  // namespace sluice
