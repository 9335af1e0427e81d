// STS AssumeRole and AssumeRoleWithWebIdentity; see aws_sts.hpp.
#include "outputs/common/aws/aws_sts.hpp"

#include <charconv>

#include "outputs/common/percent_encoding.hpp"

namespace sluice::aws {

namespace {

constexpr std::string_view kFormType = "application/x-www-form-urlencoded; charset=utf-8";

std::string form(std::initializer_list<std::pair<std::string_view, std::string_view>> params) {
  std::string out;
  for (const auto& [name, value] : params) {
    if (value.empty()) continue;
    if (!out.empty()) out += '&';
    out += http::percent_encode(name);
    out += '=';
    out += http::percent_encode(value);
  }
  return out;
}

// The Host field the client sends for this endpoint.
std::string host_field(const Endpoint& e) {
  std::string origin = e.origin();
  return origin.substr(origin.find("://") + 3);
}

http::Request form_post(const StsTarget& sts, std::string body) {
  http::Request r;
  r.method = "POST";
  r.target = sts.endpoint.path.empty() ? "/" : sts.endpoint.path;
  r.headers.push_back({"Content-Type", std::string(kFormType)});
  r.body = std::move(body);
  return r;
}

// Appends the decoded character reference at text[i] ('&'); returns its length, 0 if none.
size_t decode_entity(std::string_view text, size_t i, std::string& out) {
  static constexpr std::pair<std::string_view, char> kNamed[] = {
      {"&amp;", '&'}, {"&lt;", '<'}, {"&gt;", '>'}, {"&quot;", '"'}, {"&apos;", '\''}};
  for (const auto& [name, c] : kNamed) {
    if (text.substr(i, name.size()) == name) {
      out += c;
      return name.size();
    }
  }
  size_t semi = text.find(';', i);
  if (text.substr(i, 2) != "&#" || semi == std::string_view::npos || semi - i > 10) return 0;
  std::string_view digits = text.substr(i + 2, semi - i - 2);
  int base = 10;
  if (!digits.empty() && (digits.front() == 'x' || digits.front() == 'X')) {
    base = 16;
    digits.remove_prefix(1);
  }
  unsigned cp = 0;
  auto r = std::from_chars(digits.data(), digits.data() + digits.size(), cp, base);
  if (digits.empty() || r.ec != std::errc() || r.ptr != digits.data() + digits.size() || cp > 0x10FFFF) return 0;
  if (cp < 0x80) {
    out += static_cast<char>(cp);
  } else if (cp < 0x800) {
    out += static_cast<char>(0xC0 | (cp >> 6));
    out += static_cast<char>(0x80 | (cp & 0x3F));
  } else if (cp < 0x10000) {
    out += static_cast<char>(0xE0 | (cp >> 12));
    out += static_cast<char>(0x80 | ((cp >> 6) & 0x3F));
    out += static_cast<char>(0x80 | (cp & 0x3F));
  } else {
    out += static_cast<char>(0xF0 | (cp >> 18));
    out += static_cast<char>(0x80 | ((cp >> 12) & 0x3F));
    out += static_cast<char>(0x80 | ((cp >> 6) & 0x3F));
    out += static_cast<char>(0x80 | (cp & 0x3F));
  }
  return semi - i + 1;
}

}  // namespace

std::string xml_text(std::string_view xml, std::string_view tag) {
  std::string open = "<" + std::string(tag) + ">";
  std::string close = "</" + std::string(tag) + ">";
  size_t start = xml.find(open);
  if (start == std::string_view::npos) return "";
  start += open.size();
  size_t end = xml.find(close, start);
  if (end == std::string_view::npos) return "";
  std::string_view raw = xml.substr(start, end - start);
  std::string out;
  out.reserve(raw.size());
  for (size_t i = 0; i < raw.size(); ++i) {
    if (raw[i] == '&') {
      if (size_t n = decode_entity(raw, i, out)) {
        i += n - 1;
        continue;
      }
    }
    out += raw[i];
  }
  return std::string(trim(out));
}

StsTarget resolve_sts(const CredentialsSettings& settings, std::string& error) {
  StsTarget t;
  t.region = settings.region;
  if (t.region.empty()) t.region = env("AWS_REGION");
  if (t.region.empty()) t.region = env("AWS_DEFAULT_REGION");
  std::string url = settings.sts_endpoint;
  const char* what = "sts_endpoint";
  if (url.empty()) {
    url = env("AWS_ENDPOINT_URL_STS");
    what = "AWS_ENDPOINT_URL_STS";
  }
  if (url.empty()) {
    if (t.region.empty()) url = "https://sts.amazonaws.com";
    else url = "https://sts." + t.region + (t.region.starts_with("cn-") ? ".amazonaws.com.cn" : ".amazonaws.com");
  }
  if (t.region.empty()) t.region = "us-east-1";
  auto endpoint = parse_endpoint(url);
  if (!endpoint) {
    error = std::string(what) + " \"" + url + "\" is not an http:// or https:// URL";
    return t;
  }
  t.endpoint = std::move(*endpoint);
  return t;
}

std::string session_name_or_default(const std::string& configured) {
  if (!configured.empty()) return configured;
  auto now = std::chrono::system_clock::now().time_since_epoch();
  return "sluice-" + std::to_string(std::chrono::duration_cast<std::chrono::seconds>(now).count());
}

CredentialsResult parse_sts_answer(std::string_view action, const std::string& url, const http::Response& response,
                                   std::initializer_list<std::string_view> secrets) {
  CredentialsResult r;
  std::string who = "STS " + std::string(action) + " at " + url;
  if (response.status == 0) {
    r.error = who + ": no answer: " + response.error;
    return r;
  }
  if (response.status != 200) {
    std::string code = xml_text(response.body, "Code");
    std::string message = xml_text(response.body, "Message");
    r.error = who + " answered " + std::to_string(response.status) + ": ";
    r.error += code.empty() ? quote_answer(response.body, secrets) : quote_answer(code + ": " + message, secrets);
    return r;
  }
  Credentials c;
  c.access_key_id = xml_text(response.body, "AccessKeyId");
  c.secret_access_key = xml_text(response.body, "SecretAccessKey");
  c.session_token = xml_text(response.body, "SessionToken");
  std::string expiration = xml_text(response.body, "Expiration");
  c.expiration = parse_iso8601(expiration);
  if (c.access_key_id.empty() || c.secret_access_key.empty() || c.session_token.empty()) {
    r.error = who + " answered 200 without AccessKeyId, SecretAccessKey and SessionToken";
  } else if (!c.expiration) {
    r.error = who + " answered an Expiration that is not an ISO 8601 time: \"" + quote_answer(expiration, {}, 40) + "\"";
  } else {
    r.credentials = std::make_shared<const Credentials>(std::move(c));
  }
  return r;
}

void assume_role(HttpClients& clients, const StsTarget& sts, const Credentials& base, const AssumeRoleParams& params,
                 CredentialsDone done) {
  std::string duration = std::to_string(params.duration.count());
  http::Request request = form_post(sts, form({{"Action", "AssumeRole"},
                                               {"Version", "2011-06-15"},
                                               {"RoleArn", params.role_arn},
                                               {"RoleSessionName", params.session_name},
                                               {"ExternalId", params.external_id},
                                               {"DurationSeconds", duration}}));
  std::string host = host_field(sts.endpoint);
  std::string_view target = request.target;
  size_t q = target.find('?');
  SigningInput in;
  in.method = request.method;
  in.path = target.substr(0, q);
  in.query = q == std::string_view::npos ? std::string_view() : target.substr(q + 1);
  in.headers = {{"Host", host}, {"Content-Type", kFormType}};
  in.body = request.body;
  in.region = sts.region;
  in.service = "sts";
  in.time = std::chrono::system_clock::now();
  SignedRequest signed_request = sign(in, base);
  for (auto& [name, value] : signed_request.headers) request.headers.push_back({name, std::move(value)});
  clients.get(sts.endpoint, true)
      .send(std::move(request), [url = sts.url(), done = std::move(done), secret = base.secret_access_key,
                                 token = base.session_token](http::Response response) {
        done(parse_sts_answer("AssumeRole", url, response, {secret, token}));
      });
}

void assume_role_with_web_identity(HttpClients& clients, const StsTarget& sts, const AssumeRoleParams& params,
                                   const std::string& token, CredentialsDone done) {
  std::string duration = std::to_string(params.duration.count());
  http::Request request = form_post(sts, form({{"Action", "AssumeRoleWithWebIdentity"},
                                               {"Version", "2011-06-15"},
                                               {"RoleArn", params.role_arn},
                                               {"RoleSessionName", params.session_name},
                                               {"WebIdentityToken", token},
                                               {"DurationSeconds", duration}}));
  clients.get(sts.endpoint, true)
      .send(std::move(request), [url = sts.url(), done = std::move(done), token](http::Response response) {
        done(parse_sts_answer("AssumeRoleWithWebIdentity", url, response, {token}));
      });
}

}  // namespace sluice::aws
