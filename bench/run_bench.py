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
  null  tail -> parser json -> null; the summary sluice logs at exit must
        count every line as delivered
  file  tail -> parser json -> file; the output file must have every line
  idle  tail_json_null.yaml on an empty file that doesn't grow: VmHWM after
        --idle-wait seconds, then SIGTERM (must exit 0)
  lua   tail -> parser json -> lua trace_aggregate -> null; null must receive
        exactly one record per request (the count gen_traces.py printed)

Exits non-zero only if sluice fails (an error exit, a timeout, lost lines),
never because a target is missed: this is a benchmark, not a test.

Usage: bench/run_bench.py [--sluice build/sluice] [--lines 2000000] [--runs 3]
                          [--only null,file,idle,lua] [--cache-dir /tmp/sluice-bench]
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

BENCH_DIR = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(BENCH_DIR)

# Fluent Bit 5.1.1 on the same workload, from ../shared/bench/README.md, and
# the targets of issue 2: (CPU-s per million lines, peak RSS MB).
FLUENT_BIT = {"null": (3.71, 63.0), "lua": (7.84, 29.0)}
TARGETS = {"null": (1.0, 25.0), "file": (1.5, 25.0), "idle": (None, 8.0), "lua": (2.0, 25.0)}
TITLES = {
    "null": "tail → parser json → null",
    "file": "tail → parser json → file",
    "idle": "idle after start (tail_json_null, empty file)",
    "lua": "tail → parser json → lua trace_aggregate → null",
}
PIPELINE_FILES = {"null": "tail_json_null.yaml", "file": "tail_json_file.yaml", "idle": "tail_json_null.yaml",
                  "lua": "tail_json_lua_null.yaml"}

SUMMARY_RE = re.compile(r"output (\S+): (\d+) records delivered, (\d+) retried, (\d+) dead-lettered, (\d+) dropped")
KIB_PER_MB = 1024  # "MB" in the tables is MiB: VmHWM and ru_maxrss are in KiB


class BenchFailure(Exception):
    """sluice did not do its job (error exit, timeout, lost lines): the run counts as failed."""


@dataclass
class Run:
    wall_s: float
    cpu_s: float
    peak_rss_kib: int
    pauses: int = 0   # times the inputs were paused by a full buffer (backpressure)
    note: str = ""


@dataclass
class Result:
    name: str
    runs: list = field(default_factory=list)
    idle_rss_kib: int = 0
    idle_current_kib: int = 0
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


def spawn(argv, env_extra, log_path):
    env = dict(os.environ, **env_extra)
    with open(log_path, "wb") as log:
        return subprocess.Popen(argv, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=log, env=env)


def sluice_argv(args, name):
    return [args.sluice, "-c", os.path.join(BENCH_DIR, "pipelines", PIPELINE_FILES[name])]


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


def measure(args, name, env, log_path):
    """Runs sluice on a pipeline to its end: (exit code, wall s, CPU s, peak RSS KiB, note, timed out)."""
    if args.spawner:
        result_path = log_path + ".rusage"
        if os.path.exists(result_path):
            os.unlink(result_path)
        t0 = time.perf_counter()
        proc = spawn([args.spawner, result_path] + sluice_argv(args, name), env, log_path)
        code, _, timed_out = wait_child(proc, args.timeout)
        wall = time.perf_counter() - t0
        if timed_out:
            return code, wall, 0.0, 0, "", True
        with open(result_path) as f:
            code, user_us, sys_us, maxrss = (int(x) for x in f.read().split())
        return code, wall, (user_us + sys_us) / 1e6, maxrss, "", False
    t0 = time.perf_counter()
    proc = spawn(sluice_argv(args, name), env, log_path)
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
    with open(log_path, errors="replace") as f:
        return sum(1 for line in f if "inputs paused:" in line)


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

def run_once(args, name, log_file, out_dir, log_path):
    shutil.rmtree(out_dir, ignore_errors=True)
    read_through(log_file)  # warm the page cache, as for Fluent Bit's figures
    env = {"BENCH_LOG": log_file, "BENCH_OUT": out_dir}
    code, wall, cpu, rss, note, timed_out = measure(args, name, env, log_path)
    if timed_out:
        raise BenchFailure("did not finish within %d s (killed); last log lines:\n%s" % (args.timeout, tail_of(log_path)))
    if code != 0:
        raise BenchFailure("exited with %d; last log lines:\n%s" % (code, tail_of(log_path)))
    counts = delivered_counts(log_path)
    if name == "null":
        if not counts:
            raise BenchFailure("no 'records delivered' summary in sluice's log:\n" + tail_of(log_path))
        for instance, n in counts.items():
            if n != args.lines:
                raise BenchFailure("output %s delivered %d records, expected %d" % (instance, n, args.lines))
    if name == "lua":
        if counts.get("null.0") != args.requests:
            raise BenchFailure("the aggregator delivered %s records, expected one per request: %d" % (
                counts.get("null.0"), args.requests))
    if name == "file":
        written = read_through(os.path.join(out_dir, "out.log"))
        if written != args.lines:
            raise BenchFailure("the output file has %d lines, expected %d" % (written, args.lines))
        shutil.rmtree(out_dir, ignore_errors=True)
    return Run(wall, cpu, rss, count_pauses(log_path), note)


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
        for i in range(args.runs):
            log_path = os.path.join(args.cache_dir, "sluice-%s-%d.log" % (name, i + 1))
            r = run_once(args, name, log_file, os.path.join(args.cache_dir, "out-" + name), log_path)
            result.runs.append(r)
            print("  %s run %d/%d: %.2f s wall, %.2f CPU-s (%.2f CPU-s/M lines), peak RSS %.1f MB, "
                  "inputs paused %d times%s" % (
                      name, i + 1, args.runs, r.wall_s, r.cpu_s, r.cpu_s * 1e6 / args.lines,
                      r.peak_rss_kib / KIB_PER_MB, r.pauses, " (%s)" % r.note if r.note else ""), flush=True)
    except BenchFailure as e:
        result.failure = str(e)
        print("  %s FAILED: %s" % (name, e), file=sys.stderr)
    return result


# ---------------------------------------------------------------- report

def medians(args, result, nbytes):
    wall = statistics.median(r.wall_s for r in result.runs)
    cpu = statistics.median(r.cpu_s for r in result.runs)
    return {
        "lines_s": args.lines / wall,
        "mb_s": nbytes / wall / 1e6,
        "cpu_per_m": cpu * 1e6 / args.lines,
        "cores": statistics.median(r.cpu_s / r.wall_s for r in result.runs),
        "rss_mb": statistics.median(r.peak_rss_kib for r in result.runs) / KIB_PER_MB,
    }


def verdict(name, cpu_per_m, rss_mb):
    cpu_target, rss_target = TARGETS[name]
    missed = []
    if cpu_target is not None and cpu_per_m is not None and cpu_per_m > cpu_target:
        missed.append("CPU")
    if rss_mb > rss_target:
        missed.append("RSS")
    return "met" if not missed else "missed (" + ", ".join(missed) + ")"


def target_text(name):
    cpu_target, rss_target = TARGETS[name]
    cpu = "≤ %.1f CPU-s/M, " % cpu_target if cpu_target is not None else ""
    return "%s≤ %.0f MB" % (cpu, rss_target)


def print_table(args, results, nbytes):
    print("\n## sluice %s, %s lines (%.1f MB), medians of %d runs, %s\n" % (
        sluice_version(args.sluice), format(args.lines, ","), nbytes / 1e6, args.runs, machine()))
    print("| pipeline | lines/s | MB/s | CPU-s per M lines | cores | peak RSS MB | Fluent Bit 5.1.1 | target | vs target |")
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
            m = medians(args, res, nbytes)
            print("| %s | %s | %.0f | %.2f | %.2f | %.1f | %s | %s | %s |" % (
                TITLES[res.name], format(round(m["lines_s"]), ","), m["mb_s"], m["cpu_per_m"], m["cores"],
                m["rss_mb"], fb_text, target_text(res.name), verdict(res.name, m["cpu_per_m"], m["rss_mb"])))


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
    ap.add_argument("--only", default="null,file,idle,lua", help="pipelines to run, comma-separated (null,file,idle,lua)")
    ap.add_argument("--cache-dir", default="/tmp/sluice-bench", help="workload, logs and output files")
    ap.add_argument("--generator", default=os.path.join(BENCH_DIR, "gen_traces.py"),
                    help="workload generator (default bench/gen_traces.py; ../shared/bench/gen_traces.py works too)")
    ap.add_argument("--idle-wait", type=float, default=3.0, help="seconds idle before VmHWM is read (default 3)")
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
    args.cache_dir = os.path.abspath(args.cache_dir)
    args.sluice = os.path.abspath(args.sluice)
    return args


def main():
    args = parse_args()
    log_file, nbytes = workload(args)
    args.spawner = build_spawner(args.cache_dir)
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
