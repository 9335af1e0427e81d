// libFuzzer target for the HTTP/2 server connection (http2_connection.hpp):
// any bytes after the connection preface, fed in two pieces, are served or
// end the connection with a GOAWAY, never a crash. The first byte picks the
// limits and the handler's behaviour (refuse in check(), answer with
// trailers, stop the server half-way). Seeds: traffic nghttp sent.
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

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size == 0) return 0;
  const uint8_t mode = data[0];
  sluice::HttpServerSettings settings;
  settings.max_body_size = (mode & 1) != 0 ? 1024 : 4 * 1024 * 1024;
  FuzzHandler handler(mode);
  sluice::Http2Connection connection(settings, handler, "fuzz");
  std::string bytes = std::string(sluice::kHttp2Preface) + std::string(reinterpret_cast<const char*>(data + 1), size - 1);
  size_t cut = bytes.size() / 2 + mode % 7;
  if (cut > bytes.size()) cut = bytes.size();
  std::string out;
  bool alive = connection.receive(std::string_view(bytes).substr(0, cut));
  connection.take_output(out);
  if ((mode & 8) != 0) connection.stop();
  if (alive) alive = connection.receive(std::string_view(bytes).substr(cut));
  connection.take_output(out);
  // A protocol error leaves nothing more to do once its GOAWAY is out.
  if (!alive && !connection.finished()) std::abort();
  return 0;
}
