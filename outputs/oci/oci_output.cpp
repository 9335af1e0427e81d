// The `oci_logging` output's factory; see oci_output.hpp.
#include "outputs/oci/oci_output.hpp"

#include "outputs/common/http_sink.hpp"
#include "outputs/common/oci/oci_request_signer.hpp"
#include "outputs/oci/oci_codec.hpp"
#include "outputs/oci/oci_settings.hpp"

namespace sluice {

const config::PluginSchema& oci_logging_schema() { return oci::schema(); }

std::unique_ptr<Output> make_oci_logging_output(const config::ComponentConfig& cfg, const BuildContext& ctx) {
  oci::Settings s = oci::read_settings(cfg, ctx);
  // Resolved now: a profile, key or fingerprint that can't be used is a
  // configuration error with its reason (never quoting key material).
  std::string error;
  auto credentials = oci::resolve_credentials(s.signer, error);
  if (!credentials) {
    const char* key = s.signer.auth_type == oci::AuthType::InstancePrincipal ? "auth_type"
                      : cfg.has("key_file")                                 ? "key_file"
                                                                            : "config_file_location";
    cfg.fail(key, error);
  }
  if (s.endpoint_from_credentials) {
    if (credentials->region.empty())
      cfg.fail("region", "is required: " + credentials->origin + " names no region, and the ingestion endpoint is per region");
    http::ClientSettings& c = s.http.client;
    c.host = oci::ingestion_host(credentials->region, credentials->realm_domain);
    if (!cfg.has("proxy")) c.proxy = http::proxy_from_environment(c.host, c.tls.enabled);
  }
  http::ClientSettings client = s.http.client;
  return std::make_unique<http::HttpSink>(std::move(client), std::make_unique<oci::Codec>(std::move(s)),
                                          std::make_unique<oci::RequestSigner>(std::move(*credentials)));
}

}  // namespace sluice
