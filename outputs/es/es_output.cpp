// The `es` output: settings → BulkSender over the shared HTTP client; see
// es_output.hpp.
#include "outputs/es/es_output.hpp"

#include "outputs/common/http_client.hpp"
#include "outputs/es/es_bulk_sender.hpp"
#include "outputs/es/es_settings.hpp"

namespace sluice {

namespace {

// Runs on its worker thread: start(), flush(), the client's answers and
// stop() all run on the worker's io_context.
class EsOutput final : public Output {
 public:
  explicit EsOutput(es::EsSettings settings) : settings_(std::move(settings)) {}

  void start(OutputContext& ctx) override {
    client_ = std::make_unique<http::Client>(ctx.io(), settings_.http.client);
    sender_ = std::make_unique<es::BulkSender>(
        settings_, [this](http::Request r, http::ResponseHandler h) { client_->send(std::move(r), std::move(h)); },
        ctx.metrics(), ctx.instance());
  }

  void flush(const Batch& batch, FlushDone done) override { sender_->flush(batch, std::move(done)); }

  void stop() override {
    if (client_) client_->close();
  }

 private:
  es::EsSettings settings_;
  std::unique_ptr<http::Client> client_;
  std::unique_ptr<es::BulkSender> sender_;
};

}  // namespace

const config::PluginSchema& es_output_schema() { return es::es_schema(); }

std::unique_ptr<Output> make_es_output(const config::ComponentConfig& cfg, const BuildContext& ctx) {
  return std::make_unique<EsOutput>(es::read_es_settings(cfg, ctx.base_dir));
}

}  // namespace sluice
