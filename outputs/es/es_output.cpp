// The `es` output: its settings → the _bulk codec on the shared HTTP sink;
// see es_output.hpp.
#include "outputs/es/es_output.hpp"

#include "outputs/common/aws/sigv4_signer.hpp"
#include "outputs/common/http_sink.hpp"
#include "outputs/es/es_bulk_codec.hpp"
#include "outputs/es/es_settings.hpp"

namespace sluice {

const config::PluginSchema& es_output_schema() { return es::es_schema(); }
const config::PluginSchema& opensearch_output_schema() { return es::opensearch_schema(); }

std::unique_ptr<Output> make_es_output(const config::ComponentConfig& cfg, const BuildContext& ctx) {
  es::EsSettings settings = es::read_es_settings(cfg, ctx.base_dir);
  std::unique_ptr<http::Signer> signer;
  if (settings.aws) {
    signer = std::make_unique<aws::SigV4Signer>(aws::sigv4_settings_for(settings.aws->region, settings.aws_service),
                                                aws::make_credentials_provider(*settings.aws));
  }
  return std::make_unique<http::HttpSink>(settings.http.client, std::make_unique<es::BulkCodec>(settings),
                                          std::move(signer));
}

}  // namespace sluice
