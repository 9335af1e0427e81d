// GELF over UDP: zlib/gzip compression, chunking, and the non-blocking
// sender. See gelf_udp.hpp.
#include "outputs/gelf/gelf_udp.hpp"

#include <deque>
#include <random>

#include "agent/asio.hpp"
#include "agent/log.hpp"
#include "agent/zlib_codec.hpp"
#include "outputs/gelf/gelf_transport.hpp"

namespace sluice::gelf {

void compress(std::string_view data, Compression c, std::string& out) {
  if (c == Compression::None) {
    out.assign(data);
    return;
  }
  // zlib's default level: a message is small, and the better ratio keeps
  // big ones within the 128 chunks a GELF message may have.
  zlib::compress(data, c == Compression::Gzip ? zlib::Wrapper::Gzip : zlib::Wrapper::Zlib, zlib::kDefaultLevel, out);
}

size_t datagram_count(size_t size, size_t packet_size) {
  if (size <= packet_size) return 1;
  size_t slice = packet_size - kChunkHeaderSize;
  size_t n = (size + slice - 1) / slice;
  return n > kMaxChunks ? 0 : n;
}

size_t max_payload(size_t packet_size) { return kMaxChunks * (packet_size - kChunkHeaderSize); }

void make_chunk(std::string_view payload, size_t packet_size, uint64_t message_id, size_t seq, size_t count,
                std::string& out) {
  size_t slice = packet_size - kChunkHeaderSize;
  out.resize(kChunkHeaderSize);
  out[0] = '\x1e';
  out[1] = '\x0f';
  for (int i = 0; i < 8; ++i) out[2 + i] = static_cast<char>((message_id >> (56 - 8 * i)) & 0xff);
  out[10] = static_cast<char>(seq);
  out[11] = static_cast<char>(count);
  out.append(payload.substr(seq * slice, slice));
}

namespace {

namespace asio = boost::asio;
using udp = asio::ip::udp;

// Runs on the output's worker thread. One connected UDP socket (so an ICMP
// port-unreachable comes back as ECONNREFUSED on a later send); datagrams go
// out with non-blocking sends, waiting for writability only when the socket
// buffer is full. Sends are processed one at a time, in order.
class UdpTransport final : public Transport {
 public:
  UdpTransport(asio::io_context& io, const Settings& s, const Counters& c)
      : s_(s), counters_(c), resolver_(io), socket_(io), rng_(std::random_device{}()) {}

  void send(const Messages& msgs, SendDone done) override {
    queue_.push_back(Job{&msgs, std::move(done), std::vector<RecordOutcome>(msgs.size())});
    if (!busy_) next();
  }

  void close() override {
    closed_ = true;
    resolver_.cancel();
    boost::system::error_code ignored;
    socket_.close(ignored);
  }

 private:
  struct Job {
    const Messages* msgs;
    SendDone done;
    std::vector<RecordOutcome> outcomes;
    size_t index = 0;  // message being sent
    size_t seq = 0;    // its next datagram
    size_t count = 0;  // its datagrams; 0 = not prepared yet
    uint64_t id = 0;
  };

  void next() {
    if (queue_.empty()) {
      busy_ = false;
      return;
    }
    busy_ = true;
    if (closed_) return fail("output stopped");
    if (socket_.is_open()) return resume();
    resolver_.async_resolve(s_.host, std::to_string(s_.port),
                            [this](const boost::system::error_code& ec, const udp::resolver::results_type& r) {
                              if (ec) return fail("cannot resolve " + s_.host + ": " + ec.message());
                              connect(r);
                            });
  }

  void connect(const udp::resolver::results_type& results) {
    boost::system::error_code ec;
    for (const auto& entry : results) {
      socket_.close(ec);
      socket_.open(entry.endpoint().protocol(), ec);
      if (!ec) socket_.connect(entry.endpoint(), ec);
      if (!ec) break;
    }
    if (!ec) socket_.non_blocking(true, ec);
    if (ec) {
      std::string why = "cannot open a UDP socket to " + where() + ": " + ec.message();
      socket_.close(ec);
      return fail(why);
    }
    counters_.reconnects->add();
    resume();
  }

  // Sends the current job's datagrams until done, an error, or a full socket buffer.
  void resume() {
    Job& job = queue_.front();
    while (job.index < job.msgs->size()) {
      if (job.count == 0 && !prepare(job)) {
        ++job.index;
        continue;
      }
      while (job.seq < job.count) {
        std::string_view datagram = payload_;
        if (job.count > 1) {
          make_chunk(payload_, s_.packet_size, job.id, job.seq, job.count, datagram_);
          datagram = datagram_;
        }
        boost::system::error_code ec;
        socket_.send(asio::buffer(datagram.data(), datagram.size()), 0, ec);
        if (ec == asio::error::would_block || ec == asio::error::try_again) {
          socket_.async_wait(udp::socket::wait_write, [this](const boost::system::error_code& wec) {
            if (wec) return fail("udp socket to " + where() + ": " + wec.message());
            resume();
          });
          return;
        }
        if (ec) {
          // ECONNREFUSED (nothing listens), ENETUNREACH...: retry later on a fresh socket.
          std::string why = "udp send to " + where() + " failed: " + ec.message();
          socket_.close(ec);
          return fail(why);
        }
        ++job.seq;
      }
      ++job.index;
      job.seq = job.count = 0;
    }
    finish();
  }

  // Compresses the current message into payload_ and counts its datagrams;
  // false (outcome Permanent) if it needs more than 128 chunks.
  bool prepare(Job& job) {
    compress(job.msgs->at(job.index), s_.compression, payload_);
    job.count = datagram_count(payload_.size(), s_.packet_size);
    if (job.count == 0) {
      counters_.oversized->add();
      job.outcomes[job.index] = {Outcome::Permanent,
                                 "GELF message too big for UDP: " + std::to_string(payload_.size()) +
                                     " bytes after compression, more than 128 chunks of packet_size " +
                                     std::to_string(s_.packet_size) + " (at most " +
                                     std::to_string(max_payload(s_.packet_size)) +
                                     " bytes); raise packet_size or use mode tcp"};
      return false;
    }
    if (job.count > 1) counters_.chunked->add();
    job.id = rng_();
    return true;
  }

  // The current message and all after it will be retried.
  void fail(const std::string& why) {
    Job& job = queue_.front();
    for (size_t i = job.index; i < job.outcomes.size(); ++i)
      if (job.outcomes[i].outcome == Outcome::Delivered) job.outcomes[i] = {Outcome::Retry, why};
    job.index = job.outcomes.size();
    finish();
  }

  void finish() {
    Job job = std::move(queue_.front());
    queue_.pop_front();
    job.done(std::move(job.outcomes));
    next();
  }

  std::string where() const { return s_.host + ":" + std::to_string(s_.port); }

  const Settings& s_;
  Counters counters_;
  udp::resolver resolver_;
  udp::socket socket_;
  std::mt19937_64 rng_;
  std::deque<Job> queue_;
  bool busy_ = false;
  bool closed_ = false;
  std::string payload_;   // the current message, compressed
  std::string datagram_;  // the current chunk
};

}  // namespace

std::unique_ptr<Transport> make_udp_transport(asio::io_context& io, const Settings& s, const Counters& c) {
  return std::make_unique<UdpTransport>(io, s, c);
}

}  // namespace sluice::gelf
