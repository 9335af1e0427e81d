"""The sidecar tax (issue 12): what sluice costs beside an application that logs little.

One sluice on bench/pipelines/tail_json_null.yaml (tail -> parser json ->
null) follows a file that starts empty. After --idle-wait seconds of start-up,
three phases of --tax-seconds each (60 for the recorded figures):

  idle     nothing is written
  10/s     bench/gen_traces.py --follow --rate 10 appends a line every 100 ms
  100/s    the same at 100 lines a second (10 lines every 100 ms)

Each phase's figure is sluice's CPU time (user + system, every thread) over
the phase, scaled to milliseconds per minute. It is read from the process's
CPU clock (clock_gettime on clock_getcpuclockid(pid): nanoseconds, where
/proc/PID/stat counts 10 ms ticks), so start-up isn't in it, and neither is
the writer's own CPU. VmRSS is read at each phase's end (steady RSS) and
VmHWM at the end (peak). Then SIGTERM: sluice must exit 0 and its exit
summary must count every line the writer wrote as delivered.
"""
import os
import re
import signal
import statistics
import subprocess
import sys
import time
from dataclasses import dataclass, field

RATES = (0, 10, 100)  # lines per second in each phase; 0 is idle
# Fluent Bit 5.1.1 on the same pipeline and machine (../shared/bench/README.md):
# CPU-ms per minute idle and at 10 lines/s, and its RSS.
FLUENT_BIT_CPU_MS = {0: 80, 10: 340}
FLUENT_BIT_RSS_MB = 12.6
# Issue 12's targets.
TARGET_CPU_MS = {0: 5, 10: 60}
TARGET_RSS_MB = 7.0

DELIVERED_RE = re.compile(r"output null\.0: (\d+) records delivered")
TICKS = os.sysconf("SC_CLK_TCK")


class TaxFailure(Exception):
    """sluice did not do its job while being measured."""


@dataclass
class TaxRun:
    cpu_ms_per_min: dict = field(default_factory=dict)  # rate -> CPU-ms per minute
    rss_kib: dict = field(default_factory=dict)         # rate -> VmRSS at the phase's end
    peak_kib: int = 0                                    # VmHWM at the end
    lines: int = 0                                       # lines written and delivered


def cpu_seconds(pid):
    """The process's CPU time so far, all threads, in seconds (nanosecond resolution where possible)."""
    try:
        return time.clock_gettime(((~pid) << 3) | 2)  # the CPU clock of process pid (CPUCLOCK_SCHED)
    except OSError:
        with open("/proc/%d/stat" % pid) as f:
            fields = f.read().rsplit(")", 1)[1].split()
        return (int(fields[11]) + int(fields[12])) / TICKS


def status_kib(pid, key):
    with open("/proc/%d/status" % pid) as f:
        for line in f:
            if line.startswith(key + ":"):
                return int(line.split()[1])
    return 0


def count_lines(path):
    with open(path, "rb") as f:
        return f.read().count(b"\n")


def stop(proc, timeout_s=30):
    proc.send_signal(signal.SIGTERM)
    try:
        return proc.wait(timeout_s)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait()
        return None


def run_once(sluice_argv, generator, cache_dir, settle_s, phase_s, log_path):
    """One sluice through idle, 10/s and 100/s: a TaxRun, or TaxFailure."""
    app_log = os.path.join(cache_dir, "tax-app.log")
    open(app_log, "w").close()
    env = dict(os.environ, BENCH_LOG=app_log, BENCH_OUT=os.path.join(cache_dir, "out-tax"), BENCH_EXIT_ON_EOF="off")
    with open(log_path, "wb") as log:
        proc = subprocess.Popen(sluice_argv, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=log, env=env)
    run = TaxRun()
    writer = None
    try:
        time.sleep(settle_s)
        for rate in RATES:
            if rate:
                writer = subprocess.Popen([sys.executable, generator, "--follow", "--rate", str(rate), app_log],
                                          stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL)
            if proc.poll() is not None:
                raise TaxFailure("sluice exited with %d" % proc.returncode)
            c0 = cpu_seconds(proc.pid)
            time.sleep(phase_s)
            c1 = cpu_seconds(proc.pid)
            run.cpu_ms_per_min[rate] = (c1 - c0) * 1000 * 60 / phase_s
            run.rss_kib[rate] = status_kib(proc.pid, "VmRSS")
            if writer:
                stop(writer)
                writer = None
        time.sleep(2)  # the last lines read and flushed (flush 1s)
        run.peak_kib = status_kib(proc.pid, "VmHWM")
    finally:
        if writer:
            stop(writer)
        code = stop(proc)
    if code != 0:
        raise TaxFailure("sluice exited with %s after SIGTERM (log: %s)" % (code, log_path))
    run.lines = count_lines(app_log)
    with open(log_path, errors="replace") as f:
        m = DELIVERED_RE.search(f.read())
    delivered = int(m.group(1)) if m else -1
    if delivered != run.lines:
        raise TaxFailure("null delivered %d records of the %d lines written (log: %s)" % (delivered, run.lines,
                                                                                         log_path))
    return run


def print_run(i, runs, r):
    print("  tax run %d/%d: CPU-ms per minute idle %.2f, 10/s %.1f, 100/s %.1f; VmRSS %.1f / %.1f / %.1f MB, "
          "VmHWM %.1f MB; %d lines delivered" % (
              i + 1, runs, r.cpu_ms_per_min[0], r.cpu_ms_per_min[10], r.cpu_ms_per_min[100],
              r.rss_kib[0] / 1024, r.rss_kib[10] / 1024, r.rss_kib[100] / 1024, r.peak_kib / 1024, r.lines),
          flush=True)


def print_table(runs, phase_s):
    """The medians as a Markdown table."""
    med = statistics.median

    def verdict(value, target):
        return "met" if value <= target else "missed"

    print("\n## The sidecar tax: tail → parser json → null, medians of %d runs, %g s per phase\n" % (
        len(runs), phase_s))
    print("| phase | CPU-ms per minute | VmRSS MB at its end | Fluent Bit 5.1.1 | target | vs target |")
    print("|---|---:|---:|---|---|---|")
    names = {0: "idle (empty file)", 10: "10 lines/s", 100: "100 lines/s"}
    for rate in RATES:
        cpu = med(r.cpu_ms_per_min[rate] for r in runs)
        rss = med(r.rss_kib[rate] for r in runs) / 1024
        fb = "%d ms" % FLUENT_BIT_CPU_MS[rate] if rate in FLUENT_BIT_CPU_MS else "—"
        target = TARGET_CPU_MS.get(rate)
        print("| %s | %s | %.1f | %s | %s | %s |" % (
            names[rate], ("%.2f" if cpu < 10 else "%.1f") % cpu, rss, fb, "≤ %d ms" % target if target else "—",
            verdict(cpu, target) if target else "—"))
    peak = med(r.peak_kib for r in runs) / 1024
    print("| peak RSS (VmHWM) | — | %.1f | %.1f MB | ≤ %g MB | %s |" % (
        peak, FLUENT_BIT_RSS_MB, TARGET_RSS_MB, verdict(peak, TARGET_RSS_MB)))
