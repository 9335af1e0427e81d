#!/usr/bin/env python3
"""What a queued record costs in the memory budget, and what that means for a slow backend (issue 13).

Runs the real sluice binary on tail -> parser json -> es with 460-byte JSON
lines (a web server's request log: timestamps, ids, a user agent, numbers):

  charge  the backend is down (nothing listens on the es port), so every record
          read stays queued. Once the input has read them all, the budget
          sluice charges (sluice_buffer_memory_bytes, what the queued chunks
          hold) over the records queued is the charge per record. Done for a
          file read from its head (big chunks, the load case) and for lines
          appended one at a time at 20 lines/s (one record per chunk, the
          quiet sidecar case).
  slow    an es stand-in answers every _bulk request after 2 s; workers 1,
          default mem_buf_limit and batch sizes; the file holds more than
          the run can deliver. Lines/s is what the stand-in received over a
          window after the first answers (the es output's batches are cut by
          batch_max_bytes, counted in charged memory, so the charge decides it).

Usage: bench/bench_memory.py [--sluice build/sluice] [--lines 20000] [--slow-seconds 20]
                             [--only charge,slow] [--keep DIR]
Prints one line per figure; exits non-zero only when sluice fails.
"""
import argparse
import http.server
import json
import os
import random
import re
import shutil
import signal
import socket
import socketserver
import subprocess
import sys
import tempfile
import threading
import time
import urllib.request

LINE_BYTES = 460  # without the newline

PIPELINE = """
service:
  log_level: warn
  http_server: on
  http_port: {metrics_port}
  mem_limit: {mem_limit}
pipeline:
  inputs:
    - name: tail
      tag: bench
      path: {log}
      read_from_head: on
      refresh_interval: 100ms
  filters:
    - name: parser
      match: bench
      key_name: log
      parser: json
  outputs:
    - name: es
      match: bench
      host: 127.0.0.1
      port: {es_port}
      index: bench
      mem_buf_limit: {mem_buf_limit}
      retry_base: 30s
      retry_cap: 30s
"""


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


USER_AGENTS = [
    "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/124.0 Safari/537.36",
    "Mozilla/5.0 (Macintosh; Intel Mac OS X 14_4) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.4 Safari/605.1",
    "Mozilla/5.0 (Windows NT 10.0; Win64; x64; rv:125.0) Gecko/20100101 Firefox/125.0",
    "okhttp/4.12.0",
    "python-requests/2.31.0",
]


def make_line(i, rng, shape="wide"):
    """One JSON line of exactly LINE_BYTES bytes (the message is padded to fit).

    wide: 14 fields, as a web server behind a sidecar logs them (one host and
    service per file, one of five user agents). traces: bench/gen_traces.py's
    8 fields (the throughput benchmark's workload) with a longer message.
    """
    rec = {
        "ts": "2024-05-01T12:%02d:%02d.%06dZ" % (i // 60 % 60, i % 60, rng.randrange(10**6)),
        "level": rng.choice(["info", "info", "info", "warn", "error"]),
        "message": "",
        "traceId": "%032x" % rng.getrandbits(128),
    }
    if shape == "wide":
        rec["spanId"] = "%016x" % rng.getrandbits(64)
    rec["method"] = rng.choice(["GET", "POST", "PUT", "DELETE"])
    rec["path"] = "/api/v1/orders/%d/items" % rng.randrange(10**6)
    rec["status"] = rng.choice([200, 200, 201, 204, 404, 500])
    rec["latencyMs"] = round(rng.uniform(0.5, 900.0), 3)
    if shape == "wide":
        rec["bytes"] = rng.randrange(100, 100000)
        rec["clientIp"] = "10.%d.%d.%d" % (rng.randrange(256), rng.randrange(256), rng.randrange(256))
        rec["userAgent"] = rng.choice(USER_AGENTS)
        rec["host"] = "web-7f9c5d-x2k4q"
        rec["service"] = "checkout"
    base = len(json.dumps(rec, separators=(",", ":")))
    words = "request completed for customer order with items "
    rec["message"] = (words * 12)[: LINE_BYTES - base]
    line = json.dumps(rec, separators=(",", ":"))
    assert len(line) == LINE_BYTES, len(line)
    return line


def write_lines(path, n, start=0, seed=13, shape="wide"):
    rng = random.Random(seed + start)
    with open(path, "a") as f:
        for i in range(start, start + n):
            f.write(make_line(i, rng, shape) + "\n")


def metrics(port):
    with urllib.request.urlopen("http://127.0.0.1:%d/api/v1/metrics" % port, timeout=5) as r:
        text = r.read().decode()
    out = {}
    for line in text.splitlines():
        m = re.match(r"^(\w+)(\{[^}]*\})? ([0-9.e+-]+)$", line)
        if m:
            out[m.group(1) + (m.group(2) or "")] = float(m.group(3))
    return out


def metric(ms, name):
    return sum(v for k, v in ms.items() if k == name or k.startswith(name + "{"))


class Sluice:
    def __init__(self, binary, workdir, log, es_port, mem_limit="512M", mem_buf_limit="512M"):
        self.metrics_port = free_port()
        conf = os.path.join(workdir, "pipeline.yaml")
        with open(conf, "w") as f:
            f.write(PIPELINE.format(metrics_port=self.metrics_port, log=log, es_port=es_port,
                                    mem_limit=mem_limit, mem_buf_limit=mem_buf_limit))
        self.stderr = open(os.path.join(workdir, "sluice.log"), "w")
        self.proc = subprocess.Popen([binary, "-c", conf], stderr=self.stderr, stdout=subprocess.DEVNULL, cwd=workdir)
        deadline = time.time() + 10
        while True:
            try:
                metrics(self.metrics_port)
                return
            except OSError:
                if self.proc.poll() is not None or time.time() > deadline:
                    raise SystemExit("sluice did not start; see %s" % self.stderr.name)
                time.sleep(0.1)

    def metrics(self):
        return metrics(self.metrics_port)

    def wait_read(self, lines, timeout_s=60):
        deadline = time.time() + timeout_s
        while time.time() < deadline:
            ms = self.metrics()
            if metric(ms, "sluice_input_lines_read_total") >= lines:
                time.sleep(0.5)  # the last chunk through the filters and into the queue
                return self.metrics()
            time.sleep(0.2)
        raise SystemExit("sluice read fewer than %d lines in %d s" % (lines, timeout_s))

    def stop(self):
        self.proc.send_signal(signal.SIGINT)
        try:
            self.proc.wait(15)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()
        self.stderr.close()


def charge_per_record(ms):
    queued = metric(ms, "sluice_input_lines_read_total") - metric(ms, "sluice_output_records_delivered_total")
    return metric(ms, "sluice_buffer_memory_bytes") / max(queued, 1), int(queued)


def run_charge(args, workdir):
    dead_port = free_port()  # nothing listens: every batch fails and stays queued
    for shape in ("wide", "traces"):
        log = os.path.join(workdir, "head-%s.log" % shape)
        open(log, "w").close()
        write_lines(log, args.lines, shape=shape)
        s = Sluice(args.sluice, workdir, log, dead_port)
        try:
            per, queued = charge_per_record(s.wait_read(args.lines))
        finally:
            s.stop()
        print("charge, %s lines, file read from its head: %d records queued, %.0f bytes charged per record, "
              "%d JSON bytes per record (%.2fx)" % (shape, queued, per, LINE_BYTES + 1, per / (LINE_BYTES + 1)))

    log = os.path.join(workdir, "trickle.log")
    open(log, "w").close()
    s = Sluice(args.sluice, workdir, log, dead_port)
    n = args.trickle_lines
    try:
        for i in range(n):
            write_lines(log, 1, start=i)
            time.sleep(0.05)
        per, queued = charge_per_record(s.wait_read(n))
    finally:
        s.stop()
    print("charge, wide lines appended one at a time (20 lines/s): %d records queued, %.0f bytes charged per record "
          "(%.2fx)" % (queued, per, per / (LINE_BYTES + 1)))


class SlowEs(socketserver.ThreadingMixIn, http.server.HTTPServer):
    daemon_threads = True

    def __init__(self, delay_s):
        self.delay_s = delay_s
        self.records = []  # (time answered, records in the request)
        self.lock = threading.Lock()
        super().__init__(("127.0.0.1", 0), SlowEsHandler)


class SlowEsHandler(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def log_message(self, *a):
        pass

    def do_POST(self):
        body = self.rfile.read(int(self.headers.get("Content-Length", "0")))
        time.sleep(self.server.delay_s)
        n = body.count(b"\n") // 2
        answer = b'{"took":1,"errors":false,"items":[]}'
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(answer)))
        self.end_headers()
        self.wfile.write(answer)
        with self.server.lock:
            self.server.records.append((time.time(), n))

    def do_GET(self):
        answer = b'{"version":{"number":"8.13.0"}}'
        self.send_response(200)
        self.send_header("Content-Length", str(len(answer)))
        self.end_headers()
        self.wfile.write(answer)


def run_slow(args, workdir):
    es = SlowEs(2.0)
    threading.Thread(target=es.serve_forever, daemon=True).start()
    log = os.path.join(workdir, "slow.log")
    open(log, "w").close()
    write_lines(log, args.slow_lines)
    s = Sluice(args.sluice, workdir, log, es.server_address[1], mem_limit="64M", mem_buf_limit="8M")
    try:
        deadline = time.time() + 30
        while not es.records and time.time() < deadline:
            time.sleep(0.1)
        if not es.records:
            raise SystemExit("the es stand-in got no request in 30 s; see %s" % s.stderr.name)
        start = time.time()
        time.sleep(args.slow_seconds)
        end = time.time()
        with es.lock:
            got = sum(n for t, n in es.records if start < t <= end)
            batches = sum(1 for t, n in es.records if start < t <= end)
        ms = s.metrics()
    finally:
        s.stop()
        es.shutdown()
    print("slow backend (2 s per answer, workers 1, mem_buf_limit 8M): %.0f lines/s delivered over %.0f s "
          "(%d batches, %.0f records each; %.0f bytes charged per queued record)"
          % (got / (end - start), end - start, batches, got / max(batches, 1), charge_per_record(ms)[0]))


def main():
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--sluice", default="build/sluice")
    p.add_argument("--lines", type=int, default=20000)
    p.add_argument("--trickle-lines", type=int, default=100)
    p.add_argument("--slow-lines", type=int, default=200000)
    p.add_argument("--slow-seconds", type=float, default=20)
    p.add_argument("--only", default="charge,slow")
    p.add_argument("--keep", help="work in this directory and keep it (sluice's log, the pipeline)")
    args = p.parse_args()
    args.sluice = os.path.abspath(args.sluice)
    workdir = args.keep or tempfile.mkdtemp(prefix="sluice-bench-memory-")
    os.makedirs(workdir, exist_ok=True)
    try:
        only = args.only.split(",")
        if "charge" in only:
            run_charge(args, workdir)
        if "slow" in only:
            run_slow(args, workdir)
    finally:
        if not args.keep:
            shutil.rmtree(workdir, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
