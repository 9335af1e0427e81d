// A bearer-token signer (Google's, Azure's, IBM's) on its own io_context
// with a clock the test moves: sign a request and wait for the answer, or
// get the Authorization header a fresh request would carry.
#pragma once
#include <catch2/catch.hpp>

#include <chrono>
#include <memory>
#include <optional>
#include <string>

#include "agent/asio.hpp"
#include "outputs/common/http_client.hpp"
#include "tests/support/run_until.hpp"

namespace sluice::test {

template <class Signer>
struct SignerHarness {
  boost::asio::io_context io;
  std::chrono::system_clock::duration skew{0};  // added to the real time
  std::unique_ptr<Signer> signer;
  std::string host;  // the host requests are signed for

  explicit SignerHarness(std::string signed_host) : host(std::move(signed_host)) {}

  // The signer's clock: the real time plus skew.
  auto clock() {
    return [this] { return std::chrono::system_clock::now() + skew; };
  }
  // Makes the signer from args (then the clock) and starts it.
  template <class... Args>
  void make(Args&&... args) {
    signer = std::make_unique<Signer>(std::forward<Args>(args)..., clock());
    signer->start(io);
  }

  // Signs one request and waits for done; the reason, "" when signed.
  std::string sign(http::Request& r) {
    std::optional<std::string> result;
    signer->sign(r, host, [&](std::string error) { result = std::move(error); });
    REQUIRE(run_until(io, [&] { return result.has_value(); }));
    return *result;
  }
  // The Authorization header of a fresh request signed now ("" if it failed).
  std::string bearer() {
    http::Request r;
    if (!sign(r).empty()) return "";
    REQUIRE(r.headers.size() == 1);
    CHECK(r.headers[0].name == "Authorization");
    return r.headers[0].value;
  }
};

}  // namespace sluice::test
