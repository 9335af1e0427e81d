// The plumbing credential fetches share: endpoint URLs, one HTTP client per
// endpoint, AWS's ISO 8601 times, and answers quoted in error reasons
// without the secrets a request carried.
#pragma once
#include <chrono>
#include <cstdint>
#include <initializer_list>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

#include "agent/asio.hpp"
#include "outputs/common/http_client.hpp"

namespace sluice::aws {

struct Endpoint {
  bool tls = false;
  std::string host;  // without brackets for IPv6
  uint16_t port = 80;
  std::string path;  // "" or "/…", query included

  // "https://sts.eu-west-1.amazonaws.com", "http://[::1]:8080" (no path).
  std::string origin() const;
};

// "http(s)://host[:port][/path]"; nullopt for another scheme, no host or a bad port.
std::optional<Endpoint> parse_endpoint(std::string_view url);

// One keep-alive client per origin, made on first use on the io_context of
// start(). Every request gets `timeout` to connect and again to be answered.
// Runs on that io_context.
class HttpClients {
 public:
  explicit HttpClients(std::chrono::milliseconds timeout) : timeout_(timeout) {}
  void start(boost::asio::io_context& io) { io_ = &io; }
  bool started() const { return io_ != nullptr; }
  // use_proxy: honour HTTPS_PROXY / HTTP_PROXY / NO_PROXY (for STS; never
  // for the link-local metadata endpoints).
  http::Client& get(const Endpoint& endpoint, bool use_proxy);
  // Destroys the clients: answers still to come are dropped uncalled.
  void stop() { clients_.clear(); }

 private:
  std::chrono::milliseconds timeout_;
  boost::asio::io_context* io_ = nullptr;
  std::map<std::string, std::unique_ptr<http::Client>> clients_;
};

// "2026-11-21T10:00:00Z", with optional fractional seconds and a "+hh:mm"
// offset instead of Z (STS, IMDS and the container endpoint all write UTC).
std::optional<std::chrono::system_clock::time_point> parse_iso8601(std::string_view text);

// What an error reason may quote of an answer body: one line, at most max
// bytes, with each of secrets (the token or key a request sent) replaced.
std::string quote_answer(std::string_view body, std::initializer_list<std::string_view> secrets, size_t max = 300);

// Reads a whole (small) file; nullopt with why in error.
std::optional<std::string> read_small_file(const std::string& path, std::string& error);

// Without leading and trailing whitespace (token files end in a newline).
std::string_view trim(std::string_view s);

// An environment variable, "" when unset.
std::string env(const char* name);

}  // namespace sluice::aws
