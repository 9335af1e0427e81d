// SigV4 as an http::Signer; see sigv4_signer.hpp.
#include "outputs/common/aws/sigv4_signer.hpp"

#include <algorithm>
#include <cstdio>
#include <cstdlib>

#include "agent/ascii_case.hpp"

namespace sluice::aws {

namespace {

bool is_signing_header(std::string_view name) {
  return ascii_iequals(name, "Authorization") || ascii_iequals(name, "X-Amz-Date") ||
         ascii_iequals(name, "X-Amz-Security-Token") || ascii_iequals(name, "X-Amz-Content-Sha256");
}

// Headers left out of the signature: the HTTP client sets or drops these
// itself (http::Client::send), or a proxy may rewrite them.
bool unsigned_header(std::string_view name) {
  for (std::string_view n : {"Content-Length", "Content-Encoding", "Transfer-Encoding", "Connection", "User-Agent",
                             "Expect", "X-Amzn-Trace-Id"}) {
    if (ascii_iequals(name, n)) return true;
  }
  return false;
}

}  // namespace

SigV4SignerSettings sigv4_settings_for(std::string region, std::string service) {
  bool sha_header = service == "aoss" || service == "s3";
  return {std::move(region), std::move(service), sha_header};
}

SigV4Signer::SigV4Signer(SigV4SignerSettings settings, std::unique_ptr<CredentialsProvider> credentials, Clock now)
    : settings_(std::move(settings)),
      credentials_(std::move(credentials)),
      now_(now ? std::move(now) : Clock([] { return std::chrono::system_clock::now(); })) {}

SigV4Signer::~SigV4Signer() = default;

void SigV4Signer::start(boost::asio::io_context& io) { credentials_->start(io); }

void SigV4Signer::sign(http::Request& request, std::string_view host, http::SignDone done) {
  if (request.gzip) {
    // A broken contract of the sink, not an input error: the client would
    // compress after the body's hash was signed.
    std::fprintf(stderr, "sluice: SigV4Signer::sign: request.gzip is set; compress the body before signing\n");
    std::abort();
  }
  if (!alive_) return done("the SigV4 signer is stopped");
  std::weak_ptr<int> alive = alive_;
  credentials_->get([this, alive, &request, host = std::string(host), done = std::move(done)](CredentialsResult r) {
    if (alive.expired()) return;
    if (!r.credentials) return done(std::move(r.error));
    sign_with(*r.credentials, request, host);
    done("");
  });
}

void SigV4Signer::sign_with(const Credentials& credentials, http::Request& request, std::string_view host) {
  auto& headers = request.headers;
  headers.erase(std::remove_if(headers.begin(), headers.end(),
                               [](const http::Header& h) { return is_signing_header(h.name); }),
                headers.end());
  SigningInput in;
  bool has_host = false;
  for (const auto& h : headers) {
    if (unsigned_header(h.name)) continue;
    has_host = has_host || ascii_iequals(h.name, "Host");
    in.headers.emplace_back(h.name, h.value);
  }
  if (!has_host) in.headers.emplace_back("host", host);
  std::string_view target = request.target.empty() ? std::string_view("/") : std::string_view(request.target);
  size_t q = target.find('?');
  in.method = request.method;
  in.path = target.substr(0, q);
  in.query = q == std::string_view::npos ? std::string_view() : target.substr(q + 1);
  in.body = request.body;
  in.region = settings_.region;
  in.service = settings_.service;
  in.time = now_();
  in.content_sha256_header = settings_.content_sha256_header;
  SignedRequest out = aws::sign(in, credentials, &key_cache_);
  for (auto& [name, value] : out.headers) headers.push_back({name, std::move(value)});
}

void SigV4Signer::invalidate() { credentials_->invalidate(); }

void SigV4Signer::stop() {
  alive_.reset();
  credentials_->stop();
}

}  // namespace sluice::aws
