// The `cloudwatch_logs` output; see cloudwatch_output.hpp.
#include "outputs/cloudwatch/cloudwatch_output.hpp"

#include "outputs/cloudwatch/cloudwatch_codec.hpp"
#include "outputs/cloudwatch/cloudwatch_settings.hpp"
#include "outputs/common/aws/sigv4_signer.hpp"
#include "outputs/common/http_sink.hpp"

namespace sluice {

const config::PluginSchema& cloudwatch_output_schema() { return cloudwatch::schema(); }

std::unique_ptr<Output> make_cloudwatch_output(const config::ComponentConfig& cfg, const BuildContext& ctx) {
  cloudwatch::Settings s = cloudwatch::read_settings(cfg, ctx);
  auto signer = std::make_unique<aws::SigV4Signer>(aws::sigv4_settings_for(s.aws.region, "logs"),
                                                   aws::make_credentials_provider(s.aws));
  auto codec = std::make_unique<cloudwatch::Codec>(std::move(s.naming), s.http.headers, s.path);
  return std::make_unique<http::HttpSink>(s.http.client, std::move(codec), std::move(signer));
}

}  // namespace sluice
