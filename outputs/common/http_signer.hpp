// The signer / credential source of an HTTP output: adds authentication to a
// request whose bytes are final (already compressed), fetching or refreshing
// credentials first when it has to. SigV4 (AWS), OAuth2 bearer tokens
// (Google, Azure, IBM) and OCI's HTTP signatures are signers.
#pragma once
#include <functional>
#include <string>
#include <string_view>

#include "agent/asio.hpp"
#include "outputs/common/http_client.hpp"

namespace sluice::http {

// Empty when the request is signed; otherwise why it could not be (the
// credentials could not be fetched): the sink retries the request's records.
using SignDone = std::function<void(std::string error)>;

// Runs on the output's worker io_context: start(), sign(), the credential
// fetches a signer makes and their answers, invalidate() and stop() all run
// there. Credentials are cached and refreshed before they expire; they are
// never written to the log.
class Signer {
 public:
  virtual ~Signer() = default;

  // Called once on the worker thread before the first sign(): a signer that
  // fetches credentials makes its HTTP clients on io here.
  virtual void start(boost::asio::io_context& /*io*/) {}

  // Adds the headers that authenticate `request` (Authorization, X-Amz-Date, …)
  // and calls done exactly once, now or later on the io_context. `host` is the
  // Host header the client will send ("host" or "host:port"). The body is
  // final: a signer that hashes it hashes exactly what goes on the wire.
  // `request` stays alive and untouched by anyone else until done is called.
  virtual void sign(Request& request, std::string_view host, SignDone done) = 0;

  // The backend refused the credentials (expired, revoked, clock skew): forget
  // the cached ones so the next sign() fetches fresh ones.
  virtual void invalidate() {}

  // After the last request: cancel fetches (their SignDone is not called).
  virtual void stop() {}
};

}  // namespace sluice::http
