#!/usr/bin/env python3
"""Measures Fluent Bit (a binary you built yourself) on sluice's backend benchmarks.

The peer figures beside sluice's cloudwatch_logs and google_cloud_logging
outputs: Fluent Bit's cloudwatch_logs and stackdriver outputs on the same
workload (bench/gen_traces.py LINES, seed 42, read once beforehand so it is in
the page cache), tail -> parser json -> the output, to the nginx sink of
bench/sink_nginx.conf on 127.0.0.1, measured as bench/run_bench.py measures
sluice: CPU-seconds (user+system, all threads) and peak RSS (VmHWM) of the
Fluent Bit process from spawn until it exits, from wait4(2) in
bench/spawn_rusage.c; medians of --runs.

The configurations are bench/fluentbit/*.conf. Fluent Bit's tail input ends
the engine at the file's end (Exit_On_Eof); its shutdown waits (Grace 300)
until no chunk is left, checking once a second, so the whole run can include
up to a second of idling after the last request. The rate is therefore given
both over the whole run and from spawn to the last request nginx logged.

Pipelines:
  cloudwatch   -> cloudwatch_logs (PutLogEvents, SigV4 from AWS_ACCESS_KEY_ID /
               AWS_SECRET_ACCESS_KEY) to the sink's POST /, over TLS: Fluent
               Bit 5.1.1 can't reach CloudWatch without it (the reason is in
               bench/fluentbit/tail_json_cloudwatch.conf), so the sink has a
               TLS port too (a certificate from a CA made for the run,
               `tls.verify off`). Fluent Bit treats a 200 without an
               x-amzn-RequestId header as a failure, which sink_nginx.conf
               sends as CloudWatch does.
  stackdriver  -> stackdriver (entries:write, generic_node, the severity and
               trace keys of pipelines/tail_json_google.yaml) over plain HTTP
               to the sink's POST /v2/entries:write (cloud_logging_base_url).
               Its token request goes to the fixed
               https://oauth2.googleapis.com/token with certificate
               verification, whatever the key file's token_uri says, so Fluent
               Bit runs in a private mount namespace (unshare -m, needs root)
               whose /etc/hosts sends that name to 127.0.0.1 and whose
               /etc/ssl/certs holds only the run's CA; the sink answers /token
               on 127.0.0.1:443. The service-account key file is generated.
  stackdriver_tls  the same over TLS: what TLS costs Fluent Bit on this
               workload, to read the cloudwatch figure against sluice's
               plain-HTTP one.
  sluice_cloudwatch_tls  sluice (--sluice) with
               pipelines/tail_json_cloudwatch_tls.yaml, the cloudwatch
               pipeline over TLS as Fluent Bit must run it. (On 2026-12-06, sluice
               built at fe68b9b stalled over TLS on bodies larger than one TLS
               record; fixed in 5d51c66.)

Delivery: nginx discards the bodies, so it can't count events. Each run must
exit 0 with "service has stopped (0 pending tasks)" and no [error] or [ warn]
line from the output; --verify runs once more with a small Python sink on the
write path instead (nginx still answers the token) that parses every request
and counts the events, which must equal the lines.

Usage: bench/fluentbit_peer.py --fluent-bit PATH [--only cloudwatch,stackdriver]
                               [--lines 2000000] [--runs 3] [--verify]
                               [--cache-dir /tmp/sluice-bench] [--timeout 900]
Needs Python 3, a C compiler, nginx (with ssl) and openssl; stackdriver needs
root (unshare, mount). Nothing here builds or contains Fluent Bit.
"""
import argparse
import json
import os
import re
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import ssl
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import bench_peers
import run_bench

BENCH_DIR = os.path.dirname(os.path.abspath(__file__))
CONF_DIR = os.path.join(BENCH_DIR, "fluentbit")
TOKEN_HOST = "oauth2.googleapis.com"
PUT_LOG_EVENTS = "/ Logs_20140328.PutLogEvents"


@dataclass
class Pipeline:
    title: str
    agent: str         # "fluent-bit" or "sluice"
    config: str        # path under bench/
    write_path: str    # the requests that carry the events, as Sink.requests() names them
    tls: bool          # the events go to the sink's TLS port
    token_host: bool   # Fluent Bit's stackdriver: the namespace and 127.0.0.1:443 for the token
    env: dict = field(default_factory=dict)


PIPELINES = {
    "cloudwatch": Pipeline("Fluent Bit: tail → parser json → cloudwatch_logs (SigV4, TLS, nginx sink)",
                           "fluent-bit", "fluentbit/tail_json_cloudwatch.conf", PUT_LOG_EVENTS, True, False),
    "stackdriver": Pipeline("Fluent Bit: tail → parser json → stackdriver (generic_node, entries:write, nginx sink)",
                            "fluent-bit", "fluentbit/tail_json_stackdriver.conf", "/v2/entries:write", False, True,
                            {"BENCH_GOOGLE_TLS": "off"}),
    "stackdriver_tls": Pipeline("Fluent Bit: tail → parser json → stackdriver over TLS (nginx sink)",
                                "fluent-bit", "fluentbit/tail_json_stackdriver.conf", "/v2/entries:write", True, True,
                                {"BENCH_GOOGLE_TLS": "on"}),
    "sluice_cloudwatch_tls": Pipeline("sluice: tail → parser json → cloudwatch_logs (SigV4, TLS, nginx sink)",
                                      "sluice", "pipelines/tail_json_cloudwatch_tls.yaml", PUT_LOG_EVENTS, True, False),
}
AWS_ENV = {"AWS_ACCESS_KEY_ID": "AKIDBENCHPEER", "AWS_SECRET_ACCESS_KEY": "bench-secret",
           "AWS_EC2_METADATA_DISABLED": "true"}


class Sink:
    """nginx from sink_nginx.conf, its access log also giving each request's time and URI, with
    a TLS port beside the plain one and, with token_host, /token on 127.0.0.1:443 too."""

    def __init__(self, cache_dir, tls_dir, token_host):
        self.port = bench_peers.free_port()
        self.tls_port = bench_peers.free_port()
        self.dir = tempfile.mkdtemp(prefix="fb-sink-", dir=cache_dir)
        with open(os.path.join(BENCH_DIR, "sink_nginx.conf")) as f:
            conf = f.read().replace("${SINK_PORT}", str(self.port)).replace("${SINK_DIR}", self.dir)
        fmt = "log_format sizes '$request_length $content_length $status';"
        listen = "listen 127.0.0.1:%d;" % self.port
        if fmt not in conf or listen not in conf:
            raise bench_peers.PeerError("sink_nginx.conf's log_format or listen changed; update fluentbit_peer.py")
        conf = conf.replace(fmt, "log_format sizes '$request_length $content_length $status $msec $uri $http_x_amz_target';")
        certs = "ssl_certificate %s/server.crt;\n    ssl_certificate_key %s/server.key;" % (tls_dir, tls_dir)
        conf = conf.replace(listen, "%s\n    listen 127.0.0.1:%d ssl;\n    %s" % (listen, self.tls_port, certs))
        if token_host:
            token = re.search(r"location = /token \{.*?\n    \}", conf, re.S)
            if not token:
                raise bench_peers.PeerError("no /token location in sink_nginx.conf")
            server = "\n  server {\n    listen 127.0.0.1:443 ssl;\n    server_name %s;\n    %s\n    %s\n  }\n}\n" % (
                TOKEN_HOST, certs, token.group(0))
            conf = conf.rstrip().rstrip("}") + server
        path = os.path.join(self.dir, "nginx.conf")
        with open(path, "w") as f:
            f.write(conf)
        self.proc = subprocess.Popen(["nginx", "-p", self.dir, "-c", path], stdout=subprocess.DEVNULL,
                                     stderr=subprocess.DEVNULL)
        try:
            for port in [self.port, self.tls_port] + ([443] if token_host else []):
                bench_peers.wait_listening(port, self.proc, "nginx")
        except bench_peers.PeerError:
            self.stop()
            raise

    def requests(self):
        """[(what, status, bytes (request header + body), msec)] from the access log, `what` being
        the URI and, for CloudWatch, the X-Amz-Target: "/ Logs_20140328.PutLogEvents"."""
        out = []
        with open(os.path.join(self.dir, "access.log")) as f:
            for line in f:
                head, body, status, msec, uri, target = line.split()[:6]
                what = uri if target == "-" else "%s %s" % (uri, target)
                out.append((what, int(status), int(head) + (int(body) if body.isdigit() else 0), float(msec)))
        return out

    def stop(self):
        if self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        shutil.rmtree(self.dir, ignore_errors=True)


class CountingSink:
    """--verify: answers the write path as nginx does, parsing each body and counting its events."""

    def __init__(self, tls_dir=None):
        sink = self
        self.events = 0
        self.requests = {}
        self.sample = None           # the first event, to see what the agent sends
        self.sample_envelope = None
        self.lock = threading.Lock()

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, *a):
                pass

            def do_POST(self):
                body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
                target = self.headers.get("X-Amz-Target", "")
                events = []
                if self.path == "/" and target.endswith("PutLogEvents"):
                    events = json.loads(body)["logEvents"]
                elif self.path == "/v2/entries:write":
                    doc = json.loads(body)
                    events = doc["entries"]
                    if sink.sample is None:
                        sink.sample_envelope = {k: v for k, v in doc.items() if k != "entries"}
                n = len(events)
                with sink.lock:
                    if sink.sample is None and events:
                        sink.sample = events[0]
                    sink.events += n
                    key = "POST %s %s" % (self.path, target)
                    sink.requests[key.strip()] = sink.requests.get(key.strip(), 0) + 1
                reply = b"{}"
                self.send_response(200)
                self.send_header("Content-Type", "application/json")
                self.send_header("x-amzn-RequestId", "00000000-0000-4000-8000-000000000000")
                self.send_header("Content-Length", str(len(reply)))
                self.end_headers()
                self.wfile.write(reply)

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        if tls_dir:
            ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
            ctx.load_cert_chain(os.path.join(tls_dir, "server.crt"), os.path.join(tls_dir, "server.key"))
            self.server.socket = ctx.wrap_socket(self.server.socket, server_side=True)
        self.port = self.server.server_address[1]
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    def stop(self):
        self.server.shutdown()
        self.server.server_close()


def make_tls_files(work):
    """A throw-away CA and a certificate from it for 127.0.0.1 and oauth2.googleapis.com, the hosts
    file and CA directory the stackdriver namespace mounts, and a service-account key file:
    returns (tls dir, key file path)."""
    tls = os.path.join(work, "peer-tls")
    certs = os.path.join(tls, "certs")
    os.makedirs(certs, exist_ok=True)

    def ossl(*a):
        subprocess.run(["openssl"] + list(a), check=True, capture_output=True, cwd=tls)

    if not os.path.exists(os.path.join(tls, "sa.pem")):
        ossl("req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", "ca.key", "-out", "ca.crt",
             "-days", "30", "-subj", "/CN=sluice bench throw-away CA")
        ossl("req", "-newkey", "rsa:2048", "-nodes", "-keyout", "server.key", "-out", "server.csr",
             "-subj", "/CN=" + TOKEN_HOST)
        with open(os.path.join(tls, "ext.cnf"), "w") as f:
            f.write("subjectAltName=DNS:%s,IP:127.0.0.1\n" % TOKEN_HOST)
        ossl("x509", "-req", "-in", "server.csr", "-CA", "ca.crt", "-CAkey", "ca.key", "-CAcreateserial",
             "-out", "server.crt", "-days", "30", "-extfile", "ext.cnf")
        shutil.copy(os.path.join(tls, "ca.crt"), os.path.join(certs, "bench-ca.pem"))
        # Fluent Bit reads /etc/ssl/certs/ca-bundle.crt and the hashed directory.
        shutil.copy(os.path.join(tls, "ca.crt"), os.path.join(certs, "ca-bundle.crt"))
        subprocess.run(["openssl", "rehash", certs], capture_output=True)
        with open(os.path.join(tls, "hosts"), "w") as f:
            f.write("127.0.0.1 localhost\n127.0.0.1 %s\n" % TOKEN_HOST)
        ossl("genpkey", "-algorithm", "RSA", "-pkeyopt", "rsa_keygen_bits:2048", "-out", "sa.pem")
    with open(os.path.join(tls, "sa.pem")) as f:
        key = f.read()
    key_file = os.path.join(tls, "sa-key.json")
    with open(key_file, "w") as f:
        json.dump({"type": "service_account", "project_id": "bench-project",
                   "private_key_id": "0123456789abcdef0123456789abcdef01234567", "private_key": key,
                   "client_email": "bench@bench-project.iam.gserviceaccount.com",
                   "client_id": "100000000000000000001",
                   # Not used by Fluent Bit 5.1.1 (see bench/fluentbit/tail_json_stackdriver.conf).
                   "token_uri": "https://%s/token" % TOKEN_HOST}, f, indent=2)
    return tls, key_file


def agent_argv(args, pl, result_path):
    conf = os.path.join(BENCH_DIR, pl.config)
    if pl.agent == "sluice":
        return [args.spawner, result_path, args.sluice, "-c", conf]
    argv = [args.spawner, result_path, args.fluent_bit, "-c", conf]
    if pl.token_host:
        # Mounts in a namespace of its own: nothing outside it sees them.
        script = ('mount --bind "$1/hosts" /etc/hosts && mount --bind "$1/certs" /etc/ssl/certs'
                  ' && shift && exec "$@"')
        argv = ["unshare", "-m", "--propagation", "private", "sh", "-c", script, "sh", args.tls_dir] + argv
    return argv


def log_problems(log_path):
    """Lines of Fluent Bit's log that say something went wrong (errors, warnings but the shutdown's)."""
    bad = []
    with open(log_path, errors="replace") as f:
        for line in f:
            if ("[error]" in line or "[ warn]" in line or "retry" in line.lower()) and \
                    "service will shutdown" not in line:
                bad.append(line.rstrip())
    return bad


def run_once(args, name, log_file, log_path, verify=False):
    pl = PIPELINES[name]
    run_bench.read_through(log_file)
    sink = Sink(args.cache_dir, args.tls_dir, pl.token_host)
    counter = CountingSink(args.tls_dir if pl.tls else None) if verify else None
    port = counter.port if counter else (sink.tls_port if pl.tls else sink.port)
    env = dict(os.environ, BENCH_LOG=log_file, BENCH_SINK_PORT=str(port), BENCH_SINK_TLS_PORT=str(port),
               BENCH_GOOGLE_CREDENTIALS=args.key_file,
               BENCH_GOOGLE_URL="%s://127.0.0.1:%d" % ("https" if pl.tls else "http", port), **AWS_ENV)
    env.update(pl.env)
    result_path = log_path + ".rusage"
    if os.path.exists(result_path):
        os.unlink(result_path)
    try:
        t0_epoch = time.time()
        t0 = time.perf_counter()
        with open(log_path, "wb") as log:
            proc = subprocess.Popen(agent_argv(args, pl, result_path), stdin=subprocess.DEVNULL,
                                    stdout=log, stderr=subprocess.STDOUT, env=env)
        code, _, timed_out = run_bench.wait_child(proc, args.timeout)
        wall = time.perf_counter() - t0
        requests = sink.requests()
    finally:
        sink.stop()
        if counter:
            counter.stop()
    if timed_out:
        raise run_bench.BenchFailure("did not finish within %d s:\n%s" % (args.timeout, run_bench.tail_of(log_path)))
    code, cpu, rss = run_bench.read_rusage(result_path)
    if pl.agent == "sluice":
        if code != 0:
            raise run_bench.BenchFailure("exit %d:\n%s" % (code, run_bench.tail_of(log_path)))
        run_bench.check_delivered(log_path, args.lines, "one per line")
        problems = []
    else:
        with open(log_path, errors="replace") as f:
            stopped = re.search(r"service has stopped \((\d+) pending tasks\)", f.read())
        problems = log_problems(log_path)
        if code != 0 or not stopped or stopped.group(1) != "0" or (problems and not args.keep_going):
            raise run_bench.BenchFailure("exit %d, %s, %d error/warning lines:\n%s" % (
                code, stopped.group(0) if stopped else "no stop line", len(problems),
                "\n".join(problems[:10]) or run_bench.tail_of(log_path)))
    writes = [r for r in requests if r[0] == pl.write_path]
    other = {}
    for r in requests:
        if r[0] != pl.write_path:
            key = "%s %d" % (r[0], r[1])
            other[key] = other.get(key, 0) + 1
    last = max((r[3] for r in writes), default=t0_epoch)
    run = {"wall_s": wall, "to_last_request_s": last - t0_epoch, "cpu_s": cpu, "peak_rss_kib": rss,
           "write_requests": len(writes), "write_bytes": sum(r[2] for r in writes),
           "non_2xx": sum(1 for r in requests if not 200 <= r[1] < 300),
           "other_requests": other, "problems": problems}
    if counter:
        run["events"] = counter.events
        run["verify_requests"] = dict(counter.requests)
        run["sample_event"] = counter.sample
        run["sample_envelope"] = counter.sample_envelope
    return run


def main():
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--fluent-bit", help="the fluent-bit binary (for the Fluent Bit pipelines)")
    p.add_argument("--sluice", default=os.path.join(os.path.dirname(BENCH_DIR), "build", "sluice"),
                   help="for sluice_cloudwatch_tls")
    p.add_argument("--only", default="cloudwatch,stackdriver", help="of: " + ", ".join(PIPELINES))
    p.add_argument("--lines", type=int, default=2000000)
    p.add_argument("--seed", type=int, default=42)
    p.add_argument("--runs", type=int, default=3)
    p.add_argument("--verify", action="store_true", help="then one more run counting the events (Python sink)")
    p.add_argument("--keep-going", action="store_true", help="report runs whose log has errors instead of failing")
    p.add_argument("--cache-dir", default="/tmp/sluice-bench")
    p.add_argument("--generator", default=os.path.join(BENCH_DIR, "gen_traces.py"))
    p.add_argument("--timeout", type=int, default=900)
    p.add_argument("--json", help="write every run's figures here")
    args = p.parse_args()
    names = [n.strip() for n in args.only.split(",") if n.strip()]
    for n in names:
        if n not in PIPELINES:
            sys.exit("unknown pipeline %s (have: %s)" % (n, ", ".join(PIPELINES)))
        if PIPELINES[n].agent == "fluent-bit" and not args.fluent_bit:
            sys.exit("%s needs --fluent-bit PATH" % n)
    if any(PIPELINES[n].token_host for n in names):
        if os.geteuid() != 0 or not shutil.which("unshare"):
            sys.exit("stackdriver needs root and unshare(1) (a private mount namespace for the token host)")
        with socket.socket() as s:
            if s.connect_ex(("127.0.0.1", 443)) == 0:
                sys.exit("127.0.0.1:443 is taken; the token stand-in needs it")
    log_file, nbytes = run_bench.workload(args)
    args.spawner = run_bench.build_spawner(args.cache_dir)
    if not args.spawner:
        sys.exit("needs a C compiler for bench/spawn_rusage.c")
    args.tls_dir, args.key_file = make_tls_files(args.cache_dir)
    if args.fluent_bit:
        print(subprocess.run([args.fluent_bit, "--version"], capture_output=True, text=True).stdout.split("\n")[0])
    print("%s lines (%.1f MB), %d runs each" % (format(args.lines, ","), nbytes / 1e6, args.runs))
    results = {}
    for name in names:
        runs = []
        for i in range(args.runs):
            log_path = os.path.join(args.cache_dir, "peer-%s-%d.log" % (name, i + 1))
            r = run_once(args, name, log_file, log_path)
            runs.append(r)
            print("  %s run %d: %.1f s (%.1f s to the last request), %.2f CPU-s, %.1f MB peak RSS, "
                  "%d requests, %.1f MB%s%s" % (
                      name, i + 1, r["wall_s"], r["to_last_request_s"], r["cpu_s"], r["peak_rss_kib"] / 1024,
                      r["write_requests"], r["write_bytes"] / 1e6,
                      "; other: %s" % r["other_requests"] if r["other_requests"] else "",
                      "; %d non-2xx" % r["non_2xx"] if r["non_2xx"] else ""), flush=True)
            for line in r["problems"][:5]:
                print("    log: " + line)
        if args.verify:
            log_path = os.path.join(args.cache_dir, "peer-%s-verify.log" % name)
            v = run_once(args, name, log_file, log_path, verify=True)
            ok = "every line" if v["events"] == args.lines else "MISSING %d" % (args.lines - v["events"])
            print("  %s verify: %s events (%s); requests: %s" % (name, format(v["events"], ","), ok,
                                                               v["verify_requests"]), flush=True)
            print("    first event: %s%s" % (json.dumps(v["sample_event"]),
                                           "\n    request fields: " + json.dumps(v["sample_envelope"])
                                           if v["sample_envelope"] else ""))
            runs.append(dict(v, verify=True))
        results[name] = runs
    print("\n| pipeline | lines/s (whole run) | lines/s (to last request) | CPU-s per M lines | peak RSS MB |"
          " requests | MB on the wire |")
    print("|---|---:|---:|---:|---:|---:|---:|")
    for name in names:
        rs = [r for r in results[name] if not r.get("verify")]
        if not rs:
            continue
        med = lambda k: statistics.median(r[k] for r in rs)
        print("| %s | %s | %s | %.2f | %.1f | %d | %.1f |" % (
            PIPELINES[name].title, format(round(args.lines / med("wall_s")), ","),
            format(round(args.lines / max(med("to_last_request_s"), 1e-9)), ","),
            med("cpu_s") / (args.lines / 1e6), med("peak_rss_kib") / 1024, med("write_requests"),
            med("write_bytes") / 1e6))
    if args.json:
        with open(args.json, "w") as f:
            json.dump({"lines": args.lines, "results": results}, f, indent=1)
    return 0


if __name__ == "__main__":
    sys.exit(main())
