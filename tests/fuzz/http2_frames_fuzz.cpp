// libFuzzer target for the HTTP/2 server connection (http2_connection.hpp):
// any bytes after the connection preface, fed in two pieces, are served or
// end the connection with a GOAWAY, never a crash. The first byte picks the
// limits and the handler's behaviour (refuse in check(), answer with
// trailers, stop the server half-way). Seeds: traffic nghttp sent.
#include <algorithm>
#include <cstdint>
#include <cstdlib>
#include <optional>
#include <string>

#include "inputs/http/http2_connection.hpp"

namespace {

class FuzzHandler final : public sluice::RequestHandler {
 public:
  explicit FuzzHandler(uint8_t mode) : mode_(mode) {}
  std::optional<sluice::HttpAnswer> check(const sluice::RequestHead& head) override {
    if ((mode_ & 2) != 0 && head.target.size() % 2 == 1) return sluice::json_error(401, "no");
    return std::nullopt;
  }
  sluice::HttpAnswer handle(const sluice::RequestHead&, std::string& body) override {
    sluice::HttpAnswer a;
    a.body = body.substr(0, 100);
    if ((mode_ & 4) != 0) a.trailers = {{"grpc-status", "0"}};
    return a;
  }
  void refused(std::string_view, int, std::string_view reason) override {
    if (reason.empty()) std::abort();
  }

 private:
  uint8_t mode_;
};

// Half a megabyte: bodies beyond it are refused.
class FuzzBudget final : public sluice::BodyBudget {
 public:
  bool take(uint64_t bytes) override {
    if (held + bytes > 512 * 1024) return false;
    held += bytes;
    return true;
  }
  void give_back(uint64_t bytes) override {
    if (bytes > held) std::abort();  // more than was taken
    held -= bytes;
  }
  uint64_t held = 0;
};

// One connection's life on `bytes` (the preface first), fed in two pieces.
void serve(const std::string& bytes, uint8_t mode, FuzzBudget& budget) {
  sluice::HttpServerSettings settings;
  settings.max_body_size = (mode & 1) != 0 ? 1024 : 4 * 1024 * 1024;
  FuzzHandler handler(mode);
  sluice::Http2Connection connection(settings, handler, budget, "fuzz");
  size_t cut = std::min(bytes.size(), bytes.size() / 2 + mode % 7);
  std::string out;
  bool alive = connection.receive(std::string_view(bytes).substr(0, cut));
  connection.take_output(out);
  if ((mode & 8) != 0) connection.stop();
  if (alive) alive = connection.receive(std::string_view(bytes).substr(cut));
  connection.take_output(out);
  // A protocol error leaves nothing more to do once its GOAWAY is out.
  if (!alive && !connection.finished()) std::abort();
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size == 0) return 0;
  FuzzBudget budget;
  serve(std::string(sluice::kHttp2Preface) + std::string(reinterpret_cast<const char*>(data + 1), size - 1), data[0],
        budget);
  if (budget.held != 0) std::abort();  // a closed connection holds no body
  return 0;
}
