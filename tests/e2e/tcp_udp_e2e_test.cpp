// End to end for the tcp and udp inputs with the real binary: JSON lines
// and plain lines from Python's socket and ssl modules (a sender split
// across writes, several connections at once, TLS with a test CA),
// datagrams holding one object, several lines or pretty-printed JSON, and a
// parser from the parsers section; read back from a file output.
#include <catch2/catch.hpp>

#include <map>
#include <set>

#include "tests/e2e/e2e_support.hpp"
#include "tests/support/net.hpp"
#include "tests/support/process.hpp"

namespace SLUICE_UNITY_ID {

using namespace sluice;
using namespace sluice::test;
using namespace std::chrono_literals;

namespace {

// sluice with the given inputs and a file output of JSON lines (one file per tag).
std::unique_ptr<Process> start_inputs(const TempDir& dir, const std::string& inputs, const std::string& parsers = "") {
  auto p = start_sluice_with(dir, "service:\n  flush: 100ms\n  log_level: info\npipeline:\n  inputs:\n" + inputs +
                                      "  outputs:\n    - name: file\n      match: '*'\n      path: " + dir.file("out") +
                                      "\n      mkdir: on\n      format: json_lines\n" + parsers);
  bool up = wait_until([&] { return p->err().find("listening for") != std::string::npos || !p->running(); }, 10s);
  INFO(p->err());
  REQUIRE(up);
  REQUIRE(p->running());
  return p;
}

// Runs a Python program that sends to 127.0.0.1 (argv[1] is the port).
void python_send(const std::string& program, uint16_t port, const std::vector<std::string>& more = {}) {
  std::vector<std::string> argv = {"/usr/bin/env", "python3", "-c", program, std::to_string(port)};
  argv.insert(argv.end(), more.begin(), more.end());
  Process p(argv);
  auto status = p.wait(60s);
  INFO(p.out() << p.err());
  REQUIRE(status == 0);
}

}  // namespace

TEST_CASE("e2e tcp input: JSON lines split across writes, from several connections, a bad line kept",
          "[e2e][tcp_udp]") {
  TempDir dir;
  uint16_t port = free_tcp_port();
  auto sluice = start_inputs(dir, "    - name: tcp\n      tag: app\n      listen: 127.0.0.1\n      port: " +
                                      std::to_string(port) + "\n      source_address_key: src\n");
  // Three connections at once, each writing 300 records in pieces of 7 bytes and a line that isn't JSON.
  python_send(R"(
import socket, sys, threading
def send(c):
    s = socket.create_connection(("127.0.0.1", int(sys.argv[1])))
    data = "".join('{"seq": %d, "conn": %d, "msg": "caf\u00e9 \\"q\\"", "n": [1, 2.5, null]}\n' % (c * 300 + i, c)
                   for i in range(300)) + "not json at all\n"
    data = data.encode()
    for i in range(0, len(data), 7):
        s.sendall(data[i:i + 7])
    s.close()
ts = [threading.Thread(target=send, args=(c,)) for c in range(3)]
[t.start() for t in ts]
[t.join() for t in ts]
)", port);
  std::vector<std::string> lines;
  bool all = wait_until([&] {
    lines = read_lines(dir.file("out/app"));
    return lines.size() >= 903;
  }, 20s);
  stop_sluice(*sluice);
  INFO(sluice->err());
  REQUIRE(all);
  CHECK(lines.size() == 903);
  CHECK(seq_counts(lines) == once_each(0, 900));
  JsonLines got(lines);
  int kept = 0;
  for (const Value& r : got.values) {
    CHECK(str(r.find("src")).rfind("tcp://127.0.0.1:", 0) == 0);
    if (r.find("seq") != nullptr) {
      CHECK(str(r.find("msg")) == "café \"q\"");
    } else {
      CHECK(str(r.find("log")) == "not json at all");
      ++kept;
    }
  }
  CHECK(kept == 3);
  CHECK(sluice->err().find("is not a JSON object; kept as text under `log`") != std::string::npos);
}

TEST_CASE("e2e tcp input: a JSON stream, pretty-printed and back to back, an array as msg, as Fluent Bit reads them",
          "[e2e][tcp_udp]") {
  TempDir dir;
  uint16_t port = free_tcp_port(), udp = free_udp_port();
  auto sluice = start_inputs(dir, "    - name: tcp\n      tag: app\n      listen: 127.0.0.1\n      port: " +
                                      std::to_string(port) +
                                      "\n    - name: udp\n      tag: dgram\n      listen: 127.0.0.1\n      port: " +
                                      std::to_string(udp) + "\n");
  // json.dumps(indent=2) objects with no separator, in pieces of 5 bytes;
  // then an array, a text line, and an object cut off by the close.
  python_send(R"(
import json, socket, sys
s = socket.create_connection(("127.0.0.1", int(sys.argv[1])))
data = "".join(json.dumps({"seq": i, "msg": "a } brace and a \" quote", "tags": ["x", "{"]}, indent=2)
               for i in range(200))
data += '[{"seq": 200}, 1]\nplain text\n{"seq": 201, "cut'
data = data.encode()
for i in range(0, len(data), 5):
    s.sendall(data[i:i + 5])
s.close()
u = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
u.sendto(b'{"seq": 0}{"seq": 1} [2, 3]', ("127.0.0.1", int(sys.argv[2])))
)", port, {std::to_string(udp)});
  std::vector<std::string> lines, dgram;
  bool all = wait_until([&] {
    lines = read_lines(dir.file("out/app"));
    dgram = read_lines(dir.file("out/dgram"));
    return lines.size() >= 203 && dgram.size() >= 3;
  }, 20s);
  stop_sluice(*sluice);
  INFO(sluice->err());
  REQUIRE(all);
  REQUIRE(lines.size() == 203);
  CHECK(seq_counts(std::vector<std::string>(lines.begin(), lines.begin() + 200)) == once_each(0, 200));
  JsonLines got(lines);
  CHECK(str(got.values[7].find("msg")) == "a } brace and a \" quote");
  CHECK(lines[200].find(R"("msg":[{"seq":200},1])") != std::string::npos);
  CHECK(str(got.values[201].find("log")) == "plain text");
  CHECK(str(got.values[202].find("log")) == R"({"seq": 201, "cut)");  // kept, not lost
  REQUIRE(dgram.size() == 3);
  CHECK(dgram[0].find(R"("seq":0)") != std::string::npos);
  CHECK(dgram[1].find(R"("seq":1)") != std::string::npos);
  CHECK(dgram[2].find(R"("msg":[2,3])") != std::string::npos);
}

TEST_CASE("e2e tcp input: format none, a parser, and TLS", "[e2e][tcp_udp]") {
  TempDir dir;
  uint16_t plain = free_tcp_port(), parsed = free_tcp_port(), secure = free_tcp_port();
  TestPki pki = make_test_pki(dir.path());
  auto sluice = start_inputs(
      dir,
      "    - name: tcp\n      tag: plain\n      listen: 127.0.0.1\n      port: " + std::to_string(plain) +
          "\n      format: none\n"
          "    - name: tcp\n      tag: parsed\n      listen: 127.0.0.1\n      port: " + std::to_string(parsed) +
          "\n      parser: kv\n"
          "    - name: tcp\n      tag: secure\n      listen: 127.0.0.1\n      port: " + std::to_string(secure) +
          "\n      tls: on\n      tls.crt_file: " + pki.server_crt + "\n      tls.key_file: " + pki.server_key + "\n",
      "parsers:\n  - name: kv\n    format: regex\n    regex: '^(?<time>[^ ]+) (?<level>\\w+) (?<msg>.*)$'\n"
      "    time_key: time\n    time_format: '%Y-%m-%dT%H:%M:%S'\n");
  python_send(R"(
import socket, sys
s = socket.create_connection(("127.0.0.1", int(sys.argv[1])))
s.sendall(b"first line\r\nsecond line\n\nthird, without an end")
s.close()
)", plain);
  python_send(R"(
import socket, sys
s = socket.create_connection(("127.0.0.1", int(sys.argv[1])))
s.sendall(b"2024-05-06T07:08:09 warn disk almost full\nunmatched\n")
s.close()
)", parsed);
  python_send(R"(
import socket, ssl, sys
ctx = ssl.create_default_context(cafile=sys.argv[2])
s = ctx.wrap_socket(socket.create_connection(("127.0.0.1", int(sys.argv[1]))), server_hostname="localhost")
s.sendall(b'{"over": "tls"}\n')
s.close()
)", secure, {pki.ca_crt});
  std::vector<std::string> p, q, t;
  bool all = wait_until([&] {
    p = read_lines(dir.file("out/plain"));
    q = read_lines(dir.file("out/parsed"));
    t = read_lines(dir.file("out/secure"));
    return p.size() >= 3 && q.size() >= 2 && t.size() >= 1;
  }, 20s);
  stop_sluice(*sluice);
  INFO(sluice->err());
  REQUIRE(all);
  REQUIRE(p.size() == 3);
  CHECK(p[0].find(R"("log":"first line"})") != std::string::npos);
  CHECK(p[1].find(R"("log":"second line"})") != std::string::npos);
  CHECK(p[2].find(R"("log":"third, without an end"})") != std::string::npos);
  REQUIRE(q.size() == 2);
  CHECK(q[0].find(R"("date":1714979289.0)") != std::string::npos);
  CHECK(q[0].find(R"("level":"warn","msg":"disk almost full")") != std::string::npos);
  CHECK(q[1].find(R"("log":"unmatched"})") != std::string::npos);
  REQUIRE(t.size() == 1);
  CHECK(t[0].find(R"("over":"tls")") != std::string::npos);
}

TEST_CASE("e2e udp input: a datagram of one object, of several lines, pretty-printed, and format none", "[e2e][tcp_udp]") {
  TempDir dir;
  uint16_t json = free_udp_port(), lines = free_udp_port();
  auto sluice = start_inputs(dir, "    - name: udp\n      tag: json\n      listen: 127.0.0.1\n      port: " +
                                      std::to_string(json) + "\n      source_address_key: src\n"
                                      "    - name: udp\n      tag: lines\n      listen: 127.0.0.1\n      port: " +
                                      std::to_string(lines) + "\n      format: none\n");
  python_send(R"(
import socket, sys
u = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
j, l = int(sys.argv[1]), int(sys.argv[2])
u.sendto(b'{"seq": 0}', ("127.0.0.1", j))
u.sendto(b'{"seq": 1}\n{"seq": 2}\n', ("127.0.0.1", j))
u.sendto(b'{\n  "seq": 3,\n  "pretty": true\n}\n', ("127.0.0.1", j))
u.sendto(b'a\nb\r\nc', ("127.0.0.1", l))
)", json, {std::to_string(lines)});
  std::vector<std::string> j, l;
  bool all = wait_until([&] {
    j = read_lines(dir.file("out/json"));
    l = read_lines(dir.file("out/lines"));
    return j.size() >= 4 && l.size() >= 3;
  }, 20s);
  stop_sluice(*sluice);
  INFO(sluice->err());
  REQUIRE(all);
  CHECK(seq_counts(j) == once_each(0, 4));
  for (const auto& line : j) CHECK(line.find(R"("src":"udp://127.0.0.1:)") != std::string::npos);
  CHECK(j[3].find(R"("pretty":true)") != std::string::npos);
  REQUIRE(l.size() == 3);
  CHECK(l[1].find(R"("log":"b"})") != std::string::npos);
}

}  // namespace SLUICE_UNITY_ID
