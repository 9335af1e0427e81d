// The kubernetes filter's questions to the cluster: a Pod or a Namespace from
// the API server, or every pod of the node from the kubelet's /pods, with the
// service account's bearer token (re-read every kube_token_ttl, or printed
// by kube_token_command), over TLS checked against the cluster's CA. A file
// in kube_meta_preload_cache_dir answers before the network is asked. Runs
// on the io_context it is given (the pipeline's thread).
#pragma once
#include <chrono>
#include <functional>
#include <memory>
#include <optional>
#include <string>

#include "outputs/common/http_client.hpp"

namespace sluice::kube {

struct ApiSettings {
  http::ClientSettings api;      // from kube_url
  std::string api_url;           // as written, for messages
  std::optional<http::ClientSettings> kubelet;  // use_kubelet
  std::string kubelet_url;
  std::string token_file;        // "" or missing: no Authorization header
  std::string token_command;     // run through /bin/sh; wins over token_file
  std::chrono::nanoseconds token_ttl{std::chrono::minutes(10)};
  std::string preload_dir;       // "": none
};

struct Answer {
  bool ok = false;      // a 200 answer (or a preload file): body holds the JSON
  int status = 0;       // 0: no answer (or a token that couldn't be had)
  std::string body;
  std::string error;    // one line, when !ok: "kubernetes API https://...: answered 403: pods is forbidden ..."
};
using AnswerHandler = std::function<void(Answer)>;

class ApiClient {
 public:
  ApiClient(boost::asio::io_context& io, ApiSettings settings);
  ~ApiClient();
  ApiClient(const ApiClient&) = delete;
  ApiClient& operator=(const ApiClient&) = delete;

  void get_pod(const std::string& namespace_name, const std::string& pod_name, AnswerHandler done);
  void get_namespace(const std::string& namespace_name, AnswerHandler done);
  // The kubelet's /pods (a PodList), or the preload dir's <ns>_<pod>.meta.
  void get_node_pods(const std::string& namespace_name, const std::string& pod_name, AnswerHandler done);
  // Fails what is queued; later calls fail at once.
  void close();

 private:
  std::string bearer();
  void get(http::Client& client, const std::string& url, const std::string& path, const std::string& preload_file,
           AnswerHandler done);

  boost::asio::io_context& io_;
  ApiSettings settings_;
  std::unique_ptr<http::Client> api_;
  std::unique_ptr<http::Client> kubelet_;
  std::string token_;
  std::chrono::steady_clock::time_point token_read_{};
  bool token_warned_ = false;
};

// The message of a Kubernetes Status object in an error answer ("pods
// \"web\" not found"), or the start of the body on one line.
std::string answer_reason(const std::string& body);

}  // namespace sluice::kube
