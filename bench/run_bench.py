#!/usr/bin/env python3
"""Runs sluice's benchmark pipelines and prints throughput, CPU and memory beside Fluent Bit's.

Measured as Fluent Bit's figures in ../shared/bench/README.md were: the workload
file (bench/gen_traces.py LINES, seed 42) is read once beforehand so it is in
the page cache; CPU-seconds are user+system time of the sluice process, all
threads, from spawn until it exits (the tail input's exit_on_eof ends it once
the last record left the output), and peak RSS is its VmHWM, both from
wait4(2) in bench/spawn_rusage.c (compiled into the cache dir on first use;
it says why Python's own wait4 won't do). Each pipeline runs --runs times and
the medians are reported.

Pipelines (bench/pipelines/*.yaml, which read ${BENCH_LOG} and ${BENCH_OUT}):
  null    tail -> parser json -> null; the summary sluice logs at exit must
          count every line as delivered
  file    tail -> parser json -> file; the output file must have every line
  idle    tail_json_null.yaml on an empty file that doesn't grow: VmHWM after
          --idle-wait seconds, then SIGTERM (must exit 0)
  lua     tail -> parser json -> lua trace_aggregate -> null; null must receive
          exactly one record per request (the count gen_traces.py printed)
  es      tail -> parser json -> es, to nginx answering every _bulk with a
          canned success (bench/sink_nginx.conf); every line delivered
  lua_fb  tail -> parser json -> lua bench/lua/fluentbit_aggregate.lua (a
          Fluent Bit-style script, only `call`) -> null; one record per request
  lua_es  tail -> parser json -> lua trace_aggregate -> es; one document per
          request
  loki    tail -> parser json -> loki (protobuf + snappy) to nginx answering
          204; every line delivered
  cloudwatch  tail -> parser json -> cloudwatch_logs, SigV4-signed with static
          keys, to nginx answering 200 {}; every line delivered
  google  tail -> parser json -> google_cloud_logging with a generated
          service-account key (nginx hands out the token), to nginx answering
          200 {}; every line delivered
  azure, ibm, logdna, oci  tail -> parser json -> azure_logs_ingestion (an
          Entra ID token for a client secret), ibm_cloud_logs (an IAM token),
          logdna, oci_logging (signed with a generated API key), each to
          nginx answering success (and handing out the tokens); every line
          delivered
  kafka   tail -> parser json -> kafka (idempotent, acks=all, lz4) to
          librdkafka's mock cluster (3 brokers, bench/kafka_mock_peer.c) in
          its own process; every line delivered
  forward tail -> parser json -> forward with acks to a second sluice
          (forward input -> null) as the aggregator, its CPU not counted;
          every line delivered (BENCH_FORWARD_COMPRESS=gzip to compress)
  fanout  tail -> parser json -> six outputs at once (gelf over HTTP,
          cloudwatch_logs, google_cloud_logging, azure_logs_ingestion,
          ibm_cloud_logs, oci_logging), all to nginx; every output delivers
          every line
  syslog  syslog over TCP -> null: bench/syslog_load.c sends --messages
          octet-counted RFC 5424 messages of ~200 bytes over 100 connections;
          once the input has counted them all (/api/v1/metrics), SIGTERM, and
          the exit summary must count every message delivered
  rsyslog the same load to rsyslogd (imtcp -> omfile), the peer measured the
          same way; its file must have every message
  http    http input (NDJSON) -> null: wrk -c100 posts batches of 1,000
          records (bench/http_load.lua) for --http-seconds; after it, SIGTERM;
          null must have whole batches, at least every one wrk saw a 2xx for
  es_fs, es_fs_full  the es pipeline with the tail input's filesystem buffer
          (storage.type filesystem, storage.sync normal / full; a fresh
          storage.path under the cache dir each run): beside es, the cost of
          storing every record
  http_es, http_es_fs, http_es_fs_full  http input (NDJSON, wrk as for http)
          -> es (nginx sink), in memory and with the filesystem buffer
          (normal / full); es must have delivered whole batches, at least
          every one wrk saw a 2xx for
  tax     the sidecar tax (bench/bench_tax.py): tail_json_null.yaml on a file
          that starts empty; CPU-ms per minute idle, then at 10 and at 100
          lines/s (--tax-seconds each, 60 for the recorded figures), VmRSS at
          each phase's end and the peak; every line written must be delivered.
          Not in the default set: run it with --only tax
  files1k, files10k, syslog_idle10k, backlog20m  the cost curve
          (bench/bench_curve.py): the workload as 1,000 / 10,000 files under
          one glob; 10,000 idle syslog connections beside the 100 busy ones;
          a 10x backlog file with a writer appending 5,000 lines/s. Each is
          reported beside the single-file / 100-connection figure. Not in the
          default set: run them with --only (the soft descriptor limit is
          raised to the hard one for them)
For the file pipelines the rate is over sluice's whole run; for syslog and
rsyslog from the first message sent until the receiver has the last one; for
http over wrk's run. CPU-seconds and peak RSS are always the whole process's,
start and shutdown included.

Exits non-zero only if sluice fails (an error exit, a timeout, lost records),
never because a target is missed: this is a benchmark, not a test.

Usage: bench/run_bench.py [--sluice build/sluice] [--lines 2000000] [--runs 3]
                          [--only null,file,idle,lua,lua_fb,es,lua_es,loki,cloudwatch,google,azure,ibm,logdna,oci,kafka,fanout,forward,syslog,rsyslog,http,
                                  es_fs,es_fs_full,http_es,http_es_fs,http_es_fs_full,tax,
                                  files1k,files10k,syslog_idle10k,backlog20m]
                          [--tax-seconds 60] [--fd-limit N]
                          [--cache-dir /tmp/sluice-bench] [--es-compress gzip]
"""
import argparse
import hashlib
import json
import os
import platform
import re
import resource
import shutil
import signal
import statistics
import subprocess
import sys
import threading
import time
from dataclasses import dataclass, field

import bench_curve
import bench_peers
import bench_tax
from bench_peers import NginxSink, PeerError, Rsyslog

BENCH_DIR = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(BENCH_DIR)

# Fluent Bit 5.1.1 on the same workload, from ../shared/bench/README.md and
# the issues, and the targets of issues 2-5: (CPU-s per million records, peak RSS MB).
FLUENT_BIT = {"null": (3.71, 63.0), "lua": (7.84, 29.0), "es": (6.71, 80.0), "lua_es": (8.78, 44.0)}
TARGETS = {"null": (1.0, 25.0), "file": (1.5, 25.0), "idle": (None, 8.0), "lua": (0.85, 20.0), "lua_fb": (0.85, 20.0),
           "es": (2.0, 40.0), "lua_es": (1.2, 30.0), "loki": (2.5, 40.0), "cloudwatch": (2.0, 40.0), "google": (2.0, 40.0),
           "azure": (2.0, 40.0), "ibm": (2.0, 40.0), "logdna": (2.0, 40.0), "oci": (2.0, 40.0), "kafka": (1.5, 60.0), "fanout": (6.0, 80.0),
           "forward": (None, None), "kube": (None, 25.0),
           "syslog": (1.5, 30.0), "rsyslog": (None, None), "http": (1.0, 30.0),
           "es_fs": (2.5, 40.0), "es_fs_full": (None, 40.0), "http_es": (None, 40.0), "http_es_fs": (None, 40.0),
           "http_es_fs_full": (None, 40.0)}
TITLES = {
    "null": "tail → parser json → null",
    "file": "tail → parser json → file",
    "idle": "idle after start (tail_json_null, empty file)",
    "lua": "tail → parser json → lua trace_aggregate → null",
    "lua_fb": "tail → parser json → lua fluentbit_aggregate (Fluent Bit-style script) → null",
    "es": "tail → parser json → es (nginx sink)",
    "lua_es": "tail → parser json → lua trace_aggregate → es",
    "loki": "tail → parser json → loki (protobuf+snappy, nginx sink)",
    "cloudwatch": "tail → parser json → cloudwatch_logs (SigV4, nginx sink)",
    "google": "tail → parser json → google_cloud_logging (OAuth2 token, nginx sink)",
    "azure": "tail → parser json → azure_logs_ingestion (Entra ID token, nginx sink)",
    "ibm": "tail → parser json → ibm_cloud_logs (IAM token, nginx sink)",
    "logdna": "tail → parser json → logdna (nginx sink)",
    "oci": "tail → parser json → oci_logging (OCI API-key signature, nginx sink)",
    "kafka": "tail → parser json → kafka (acks=all, idempotent, lz4; librdkafka mock cluster)",
    "fanout": "tail → parser json → six outputs: gelf, cloudwatch, google, azure, ibm, oci (nginx sink)",
    "forward": "tail → parser json → forward with acks (a sluice forward input → null as the aggregator)",
    "kube": "tail → kubernetes (preloaded pod, merge_log) → null",
    "syslog": "syslog TCP (octet-counted RFC 5424, 100 conns) → null",
    "rsyslog": "peer: rsyslogd imtcp → omfile, same load",
    "http": "http NDJSON (batches of 1,000, wrk -c100) → null",
    "tax": "the sidecar tax: tail → parser json → null idle, at 10 and at 100 lines/s",
    "es_fs": "tail → parser json → es, tail input storage.type filesystem (sync normal)",
    "es_fs_full": "tail → parser json → es, tail input storage.type filesystem (sync full)",
    "http_es": "http NDJSON (batches of 1,000, wrk -c100) → es (nginx sink)",
    "http_es_fs": "http NDJSON → es, http input storage.type filesystem (sync normal)",
    "http_es_fs_full": "http NDJSON → es, http input storage.type filesystem (sync full)",
}
PIPELINE_FILES = {"null": "tail_json_null.yaml", "file": "tail_json_file.yaml", "idle": "tail_json_null.yaml",
                  "lua": "tail_json_lua_null.yaml", "lua_fb": "tail_json_lua_fb_null.yaml", "es": "tail_json_es.yaml", "lua_es": "tail_json_lua_es.yaml",
                  "loki": "tail_json_loki.yaml", "cloudwatch": "tail_json_cloudwatch.yaml",
                  "google": "tail_json_google.yaml", "azure": "tail_json_azure.yaml", "ibm": "tail_json_ibm.yaml",
                  "logdna": "tail_json_logdna.yaml", "oci": "tail_json_oci.yaml", "kafka": "tail_json_kafka.yaml",
                  "fanout": "tail_json_fanout.yaml", "forward": "tail_json_forward.yaml", "kube": "tail_kube_null.yaml",
                  "syslog": "syslog_tcp_null.yaml", "rsyslog": None,
                  "http": "http_ndjson_null.yaml", "tax": "tail_json_null.yaml",
                  "es_fs": "tail_json_es.yaml", "es_fs_full": "tail_json_es.yaml", "http_es": "http_ndjson_es.yaml",
                  "http_es_fs": "http_ndjson_es.yaml", "http_es_fs_full": "http_ndjson_es.yaml"}
DEFAULT_PIPELINES = [p for p in PIPELINE_FILES if p != "tax"]  # the tax takes minutes and measures something else
# The cost curve takes minutes, gigabytes of disk and thousands of descriptors: asked for by name only.
PIPELINE_FILES.update(bench_curve.PIPELINE_FILES)
TITLES.update(bench_curve.TITLES)
NO_WORKLOAD = {"idle", "tax", "syslog_idle10k"}  # with only these, the 2M-line workload isn't generated
SINK_PIPELINES = {"es", "lua_es", "loki", "cloudwatch", "google", "azure", "ibm", "logdna", "oci", "fanout",
                  "es_fs", "es_fs_full"}      # tail pipelines whose output needs the nginx sink
LOAD_PIPELINES = {"syslog", "rsyslog", "http", "http_es", "http_es_fs", "http_es_fs_full"}  # a load generator sends; SIGTERM ends the run
# Variants with a filesystem buffer: storage.sync of each (docs/storage.md).
STORAGE_SYNC = {"es_fs": "normal", "es_fs_full": "full", "http_es_fs": "normal", "http_es_fs_full": "full"}
LOAD_CONNECTIONS = 100
HTTP_BATCH = 1000

SUMMARY_RE = re.compile(r"output (\S+): (\d+) records delivered, (\d+) retried, (\d+) dead-lettered, (\d+) dropped")
KIB_PER_MB = 1024  # "MB" in the tables is MiB: VmHWM and ru_maxrss are in KiB


class BenchFailure(Exception):
    """sluice did not do its job (error exit, timeout, lost lines): the run counts as failed."""


@dataclass
class Run:
    wall_s: float     # sluice's whole run, or the load generator's for LOAD_PIPELINES
    cpu_s: float
    peak_rss_kib: int
    records: int      # lines read, or messages / records the load generator had accepted
    in_bytes: int     # bytes of those records
    pauses: int = 0   # times the inputs were paused by a full buffer (backpressure)
    wire: tuple = ()  # (HTTP requests, bytes) the nginx sink received
    note: str = ""


@dataclass
class Result:
    name: str
    runs: list = field(default_factory=list)
    idle_rss_kib: int = 0
    idle_current_kib: int = 0
    tax_runs: list = field(default_factory=list)  # bench_tax.TaxRun
    failure: str = ""


# ---------------------------------------------------------------- workload

def sha256_of(path):
    with open(path, "rb") as f:
        return hashlib.sha256(f.read()).hexdigest()


def workload(args):
    """The generated log for (lines, seed, generator version): made once, reused while it matches."""
    os.makedirs(args.cache_dir, exist_ok=True)
    gen_hash = sha256_of(args.generator)[:12]
    path = os.path.join(args.cache_dir, "traces-%d-seed%d.log" % (args.lines, args.seed))
    meta_path = path + ".json"
    want = {"lines": args.lines, "seed": args.seed, "generator": gen_hash}
    try:
        with open(meta_path) as f:
            meta = json.load(f)
        if {k: meta.get(k) for k in want} == want and os.path.getsize(path) == meta["bytes"]:
            if "requests" not in meta:  # caches made before the lua pipeline existed
                meta["requests"] = count_requests(path)
                with open(meta_path, "w") as f:
                    json.dump(meta, f)
            print("workload: %s (cached: %s lines, %s requests, %s bytes)" % (
                path, format(args.lines, ","), format(meta["requests"], ","), format(meta["bytes"], ",")))
            args.requests = meta["requests"]
            return path, meta["bytes"]
    except (OSError, ValueError, KeyError):
        pass
    print("workload: generating %s lines into %s ..." % (format(args.lines, ","), path), flush=True)
    tmp = path + ".tmp"
    t0 = time.monotonic()
    proc = subprocess.run([sys.executable, args.generator, str(args.lines), tmp, "--seed", str(args.seed)],
                          stderr=subprocess.PIPE, text=True)
    if proc.returncode != 0:
        sys.exit("run_bench: the generator failed:\n" + proc.stderr)
    os.replace(tmp, path)
    nbytes = os.path.getsize(path)
    m = re.search(r"requests=(\d+)", proc.stderr)
    args.requests = int(m.group(1)) if m else count_requests(path)
    with open(meta_path, "w") as f:
        json.dump(dict(want, bytes=nbytes, requests=args.requests), f)
    print("workload: %s in %.1f s" % (proc.stderr.strip(), time.monotonic() - t0))
    return path, nbytes


def count_requests(path):
    """Distinct traceIds in the workload: what the aggregator must emit, one record each."""
    ids = set()
    pat = re.compile(rb'"traceId":"([^"]*)"')
    with open(path, "rb") as f:
        for line in f:
            m = pat.search(line)
            if m:
                ids.add(m.group(1))
    return len(ids)


def read_through(path):
    """Reads a file to its end (cat FILE > /dev/null) and returns its newline count."""
    buf = bytearray(1 << 20)
    lines = 0
    with open(path, "rb", buffering=0) as f:
        while True:
            n = f.readinto(buf)
            if not n:
                return lines
            lines += buf.count(b"\n", 0, n)


# ---------------------------------------------------------------- processes

def proc_status_kib(pid, key):
    """A `key: N kB` field of /proc/PID/status, or 0 once the process is gone."""
    try:
        with open("/proc/%d/status" % pid) as f:
            for line in f:
                if line.startswith(key + ":"):
                    return int(line.split()[1])
    except (OSError, ValueError, IndexError):
        pass
    return 0


class HwmPoller(threading.Thread):
    """Reads a process's VmHWM every 20 ms while it runs (used only without spawn_rusage)."""

    def __init__(self, pid):
        super().__init__(daemon=True)
        self.pid = pid
        self.hwm_kib = 0
        self.stop = threading.Event()

    def run(self):
        while not self.stop.wait(0.02):
            self.hwm_kib = max(self.hwm_kib, proc_status_kib(self.pid, "VmHWM"))


def build_spawner(cache_dir):
    """Compiles bench/spawn_rusage.c once per version; None (with a warning) without a C compiler.

    Python's own wait4 would report at least Python's RSS as the child's peak
    (see spawn_rusage.c); the small C program measures the child exactly.
    """
    src = os.path.join(BENCH_DIR, "spawn_rusage.c")
    exe = os.path.join(cache_dir, "spawn_rusage-" + sha256_of(src)[:12])
    if os.access(exe, os.X_OK):
        return exe
    cc = shutil.which("cc") or shutil.which("gcc")
    if cc:
        proc = subprocess.run([cc, "-O2", "-o", exe + ".tmp", src], capture_output=True, text=True)
        if proc.returncode == 0:
            os.replace(exe + ".tmp", exe)
            return exe
        print("run_bench: could not compile %s:\n%s" % (src, proc.stderr), file=sys.stderr)
    print("run_bench: warning: no C compiler; peak RSS is VmHWM polled every 20 ms (a lower bound)", file=sys.stderr)
    return None


def spawn(argv, env_extra, log_path, preexec_fn=None):
    env = dict(os.environ, **env_extra)
    with open(log_path, "wb") as log:
        return subprocess.Popen(argv, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=log, env=env,
                                preexec_fn=preexec_fn)


def sluice_argv(args, name):
    return [args.sluice, "-c", os.path.join(BENCH_DIR, "pipelines", PIPELINE_FILES[name])]


def read_rusage(result_path):
    """spawn_rusage's result: (exit code, CPU s, peak RSS KiB)."""
    with open(result_path) as f:
        code, user_us, sys_us, maxrss = (int(x) for x in f.read().split())
    return code, (user_us + sys_us) / 1e6, maxrss


def stopped_rusage(stopped, result_path, log_path):
    """After SIGTERM: (CPU s, peak RSS KiB) of a sluice that stopped in time and exited 0, else BenchFailure."""
    if not stopped:
        raise BenchFailure("did not stop within 60 s of SIGTERM (killed); last log lines:\n" + tail_of(log_path))
    code, cpu, rss = read_rusage(result_path)
    if code != 0:
        raise BenchFailure("exited with %d after SIGTERM; last log lines:\n%s" % (code, tail_of(log_path)))
    return cpu, rss


def wait_child(proc, timeout_s):
    """Waits for the child, SIGKILLing it after timeout_s; returns (exit code, rusage, timed_out)."""
    timed_out = threading.Event()

    def kill():
        timed_out.set()
        proc.kill()

    timer = threading.Timer(timeout_s, kill)
    timer.start()
    try:
        _, status, usage = os.wait4(proc.pid, 0)
    finally:
        timer.cancel()
    proc.returncode = os.waitstatus_to_exitcode(status)  # so Popen doesn't wait again
    return proc.returncode, usage, timed_out.is_set()


def measure(args, name, env, log_path, preexec_fn=None):
    """Runs sluice on a pipeline to its end: (exit code, wall s, CPU s, peak RSS KiB, note, timed out)."""
    if args.spawner:
        result_path = log_path + ".rusage"
        if os.path.exists(result_path):
            os.unlink(result_path)
        t0 = time.perf_counter()
        proc = spawn([args.spawner, result_path] + sluice_argv(args, name), env, log_path, preexec_fn)
        code, _, timed_out = wait_child(proc, args.timeout)
        wall = time.perf_counter() - t0
        if timed_out:
            return code, wall, 0.0, 0, "", True
        code, cpu, maxrss = read_rusage(result_path)
        return code, wall, cpu, maxrss, "", False
    t0 = time.perf_counter()
    proc = spawn(sluice_argv(args, name), env, log_path, preexec_fn)
    poller = HwmPoller(proc.pid)
    poller.start()
    code, usage, timed_out = wait_child(proc, args.timeout)
    wall = time.perf_counter() - t0
    poller.stop.set()
    poller.join()
    # ru_maxrss is the child's own only when above Python's peak (see spawn_rusage.c).
    if usage.ru_maxrss > resource.getrusage(resource.RUSAGE_SELF).ru_maxrss:
        rss, note = usage.ru_maxrss, ""
    else:
        rss, note = poller.hwm_kib, "peak RSS: VmHWM polled every 20 ms"
    return code, wall, usage.ru_utime + usage.ru_stime, rss, note, timed_out


def tail_of(path, nlines=15):
    try:
        with open(path, errors="replace") as f:
            return "".join(f.readlines()[-nlines:])
    except OSError:
        return ""


def count_pauses(log_path):
    """From the summary sluice logs at exit (the pause messages themselves are rate-limited)."""
    with open(log_path, errors="replace") as f:
        for line in f:
            m = re.search(r"inputs paused (\d+) times", line)
            if m:
                return int(m.group(1))
    return 0


def delivered_counts(log_path):
    """{output instance: records delivered} from the summary sluice logs at exit."""
    counts = {}
    with open(log_path, errors="replace") as f:
        for line in f:
            m = SUMMARY_RE.search(line)
            if m:
                counts[m.group(1)] = int(m.group(2))
    return counts


# ---------------------------------------------------------------- pipelines

def check_delivered(log_path, expected, what):
    """Every output's exit summary must count `expected` records delivered."""
    counts = delivered_counts(log_path)
    if not counts:
        raise BenchFailure("no 'records delivered' summary in sluice's log:\n" + tail_of(log_path))
    for instance, n in counts.items():
        if n != expected:
            raise BenchFailure("output %s delivered %d records, expected %d (%s)" % (instance, n, expected, what))


def storage_env(args, name):
    """The filesystem-buffer variants' settings, with a fresh storage.path."""
    if name not in STORAGE_SYNC:
        return {}
    path = os.path.join(args.cache_dir, "storage-" + name)
    shutil.rmtree(path, ignore_errors=True)
    return {"BENCH_STORAGE_TYPE": "filesystem", "BENCH_STORAGE_PATH": path, "BENCH_STORAGE_SYNC": STORAGE_SYNC[name]}


def run_once(args, name, log_file, nbytes, out_dir, log_path):
    shutil.rmtree(out_dir, ignore_errors=True)
    read_through(log_file)  # warm the page cache, as for Fluent Bit's figures
    env = {"BENCH_LOG": log_file, "BENCH_OUT": out_dir}
    env.update(storage_env(args, name))
    sink = gelf = kafka = forward = None
    try:
        if name == "forward":
            forward = bench_peers.ForwardSink(args.cache_dir, args.sluice)
            env.update(BENCH_FORWARD_PORT=str(forward.port))
        if name == "kafka":
            kafka = bench_peers.KafkaMock(args.cache_dir, "bench")
            env.update(BENCH_KAFKA_BROKERS=kafka.bootstraps)
        if name in SINK_PIPELINES:
            sink = NginxSink(args.cache_dir)
            env.update(BENCH_SINK_PORT=str(sink.port), BENCH_ES_COMPRESS=args.es_compress)
        if name in ("cloudwatch", "fanout"):
            # Static keys: the chain stops at the environment, nothing is fetched.
            env.update(AWS_ACCESS_KEY_ID="AKIDBENCHSLUICE", AWS_SECRET_ACCESS_KEY="bench-secret",
                       AWS_EC2_METADATA_DISABLED="true")
        if name in ("google", "fanout"):
            env.update(BENCH_GOOGLE_KEY=bench_peers.google_key_file(args.cache_dir, sink.port))
        if name in ("azure", "fanout"):
            env.update(AZURE_TENANT_ID="bench-tenant", AZURE_CLIENT_ID="bench-client", AZURE_CLIENT_SECRET="bench-secret")
        if name in ("oci", "fanout"):
            env.update(BENCH_OCI_CONFIG=bench_peers.oci_config_file(args.cache_dir))
        if name == "fanout":
            gelf = bench_peers.GelfTcpSink()
            env.update(BENCH_GELF_PORT=str(gelf.port))
        code, wall, cpu, rss, note, timed_out = measure(args, name, env, log_path)
        wire = sink.wire() if sink else ()
        if gelf:
            # GELF over TCP has no answer: count what the receiver read (it may lag sluice's exit a little).
            deadline = time.monotonic() + 10
            while gelf.messages < args.lines and time.monotonic() < deadline:
                time.sleep(0.05)
            if gelf.messages != args.lines and not timed_out and code == 0:
                raise BenchFailure("the GELF receiver read %d messages, expected %d" % (gelf.messages, args.lines))
    finally:
        if sink:
            sink.stop()
        if gelf:
            gelf.stop()
        if kafka:
            kafka.stop()
        if forward:
            forward.stop()
    if timed_out:
        raise BenchFailure("did not finish within %d s (killed); last log lines:\n%s" % (args.timeout, tail_of(log_path)))
    if code != 0:
        raise BenchFailure("exited with %d; last log lines:\n%s" % (code, tail_of(log_path)))
    if name in ("null", "es", "loki", "cloudwatch", "google", "azure", "ibm", "logdna", "oci", "kafka", "fanout",
                "forward", "es_fs", "es_fs_full", "kube"):
        check_delivered(log_path, args.lines, "one per line")
    if name in ("lua", "lua_fb", "lua_es"):
        check_delivered(log_path, args.requests, "the aggregator emits one per request")
    if name == "file":
        written = read_through(os.path.join(out_dir, "out.log"))
        if written != args.lines:
            raise BenchFailure("the output file has %d lines, expected %d" % (written, args.lines))
        shutil.rmtree(out_dir, ignore_errors=True)
    return Run(wall, cpu, rss, args.lines, nbytes, count_pauses(log_path), wire, note)


def run_load_once(args, name, log_path):
    """Starts sluice (or rsyslog), runs the load generator against it, SIGTERMs it and checks what arrived."""
    if not args.spawner:
        raise BenchFailure("needs a C compiler (for bench/spawn_rusage.c)")
    peer = Rsyslog(args.cache_dir) if name == "rsyslog" else None
    port = peer.port if peer else bench_peers.free_port()
    metrics_port = bench_peers.free_port()
    argv = peer.argv() if peer else sluice_argv(args, name)
    env = {"BENCH_SYSLOG_PORT": str(port), "BENCH_HTTP_PORT": str(port), "BENCH_METRICS_PORT": str(metrics_port)}
    env.update(storage_env(args, name))
    sink = NginxSink(args.cache_dir) if name.startswith("http_es") else None
    if sink:
        env.update(BENCH_SINK_PORT=str(sink.port))
    result_path = log_path + ".rusage"
    if os.path.exists(result_path):
        os.unlink(result_path)
    proc = spawn([args.spawner, result_path] + argv, env, log_path)
    written = None
    try:
        bench_peers.wait_listening(port, proc, name)
        if name in ("syslog", "rsyslog"):
            # The rate runs from the first message sent until the receiver has
            # them all: the load generator alone finishes once its last bytes
            # sit in the kernel's socket buffers.
            if not args.syslog_load:
                raise BenchFailure("could not compile bench/syslog_load.c")
            t0 = time.monotonic()
            _, in_bytes = bench_peers.run_syslog_load(args.syslog_load, port, LOAD_CONNECTIONS, args.messages,
                                                      args.timeout)
            records, note = args.messages, ""
            if peer:
                written, done_at = peer.wait_written(records, args.timeout)
            else:
                done_at = bench_peers.wait_read(metrics_port, "syslog.0", records, args.timeout)
                if done_at is None:
                    raise BenchFailure("the syslog input did not count %d messages within %d s" % (records, args.timeout))
            wall = done_at - t0
        else:
            sent, wall, refused, record_bytes = bench_peers.run_wrk(port, LOAD_CONNECTIONS, args.http_seconds,
                                                                    HTTP_BATCH)
            note = "%d requests refused (503: pipeline full)" % refused if refused else ""
            # What waits on disk is delivered at the next start, not at SIGTERM: let it go out first.
            if name in STORAGE_SYNC and not bench_peers.wait_backlog_empty(metrics_port, "http.0", args.timeout):
                raise BenchFailure("the http input's backlog on disk did not empty within %d s" % args.timeout)
    except PeerError as e:
        raise BenchFailure(str(e))
    finally:
        stopped = bench_peers.terminate(proc)
        if peer:
            peer.cleanup()
        if sink:
            sink.stop()
    cpu, rss = stopped_rusage(stopped, result_path, log_path)
    if peer:
        if written != records:
            raise BenchFailure("rsyslog wrote %d of %d messages" % (written, records))
    elif name == "syslog":
        check_delivered(log_path, records, "every message sent")
    else:
        # wrk counts the answers it read; requests still in flight when it
        # stopped may have been accepted too, but only whole batches.
        output = "es.0" if sink else "null.0"
        records = delivered_counts(log_path).get(output, 0)
        if records % HTTP_BATCH or not sent <= records <= sent + LOAD_CONNECTIONS * HTTP_BATCH:
            raise BenchFailure("%s delivered %d records; wrk had %d accepted in batches of %d" % (
                output, records, sent, HTTP_BATCH))
        in_bytes = int(records * record_bytes)
    return Run(wall, cpu, rss, records, in_bytes, count_pauses(log_path), (), note)


def run_idle(args, result):
    empty = os.path.join(args.cache_dir, "idle.log")
    open(empty, "w").close()
    log_path = os.path.join(args.cache_dir, "sluice-idle.log")
    env = {"BENCH_LOG": empty, "BENCH_OUT": os.path.join(args.cache_dir, "out-idle"), "BENCH_EXIT_ON_EOF": "off"}
    proc = spawn(sluice_argv(args, "idle"), env, log_path)
    time.sleep(args.idle_wait)
    if proc.poll() is not None:
        raise BenchFailure("exited with %d while idle; log:\n%s" % (proc.returncode, tail_of(log_path)))
    result.idle_rss_kib = proc_status_kib(proc.pid, "VmHWM")
    result.idle_current_kib = proc_status_kib(proc.pid, "VmRSS")
    proc.send_signal(signal.SIGTERM)
    code, _, timed_out = wait_child(proc, 30)
    if timed_out:
        raise BenchFailure("did not stop within 30 s of SIGTERM (killed); log:\n" + tail_of(log_path))
    if code != 0:
        raise BenchFailure("exited with %d after SIGTERM; log:\n%s" % (code, tail_of(log_path)))
    print("  idle: VmHWM %.1f MB, VmRSS %.1f MB after %g s; SIGTERM → exit 0" % (
        result.idle_rss_kib / KIB_PER_MB, result.idle_current_kib / KIB_PER_MB, args.idle_wait))


def run_pipeline(args, name, log_file, nbytes):
    result = Result(name)
    try:
        if name == "idle":
            run_idle(args, result)
            return result
        if name == "tax":
            for i in range(args.runs):
                r = bench_tax.run_once(sluice_argv(args, name), args.generator, args.cache_dir, args.idle_wait,
                                       args.tax_seconds, os.path.join(args.cache_dir, "sluice-tax-%d.log" % (i + 1)))
                result.tax_runs.append(r)
                bench_tax.print_run(i, args.runs, r)
            return result
        for i in range(args.runs):
            log_path = os.path.join(args.cache_dir, "sluice-%s-%d.log" % (name, i + 1))
            if name in bench_curve.NAMES:
                r = bench_curve.run_once(sys.modules[__name__], args, name, log_file, nbytes, log_path)
            elif name in LOAD_PIPELINES:
                r = run_load_once(args, name, log_path)
            else:
                r = run_once(args, name, log_file, nbytes, os.path.join(args.cache_dir, "out-" + name), log_path)
            result.runs.append(r)
            wire = ", %d HTTP requests, %.1f MB on the wire" % (r.wire[0], r.wire[1] / 1e6) if r.wire else ""
            print("  %s run %d/%d: %s records in %.2f s, %.2f CPU-s (%.2f CPU-s/M records), peak RSS %.1f MB, "
                  "inputs paused %d times%s%s" % (
                      name, i + 1, args.runs, format(r.records, ","), r.wall_s, r.cpu_s, r.cpu_s * 1e6 / r.records,
                      r.peak_rss_kib / KIB_PER_MB, r.pauses, wire, " (%s)" % r.note if r.note else ""), flush=True)
    except (BenchFailure, bench_tax.TaxFailure) as e:
        result.failure = str(e)
        print("  %s FAILED: %s" % (name, e), file=sys.stderr)
    return result


# ---------------------------------------------------------------- report

def medians(result):
    runs = result.runs
    return {
        "lines_s": statistics.median(r.records / r.wall_s for r in runs),
        "mb_s": statistics.median(r.in_bytes / r.wall_s for r in runs) / 1e6,
        "cpu_per_m": statistics.median(r.cpu_s * 1e6 / r.records for r in runs),
        "cores": statistics.median(r.cpu_s / r.wall_s for r in runs),
        "rss_mb": statistics.median(r.peak_rss_kib for r in runs) / KIB_PER_MB,
    }


def verdict(name, cpu_per_m, rss_mb):
    cpu_target, rss_target = TARGETS[name]
    if rss_target is None:
        return "—"
    missed = []
    if cpu_target is not None and cpu_per_m is not None and cpu_per_m > cpu_target:
        missed.append("CPU")
    if rss_mb > rss_target:
        missed.append("RSS")
    return "met" if not missed else "missed (" + ", ".join(missed) + ")"


def target_text(name):
    cpu_target, rss_target = TARGETS[name]
    if rss_target is None:
        return "—"
    cpu = ""
    if cpu_target is not None:  # 2.0 as "2.0", 0.85 as "0.85"
        cpu = ("≤ %.1f CPU-s/M, " if round(cpu_target, 1) == cpu_target else "≤ %.2f CPU-s/M, ") % cpu_target
    return "%s≤ %.0f MB" % (cpu, rss_target)


def print_table(args, results, nbytes):
    tax = [r for r in results if r.name == "tax"]
    curve = [r for r in results if r.name in bench_curve.NAMES]
    main_results = [r for r in results if r.name != "tax" and r.name not in bench_curve.NAMES]
    if main_results:
        print_main_table(args, main_results, nbytes)
    if curve:
        bench_curve.print_table(sys.modules[__name__], args, results)
    for res in tax:
        if res.failure:
            print("\n%s: failed: %s" % (TITLES["tax"], res.failure))
        else:
            bench_tax.print_table(res.tax_runs, args.tax_seconds)
            print("\nsluice %s, %s" % (sluice_version(args.sluice), machine()))


def print_main_table(args, results, nbytes):
    print("\n## sluice %s, %s lines (%.1f MB), medians of %d runs, %s\n" % (
        sluice_version(args.sluice), format(args.lines, ","), nbytes / 1e6, args.runs, machine()))
    print("| pipeline | records/s | MB/s in | CPU-s per M records | cores | peak RSS MB | Fluent Bit 5.1.1 | target "
          "| vs target |")
    print("|---|---:|---:|---:|---:|---:|---|---|---|")
    for res in results:
        fb = FLUENT_BIT.get(res.name)
        fb_text = "%.2f CPU-s/M, %.1f MB" % fb if fb else "—"
        if res.failure:
            print("| %s | failed | | | | | %s | %s | |" % (TITLES[res.name], fb_text, target_text(res.name)))
        elif res.name == "idle":
            rss = res.idle_rss_kib / KIB_PER_MB
            print("| %s | — | — | — | — | %.1f | — | %s | %s |" % (
                TITLES[res.name], rss, target_text(res.name), verdict(res.name, None, rss)))
        else:
            m = medians(res)
            print("| %s | %s | %.0f | %.2f | %.2f | %.1f | %s | %s | %s |" % (
                TITLES[res.name], format(round(m["lines_s"]), ","), m["mb_s"], m["cpu_per_m"], m["cores"],
                m["rss_mb"], fb_text, target_text(res.name), verdict(res.name, m["cpu_per_m"], m["rss_mb"])))
    for res in results:
        if res.runs and res.runs[0].wire:
            requests = statistics.median(r.wire[0] for r in res.runs)
            mb = statistics.median(r.wire[1] for r in res.runs) / 1e6
            print("\n%s: %.1f MB on the wire in %d HTTP requests (median)%s" % (
                res.name, mb, requests, ", bodies gzip-compressed" if args.es_compress and "es" in res.name else ""))


def sluice_version(path):
    try:
        out = subprocess.run([path, "--version"], capture_output=True, text=True, timeout=10).stdout.split()
        return out[-1] if out else "?"
    except (OSError, subprocess.SubprocessError):
        return "?"


def machine():
    model = "?"
    try:
        with open("/proc/cpuinfo") as f:
            model = next((l.split(":", 1)[1].strip() for l in f if l.startswith("model name")), "?")
    except OSError:
        pass
    return "%d cores (%s), Linux %s" % (os.cpu_count() or 0, model, platform.release())


# ---------------------------------------------------------------- main

def parse_args():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0],
                                 formatter_class=argparse.RawDescriptionHelpFormatter,
                                 epilog=__doc__.split("\n", 2)[2])
    ap.add_argument("--sluice", default=os.path.join(ROOT, "build", "sluice"), help="the binary (default build/sluice)")
    ap.add_argument("--lines", type=int, default=2_000_000, help="workload size (default 2,000,000)")
    ap.add_argument("--runs", type=int, default=3, help="runs per pipeline; medians are reported (default 3)")
    ap.add_argument("--seed", type=int, default=42, help="workload seed (default 42, as Fluent Bit's figures)")
    ap.add_argument("--only", default=",".join(DEFAULT_PIPELINES),
                    help="pipelines to run, comma-separated (default all but tax: %s)" % ",".join(DEFAULT_PIPELINES))
    ap.add_argument("--cache-dir", default="/tmp/sluice-bench", help="workload, logs and output files")
    ap.add_argument("--generator", default=os.path.join(BENCH_DIR, "gen_traces.py"),
                    help="workload generator (default bench/gen_traces.py; ../shared/bench/gen_traces.py works too)")
    ap.add_argument("--messages", type=int, default=None,
                    help="syslog messages per run of syslog and rsyslog (default: --lines)")
    ap.add_argument("--http-seconds", type=int, default=15, help="seconds wrk posts per http run (default 15)")
    ap.add_argument("--es-compress", default="", choices=["", "gzip"], help="es and lua_es: compress bodies")
    ap.add_argument("--idle-wait", type=float, default=3.0,
                    help="idle: seconds before VmHWM is read; tax: seconds of start-up before measuring (default 3)")
    ap.add_argument("--tax-seconds", type=float, default=60.0,
                    help="tax: seconds per phase (idle, 10/s, 100/s; default 60, shorter for a quick look)")
    ap.add_argument("--fd-limit", type=int, default=None,
                    help="files1k, files10k: run sluice with ulimit -n this (soft and hard), fewer descriptors "
                         "than files")
    ap.add_argument("--timeout", type=float, default=None,
                    help="seconds before a run is killed and failed (default 30 + 1 s per 10,000 lines)")
    args = ap.parse_args()
    args.only = [p.strip() for p in args.only.split(",") if p.strip()]
    unknown = [p for p in args.only if p not in PIPELINE_FILES]
    if unknown:
        ap.error("unknown pipeline(s) %s; choose from %s" % (", ".join(unknown), ", ".join(PIPELINE_FILES)))
    if args.lines < 1 or args.runs < 1:
        ap.error("--lines and --runs must be at least 1")
    if not (os.path.isfile(args.sluice) and os.access(args.sluice, os.X_OK)):
        ap.error("no sluice binary at %s (build it, or pass --sluice PATH)" % args.sluice)
    if args.timeout is None:
        args.timeout = 30 + args.lines / 10_000
    if args.messages is None:
        args.messages = args.lines
    args.cache_dir = os.path.abspath(args.cache_dir)
    args.sluice = os.path.abspath(args.sluice)
    return args


def main():
    args = parse_args()
    os.makedirs(args.cache_dir, exist_ok=True)
    if set(args.only) & set(bench_curve.NAMES):
        bench_curve.raise_fd_limit()
    log_file, nbytes = (None, 0) if set(args.only) <= NO_WORKLOAD else workload(args)
    args.spawner = build_spawner(args.cache_dir)
    args.syslog_load = bench_peers.build_c_tool(args.cache_dir, "syslog_load.c")
    results = []
    for name in args.only:
        print("%s:" % TITLES[name], flush=True)
        results.append(run_pipeline(args, name, log_file, nbytes))
    print_table(args, results, nbytes)
    failed = [r.name for r in results if r.failure]
    if failed:
        print("\nsluice failed on: %s (logs in %s)" % (", ".join(failed), args.cache_dir), file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
