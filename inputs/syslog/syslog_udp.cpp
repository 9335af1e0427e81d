// Datagram listeners of the syslog input; see syslog_udp.hpp.
#include "inputs/syslog/syslog_udp.hpp"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include "agent/asio.hpp"
#include "agent/unix_socket_file.hpp"

namespace sluice::syslog {

namespace {

namespace asio = boost::asio;
using boost::system::error_code;
using udp = asio::ip::udp;
using unix_dgram = asio::local::datagram_protocol;

// Datagrams read per wakeup before letting other handlers run.
constexpr int kDatagramsPerWakeup = 256;
// At shutdown, at most this many queued datagrams are still read.
constexpr int kDrainDatagrams = 100000;

// No datagram is longer (IPv4/IPv6 UDP payload, and far above unix ones in practice).
constexpr size_t kMaxDatagram = 65536;

log::RateLimit g_receive_log(1000);

std::string udp_source(const sockaddr_storage& from) {
  char ip[INET6_ADDRSTRLEN] = "unknown";
  unsigned port = 0;
  if (from.ss_family == AF_INET) {
    const auto& a = reinterpret_cast<const sockaddr_in&>(from);
    ::inet_ntop(AF_INET, &a.sin_addr, ip, sizeof ip);
    port = ntohs(a.sin_port);
  } else if (from.ss_family == AF_INET6) {
    const auto& a = reinterpret_cast<const sockaddr_in6&>(from);
    ::inet_ntop(AF_INET6, &a.sin6_addr, ip, sizeof ip);
    port = ntohs(a.sin6_port);
  }
  return std::string("udp://") + ip + ":" + std::to_string(port);
}

// Receives datagrams with recvmsg(2) directly: it reports MSG_TRUNC (a
// datagram longer than buffer_max_size) and the socket's drop count.
template <class Protocol>
class DatagramListener final : public Listener, public std::enable_shared_from_this<DatagramListener<Protocol>> {
 public:
  using Socket = typename Protocol::socket;

  DatagramListener(std::shared_ptr<Receiver> rx, Socket socket, std::string path)
      : rx_(std::move(rx)),
        socket_(std::move(socket)),
        path_(std::move(path)),
        buf_(std::min<size_t>(rx_->settings().buffer_max_size, kMaxDatagram)) {
    // The kernel's count of datagrams dropped on this socket (a full buffer)
    // comes with each datagram received; Linux only, harmless where unknown.
    int on = 1;
    ::setsockopt(socket_.native_handle(), SOL_SOCKET, SO_RXQ_OVFL, &on, sizeof on);
    if (!path_.empty()) unix_source_ = "unix://" + path_;
  }

  void wait() {
    socket_.async_wait(Socket::wait_read,
                       [self = this->shared_from_this()](const error_code& ec) { self->on_readable(ec); });
  }

  void drain() override {
    for (int i = 0; i < kDrainDatagrams && !stopped_ && receive_one(); ++i) {
    }
  }

  void stop() override {
    if (stopped_) return;
    stopped_ = true;
    error_code ignored;
    socket_.close(ignored);
    if (!path_.empty()) ::unlink(path_.c_str());
  }

 private:
  void on_readable(const error_code& ec) {
    log::Scope scope(rx_->log_level());
    if (stopped_ || rx_->stopped()) return;
    if (ec) {
      if (ec != asio::error::operation_aborted)
        log::error("input {}: the syslog socket failed: {}; no more datagrams are read", rx_->instance(), ec.message());
      return;
    }
    if (rx_->paused()) {
      // Not reading: datagrams wait in the socket buffer; what overflows it
      // is counted from SO_RXQ_OVFL once reading resumes.
      rx_->when_unpaused([self = this->shared_from_this()] { self->on_readable({}); });
      return;
    }
    for (int i = 0; i < kDatagramsPerWakeup && receive_one(); ++i) {
    }
    wait();
  }

  // Reads one datagram if there is one; false when there is none.
  bool receive_one() {
    sockaddr_storage from{};
    iovec iov{buf_.data(), buf_.size()};
    alignas(cmsghdr) char control[CMSG_SPACE(sizeof(uint32_t))];
    msghdr msg{};
    msg.msg_name = &from;
    msg.msg_namelen = sizeof from;
    msg.msg_iov = &iov;
    msg.msg_iovlen = 1;
    msg.msg_control = control;
    msg.msg_controllen = sizeof control;
    ssize_t n = ::recvmsg(socket_.native_handle(), &msg, MSG_DONTWAIT);
    if (n < 0) {
      if (errno == EINTR) return true;
      if (errno != EAGAIN && errno != EWOULDBLOCK) {
        if (uint64_t k = g_receive_log.hit())
          log::warn("input {}: receiving a datagram failed: {} ({} so far)", rx_->instance(), std::strerror(errno), k);
      }
      return false;
    }
    count_drops(msg);
    rx_->metrics().bytes_read->add(static_cast<uint64_t>(n));
    FrameFlags flags;
    flags.truncated = (msg.msg_flags & MSG_TRUNC) != 0;
    std::string_view data(buf_.data(), static_cast<size_t>(n));
    if (rx_->settings().source_address_key.empty()) {
      rx_->add(data, flags, {});
    } else if (path_.empty()) {
      rx_->add(data, flags, udp_source(from));
    } else {
      rx_->add(data, flags, unix_source_);
    }
    return true;
  }

  void count_drops(msghdr& msg) {
    for (cmsghdr* c = CMSG_FIRSTHDR(&msg); c != nullptr; c = CMSG_NXTHDR(&msg, c)) {
      if (c->cmsg_level != SOL_SOCKET || c->cmsg_type != SO_RXQ_OVFL) continue;
      uint32_t total = 0;
      std::memcpy(&total, CMSG_DATA(c), sizeof total);
      uint32_t fresh = total - drops_seen_;  // the kernel's counter wraps at 2^32
      drops_seen_ = total;
      if (fresh == 0) continue;
      rx_->metrics().dropped->add(fresh);
      if (drop_log_.hit() != 0)
        log::warn("input {}: the kernel dropped {} datagrams (socket buffer full; see receive_buffer_size)",
                  rx_->instance(), fresh);
    }
  }

  std::shared_ptr<Receiver> rx_;
  Socket socket_;
  std::string path_;  // unix_udp: the socket file, removed at stop
  std::string unix_source_;
  std::vector<char> buf_;
  uint32_t drops_seen_ = 0;
  bool stopped_ = false;
  log::RateLimit drop_log_{100};
};

template <class Socket>
void set_receive_buffer(Socket& socket, const SyslogSettings& s, const std::string& instance) {
  if (s.receive_buffer_size == 0) return;
  error_code ec;
  socket.set_option(asio::socket_base::receive_buffer_size(static_cast<int>(s.receive_buffer_size)), ec);
  asio::socket_base::receive_buffer_size got;
  socket.get_option(got, ec);
  // Linux doubles the value asked for (bookkeeping) and caps it at rmem_max.
  if (!ec && static_cast<size_t>(got.value()) < s.receive_buffer_size) {
    log::warn("input {}: receive_buffer_size {} was capped by the kernel at {} bytes (raise net.core.rmem_max)",
              instance, s.receive_buffer_size, got.value() / 2);
  }
}

[[noreturn]] void cannot_bind(const SyslogSettings& s, const std::string& where, const error_code& ec) {
  throw config::ConfigError(s.bind_mark, "input " + s.plugin + ": cannot listen (mode " + mode_name(s.mode) +
                                             ") on " + where + ": " + ec.message());
}

}  // namespace

std::shared_ptr<Listener> start_datagram_listener(const std::shared_ptr<Receiver>& rx) {
  const SyslogSettings& s = rx->settings();
  error_code ec;
  if (s.mode == Mode::UnixUdp) {
    unix_socket::prepare(s.path, "path", s.bind_mark);
    unix_dgram::socket socket(rx->io());
    socket.open(unix_dgram(), ec);
    if (!ec) socket.bind(unix_dgram::endpoint(s.path), ec);
    if (ec) cannot_bind(s, s.path, ec);
    unix_socket::set_mode(s.path, s.unix_perm, s.bind_mark);
    set_receive_buffer(socket, s, rx->instance());
    log::info("input {}: listening for syslog on unix datagram socket {}", rx->instance(), s.path);
    auto l = std::make_shared<DatagramListener<unix_dgram>>(rx, std::move(socket), s.path);
    l->wait();
    return l;
  }
  std::string where = s.listen + ":" + std::to_string(s.port);
  udp::endpoint ep(asio::ip::make_address(s.listen, ec), s.port);
  udp::socket socket(rx->io());
  if (!ec) socket.open(ep.protocol(), ec);
  if (!ec) socket.bind(ep, ec);
  if (ec) cannot_bind(s, where, ec);
  set_receive_buffer(socket, s, rx->instance());
  log::info("input {}: listening for {} on udp {}", rx->instance(), payload_name(rx->settings().payload), where);
  auto l = std::make_shared<DatagramListener<udp>>(rx, std::move(socket), "");
  l->wait();
  return l;
}

}  // namespace sluice::syslog
