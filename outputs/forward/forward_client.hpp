// The `forward` output's connection to its server: TCP or TLS, the
// shared-key handshake, writing messages and waiting for their acks,
// reconnecting after errors (outputs/common/tcp_client does the TCP and
// TLS). Asio stays inside forward_client.cpp.
#pragma once
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "agent/metrics.hpp"
#include "outputs/forward/forward_encoder.hpp"

namespace boost::asio {
class io_context;
}

namespace sluice::forward_out {

// One entry per message, in order: "" delivered, else why it must be sent again.
using SendDone = std::function<void(std::vector<std::string>)>;

struct Counters {
  Counter* connections = nullptr;  // connections made (handshake done)
  Counter* acks = nullptr;         // messages acknowledged by the server
};

// Runs on the output's worker thread. send() may be called before an
// earlier send finished: messages go out in order, one send at a time, on
// one connection. msgs stays alive until done is called.
class Client {
 public:
  virtual ~Client() = default;
  virtual void send(const std::vector<Message>& msgs, SendDone done) = 0;
  // Closes the connection; sends in progress finish with a retry.
  virtual void close() = 0;
};

// s must outlive the client.
std::unique_ptr<Client> make_client(boost::asio::io_context& io, const Settings& s, const Counters& c);

}  // namespace sluice::forward_out
