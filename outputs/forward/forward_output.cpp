// The `forward` output: encodes a batch into Forward messages
// (forward_encoder) and hands them to the connection (forward_client),
// which reports each message delivered or to be sent again.
#include "outputs/forward/forward_output.hpp"

#include "outputs/common/record_outcomes.hpp"
#include "outputs/forward/forward_client.hpp"
#include "outputs/forward/forward_encoder.hpp"

namespace sluice {

namespace {

using namespace forward_out;

class ForwardOutput final : public Output {
 public:
  explicit ForwardOutput(Settings s) : s_(std::move(s)), encoder_(s_) {}

  void start(OutputContext& ctx) override {
    auto counter = [&](const char* name, const char* help) {
      return &ctx.metrics().counter(name, "output", ctx.instance(), false, help);
    };
    Counters c;
    c.connections = counter("sluice_output_forward_connections_total",
                            "Connections made to the server (handshake included).");
    c.acks = counter("sluice_output_forward_acks_total", "Messages the server acknowledged.");
    client_ = make_client(ctx.io(), s_, c);
  }

  void flush(const Batch& batch, FlushDone done) override {
    auto msgs = std::make_shared<std::vector<Message>>(encoder_.encode(batch));
    size_t records = batch.size();
    if (msgs->empty()) return done(FlushResult::delivered());
    client_->send(*msgs, [msgs, records, done = std::move(done)](std::vector<std::string> sent) {
      std::vector<RecordOutcome> outcomes(records);
      for (size_t i = 0; i < sent.size(); ++i) {
        if (sent[i].empty()) continue;
        const Message& m = (*msgs)[i];
        for (uint32_t r = m.first; r < m.first + m.count; ++r) outcomes[r] = {Outcome::Retry, sent[i]};
      }
      done(summarize(outcomes));
    });
  }

  void stop() override {
    if (client_) client_->close();
  }

 private:
  Settings s_;
  Encoder encoder_;
  std::unique_ptr<Client> client_;
};

}  // namespace

const config::PluginSchema& forward_output_schema() { return forward_out::schema(); }

std::unique_ptr<Output> make_forward_output(const config::ComponentConfig& cfg, const BuildContext& ctx) {
  return std::make_unique<ForwardOutput>(read_settings(cfg, ctx));
}

}  // namespace sluice
