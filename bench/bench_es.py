#!/usr/bin/env python3
"""Benchmarks the es output: tail → parser json [→ lua trace_aggregate] → es → nginx.

nginx (bench/es_sink_nginx.conf) stands in for Elasticsearch on 127.0.0.1 and
answers every _bulk request with {"errors":false,"items":[]}, so what is
measured is sluice: reading, parsing, encoding the bulk NDJSON, HTTP. Measured
as bench/run_bench.py measures (see bench/README.md): the workload
(gen_traces.py LINES, seed 42) is read once beforehand so it is in the page
cache; CPU-seconds and peak RSS of the sluice process come from wait4(2) in
bench/spawn_rusage.c; lines/s and MB/s (10^6 bytes) are over the wall time
from spawn to exit. "wire MB" is the sum of the request lengths nginx logged
(header and body as sent, the body compressed if compress=gzip).

Pipelines (bench/pipelines/): es = tail_json_es.yaml (every line must be
delivered), lua_es = tail_json_lua_es.yaml (one document per request, as
gen_traces.py counts them).

Usage: bench/bench_es.py [--sluice build/sluice] [--lines 2000000] [--runs 1]
                         [--only es,lua_es] [--compress gzip] [--cache-dir /tmp/sluice-bench]
Exits non-zero only if sluice fails (error exit, timeout, lost records).
"""
import argparse
import hashlib
import json
import os
import re
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import time

BENCH_DIR = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(BENCH_DIR)
PIPELINES = {"es": "tail_json_es.yaml", "lua_es": "tail_json_lua_es.yaml"}
TARGETS = {"es": (2.0, 40.0), "lua_es": (2.5, 30.0)}  # CPU-s per million lines, peak RSS MB (issue 4)
SUMMARY_RE = re.compile(r"output (\S+): (\d+) records delivered, (\d+) retried, (\d+) dead-lettered")


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def workload(args):
    """The generated file (made once) and its request count."""
    path = os.path.join(args.cache_dir, "traces-%d-seed42.log" % args.lines)
    meta_path = path + ".requests"
    if not os.path.exists(path) or not os.path.exists(meta_path):
        print("generating %s ..." % path, file=sys.stderr)
        proc = subprocess.run([sys.executable, os.path.join(BENCH_DIR, "gen_traces.py"), str(args.lines), path,
                               "--seed", "42"], capture_output=True, text=True, check=True)
        requests = int(re.search(r"requests=(\d+)", proc.stderr).group(1))
        with open(meta_path, "w") as f:
            f.write(str(requests))
    with open(meta_path) as f:
        return path, int(f.read())


def spawner(cache_dir):
    src = os.path.join(BENCH_DIR, "spawn_rusage.c")
    with open(src, "rb") as f:
        exe = os.path.join(cache_dir, "spawn_rusage-" + hashlib.sha256(f.read()).hexdigest()[:12])
    if not os.access(exe, os.X_OK):
        subprocess.run([shutil.which("cc") or "gcc", "-O2", "-o", exe, src], check=True)
    return exe


class Nginx:
    """The sink: nginx from the template, in a scratch directory."""

    def __init__(self, port):
        self.dir = tempfile.mkdtemp(prefix="sluice-es-sink-")
        with open(os.path.join(BENCH_DIR, "es_sink_nginx.conf")) as f:
            conf = f.read().replace("${BENCH_ES_PORT}", str(port)).replace("${BENCH_NGINX_DIR}", self.dir)
        self.conf = os.path.join(self.dir, "nginx.conf")
        with open(self.conf, "w") as f:
            f.write(conf)
        self.proc = subprocess.Popen(["nginx", "-p", self.dir, "-c", self.conf], stderr=subprocess.PIPE)
        deadline = time.time() + 10
        while time.time() < deadline:
            try:
                socket.create_connection(("127.0.0.1", port), timeout=0.2).close()
                return
            except OSError:
                time.sleep(0.05)
        raise RuntimeError("nginx did not start: " + self.proc.stderr.read().decode(errors="replace"))

    def wire_bytes(self):
        """(requests, bytes) nginx logged so far."""
        n = total = 0
        with open(os.path.join(self.dir, "access.log")) as f:
            for line in f:
                # $request_length counts only the header when `return` discards the body.
                head, body = line.split()[:2]
                n += 1
                total += int(head) + (int(body) if body.isdigit() else 0)
        return n, total

    def stop(self):
        self.proc.terminate()
        self.proc.wait(timeout=10)
        shutil.rmtree(self.dir, ignore_errors=True)


def run_once(args, name, log_path, requests):
    port = free_port()
    sink = Nginx(port)
    try:
        subprocess.run(["cat", args.log], stdout=subprocess.DEVNULL, check=True)  # page cache
        env = dict(os.environ, BENCH_LOG=args.log, BENCH_ES_PORT=str(port), BENCH_ES_COMPRESS=args.compress)
        result_path = log_path + ".rusage"
        cmd = [args.spawner, result_path, args.sluice, "-c", os.path.join(BENCH_DIR, "pipelines", PIPELINES[name])]
        t0 = time.perf_counter()
        with open(log_path, "wb") as log:
            code = subprocess.run(cmd, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=log, env=env,
                                  timeout=args.timeout).returncode
        wall = time.perf_counter() - t0
        with open(result_path) as f:
            code, user_us, sys_us, maxrss = (int(x) for x in f.read().split())
        http_requests, wire = sink.wire_bytes()
    finally:
        sink.stop()
    if code != 0:
        raise SystemExit("sluice exited with %d; see %s" % (code, log_path))
    delivered = 0
    with open(log_path, errors="replace") as f:
        for line in f:
            m = SUMMARY_RE.search(line)
            if m:
                delivered += int(m.group(2))
    expected = args.lines if name == "es" else requests
    if delivered != expected:
        raise SystemExit("%s: %d records delivered, expected %d; see %s" % (name, delivered, expected, log_path))
    return {"wall": wall, "cpu": (user_us + sys_us) / 1e6, "rss_mb": maxrss / 1024, "wire": wire,
            "http_requests": http_requests, "user": user_us / 1e6, "sys": sys_us / 1e6}


def main():
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--sluice", default=os.path.join(ROOT, "build", "sluice"))
    p.add_argument("--lines", type=int, default=2_000_000)
    p.add_argument("--runs", type=int, default=1)
    p.add_argument("--only", default="es,lua_es")
    p.add_argument("--compress", default="", choices=["", "gzip"])
    p.add_argument("--cache-dir", default="/tmp/sluice-bench")
    p.add_argument("--timeout", type=float, default=600)
    args = p.parse_args()
    os.makedirs(args.cache_dir, exist_ok=True)
    args.log, requests = workload(args)
    args.spawner = spawner(args.cache_dir)
    size = os.path.getsize(args.log)
    print("| pipeline | lines/s | MB/s read | wire MB | requests | CPU-s per M lines | cores | peak RSS MB | target |")
    print("|---|---:|---:|---:|---:|---:|---:|---:|---|")
    for name in args.only.split(","):
        runs = [run_once(args, name, os.path.join(args.cache_dir, "sluice-%s-%d.log" % (name, i)), requests)
                for i in range(args.runs)]
        med = {k: statistics.median(r[k] for r in runs) for k in runs[0]}
        per_m = med["cpu"] / (args.lines / 1e6)
        cpu_t, rss_t = TARGETS[name]
        verdict = "met" if per_m <= cpu_t and med["rss_mb"] <= rss_t else "missed"
        print("| %s%s | %s | %.0f | %.0f | %d | %.2f | %.2f | %.1f | ≤ %.1f CPU-s/M, ≤ %.0f MB: %s |" % (
            name, " (gzip)" if args.compress else "", format(int(args.lines / med["wall"]), ","),
            size / 1e6 / med["wall"], med["wire"] / 1e6, med["http_requests"], per_m, med["cpu"] / med["wall"],
            med["rss_mb"], cpu_t, rss_t, verdict))
        print(json.dumps({"pipeline": name, "runs": runs}), file=sys.stderr)


if __name__ == "__main__":
    main()
