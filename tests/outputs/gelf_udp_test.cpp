// The gelf output over UDP: compression, the chunk header byte by byte, the
// 128-chunk limit, message ids, and sending to a local socket (whole and
// chunked datagrams, oversized records dead-lettered, refused port retried).
#include <catch2/catch.hpp>

#include <map>
#include <random>
#include <set>

#include "agent/zlib_codec.hpp"
#include "outputs/gelf/gelf_udp.hpp"
#include "tests/outputs/gelf_test_harness.hpp"

namespace SLUICE_UNITY_ID {

using namespace sluice;
using namespace sluice::gelf;
using namespace sluice::gelf_test;
using boost::asio::ip::udp;

namespace {

// Inflates gzip or zlib (the header tells which).
std::string inflate(std::string_view data) {
  std::string out;
  REQUIRE_FALSE(zlib::inflate(data, zlib::Wrapper::Auto, 64 << 20, out));
  return out;
}

// Text that doesn't compress, so sizes on the wire are predictable.
std::string noise(size_t n, unsigned seed) {
  std::mt19937 rng(seed);
  std::string s(n, ' ');
  for (auto& c : s) c = static_cast<char>('a' + rng() % 26);
  return s;
}

uint64_t id_of(std::string_view chunk) {
  uint64_t id = 0;
  for (int i = 2; i < 10; ++i) id = (id << 8) | static_cast<unsigned char>(chunk[i]);
  return id;
}

// A local GELF UDP receiver that reassembles chunks and inflates, as Graylog does.
struct Receiver {
  explicit Receiver(boost::asio::io_context& io) : socket(io, udp::endpoint(boost::asio::ip::make_address("127.0.0.1"), 0)) {
    socket.non_blocking(true);
    socket.set_option(boost::asio::socket_base::receive_buffer_size(4 << 20));
  }
  uint16_t port() const { return socket.local_endpoint().port(); }

  // Reads every datagram waiting; returns the complete messages seen so far.
  std::vector<std::string>& poll() {
    char buf[65536];
    boost::system::error_code ec;
    for (;;) {
      size_t n = socket.receive(boost::asio::buffer(buf), 0, ec);
      if (ec) break;
      std::string d(buf, n);
      datagrams.push_back(d);
      if (d.size() >= 2 && d[0] == '\x1e' && d[1] == '\x0f') {
        auto& parts = pending[id_of(d)];
        parts[static_cast<unsigned char>(d[10])] = d.substr(12);
        if (parts.size() == static_cast<unsigned char>(d[11])) {
          std::string whole;
          for (auto& [seq, part] : parts) whole += part;
          messages.push_back(decode(whole));
          pending.erase(id_of(d));
        }
      } else {
        messages.push_back(decode(d));
      }
    }
    return messages;
  }

  static std::string decode(const std::string& payload) {
    if (payload[0] == '{') return payload;
    return inflate(payload);
  }

  udp::socket socket;
  std::vector<std::string> datagrams;
  std::map<uint64_t, std::map<int, std::string>> pending;
  std::vector<std::string> messages;
};

std::string udp_config(uint16_t port, const std::string& extra = "") {
  return "mode: udp\nhost: 127.0.0.1\nport: " + std::to_string(port) + "\n" + extra;
}

}  // namespace

TEST_CASE("gelf udp: compression formats Graylog detects by their first bytes", "[gelf][gelf_udp]") {
  std::string text = R"({"version":"1.1","short_message":")" + std::string(500, 'x') + "\"}";
  std::string out;
  compress(text, Compression::Gzip, out);
  CHECK(out.substr(0, 2) == "\x1f\x8b");
  CHECK(inflate(out) == text);
  compress(text, Compression::Zlib, out);
  CHECK(static_cast<unsigned char>(out[0]) == 0x78);
  CHECK(inflate(out) == text);
  compress(text, Compression::None, out);
  CHECK(out == text);
}

TEST_CASE("gelf udp: chunk counts, the 128 limit, and the chunk header", "[gelf][gelf_udp]") {
  // packet_size counts the whole datagram: a chunk carries packet_size - 12 bytes.
  CHECK(datagram_count(1, 1420) == 1);
  CHECK(datagram_count(1420, 1420) == 1);
  CHECK(datagram_count(1421, 1420) == 2);
  CHECK(datagram_count(2 * 1408, 1420) == 2);
  CHECK(datagram_count(2 * 1408 + 1, 1420) == 3);
  CHECK(datagram_count(128 * 1408, 1420) == 128);
  CHECK(datagram_count(128 * 1408 + 1, 1420) == 0);
  CHECK(max_payload(1420) == 128 * 1408);
  CHECK(datagram_count(128 * 52, 64) == 128);

  std::string payload = noise(250, 1);
  std::string chunk;
  std::string joined;
  for (size_t seq = 0; seq < 3; ++seq) {
    make_chunk(payload, 100, 0x0102030405060708ULL, seq, 3, chunk);
    CHECK(chunk.substr(0, 12) == std::string("\x1e\x0f\x01\x02\x03\x04\x05\x06\x07\x08", 10) +
                                     static_cast<char>(seq) + '\x03');
    CHECK(chunk.size() == (seq < 2 ? 100u : 12u + 250u - 2u * 88u));
    joined += chunk.substr(12);
  }
  CHECK(joined == payload);
}

TEST_CASE("gelf udp: messages reach a local receiver, whole or chunked", "[gelf][gelf_udp]") {
  boost::asio::io_context rio;
  Receiver rx(rio);

  SECTION("small messages: one gzip datagram each (the default)") {
    Harness h(udp_config(rx.port()));
    CHECK(h.flush(batch_of({R"({"log":"one"})", R"({"log":"two","level":"error"})"})).outcome == Outcome::Delivered);
    auto& msgs = rx.poll();
    REQUIRE(msgs.size() == 2);
    CHECK(rx.datagrams[0].substr(0, 2) == "\x1f\x8b");
    CHECK(msgs[0].find(R"("short_message":"one","timestamp":1763719200.123,"level":6})") != std::string::npos);
    CHECK(msgs[1].find(R"("short_message":"two","timestamp":1763719200.123,"level":3})") != std::string::npos);
    CHECK(h.counter("sluice_output_gelf_chunked_total") == 0);
    CHECK(h.counter("sluice_output_gelf_connections_total") == 1);
  }
  SECTION("a big message in chunks of at most packet_size; ids equal within, different across messages") {
    Harness h(udp_config(rx.port(), "packet_size: 500\ncompress: zlib\n"));
    std::string big1 = noise(5000, 2), big2 = noise(3000, 3);
    CHECK(h.flush(batch_of({R"({"log":")" + big1 + "\"}", R"({"log":")" + big2 + "\"}"})).outcome ==
          Outcome::Delivered);
    auto& msgs = rx.poll();
    REQUIRE(msgs.size() == 2);
    CHECK(msgs[0].find(big1) != std::string::npos);
    CHECK(msgs[1].find(big2) != std::string::npos);
    std::set<uint64_t> ids;
    for (const auto& d : rx.datagrams) {
      CHECK(d.size() <= 500);
      REQUIRE(d.substr(0, 2) == "\x1e\x0f");
      ids.insert(id_of(d));
    }
    CHECK(ids.size() == 2);
    CHECK(h.counter("sluice_output_gelf_chunked_total") == 2);
  }
  SECTION("compress none: plain JSON datagrams") {
    Harness h(udp_config(rx.port(), "compress: off\n"));
    CHECK(h.flush(batch_of({R"({"message":"plain"})"})).outcome == Outcome::Delivered);
    REQUIRE(rx.poll().size() == 1);
    const std::string& d = rx.datagrams[0];
    CHECK(d.rfind(R"({"version":"1.1","host":")", 0) == 0);
    std::string tail = R"(","short_message":"plain","timestamp":1763719200.123,"level":6})";
    CHECK(d.substr(d.size() - tail.size()) == tail);
  }
}

TEST_CASE("gelf udp: a message over 128 chunks is dead-lettered with the reason, the rest go", "[gelf][gelf_udp]") {
  boost::asio::io_context rio;
  Receiver rx(rio);
  Harness h(udp_config(rx.port(), "packet_size: 100\ncompress: none\n"));
  // 128 chunks of 88 bytes hold 11264 bytes.
  FlushResult r = h.flush(batch_of({R"({"log":"before"})", R"({"log":")" + noise(12000, 4) + "\"}",
                                    R"({"msg":"no short message"})", R"({"log":"after"})"}));
  REQUIRE(r.per_record.size() == 4);
  CHECK(r.per_record[0].outcome == Outcome::Delivered);
  CHECK(r.per_record[1].outcome == Outcome::Permanent);
  CHECK(r.per_record[1].reason.find("GELF message too big for UDP: ") == 0);
  CHECK(r.per_record[1].reason.find("more than 128 chunks of packet_size 100 (at most 11264 bytes); raise "
                                    "packet_size or use mode tcp") != std::string::npos);
  CHECK(r.per_record[2].outcome == Outcome::Permanent);
  CHECK(r.per_record[2].reason.find("record has no non-empty 'short_message'") == 0);
  CHECK(r.per_record[3].outcome == Outcome::Delivered);
  CHECK(h.counter("sluice_output_gelf_oversized_total") == 1);
  CHECK(h.counter("sluice_output_gelf_invalid_total") == 1);
  auto& msgs = rx.poll();
  REQUIRE(msgs.size() == 2);
  CHECK(msgs[1].find(R"("short_message":"after")") != std::string::npos);

}

TEST_CASE("gelf udp: nobody listening (ECONNREFUSED) is retried", "[gelf][gelf_udp]") {
  uint16_t port;
  {
    boost::asio::io_context rio;
    Receiver gone(rio);
    port = gone.port();
  }
  Harness h(udp_config(port));
  // The first datagram leaves; the ICMP port-unreachable it provokes fails a later send.
  FlushResult r;
  for (int i = 0; i < 50 && r.outcome == Outcome::Delivered; ++i) r = h.flush(batch_of({R"({"log":"x"})"}));
  CHECK(r.outcome == Outcome::Retry);
  CHECK(r.reason == "udp send to 127.0.0.1:" + std::to_string(port) + " failed: Connection refused");
}

}  // namespace SLUICE_UNITY_ID
