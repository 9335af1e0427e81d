// The `ibm_cloud_logs` output's factory; see ibm_output.hpp.
#include "outputs/ibm/ibm_output.hpp"

#include "outputs/common/http_sink.hpp"
#include "outputs/common/ibm/iam_token_signer.hpp"
#include "outputs/ibm/ibm_codec.hpp"
#include "outputs/ibm/ibm_settings.hpp"

namespace sluice {

const config::PluginSchema& ibm_cloud_logs_schema() { return ibm::schema(); }

std::unique_ptr<Output> make_ibm_cloud_logs_output(const config::ComponentConfig& cfg, const BuildContext& ctx) {
  ibm::Settings s = ibm::read_settings(cfg, ctx);
  ibm::IamTokenSettings iam;
  iam.api_key = s.api_key;
  iam.iam_endpoint = s.iam_endpoint;
  iam.http_timeout = s.http.client.request_timeout;
  if (std::string error = ibm::iam_settings_error(iam); !error.empty()) cfg.fail("iam_endpoint", error);
  auto signer = std::make_unique<ibm::IamTokenSigner>(std::move(iam));
  http::ClientSettings client = s.http.client;
  return std::make_unique<http::HttpSink>(std::move(client), std::make_unique<ibm::Codec>(std::move(s)),
                                          std::move(signer));
}

}  // namespace sluice
