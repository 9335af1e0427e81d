// The configuration keys every HTTP-speaking output shares (host, port, tls.*,
// auth, compression, timeouts), read into ClientSettings, and the generic
// classification of an HTTP answer into Delivered / Retry / Permanent.
#pragma once
#include <chrono>
#include <initializer_list>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "agent/config/component_config.hpp"
#include "agent/output.hpp"
#include "outputs/common/http_client.hpp"

namespace sluice::http {

// Keys, Fluent Bit's names: host, port, tls, tls.verify, tls.ca_file,
// tls.crt_file, tls.key_file, tls.vhost, http_user, http_passwd (secret),
// compress (choices "", gzip), connect_timeout, request_timeout, proxy, header (Multi "Name value").
// An output appends these to its own keys, with its own default port; it
// leaves out (`without`) the ones it has no use for or declares itself (a
// cloud output has no host/port but an endpoint, gelf its own compress).
std::vector<config::KeyDecl> http_output_keys(std::string_view default_port,
                                              std::initializer_list<std::string_view> without = {});

struct HttpOutputSettings {
  ClientSettings client;
  bool gzip = false;
  std::vector<Header> headers;  // `header` entries plus Authorization from http_user/http_passwd
};

// Where a cloud output sends: from an `endpoint` URL or the provider's default.
struct Endpoint {
  std::string host;
  uint16_t port = 443;
  bool tls = true;
  std::string path;  // "" or the URL's path without a trailing '/'
};

// "https://host[:port][/path]", "http://host[:port]" (a local emulator or a
// stand-in), or a bare "host[:port]" (https). nullopt when it isn't one.
std::optional<Endpoint> parse_endpoint(std::string_view url);

// An http(s) URL of a credential service (a token endpoint, a metadata
// server) taken apart for a Client: settings for its origin (with `timeout`
// to connect and again to be answered) and the path.
struct HttpTarget {
  ClientSettings client;
  std::string path;  // "" or "/…", without a trailing '/'
  std::string url;   // as given, for messages
};
// nullopt unless "http(s)://host[:port][/path]". use_proxy: honour
// HTTPS_PROXY / HTTP_PROXY / NO_PROXY (a token endpoint, yes; a metadata
// server, never: it is link-local to the VM).
std::optional<HttpTarget> parse_http_target(std::string_view url, std::chrono::milliseconds timeout, bool use_proxy);

// A key whose value is sent as a header's (a token, a channel id): refused,
// naming the key and never quoting the value (it may be a secret), when it
// holds a line break.
std::string read_header_value(const config::ComponentConfig& cfg, std::string_view key);

// The one reader of the shared keys: validates them (cfg.fail on a bad value,
// e.g. an unreadable tls.ca_file or a header without a value) and reads
// those the output's schema declares. Relative tls.* paths start at base_dir
// (the config file's directory, BuildContext::base_dir). With `endpoint`,
// host, port and TLS come from it instead of the host/port/tls keys (the
// tls.* keys still apply). workers comes from the common output key.
HttpOutputSettings read_http_output_settings(const config::ComponentConfig& cfg, const std::string& base_dir,
                                             const std::optional<Endpoint>& endpoint = std::nullopt);

// The generic rules of every HTTP backend: no answer, 408, 429 and 5xx retry
// (with the answer's Retry-After); 2xx delivered; any other status permanent,
// with the backend's text (status line and the start of the body) as reason.
FlushResult classify_response(const Response& response);

// How much of an answer's body classify_response quotes in its reason.
inline constexpr size_t kReasonBodyBytes = 512;
// "HTTP 400 Bad Request: <the first kReasonBodyBytes of the body, on one line>".
std::string describe_answer(const Response& response);
// "Bad Request" for 400; "" for a status without a phrase here.
std::string_view status_text(int status);

// "Basic base64(user:password)".
std::string basic_auth(std::string_view user, std::string_view password);

}  // namespace sluice::http
