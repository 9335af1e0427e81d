// The kubernetes filter's API client; see kube_api.hpp.
#include "filters/kubernetes/kube_api.hpp"

#include <cstdio>

#include "agent/log.hpp"
#include "agent/parse/json_format.hpp"
#include "agent/storage/file_io.hpp"
#include "outputs/common/percent_encoding.hpp"

namespace sluice::kube {

namespace {

std::string trim(std::string s) {
  while (!s.empty() && (s.back() == '\n' || s.back() == '\r' || s.back() == ' ' || s.back() == '\t')) s.pop_back();
  size_t i = 0;
  while (i < s.size() && (s[i] == ' ' || s[i] == '\t')) ++i;
  return s.substr(i);
}

std::optional<std::string> read_file(const std::string& path) {
  std::string text;
  if (storage::read_whole(path, &text) != 0) return std::nullopt;
  return text;
}

// The command's standard output (at most 1 MiB), or nullopt when it can't
// be run or exits non-zero.
std::optional<std::string> run_command(const std::string& command) {
  FILE* p = ::popen(command.c_str(), "r");
  if (p == nullptr) return std::nullopt;
  std::string out;
  char buf[4096];
  size_t n;
  while ((n = std::fread(buf, 1, sizeof buf, p)) > 0 && out.size() < (1u << 20)) out.append(buf, n);
  int status = ::pclose(p);
  if (status != 0) return std::nullopt;
  return out;
}

std::string one_line(std::string_view s, size_t max) {
  std::string out;
  for (char c : s.substr(0, max)) out += (c == '\n' || c == '\r') ? ' ' : c;
  return trim(out);
}

}  // namespace

std::string answer_reason(const std::string& body) {
  Arena arena(1024);
  Value v;
  if (make_json_format()->parse(body, arena, v) && v.is_map()) {
    if (const Value* m = v.find("message"); m != nullptr && m->is_string()) return one_line(m->as_string(), 200);
  }
  return one_line(body, 200);
}

ApiClient::ApiClient(boost::asio::io_context& io, ApiSettings settings) : io_(io), settings_(std::move(settings)) {
  api_ = std::make_unique<http::Client>(io, settings_.api);
  if (settings_.kubelet) kubelet_ = std::make_unique<http::Client>(io, *settings_.kubelet);
}

ApiClient::~ApiClient() = default;

void ApiClient::close() {
  if (api_) api_->close();
  if (kubelet_) kubelet_->close();
}

// "Bearer <token>", or "" when there is none. Read again once older than
// token_ttl: a projected service account token is rotated by the kubelet.
std::string ApiClient::bearer() {
  auto now = std::chrono::steady_clock::now();
  if (token_.empty() || now - token_read_ >= settings_.token_ttl) {
    std::optional<std::string> token;
    std::string source;
    if (!settings_.token_command.empty()) {
      token = run_command(settings_.token_command);
      source = "kube_token_command";
    } else if (!settings_.token_file.empty()) {
      token = read_file(settings_.token_file);
      source = "kube_token_file " + settings_.token_file;
    }
    if (token) {
      token_ = trim(*token);
      token_read_ = now;
      token_warned_ = false;
    } else if (!source.empty() && !token_warned_) {
      log::warn("filter kubernetes: cannot read the token ({}){}", source,
                token_.empty() ? "; asking the API server without one" : "; keeping the one read before");
      token_warned_ = true;
    }
  }
  return token_.empty() ? std::string() : "Bearer " + token_;
}

void ApiClient::get(http::Client& client, const std::string& url, const std::string& path,
                    const std::string& preload_file, AnswerHandler done) {
  if (!settings_.preload_dir.empty() && !preload_file.empty()) {
    if (auto text = read_file(settings_.preload_dir + "/" + preload_file); text && !text->empty()) {
      Answer a;
      a.ok = true;
      a.status = 200;
      a.body = std::move(*text);
      // Answered later, as the network would: the filter isn't re-entered.
      boost::asio::post(io_, [done = std::move(done), a = std::move(a)]() mutable { done(std::move(a)); });
      return;
    }
  }
  http::Request request;
  request.method = "GET";
  request.target = path;
  request.headers.push_back({"Accept", "application/json"});
  request.headers.push_back({"User-Agent", "sluice"});
  if (std::string auth = bearer(); !auth.empty()) request.headers.push_back({"Authorization", std::move(auth)});
  std::string who = url + path;
  client.send(std::move(request), [done = std::move(done), who = std::move(who)](http::Response r) {
    Answer a;
    a.status = r.status;
    if (r.status == 200) {
      a.ok = true;
      a.body = std::move(r.body);
    } else if (r.status == 0) {
      a.error = who + " did not answer: " + r.error;
    } else {
      a.error = who + " answered " + std::to_string(r.status) + ": " + answer_reason(r.body);
    }
    done(std::move(a));
  });
}

void ApiClient::get_pod(const std::string& namespace_name, const std::string& pod_name, AnswerHandler done) {
  get(*api_, settings_.api_url,
      "/api/v1/namespaces/" + http::percent_encode(namespace_name) + "/pods/" + http::percent_encode(pod_name),
      namespace_name + "_" + pod_name + ".meta", std::move(done));
}

void ApiClient::get_namespace(const std::string& namespace_name, AnswerHandler done) {
  get(*api_, settings_.api_url, "/api/v1/namespaces/" + http::percent_encode(namespace_name),
      namespace_name + ".namespace_meta", std::move(done));
}

void ApiClient::get_node_pods(const std::string& namespace_name, const std::string& pod_name, AnswerHandler done) {
  get(kubelet_ ? *kubelet_ : *api_, settings_.kubelet_url, "/pods", namespace_name + "_" + pod_name + ".meta",
      std::move(done));
}

}  // namespace sluice::kube
