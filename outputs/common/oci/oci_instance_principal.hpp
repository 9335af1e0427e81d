// Instance principals over the network: the instance's identity from the
// metadata service, a fresh session key, and a security token for it from
// the federation endpoint (the requests and answers: oci_federation.hpp).
#pragma once
#include <chrono>
#include <functional>
#include <memory>
#include <optional>
#include <string>

#include "agent/asio.hpp"
#include "outputs/common/crypto/rsa_key.hpp"
#include "outputs/common/oci/oci_credentials.hpp"
#include "outputs/common/oci/oci_federation.hpp"

namespace sluice::oci {

// A security token and the session key it vouches for.
struct Session {
  std::string token;  // never logged
  std::shared_ptr<const crypto::RsaPrivateKey> key;
  std::chrono::system_clock::time_point expires_at{};
  std::chrono::seconds lifetime{0};  // as the token states it (exp - iat), else until exp from when it was asked for
  std::string tenancy;
};

// Runs on the io_context given to start(): fetch(), the requests it makes
// and `done` all run there. One fetch at a time (the caller queues
// requests behind it): three metadata GETs (cert.pem, intermediate.pem,
// key.pem, each time: the instance's certificate is rotated), a 2048-bit
// session key (tens of milliseconds of CPU on this thread, once per token),
// then the federation POST signed with the instance's key.
class SessionFetcher {
 public:
  using Clock = std::function<std::chrono::system_clock::time_point()>;
  // The session, or "" and why.
  using Done = std::function<void(std::optional<Session> session, std::string error)>;

  SessionFetcher(const Credentials& credentials, Clock now);
  ~SessionFetcher();

  void start(boost::asio::io_context& io);
  // Calls done exactly once unless stop() comes first.
  void fetch(Done done);
  // Drops the fetch under way (its done is not called) and closes the clients.
  void stop();

  // "OCI federation endpoint https://auth.…/v1/x509", for messages.
  const std::string& federation_who() const { return federation_who_; }

 private:
  struct Fetch;
  void on_metadata(const std::shared_ptr<Fetch>& f);
  void federate(const std::shared_ptr<Fetch>& f, InstanceIdentity identity);

  Credentials credentials_;
  Clock now_;
  std::string metadata_path_;    // the metadata URL's path ("/opc/v2")
  std::string federation_path_;  // the federation endpoint's path + /v1/x509
  std::string federation_host_;  // the Host header its client sends
  std::string metadata_who_;
  std::string federation_who_;
  std::string setup_error_;  // a URL that isn't http(s)
  std::unique_ptr<http::Client> metadata_;
  std::unique_ptr<http::Client> federation_;
  std::shared_ptr<Fetch> current_;
};

// Blocking: instance/regionInfo from the metadata service at
// metadata_url, on a private io_context, in at most timeout (an output
// calls it once while it is built when no region is configured).
std::optional<RegionInfo> fetch_region_info(const std::string& metadata_url, std::chrono::milliseconds timeout,
                                            std::string& error);

}  // namespace sluice::oci
