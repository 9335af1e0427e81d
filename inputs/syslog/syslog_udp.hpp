// Datagram listeners of the syslog input (udp, unix_udp): one message per
// datagram (RFC 5426).
#pragma once
#include <memory>

#include "inputs/syslog/syslog_receiver.hpp"

namespace sluice::syslog {

// Binds (udp: listen:port; unix_udp: path, with unix_perm) and starts
// receiving. While the pipeline is paused nothing is read: the socket buffer
// (receive_buffer_size) holds what arrives, and what the kernel drops when
// it is full is counted (SO_RXQ_OVFL) as sluice_input_records_dropped_total.
// Throws config::ConfigError when it cannot bind.
std::shared_ptr<Listener> start_datagram_listener(const std::shared_ptr<Receiver>& rx);

}  // namespace sluice::syslog
