// Container and EC2 instance metadata credentials; see aws_metadata_credentials.hpp.
#include "outputs/common/aws/aws_metadata_credentials.hpp"

#include <simdjson.h>

namespace sluice::aws {

namespace {

constexpr std::string_view kContainerHost = "169.254.170.2";
constexpr const char* kImdsTtl = "21600";  // seconds: the longest IMDS allows

// Hosts the SDKs let AWS_CONTAINER_CREDENTIALS_FULL_URI reach over plain
// http: loopback, ECS's and EKS Pod Identity's link-local agents.
bool plain_http_allowed(const std::string& host) {
  return host == "localhost" || host.starts_with("127.") || host == "::1" || host == "169.254.170.2" ||
         host == "169.254.170.23" || host == "fd00:ec2::23";
}

std::string target_on(const Endpoint& e, std::string_view path) {
  std::string base = e.path;
  while (!base.empty() && base.back() == '/') base.pop_back();
  return base + std::string(path);
}

bool has_line_break(std::string_view s) { return s.find_first_of("\r\n") != std::string_view::npos; }

// The three IMDSv2 requests of one fetch, each answer leading to the next.
// Lives in its handlers: dropped with them when the clients stop.
struct ImdsFetch : std::enable_shared_from_this<ImdsFetch> {
  ImdsFetch(HttpClients& c, Endpoint e, CredentialsDone d)
      : clients(c), endpoint(std::move(e)), who("EC2 instance metadata at " + endpoint.origin()), done(std::move(d)) {}

  void start() {
    http::Request r;
    r.method = "PUT";
    r.target = target_on(endpoint, "/latest/api/token");
    r.headers.push_back({"X-aws-ec2-metadata-token-ttl-seconds", kImdsTtl});
    clients.get(endpoint, false).send(std::move(r), [self = shared_from_this()](http::Response a) {
      self->on_token(std::move(a));
    });
  }

  void get(std::string path, void (ImdsFetch::*next)(http::Response)) {
    http::Request r;
    r.method = "GET";
    r.target = target_on(endpoint, path);
    r.headers.push_back({"X-aws-ec2-metadata-token", token});
    clients.get(endpoint, false).send(std::move(r), [self = shared_from_this(), next](http::Response a) {
      ((*self).*next)(std::move(a));
    });
  }

  bool failed(const http::Response& a, const std::string& step) {
    if (a.status == 200) return false;
    std::string reason = a.status == 0 ? ": no answer: " + a.error
                                       : ": " + step + " answered " + std::to_string(a.status);
    if (a.status == 404 && step.ends_with("security-credentials/")) {
      reason = ": no IAM role is attached to this instance (" + step + " answered 404)";
    }
    done({nullptr, who + reason, ""});
    return true;
  }

  void on_token(http::Response a) {
    if (failed(a, "PUT /latest/api/token")) return;
    token = std::string(trim(a.body));
    if (token.empty() || has_line_break(token)) {
      done({nullptr, who + ": PUT /latest/api/token answered no usable token", ""});
      return;
    }
    get("/latest/meta-data/iam/security-credentials/", &ImdsFetch::on_role_list);
  }

  void on_role_list(http::Response a) {
    if (failed(a, "GET /latest/meta-data/iam/security-credentials/")) return;
    std::string_view body = trim(a.body);
    role = std::string(trim(body.substr(0, body.find('\n'))));
    if (role.empty() || role.find_first_of("/?#% ") != std::string::npos) {
      done({nullptr, who + ": no IAM role is attached to this instance (empty role list)", ""});
      return;
    }
    get("/latest/meta-data/iam/security-credentials/" + role, &ImdsFetch::on_role);
  }

  void on_role(http::Response a) {
    if (failed(a, "GET /latest/meta-data/iam/security-credentials/" + role)) return;
    CredentialsResult r = parse_json_credentials(who, a.body);
    r.source = "EC2 instance metadata (role " + role + ")";
    done(std::move(r));
  }

  HttpClients& clients;
  Endpoint endpoint;
  std::string who;
  CredentialsDone done;
  std::string token;  // the IMDSv2 session token
  std::string role;
};

}  // namespace

CredentialsResult parse_json_credentials(const std::string& who, std::string_view body) {
  CredentialsResult r;
  simdjson::dom::parser parser;
  simdjson::dom::element doc;
  if (parser.parse(body.data(), body.size()).get(doc) != simdjson::SUCCESS || !doc.is_object()) {
    r.error = who + " answered something that is not a JSON object";
    return r;
  }
  auto field = [&](const char* key) {
    std::string_view v;
    return doc[key].get_string().get(v) == simdjson::SUCCESS ? std::string(v) : std::string();
  };
  std::string code = field("Code");
  if (!code.empty() && code != "Success") {
    r.error = who + " answered Code " + quote_answer(code, {}, 60) + ": " + quote_answer(field("Message"), {}, 200);
    return r;
  }
  Credentials c{field("AccessKeyId"), field("SecretAccessKey"), field("Token"), std::nullopt};
  std::string expiration = field("Expiration");
  if (c.access_key_id.empty() || c.secret_access_key.empty()) {
    r.error = who + " answered without AccessKeyId and SecretAccessKey";
    return r;
  }
  if (!expiration.empty()) {
    c.expiration = parse_iso8601(expiration);
    if (!c.expiration) {
      r.error = who + " answered an Expiration that is not an ISO 8601 time: \"" + quote_answer(expiration, {}, 40) + "\"";
      return r;
    }
  }
  r.credentials = std::make_shared<const Credentials>(std::move(c));
  return r;
}

std::optional<Endpoint> container_endpoint(std::string& error) {
  std::string relative = env("AWS_CONTAINER_CREDENTIALS_RELATIVE_URI");
  if (!relative.empty()) {
    Endpoint e;
    e.host = std::string(kContainerHost);
    e.path = relative.starts_with("/") ? relative : "/" + relative;
    return e;
  }
  std::string full = env("AWS_CONTAINER_CREDENTIALS_FULL_URI");
  if (full.empty()) return std::nullopt;
  auto e = parse_endpoint(full);
  if (!e) {
    error = "AWS_CONTAINER_CREDENTIALS_FULL_URI \"" + full + "\" is not an http:// or https:// URL";
  } else if (!e->tls && !plain_http_allowed(e->host)) {
    error = "AWS_CONTAINER_CREDENTIALS_FULL_URI: plain http is only allowed to a loopback address, 169.254.170.2 or "
            "169.254.170.23, not to " + e->host;
  }
  if (!error.empty()) return std::nullopt;
  return e;
}

void fetch_container_credentials(HttpClients& clients, const Endpoint& endpoint, CredentialsDone done) {
  std::string who = "the container credentials endpoint " + endpoint.origin() + endpoint.path;
  std::string token = env("AWS_CONTAINER_AUTHORIZATION_TOKEN");
  std::string token_file = env("AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE");
  if (!token_file.empty()) {
    std::string error;
    auto text = read_small_file(token_file, error);
    if (!text) {
      done({nullptr, "AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE: " + error, ""});
      return;
    }
    token = std::string(trim(*text));
  }
  if (has_line_break(token)) {
    done({nullptr, "the container authorization token holds a line break", ""});
    return;
  }
  http::Request r;
  r.method = "GET";
  r.target = endpoint.path.empty() ? "/" : endpoint.path;
  if (!token.empty()) r.headers.push_back({"Authorization", token});
  clients.get(endpoint, false).send(std::move(r), [who, token, done = std::move(done)](http::Response a) {
    if (a.status != 200) {
      std::string reason = a.status == 0 ? "no answer: " + a.error
                                         : "answered " + std::to_string(a.status) + ": " + quote_answer(a.body, {token});
      done({nullptr, who + ": " + reason, ""});
      return;
    }
    CredentialsResult result = parse_json_credentials(who, a.body);
    result.source = who;
    done(std::move(result));
  });
}

std::optional<Endpoint> imds_endpoint(std::string& error) {
  std::string disabled = env("AWS_EC2_METADATA_DISABLED");
  for (char& c : disabled) c = static_cast<char>(c >= 'A' && c <= 'Z' ? c - 'A' + 'a' : c);
  if (disabled == "true") return std::nullopt;
  std::string url = env("AWS_EC2_METADATA_SERVICE_ENDPOINT");
  if (url.empty()) {
    std::string mode = env("AWS_EC2_METADATA_SERVICE_ENDPOINT_MODE");
    url = (mode == "IPv6" || mode == "ipv6") ? "http://[fd00:ec2::254]" : "http://169.254.169.254";
  }
  auto e = parse_endpoint(url);
  if (!e) {
    error = "AWS_EC2_METADATA_SERVICE_ENDPOINT \"" + url + "\" is not an http:// or https:// URL";
    return std::nullopt;
  }
  return e;
}

void fetch_imds_credentials(HttpClients& clients, const Endpoint& endpoint, CredentialsDone done) {
  std::make_shared<ImdsFetch>(clients, endpoint, std::move(done))->start();
}

}  // namespace sluice::aws
