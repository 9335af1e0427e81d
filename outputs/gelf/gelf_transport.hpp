// What the `gelf` output hands its transports (UDP, TCP/TLS): the
// encoded messages of one flush, and the outcome of each.
#pragma once
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "agent/metrics.hpp"
#include "agent/output.hpp"
#include "outputs/gelf/gelf_settings.hpp"

namespace sluice::gelf {

// GELF JSON messages back to back in `text`, each followed by a NUL byte, so
// TCP can write the whole buffer as it is (NUL is its frame delimiter).
struct Messages {
  std::string text;
  std::vector<std::pair<size_t, size_t>> spans;  // offset and length of each message, NUL excluded

  size_t size() const { return spans.size(); }
  std::string_view at(size_t i) const { return std::string_view(text).substr(spans[i].first, spans[i].second); }
  // Call after appending one message's JSON to text.
  void end_message(size_t start) {
    spans.emplace_back(start, text.size() - start);
    text.push_back('\0');
  }
};

// One outcome per message, in order.
using SendDone = std::function<void(std::vector<RecordOutcome>)>;

// The output's own counters, made once at start.
struct Counters {
  Counter* chunked = nullptr;    // udp messages sent in chunks
  Counter* oversized = nullptr;  // udp messages over 128 chunks (dead-lettered)
  Counter* invalid = nullptr;    // records without a short message (dead-lettered)
  Counter* reconnects = nullptr; // tcp/tls/udp sockets opened
};

// Runs on the output's worker thread. send() may be called again before an
// earlier send finished (the core runs up to `workers` flushes): transports
// queue or pipeline as their protocol allows. msgs stays alive until done.
class Transport {
 public:
  virtual ~Transport() = default;
  virtual void send(const Messages& msgs, SendDone done) = 0;
  // Closes sockets; sends in progress finish with Retry.
  virtual void close() = 0;
};

// The UDP transport (gelf_udp.cpp). s must outlive it.
std::unique_ptr<Transport> make_udp_transport(boost::asio::io_context& io, const Settings& s, const Counters& c);
// GELF over HTTP (gelf_http.cpp): a codec on the shared HTTP sink, a whole
// Output of its own.
std::unique_ptr<Output> make_http_sink(Settings s);

}  // namespace sluice::gelf
