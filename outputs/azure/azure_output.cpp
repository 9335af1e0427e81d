// The `azure_logs_ingestion` output and the retired `azure`; see azure_output.hpp.
#include "outputs/azure/azure_output.hpp"

#include "outputs/azure/azure_codec.hpp"
#include "outputs/azure/azure_settings.hpp"
#include "outputs/common/azure/azure_token_signer.hpp"
#include "outputs/common/http_sink.hpp"

namespace sluice {

const config::PluginSchema& azure_logs_ingestion_schema() { return azure::schema(); }

std::unique_ptr<Output> make_azure_logs_ingestion_output(const config::ComponentConfig& cfg, const BuildContext& ctx) {
  azure::Settings s = azure::read_settings(cfg, ctx);
  // Resolved now: a certificate that can't be read, or a tenant without a
  // credential, is a configuration error with its reason.
  std::string error;
  auto source = azure::resolve_credentials(s.credentials, error);
  if (!source) cfg.fail(cfg.has("auth_method") ? "auth_method" : "tenant_id", error);
  auto signer = std::make_unique<azure::TokenSigner>(s.credentials, *source);
  http::ClientSettings client = s.http.client;
  return std::make_unique<http::HttpSink>(std::move(client), std::make_unique<azure::Codec>(std::move(s)),
                                          std::move(signer));
}

const config::PluginSchema& azure_retired_schema() { return azure::retired_schema(); }

std::unique_ptr<Output> make_azure_retired_output(const config::ComponentConfig& cfg, const BuildContext& /*ctx*/) {
  cfg.fail(cfg.has("customer_id") ? "customer_id" : "shared_key",
           "the `azure` output spoke Azure Monitor's HTTP Data Collector API, which Microsoft retired on 2026-09-14; "
           "use `azure_logs_ingestion` (the Logs Ingestion API: dce_url, dcr_id, table_name, and an Entra ID "
           "application or managed identity instead of the workspace key)");
  return nullptr;
}

}  // namespace sluice
