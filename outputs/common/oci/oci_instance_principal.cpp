// Instance-principal sessions; see oci_instance_principal.hpp.
#include "outputs/common/oci/oci_instance_principal.hpp"

#include <array>

#include "agent/log.hpp"
#include "outputs/common/http_output_config.hpp"
#include "outputs/common/oci/oci_signature.hpp"

namespace sluice::oci {

namespace {

// An http(s) URL as client settings and its path; nullopt when it isn't one.
// use_proxy: honour HTTPS_PROXY / HTTP_PROXY / NO_PROXY (the federation
// endpoint, yes; the metadata service, never: it is link-local).
std::optional<http::ClientSettings> client_for(const std::string& url, std::chrono::milliseconds timeout,
                                               bool use_proxy, std::string& path) {
  if (!url.starts_with("http://") && !url.starts_with("https://")) return std::nullopt;
  std::optional<http::Endpoint> e = http::parse_endpoint(url);
  if (!e) return std::nullopt;
  http::ClientSettings s;
  s.host = e->host;
  s.port = e->port;
  s.tls.enabled = e->tls;
  s.connect_timeout = timeout;
  s.request_timeout = timeout;
  if (use_proxy) s.proxy = http::proxy_from_environment(e->host, e->tls);
  path = e->path;
  return s;
}

constexpr std::array<std::string_view, 3> kIdentityPaths = {kMetadataCertPath, kMetadataIntermediatePath,
                                                            kMetadataKeyPath};

}  // namespace

// One fetch: the three metadata answers as they arrive.
struct SessionFetcher::Fetch {
  Done done;
  std::array<std::optional<http::Response>, 3> answers;
  std::chrono::system_clock::time_point asked_at;
};

SessionFetcher::SessionFetcher(const Credentials& credentials, Clock now)
    : credentials_(credentials), now_(std::move(now)) {
  metadata_who_ = "the OCI instance metadata service " + credentials_.metadata_url;
  federation_who_ = "OCI federation endpoint " + credentials_.federation_endpoint + std::string(kFederationPath);
}

SessionFetcher::~SessionFetcher() = default;

void SessionFetcher::start(boost::asio::io_context& io) {
  std::string path;
  auto metadata = client_for(credentials_.metadata_url, credentials_.http_timeout, false, path);
  metadata_path_ = path;
  auto federation = client_for(credentials_.federation_endpoint, credentials_.http_timeout, true, path);
  federation_path_ = path + std::string(kFederationPath);
  if (!metadata) {
    setup_error_ = "the metadata service URL " + credentials_.metadata_url + " is not an http(s) URL";
  } else if (!federation) {
    setup_error_ = "the federation endpoint " + credentials_.federation_endpoint + " is not an http(s) URL";
  } else {
    federation_host_ = http::host_header(*federation);
    metadata_ = std::make_unique<http::Client>(io, *metadata);
    federation_ = std::make_unique<http::Client>(io, *federation);
  }
}

void SessionFetcher::stop() {
  current_.reset();
  if (metadata_) metadata_->close();
  if (federation_) federation_->close();
}

void SessionFetcher::fetch(Done done) {
  if (!setup_error_.empty() || !metadata_) {
    return done(std::nullopt, setup_error_.empty() ? "the signer was not started" : setup_error_);
  }
  auto f = std::make_shared<Fetch>();
  f->done = std::move(done);
  f->asked_at = now_();
  current_ = f;
  log::debug("fetching the instance's identity from {}", metadata_who_);
  std::weak_ptr<Fetch> weak = f;
  for (size_t i = 0; i < kIdentityPaths.size(); ++i) {
    metadata_->send(metadata_request(metadata_path_ + std::string(kIdentityPaths[i])),
                    [this, weak, i](http::Response response) {
                      auto f = weak.lock();
                      if (!f || f != current_) return;
                      f->answers[i] = std::move(response);
                      on_metadata(f);
                    });
  }
}

void SessionFetcher::on_metadata(const std::shared_ptr<Fetch>& f) {
  for (const auto& a : f->answers)
    if (!a) return;
  std::array<std::string, 3> bodies;
  for (size_t i = 0; i < bodies.size(); ++i) {
    std::string error;
    std::string who = metadata_who_ + std::string(kIdentityPaths[i]);
    bool is_key = kIdentityPaths[i] == kMetadataKeyPath;
    bodies[i] = read_metadata_answer(*f->answers[i], who, !is_key, error);
    if (!error.empty()) {
      current_.reset();
      return f->done(std::nullopt, error);
    }
  }
  std::string error;
  std::optional<InstanceIdentity> identity = make_instance_identity(bodies[0], bodies[1], bodies[2], error);
  if (!identity) {
    current_.reset();
    return f->done(std::nullopt, "the instance's identity from " + metadata_who_ + ": " + error);
  }
  federate(f, std::move(*identity));
}

void SessionFetcher::federate(const std::shared_ptr<Fetch>& f, InstanceIdentity identity) {
  std::string error;
  std::optional<crypto::RsaPrivateKey> session_key = crypto::RsaPrivateKey::generate(2048, error);
  if (!session_key) {
    current_.reset();
    return f->done(std::nullopt, error);
  }
  auto request = std::make_shared<http::Request>(federation_request(federation_path_, identity, *session_key));
  SigningRequest in{request->method, request->target, federation_host_, &request->headers, request->body};
  std::optional<Signed> signed_headers = sign(in, federation_key_id(identity), identity.key, now_(), error);
  if (!signed_headers) {
    current_.reset();
    return f->done(std::nullopt, "cannot sign the federation request: " + error);
  }
  for (auto& h : signed_headers->headers)
    if (h.name != "Content-Length") request->headers.push_back(std::move(h));
  log::debug("asking {} for a security token (tenancy {})", federation_who_, identity.tenancy);
  auto key = std::make_shared<const crypto::RsaPrivateKey>(std::move(*session_key));
  std::weak_ptr<Fetch> weak = f;
  federation_->send(std::move(*request), [this, weak, key, tenancy = identity.tenancy](http::Response response) {
    auto f = weak.lock();
    if (!f || f != current_) return;
    current_.reset();
    std::string error;
    std::optional<SecurityToken> token = read_federation_answer(response, federation_who_, error);
    if (!token) return f->done(std::nullopt, error);
    Session s;
    s.token = std::move(token->value);
    s.key = key;
    s.expires_at = token->expires_at;
    auto from = token->issued_at != std::chrono::system_clock::time_point{} ? token->issued_at : f->asked_at;
    s.lifetime = std::chrono::duration_cast<std::chrono::seconds>(token->expires_at - from);
    s.tenancy = tenancy;
    f->done(std::move(s), "");
  });
}

std::optional<RegionInfo> fetch_region_info(const std::string& metadata_url, std::chrono::milliseconds timeout,
                                            std::string& error) {
  std::string path;
  std::optional<http::ClientSettings> settings = client_for(metadata_url, timeout, false, path);
  if (!settings) {
    error = "the metadata service URL " + metadata_url + " is not an http(s) URL";
    return std::nullopt;
  }
  std::string who = "the OCI instance metadata service " + metadata_url + std::string(kMetadataRegionInfoPath);
  boost::asio::io_context io;
  http::Client client(io, *settings);
  std::optional<http::Response> answer;
  client.send(metadata_request(path + std::string(kMetadataRegionInfoPath)),
              [&](http::Response response) { answer = std::move(response); });
  // The client's own timeouts end the request; this deadline only guards
  // against a bug leaving the loop waiting.
  auto deadline = std::chrono::steady_clock::now() + 2 * timeout + std::chrono::seconds(1);
  while (!answer && std::chrono::steady_clock::now() < deadline) io.run_one_for(std::chrono::milliseconds(100));
  if (!answer) {
    error = who + " did not answer in time";
    return std::nullopt;
  }
  std::string body = read_metadata_answer(*answer, who, true, error);
  if (!error.empty()) return std::nullopt;
  return parse_region_info(body, who, error);
}

}  // namespace sluice::oci
