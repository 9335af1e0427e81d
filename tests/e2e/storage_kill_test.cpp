// kill -9 of sluice five times at random moments under a steady load, for
// an http input, a syslog TCP input, a tcp input (JSON lines), a forward input (acks) and a tail input, each with storage.type
// filesystem, into the Elasticsearch stand-in (a stand-in, see
// es_standin.hpp): every record whose write was acknowledged (a 2xx; a TCP
// write sluice read; a line in the tailed file) arrives, and what arrives
// twice is no more than what was in flight at the kills.
#include <catch2/catch.hpp>

#include <atomic>
#include <mutex>
#include <random>
#include <set>
#include <thread>

#include "tests/e2e/storage_support.hpp"

namespace SLUICE_UNITY_ID {

using namespace sluice::test;
using namespace std::chrono_literals;

namespace {

constexpr int kKills = 5;

// Kills and restarts sluice kKills times, 400-1200 ms apart, while load runs;
// ready() says when a restarted sluice takes load again.
void kill_repeatedly(BufferedSluice& s, const std::function<bool()>& ready) {
  std::mt19937 rng(std::random_device{}());
  std::uniform_int_distribution<int> pause_ms(400, 1200);
  for (int k = 0; k < kKills; ++k) {
    std::this_thread::sleep_for(std::chrono::milliseconds(pause_ms(rng)));
    s.kill9();
    s.start();
    bool up = wait_until(ready, 15s);
    INFO(s.all_logs());
    REQUIRE(up);
  }
  std::this_thread::sleep_for(std::chrono::milliseconds(pause_ms(rng)));
}

// Every acknowledged seq arrived; repeats stay within what kills can leave
// in flight. max_repeats: for the network inputs half of what was sent. A
// tail's offsets file is rewritten at most every 500 ms, so the lines stored
// since its last write come back twice after a kill, from the buffer and
// from the file read again; on a loaded machine that window covers most of
// the load: at most once each on average there.
void check_arrivals(const EsStandIn& es, BufferedSluice& s, const std::set<int>& acked,
                    double max_repeats = 0.5) {
  std::map<int, int> got;
  bool all = wait_until([&] {
    got = seq_counts(es.stored());
    for (int seq : acked)
      if (got.count(seq) == 0) return false;
    return true;
  }, 60s);
  std::vector<int> missing;
  for (int seq : acked)
    if (got.count(seq) == 0) missing.push_back(seq);
  size_t repeats = 0;
  for (const auto& [seq, n] : got) repeats += static_cast<size_t>(n - 1);
  INFO(s.all_logs().substr(0, 20000));
  INFO("acknowledged " << acked.size() << ", arrived " << got.size() << " distinct, " << repeats
                       << " repeats; missing " << missing.size()
                       << (missing.empty() ? "" : " (first " + std::to_string(missing.front()) + ")"));
  CHECK(all);
  CHECK(missing.empty());
  // At most a few seconds of load per kill can be in flight (queued in the output).
  CHECK(static_cast<double>(repeats) <= static_cast<double>(acked.size()) * max_repeats);
  s.stop();
}

// A TCP input (its YAML lines under `- name: ...`) with storage.type
// filesystem, killed five times while send_batch(first seq, 50) runs in a
// loop; a batch counts as acknowledged when send_batch says so, and one that
// fails is sent again on a new connection, as a client would.
void kill_under_tcp_load(const std::string& input_yaml, uint16_t port,
                         const std::function<std::function<bool(int)>()>& make_sender, bool pace) {
  TempDir dir;
  EsStandIn es(dir);
  BufferedSluice s(dir, es, input_yaml + "      storage.type: filesystem\n");
  s.start();
  REQUIRE(wait_until([&] { return port_listening(port); }, 15s));
  std::atomic<bool> stop{false};
  std::set<int> acked;
  std::mutex mu;
  std::thread client([&] {
    std::function<bool(int)> send_batch = make_sender();
    int next = 0;
    while (!stop) {
      if (!send_batch(next)) {
        std::this_thread::sleep_for(20ms);
        continue;
      }
      std::lock_guard lock(mu);
      for (int i = 0; i < 50; ++i) acked.insert(next + i);
      next += 50;
      if (pace) std::this_thread::sleep_for(5ms);  // a steady load the stand-in keeps up with
    }
  });
  kill_repeatedly(s, [&] { return port_listening(port); });
  stop = true;
  client.join();
  REQUIRE(acked.size() >= 1000);
  check_arrivals(es, s, acked);
}

}  // namespace

TEST_CASE("storage e2e: kill -9 five times under an http load loses no acknowledged record", "[e2e][storage]") {
  TempDir dir;
  EsStandIn es(dir);
  uint16_t port = free_tcp_port();
  BufferedSluice s(dir, es,
                   "    - name: http\n      listen: 127.0.0.1\n      port: " + std::to_string(port) +
                       "\n      storage.type: filesystem\n");
  s.start();
  REQUIRE(wait_until([&] { return port_listening(port); }, 15s));

  std::atomic<bool> stop{false};
  std::mutex mu;
  std::set<int> acked;
  std::thread client([&] {
    int next = 0;
    while (!stop) {
      std::string body;
      for (int i = 0; i < 50; ++i) body += "{\"seq\":" + std::to_string(next + i) + ",\"msg\":\"payload\"}\n";
      // A request without an answer is sent again, as a client would (it may then arrive twice).
      int status = 0;
      while (!stop && (status = http_post(port, "/app", body)) / 100 != 2) std::this_thread::sleep_for(20ms);
      if (status / 100 != 2) break;
      std::lock_guard lock(mu);
      for (int i = 0; i < 50; ++i) acked.insert(next + i);
      next += 50;
      std::this_thread::sleep_for(5ms);
    }
  });
  kill_repeatedly(s, [&] { return port_listening(port); });
  stop = true;
  client.join();
  REQUIRE(acked.size() >= 1000);
  check_arrivals(es, s, acked);
}

TEST_CASE("storage e2e: kill -9 five times under a syslog TCP load loses no record sluice read", "[e2e][storage]") {
  uint16_t port = free_tcp_port();
  kill_under_tcp_load(
      "    - name: syslog\n      mode: tcp\n      listen: 127.0.0.1\n      port: " + std::to_string(port) + "\n", port,
      [port]() -> std::function<bool(int)> {
        auto sender = std::make_shared<SyslogSender>(port);
        return [sender](int first) {
          std::string lines;
          for (int i = 0; i < 50; ++i)
            lines += "<13>Jan  2 03:04:05 host app[1]: {\"seq\":" + std::to_string(first + i) + "}\n";
          return sender->send_batch(lines);
        };
      },
      false);
}

TEST_CASE("storage e2e: kill -9 five times under a tcp input JSON load loses no record sluice read",
          "[e2e][storage]") {
  uint16_t port = free_tcp_port();
  kill_under_tcp_load(
      "    - name: tcp\n      listen: 127.0.0.1\n      port: " + std::to_string(port) + "\n", port,
      [port]() -> std::function<bool(int)> {
        auto sender = std::make_shared<SyslogSender>(port);  // newline-framed lines, read by sluice when true
        return [sender](int first) {
          std::string lines;
          for (int i = 0; i < 50; ++i) lines += "{\"seq\":" + std::to_string(first + i) + ",\"msg\":\"payload\"}\n";
          return sender->send_batch(lines);
        };
      },
      false);
}

TEST_CASE("storage e2e: kill -9 five times while tailing a growing file loses no line", "[e2e][storage]") {
  TempDir dir;
  EsStandIn es(dir);
  write_file(dir.file("app.log"), "");
  BufferedSluice s(dir, es,
                   "    - name: tail\n      path: " + dir.file("app.log") + "\n      db: " + dir.file("tail.db") +
                       "\n      read_from_head: on\n      refresh_interval: 100ms\n      storage.type: filesystem\n");
  s.start();
  auto started = [&] { return s.process->err().find(" started: ") != std::string::npos; };
  REQUIRE(wait_until(started, 15s));

  std::atomic<bool> stop{false};
  std::atomic<int> written{0};
  std::thread writer([&] {
    while (!stop) {
      std::string lines;
      for (int i = 0; i < 20; ++i) lines += "{\"seq\":" + std::to_string(written + i) + "}\n";
      append_file(dir.file("app.log"), lines);
      written += 20;
      std::this_thread::sleep_for(10ms);
    }
  });
  kill_repeatedly(s, started);
  stop = true;
  writer.join();
  std::set<int> all;
  for (int i = 0; i < written; ++i) all.insert(i);
  REQUIRE(all.size() >= 1000);
  check_arrivals(es, s, all, 1.0);
}

namespace {

// A Forward sender that waits for acks: [tag, [[time, {"seq": n}], ...],
// {"chunk": id}] per batch; true once {"ack": id} came back.
class ForwardAckSender {
 public:
  explicit ForwardAckSender(uint16_t port) : port_(port) {}
  ~ForwardAckSender() { close(); }
  void close() {
    if (fd_ >= 0) ::close(fd_);
    fd_ = -1;
  }
  bool send_batch(int first, int n) {
    if (fd_ < 0) fd_ = connect_local(port_);
    if (fd_ < 0) return false;
    std::string id = "batch-" + std::to_string(first);
    std::string m = "\x93\xa3" "app";
    m += '\xdc';  // array 16
    m += static_cast<char>((n >> 8) & 0xff);
    m += static_cast<char>(n & 0xff);
    for (int i = 0; i < n; ++i) {
      m += std::string("\x92\xce\x65\x53\xf1\x00\x81\xa3seq\xce", 12);
      uint32_t seq = static_cast<uint32_t>(first + i);
      for (int s = 24; s >= 0; s -= 8) m += static_cast<char>((seq >> s) & 0xff);
    }
    m += "\x81\xa5" "chunk";
    m += static_cast<char>(0xa0 | id.size());
    m += id;
    if (!send_all(fd_, m)) return close(), false;
    std::string want = std::string("\x81\xa3" "ack") + static_cast<char>(0xa0 | id.size()) + id;
    std::string got(want.size(), '\0');
    timeval tv{5, 0};
    ::setsockopt(fd_, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
    if (::recv(fd_, got.data(), got.size(), MSG_WAITALL) != static_cast<ssize_t>(want.size()) || got != want)
      return close(), false;
    return true;
  }

 private:
  uint16_t port_;
  int fd_ = -1;
};

}  // namespace

TEST_CASE("storage e2e: kill -9 five times under a Forward load loses no acknowledged record", "[e2e][storage]") {
  uint16_t port = free_tcp_port();
  kill_under_tcp_load(
      "    - name: forward\n      listen: 127.0.0.1\n      port: " + std::to_string(port) + "\n", port,
      [port]() -> std::function<bool(int)> {
        auto sender = std::make_shared<ForwardAckSender>(port);
        return [sender](int first) { return sender->send_batch(first, 50); };
      },
      true);
}

}  // namespace SLUICE_UNITY_ID
