// The `google_cloud_logging` / `stackdriver` output; see google_output.hpp.
#include "outputs/google/google_output.hpp"

#include "outputs/common/gcp/google_token_signer.hpp"
#include "outputs/common/http_sink.hpp"
#include "outputs/google/google_codec.hpp"
#include "outputs/google/google_settings.hpp"

namespace sluice {

const config::PluginSchema& google_cloud_logging_schema() { return google::schema("google_cloud_logging"); }
const config::PluginSchema& stackdriver_schema() { return google::schema("stackdriver"); }

std::unique_ptr<Output> make_google_cloud_logging_output(const config::ComponentConfig& cfg, const BuildContext& ctx) {
  google::Settings s = google::read_settings(cfg, ctx);
  // Resolved now, so that a key file that can't be used is a configuration
  // error with its reason, before anything starts.
  std::string error;
  auto source = gcp::resolve_credentials(s.credentials, error);
  if (!source) cfg.fail(cfg.has("service_account_email") ? "service_account_email" : "google_service_credentials", error);
  // The project: export_to_project_id, else the key's; with the metadata
  // server, asked for once the output runs (never blocking start-up).
  std::string project = s.project_id.empty() ? source->project_id() : s.project_id;
  if (project.empty() && source->account)
    cfg.fail("export_to_project_id", "is needed: the service account's key names no project_id");
  std::string metadata = project.empty() && !source->account ? s.credentials.metadata_server : std::string();
  auto signer = std::make_unique<gcp::TokenSigner>(s.credentials, *source);
  http::ClientSettings client = s.http.client;
  return std::make_unique<http::HttpSink>(std::move(client),
                                          std::make_unique<google::Codec>(std::move(s), project, metadata),
                                          std::move(signer));
}

}  // namespace sluice
