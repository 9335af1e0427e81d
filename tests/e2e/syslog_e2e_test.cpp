// End to end with the real binary and real syslog clients on 127.0.0.1:
// util-linux logger (UDP, TCP, octet counting, RFC 5424 / 3164, unix
// sockets), rsyslog relaying over octet-counted TCP and over TLS (its
// OpenSSL driver, both sides verifying certificates), Python's
// logging.handlers.SysLogHandler over UDP and TCP, and openssl s_client over
// TLS with and without client verification. Every message sent must arrive
// with its fields.
#include <signal.h>
#include <unistd.h>

#include <catch2/catch.hpp>
#include <map>
#include <set>

#include "agent/parse/json_format.hpp"
#include "agent/parse/time_format.hpp"
#include "agent/value.hpp"
#include "tests/support/net.hpp"
#include "tests/support/process.hpp"

namespace SLUICE_UNITY_ID {

using namespace sluice;
using namespace sluice::test;
using namespace std::chrono_literals;
using Catch::Matchers::Contains;

namespace {

std::string hostname() {
  char buf[256] = {};
  ::gethostname(buf, sizeof buf - 1);
  return buf;
}

// Runs `peer args...` (found on PATH) to completion.
void run_peer(std::vector<std::string> argv) {
  argv.insert(argv.begin(), "/usr/bin/env");
  Process p(argv);
  auto status = p.wait(30s);
  INFO(argv[1] << ": " << p.out() << p.err());
  REQUIRE(status == 0);
}

bool run_cmd_ok(const std::string& cmd) {
  Process p({"/bin/sh", "-c", cmd});
  auto status = p.wait(60s);
  INFO(cmd << ": " << p.err());
  return status == 0;
}

// sluice with one syslog input and a file output of JSON lines (the event
// time under "date" as RFC 3339), read back as records.
class Sluice {
 public:
  Sluice(const TempDir& dir, const std::string& input_keys) : out_(dir.file("out/out.jsonl")) {
    write_file(dir.file("p.yaml"),
               "service:\n  log_level: info\n  flush: 100ms\npipeline:\n  inputs:\n"
               "    - name: syslog\n" +
                   input_keys + "  outputs:\n    - name: file\n      path: " + dir.file("out") +
                   "\n      file: out.jsonl\n      mkdir: on\n      json_date_format: iso8601\n");
    p_.emplace(std::vector<std::string>{SLUICE_BINARY, "-c", dir.file("p.yaml")});
    bool up =
        wait_until([&] { return p_->err().find("listening for syslog") != std::string::npos || !p_->running(); }, 10s);
    INFO(p_->err());
    REQUIRE(up);
    REQUIRE(p_->running());
  }
  ~Sluice() {
    if (p_ && p_->running()) stop();
  }

  void stop() {
    p_->signal(SIGTERM);
    auto status = p_->wait(30s);
    INFO(p_->err());
    CHECK(status == 0);
  }
  std::string err() const { return p_->err(); }

  // Waits (up to timeout) until n records satisfy pred; returns every record read.
  std::vector<Value> wait_records(size_t n, const std::function<bool(const Value&)>& pred = nullptr,
                                  std::chrono::milliseconds timeout = 20s) {
    std::vector<Value> got;
    wait_until(
        [&] {
          got = records();
          size_t k = 0;
          for (const auto& r : got) k += (!pred || pred(r)) ? 1 : 0;
          return k >= n;
        },
        timeout);
    return got;
  }

  std::vector<Value> records() {
    std::vector<Value> out;
    for (const auto& line : read_lines(out_)) {
      Value v;
      if (json_->parse(arena_.copy(line), arena_, v)) out.push_back(v);
    }
    return out;
  }

 private:
  std::string out_;
  std::optional<Process> p_;
  Arena arena_;
  std::unique_ptr<ParseFormat> json_ = make_json_format();
};

std::string str(const Value& record, std::string_view key) {
  const Value* v = record.find(key);
  return v != nullptr && v->is_string() ? std::string(v->as_string()) : std::string("<absent>");
}

int64_t num(const Value& record, std::string_view key) {
  const Value* v = record.find(key);
  return v != nullptr && v->is_int() ? v->as_int() : -1;
}

std::function<bool(const Value&)> ident_is(std::string ident) {
  return [ident](const Value& r) { return str(r, "ident") == ident; };
}

std::string net_keys(const char* mode, uint16_t port) {
  return std::string("      mode: ") + mode + "\n      listen: 127.0.0.1\n      port: " + std::to_string(port) +
         "\n      source_address_key: src\n";
}

// rsyslogd in the foreground with a generated config in dir: it takes
// datagrams on a free 127.0.0.1 UDP port and forwards each with one omfwd
// action (omfwd: that action's parameters; global: more global() ones).
// Stopped with SIGTERM when this goes (the Process kills it if that hangs).
// By its full path: /usr/sbin is not on a normal user's PATH on Debian.
class Rsyslog {
 public:
  Rsyslog(const TempDir& dir, const std::string& omfwd, const std::string& global = "") : port_(free_udp_port()) {
    write_file(dir.file("rsyslog.conf"), "global(workDirectory=\"" + dir.path() + "\"" + global +
                                             ")\nmodule(load=\"imudp\")\n"
                                             "input(type=\"imudp\" address=\"127.0.0.1\" port=\"" +
                                             std::to_string(port_) + "\")\naction(type=\"omfwd\" " + omfwd + ")\n");
    p_.emplace(std::vector<std::string>{"/usr/sbin/rsyslogd", "-n", "-f", dir.file("rsyslog.conf"), "-i",
                                        dir.file("rsyslog.pid")});
  }
  ~Rsyslog() { stop(); }
  // Ends rsyslog with SIGTERM, waiting at most 10 s.
  void stop() {
    if (!p_->running()) return;
    p_->signal(SIGTERM);
    p_->wait(10s);
  }
  bool running() { return p_->running(); }
  std::string err() const { return p_->out() + p_->err(); }
  // logger sends one RFC 5424 message (ident, then logger's other args) to rsyslog.
  void send(const std::string& ident, std::vector<std::string> args) const {
    std::vector<std::string> argv{"logger", "-n", "127.0.0.1", "-P", std::to_string(port_), "--udp", "--rfc5424",
                                  "-t", ident};
    argv.insert(argv.end(), args.begin(), args.end());
    run_peer(argv);
  }

 private:
  uint16_t port_;
  std::optional<Process> p_;
};

// Messages "relayed message <i>" for i < count through rsyslog, each with
// the same facility, severity and MSGID and its number in an SD element.
void send_relayed(const Rsyslog& rsyslog, int count) {
  for (int i = 0; i < count; ++i) {
    rsyslog.send("relayed", {"-p", "local5.warning", "--msgid", "R", "--sd-id", "relay@32473", "--sd-param",
                             "n=\"" + std::to_string(i) + "\"", "relayed message " + std::to_string(i)});
  }
}

// Every message of send_relayed arrived exactly once, with every field.
void check_relayed(const std::vector<Value>& records, int count) {
  std::map<std::string, int> seen;
  for (const auto& r : records) {
    if (str(r, "ident") != "relayed") continue;
    CAPTURE(str(r, "message"));
    CHECK(r.find("parse_error") == nullptr);
    CHECK(str(r, "host") == hostname());
    CHECK(str(r, "facility_name") == "local5");
    CHECK(str(r, "severity_name") == "warning");
    CHECK(str(r, "msgid") == "R");
    CHECK(str(r, "pid") == "<absent>");  // RFC 5424's "-"
    // The record time is the message's own stamp, which rsyslog passes on.
    auto stamp = timefmt::parse_rfc3339(str(r, "time"));
    auto date = timefmt::parse_rfc3339(str(r, "date"));
    REQUIRE(stamp);
    REQUIRE(date);
    CHECK(*date / 1000 == *stamp / 1000);
    const Value* sd = r.find("extradata");
    REQUIRE(sd != nullptr);
    REQUIRE(sd->find("relay@32473") != nullptr);
    CHECK("relayed message " + str(*sd->find("relay@32473"), "n") == str(r, "message"));
    ++seen[str(r, "message")];
  }
  CHECK(seen.size() == static_cast<size_t>(count));
  for (const auto& [message, times] : seen) {
    CAPTURE(message);
    CHECK(times == 1);
  }
}

// Datagrams sent before rsyslog listens are lost: sends a probe through
// rsyslog (about one a second, at most 30 s) until one reaches sluice.
bool wait_relaying(Sluice& s, Rsyslog& rsyslog) {
  return wait_until(
      [&] {
        rsyslog.send("probe", {"probe"});
        return !s.wait_records(1, ident_is("probe"), 1s).empty() && rsyslog.running();
      },
      30s);
}

}  // namespace

TEST_CASE("syslog: logger over UDP and TCP: RFC 5424 and 3164, octet counting, every field", "[e2e][syslog]") {
  TempDir dir;
  uint16_t udp = free_udp_port();
  uint16_t tcp = free_tcp_port();
  Sluice s(dir, net_keys("udp", udp) + "    - name: syslog\n" + net_keys("tcp", tcp));
  std::string port_udp = std::to_string(udp), port_tcp = std::to_string(tcp);
  constexpr int kEach = 20;
  for (int i = 0; i < kEach; ++i) {
    std::string n = std::to_string(i);
    run_peer({"logger", "-n", "127.0.0.1", "-P", port_udp, "--udp", "--rfc5424", "-t", "udp5424", "-p", "local3.err",
              "--msgid", "M" + n, "--sd-id", "zoo@32473", "--sd-param", "tiger=\"hungry " + n + "\"", "-i",
              "udp5424 message " + n});
    run_peer({"logger", "-n", "127.0.0.1", "-P", port_udp, "--udp", "--rfc3164", "-t", "udp3164", "-p", "mail.warning",
              "udp3164 message " + n});
    run_peer({"logger", "-n", "127.0.0.1", "-P", port_tcp, "--tcp", "--octet-count", "--rfc5424", "-t", "tcpoct", "-p",
              "user.notice", "tcp octet message " + n});
    run_peer({"logger", "-n", "127.0.0.1", "-P", port_tcp, "--tcp", "--rfc3164", "-t", "tcplf", "-p", "daemon.info",
              "tcp lf message " + n});
  }
  auto records = s.wait_records(4 * kEach);
  std::map<std::string, std::set<std::string>> messages;
  for (const auto& r : records) messages[str(r, "ident")].insert(str(r, "message"));
  for (const char* ident : {"udp5424", "udp3164", "tcpoct", "tcplf"}) {
    CAPTURE(ident);
    CHECK(messages[ident].size() == kEach);
  }
  CHECK(messages["udp5424"].count("udp5424 message 7") == 1);
  CHECK(messages["tcplf"].count("tcp lf message 19") == 1);
  for (const auto& r : records) {
    std::string ident = str(r, "ident");
    CAPTURE(ident, str(r, "message"));
    CHECK(r.find("parse_error") == nullptr);
    CHECK(str(r, "host") == hostname());
    if (ident == "udp5424") {
      std::string n = str(r, "message").substr(std::string("udp5424 message ").size());
      CHECK(num(r, "pri") == 19 * 8 + 3);
      CHECK(str(r, "facility_name") == "local3");
      CHECK(num(r, "severity") == 3);
      CHECK(str(r, "severity_name") == "err");
      CHECK(str(r, "msgid") == "M" + n);
      CHECK(str(r, "pid") != "<absent>");
      const Value* sd = r.find("extradata");
      REQUIRE(sd != nullptr);
      REQUIRE(sd->find("zoo@32473") != nullptr);
      CHECK(str(*sd->find("zoo@32473"), "tiger") == "hungry " + n);
      CHECK(sd->find("timeQuality") != nullptr);  // logger adds its own SD element
      CHECK_THAT(str(r, "src"), Contains("udp://127.0.0.1:"));
      // The record time is the message's own stamp.
      auto stamp = timefmt::parse_rfc3339(str(r, "time"));
      REQUIRE(stamp);
      auto date = timefmt::parse_rfc3339(str(r, "date"));
      REQUIRE(date);
      CHECK(*date / 1000 == *stamp / 1000);
    } else if (ident == "udp3164") {
      CHECK(str(r, "facility_name") == "mail");
      CHECK(str(r, "severity_name") == "warning");
      CHECK(str(r, "time").size() == 15);  // "Mmm dd hh:mm:ss"
    } else if (ident == "tcpoct") {
      CHECK(num(r, "pri") == 13);
      CHECK_THAT(str(r, "src"), Contains("tcp://127.0.0.1:"));
    } else if (ident == "tcplf") {
      CHECK(str(r, "facility_name") == "daemon");
      CHECK(str(r, "severity_name") == "info");
    }
  }
  s.stop();
}

TEST_CASE("syslog: logger over unix sockets (datagram and stream)", "[e2e][syslog]") {
  TempDir dir;
  SECTION("unix_udp") {
    Sluice s(dir, "      mode: unix_udp\n      path: " + dir.file("log.sock") + "\n");
    for (int i = 0; i < 10; ++i)
      run_peer({"logger", "-u", dir.file("log.sock"), "--socket-errors=on", "-d", "-t", "local",
                "unix dgram " + std::to_string(i)});
    auto records = s.wait_records(10);
    REQUIRE(records.size() == 10);
    CHECK(str(records[3], "ident") == "local");
    CHECK(str(records[3], "message") == "unix dgram 3");
    CHECK(str(records[3], "severity_name") == "notice");
    s.stop();
  }
  SECTION("unix_tcp") {
    Sluice s(dir, "      mode: unix_tcp\n      path: " + dir.file("log.sock") + "\n");
    for (int i = 0; i < 10; ++i)
      run_peer({"logger", "-u", dir.file("log.sock"), "--socket-errors=on", "-T", "-t", "local",
                "unix stream " + std::to_string(i)});
    auto records = s.wait_records(10);
    REQUIRE(records.size() == 10);
    CHECK(str(records[9], "message") == "unix stream 9");
    s.stop();
  }
}

TEST_CASE("syslog: rsyslog relays to sluice over octet-counted TCP", "[e2e][syslog]") {
  TempDir dir;
  uint16_t sluice_port = free_tcp_port();
  Sluice s(dir, net_keys("tcp", sluice_port));
  Rsyslog rsyslog(dir, "target=\"127.0.0.1\" port=\"" + std::to_string(sluice_port) +
                           "\" protocol=\"tcp\" TCP_Framing=\"octet-counted\" "
                           "template=\"RSYSLOG_SyslogProtocol23Format\"");
  bool relaying = wait_relaying(s, rsyslog);
  INFO(rsyslog.err());
  REQUIRE(relaying);
  constexpr int kCount = 50;
  send_relayed(rsyslog, kCount);
  s.wait_records(kCount, ident_is("relayed"));
  // Both stopped, everything sent is in the file: a late duplicate would be too.
  rsyslog.stop();
  s.stop();
  check_relayed(s.records(), kCount);
}

TEST_CASE("syslog: rsyslog forwards over TLS (RFC 5425), each side verifying the other's certificate",
          "[e2e][syslog]") {
  TempDir dir;
  auto pki = make_test_pki(dir.path());
  uint16_t port = free_tcp_port();
  Sluice s(dir, net_keys("tcp", port) + "      tls: on\n      tls.crt_file: " + pki.server_crt +
                    "\n      tls.key_file: " + pki.server_key + "\n      tls.verify: on\n      tls.ca_file: " +
                    pki.ca_crt + "\n");
  // rsyslog's OpenSSL stream driver (rsyslog-openssl), TLS only (mode 1):
  // sluice's certificate must chain to the CA file and name "localhost"
  // (x509/name); rsyslog shows its own certificate to sluice.
  const std::string omfwd = "target=\"127.0.0.1\" port=\"" + std::to_string(port) +
                            "\" protocol=\"tcp\" TCP_Framing=\"octet-counted\" StreamDriver=\"ossl\" "
                            "StreamDriverMode=\"1\" StreamDriverAuthMode=\"x509/name\" "
                            "StreamDriverPermittedPeers=\"localhost\" template=\"RSYSLOG_SyslogProtocol23Format\"";
  auto tls_files = [](const std::string& ca, const std::string& crt, const std::string& key) {
    return " DefaultNetstreamDriverCAFile=\"" + ca + "\" DefaultNetstreamDriverCertFile=\"" + crt +
           "\" DefaultNetstreamDriverKeyFile=\"" + key + "\"";
  };
  // When nothing can arrive, the refusal shows as sluice's log line of the
  // failed handshake, with its reason; messages go until it does (the first
  // may be sent before rsyslog listens), about one a second, at most 30 s.
  auto wait_refused = [&](Rsyslog& rsyslog, const std::string& reason) {
    auto logged = [&] {
      const std::string err = s.err();
      size_t at = err.find("TLS handshake with tcp://127.0.0.1:");
      return at != std::string::npos && err.find(" failed: " + reason, at) != std::string::npos;
    };
    return wait_until(
        [&] {
          rsyslog.send("refused", {"must not arrive"});
          return wait_until(logged, 1s);
        },
        30s);
  };

  SECTION("every message arrives exactly once, with its fields") {
    Rsyslog rsyslog(dir, omfwd, tls_files(pki.ca_crt, pki.client_crt, pki.client_key));
    bool relaying = wait_relaying(s, rsyslog);
    INFO(rsyslog.err() << s.err());
    REQUIRE(relaying);
    constexpr int kCount = 50;
    send_relayed(rsyslog, kCount);
    s.wait_records(kCount, ident_is("relayed"));
    rsyslog.stop();
    s.stop();
    auto records = s.records();
    check_relayed(records, kCount);
    for (const auto& r : records) CHECK_THAT(str(r, "src"), Contains("tcp://127.0.0.1:"));
    CHECK(s.err().find("TLS handshake") == std::string::npos);
  }
  SECTION("rsyslog trusts another CA: it refuses sluice's certificate, nothing arrives") {
    Rsyslog rsyslog(dir, omfwd, tls_files(pki.other_ca_crt, pki.client_crt, pki.client_key));
    bool refused = wait_refused(rsyslog, "tlsv1 alert unknown ca");  // rsyslog's alert to sluice
    INFO(rsyslog.err() << s.err());
    CHECK(refused);
    rsyslog.stop();
    s.stop();
    CHECK(s.records().empty());
  }
  SECTION("rsyslog's certificate is not from sluice's tls.ca_file: sluice refuses it, nothing arrives") {
    REQUIRE(run_cmd_ok("openssl req -x509 -newkey rsa:2048 -nodes -days 1 -subj /CN=intruder -keyout " +
                       dir.file("foreign.key") + " -out " + dir.file("foreign.crt")));
    Rsyslog rsyslog(dir, omfwd, tls_files(pki.ca_crt, dir.file("foreign.crt"), dir.file("foreign.key")));
    bool refused = wait_refused(rsyslog, "certificate verify failed");
    INFO(rsyslog.err() << s.err());
    CHECK(refused);
    rsyslog.stop();
    s.stop();
    CHECK(s.records().empty());
  }
}

TEST_CASE("syslog: Python's SysLogHandler over UDP and TCP (NUL-terminated)", "[e2e][syslog]") {
  TempDir dir;
  uint16_t udp = free_udp_port();
  uint16_t tcp = free_tcp_port();
  Sluice s(dir, net_keys("udp", udp) + "    - name: syslog\n" + net_keys("tcp", tcp));
  std::string peer = std::string(SLUICE_SOURCE_DIR) + "/tests/peers/syslog_python_client.py";
  constexpr int kCount = 100;
  run_peer({"python3", peer, "--port", std::to_string(udp), "--socktype", "udp", "--format", "rfc5424", "--app",
            "py-udp", "--count", std::to_string(kCount)});
  run_peer({"python3", peer, "--port", std::to_string(tcp), "--socktype", "tcp", "--format", "rfc5424", "--app",
            "py-tcp", "--count", std::to_string(kCount)});
  run_peer({"python3", peer, "--port", std::to_string(tcp), "--socktype", "tcp", "--format", "plain", "--count",
            std::to_string(kCount)});
  auto records = s.wait_records(3 * kCount);
  std::map<std::string, std::set<std::string>> by_ident;
  for (const auto& r : records) {
    std::string ident = str(r, "ident");
    CAPTURE(ident, str(r, "message"));
    CHECK(r.find("parse_error") == nullptr);
    by_ident[ident].insert(str(r, "message"));
    int seq = std::stoi(str(r, "message").substr(std::string("python message ").size()));
    CHECK(str(r, "facility_name") == "local2");
    CHECK(str(r, "severity_name") == (seq % 10 == 0 ? "err" : "info"));
    if (ident == "<absent>") continue;  // the plain handler: "<PRI>message" and nothing else
    CHECK(str(r, "host") == hostname());
    CHECK(str(r, "msgid") == "PY");
    const Value* meta = r.find("extradata") ? r.find("extradata")->find("meta@32473") : nullptr;
    REQUIRE(meta != nullptr);
    CHECK(str(*meta, "seq") == std::to_string(seq));
    CHECK(str(*meta, "quote") == "say \"hi\"");
  }
  CHECK(by_ident["py-udp"].size() == kCount);
  CHECK(by_ident["py-tcp"].size() == kCount);
  CHECK(by_ident["<absent>"].size() == kCount);
  s.stop();
}

TEST_CASE("syslog: openssl s_client over TLS, client verification refuses missing and foreign certificates",
          "[e2e][syslog]") {
  TempDir dir;
  auto pki = make_test_pki(dir.path());
  uint16_t port = free_tcp_port();
  std::string messages;
  for (int i = 0; i < 20; ++i)
    messages += "<165>1 2026-11-21T10:00:00Z tlshost tlsapp - - - over tls " + std::to_string(i) + "\n";
  write_file(dir.file("msgs.txt"), messages);
  write_file(dir.file("bad.txt"), "<165>1 2026-11-21T10:00:00Z tlshost intruder - - - must not arrive\n");
  // s_client reads the messages from stdin and hangs up at its end.
  auto s_client = [&](const std::string& extra, const std::string& input) {
    std::string cmd = "exec openssl s_client -connect 127.0.0.1:" + std::to_string(port) + " -CAfile " + pki.ca_crt +
                      " -quiet -no_ign_eof " + extra + " < " + input;
    Process p({"/bin/sh", "-c", cmd});
    auto status = p.wait(30s);
    return std::make_pair(status, p.err());
  };
  std::string tls_keys = net_keys("tcp", port) + "      tls: on\n      tls.crt_file: " + pki.server_crt +
                         "\n      tls.key_file: " + pki.server_key + "\n";
  SECTION("server certificate only") {
    Sluice s(dir, tls_keys);
    auto [status, err] = s_client("", dir.file("msgs.txt"));
    INFO(err);
    CHECK(status == 0);
    auto records = s.wait_records(20);
    REQUIRE(records.size() == 20);
    CHECK(str(records[0], "ident") == "tlsapp");
    CHECK(str(records[19], "message") == "over tls 19");
    CHECK_THAT(str(records[0], "src"), Contains("tcp://127.0.0.1:"));
    s.stop();
  }
  SECTION("client certificates verified against tls.ca_file") {
    Sluice s(dir, tls_keys + "      tls.verify: on\n      tls.ca_file: " + pki.ca_crt + "\n");
    s_client("", dir.file("bad.txt"));  // no certificate
    REQUIRE(run_cmd_ok("openssl req -x509 -newkey rsa:2048 -nodes -days 1 -subj /CN=intruder -keyout " +
                       dir.file("foreign.key") + " -out " + dir.file("foreign.crt")));
    s_client("-cert " + dir.file("foreign.crt") + " -key " + dir.file("foreign.key"), dir.file("bad.txt"));
    auto [status, err] = s_client("-cert " + pki.client_crt + " -key " + pki.client_key, dir.file("msgs.txt"));
    INFO(err);
    CHECK(status == 0);
    auto records = s.wait_records(20);
    CHECK(records.size() == 20);
    for (const auto& r : records) CHECK(str(r, "ident") == "tlsapp");
    CHECK(wait_until([&] { return s.err().find("TLS handshake with tcp://127.0.0.1:") != std::string::npos; }, 5s));
    s.stop();
    CHECK(s.records().size() == 20);
  }
}

}  // namespace SLUICE_UNITY_ID
