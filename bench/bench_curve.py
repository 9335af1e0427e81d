"""The cost curve (issue 16): how CPU per million records and peak RSS grow with the shape of the work.

Run by bench/run_bench.py --only files1k,files10k,syslog_idle10k,backlog20m,db10k
(not in the default set), each figure beside the single-file or
100-connection one (`null`, `syslog`: from the same run when they are in
--only, else the figure recorded in bench/README.md):

  files1k, files10k  the --lines workload split into 1,000 / 10,000 files
          (made once under the cache dir), one glob, tail -> parser json ->
          null (tail_json_null.yaml, exit_on_eof); the exit summary must count
          every line delivered. --fd-limit N runs sluice with ulimit -n N
          (soft and hard): fewer descriptors than files
  syslog_idle10k  10,000 idle TCP connections (bench/syslog_idle.c: one
          message each, then nothing) held open while bench/syslog_load.c
          sends --messages over 100 busy ones; every message must arrive and
          be delivered. VmRSS with the idle connections open, before the load,
          is reported too
  backlog20m  a file of 10x the workload (20M lines by default, made once
          by concatenation) at start, and gen_traces.py --follow appending
          5,000 lines/s from sluice's start (tail_json_null_live.yaml):
          catch-up throughput (lines read / seconds until the reader was at
          the live end), the highest VmRSS sampled while catching up, then
          the writer stops and every line written must be delivered
  db10k   tail with an offsets db on the 10,000 files of files10k, and on
          one of them alone: once everything is read, one file is appended
          100 lines/s for DB_PHASE_S; sluice's CPU-ms per minute over that
          phase (the db is rewritten whole: its cost grows with the files it
          lists); every line must be delivered

The runner raises its soft descriptor limit to the hard one, so sluice and
the helpers inherit it; a hard limit too low for a shape is reported.
Every function here takes `rb`, the run_bench module, for its process and
measuring helpers.
"""
import math
import os
import re
import resource
import shutil
import signal
import subprocess
import sys
import time
import urllib.request

import bench_peers
import bench_tax

FILE_COUNTS = {"files1k": 1000, "files10k": 10000}
IDLE_CONNECTIONS = 10000
BACKLOG_FACTOR = 10          # backlog20m: the workload this many times over
LIVE_RATE = 5000             # lines/s the live writer appends
LIVE_AFTER_CATCH_UP_S = 3.0  # following the live end this long before the writer stops
DB_PHASE_S = 20
DB_RATE = 100
NAMES = list(FILE_COUNTS) + ["syslog_idle10k", "backlog20m", "db10k"]
TITLES = {
    "files1k": "tail → parser json → null, the workload as 1,000 files under one glob",
    "files10k": "tail → parser json → null, the workload as 10,000 files under one glob",
    "syslog_idle10k": "syslog TCP → null, 10,000 idle connections + 100 busy ones",
    "backlog20m": "tail → parser json → null, a 10x backlog file + a writer at 5,000 lines/s",
    "db10k": "tail (db) → parser json → null, one of 10,000 files written at 100 lines/s",
}
PIPELINE_FILES = {"files1k": "tail_json_null.yaml", "files10k": "tail_json_null.yaml",
                  "syslog_idle10k": "syslog_tcp_null.yaml", "backlog20m": "tail_json_null_live.yaml",
                  "db10k": "tail_json_null_live.yaml"}
# What each shape is measured beside, and the figure recorded for it in
# bench/README.md's cost curve section (CPU-s per M records, peak RSS MB),
# used when it isn't run too.
BASELINE = {"files1k": "null", "files10k": "null", "syslog_idle10k": "syslog", "backlog20m": "null"}
RECORDED = {"null": (0.47, 16.8), "syslog": (0.48, 18.0)}
# Issue 16's targets: (CPU as a multiple of the baseline's, peak RSS MB).
TARGETS = {"files10k": (1.5, 64.0), "syslog_idle10k": (1.2, 64.0)}
# syslog_idle10k: (accept, close) CPU-s of bench/syslog_floor.c, a bare epoll
# receiver, on the same idle connections, one pair per run.
FLOOR_RUNS = []


def raise_fd_limit():
    """Soft RLIMIT_NOFILE up to the hard one, for this process and its children; returns (soft, hard)."""
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if soft != hard:
        try:
            resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))
            soft = hard
        except (ValueError, OSError):
            pass
    return soft, hard


def check_fd_limit(rb, name, needed):
    """The machine's descriptor limit must leave room for the shape (the runner has raised it to the hard one)."""
    soft, _ = resource.getrlimit(resource.RLIMIT_NOFILE)
    if soft != resource.RLIM_INFINITY and soft < needed:
        raise rb.BenchFailure("the descriptor limit (ulimit -n) is %d; %s needs about %d (raise the hard limit)" % (
            soft, name, needed))


# ---------------------------------------------------------------- workloads

def split_workload(args, log_file, count):
    """The workload as `count` files of consecutive lines in their own directory (made once); returns the glob."""
    directory = os.path.join(args.cache_dir, "files%d-%s" % (count, os.path.splitext(os.path.basename(log_file))[0]))
    done = os.path.join(directory, ".complete")
    pattern = os.path.join(directory, "*.log")
    if os.path.exists(done):
        return pattern
    print("  splitting the workload into %s files under %s ..." % (format(count, ","), directory), flush=True)
    shutil.rmtree(directory, ignore_errors=True)
    os.makedirs(directory)
    per_file = math.ceil(args.lines / count)
    with open(log_file, "rb") as src:
        for i in range(count):
            lines = [src.readline() for _ in range(per_file)]
            with open(os.path.join(directory, "part-%05d.log" % i), "wb") as out:
                out.writelines(line for line in lines if line)
    open(done, "w").close()
    return pattern


def backlog_file(args, log_file, nbytes):
    """The workload BACKLOG_FACTOR times over in one file (made once), or fewer times if the disk can't hold it.

    Returns (path, lines, bytes)."""
    factor = BACKLOG_FACTOR
    path = os.path.join(args.cache_dir, "backlog-%dx-%s" % (factor, os.path.basename(log_file)))
    if os.path.exists(path) and os.path.getsize(path) >= nbytes * factor:
        os.truncate(path, nbytes * factor)  # what the last run's writer appended goes
        return path, args.lines * factor, nbytes * factor
    free = shutil.disk_usage(args.cache_dir).free
    while factor > 1 and nbytes * factor + (1 << 30) > free:  # keep a GiB spare for the writer and the rest
        factor -= 1
    if factor != BACKLOG_FACTOR:
        print("  the disk has %.1f GB free: the backlog is scaled down to %dx the workload" % (free / 1e9, factor))
        path = os.path.join(args.cache_dir, "backlog-%dx-%s" % (factor, os.path.basename(log_file)))
    print("  writing the backlog file %s (%.1f GB) ..." % (path, nbytes * factor / 1e9), flush=True)
    with open(path + ".tmp", "wb") as out:
        for _ in range(factor):
            with open(log_file, "rb") as src:
                shutil.copyfileobj(src, out, 1 << 20)
    os.replace(path + ".tmp", path)
    return path, args.lines * factor, nbytes * factor


# ---------------------------------------------------------------- runs

def run_files(rb, args, name, log_file, log_path):
    count = FILE_COUNTS[name]
    pattern = split_workload(args, log_file, count)
    limit = None
    if args.fd_limit:
        # Soft and hard: sluice raises its soft limit to the hard one.
        limit = lambda: resource.setrlimit(resource.RLIMIT_NOFILE, (args.fd_limit, args.fd_limit))
    else:
        check_fd_limit(rb, name, count + 64)
    for path in sorted(os.listdir(os.path.dirname(pattern))):
        if path.endswith(".log"):
            rb.read_through(os.path.join(os.path.dirname(pattern), path))  # warm the page cache
    env = {"BENCH_LOG": pattern}
    code, wall, cpu, rss, note, timed_out = rb.measure(args, name, env, log_path, limit)
    if args.fd_limit:
        note = "ulimit -n %d" % args.fd_limit
    if timed_out:
        raise rb.BenchFailure("did not finish within %d s (killed); last log lines:\n%s" % (
            args.timeout, rb.tail_of(log_path)))
    if code != 0:
        raise rb.BenchFailure("exited with %d; last log lines:\n%s" % (code, rb.tail_of(log_path)))
    rb.check_delivered(log_path, args.lines, "one per line of every file")
    nbytes = sum(os.path.getsize(os.path.join(os.path.dirname(pattern), p))
                 for p in os.listdir(os.path.dirname(pattern)) if p.endswith(".log"))
    return rb.Run(wall, cpu, rss, args.lines, nbytes, rb.count_pauses(log_path), (), note)


def run_syslog_idle(rb, args, name, log_path):
    if not args.spawner:
        raise rb.BenchFailure("needs a C compiler (for bench/spawn_rusage.c)")
    idle_exe = bench_peers.build_c_tool(args.cache_dir, "syslog_idle.c")
    if not idle_exe or not args.syslog_load:
        raise rb.BenchFailure("could not compile bench/syslog_idle.c or bench/syslog_load.c")
    check_fd_limit(rb, name, IDLE_CONNECTIONS + rb.LOAD_CONNECTIONS + 64)
    port, metrics_port = bench_peers.free_port(), bench_peers.free_port()
    env = {"BENCH_SYSLOG_PORT": str(port), "BENCH_METRICS_PORT": str(metrics_port)}
    result_path = log_path + ".rusage"
    if os.path.exists(result_path):
        os.unlink(result_path)
    proc = rb.spawn([args.spawner, result_path] + rb.sluice_argv(args, name), env, log_path)
    idle = None
    expected = args.messages + IDLE_CONNECTIONS
    sluice_pid = None
    try:
        bench_peers.wait_listening(port, proc, name)
        sluice_pid = child_pid(proc.pid)
        idle = subprocess.Popen([idle_exe, "127.0.0.1", str(port), str(IDLE_CONNECTIONS)], stdin=subprocess.PIPE,
                                stdout=subprocess.PIPE, text=True)
        line = idle.stdout.readline()
        if not line.startswith("idle "):
            raise rb.BenchFailure("syslog_idle did not open its connections (exit %s)" % idle.poll())
        if bench_peers.wait_read(metrics_port, "syslog.0", IDLE_CONNECTIONS, args.timeout) is None:
            raise rb.BenchFailure("the idle connections' first messages did not all arrive")
        idle_rss = rb.proc_status_kib(sluice_pid, "VmRSS") if sluice_pid else 0
        cpu_idle = bench_tax.cpu_seconds(sluice_pid) if sluice_pid else 0.0
        t0 = time.monotonic()
        _, in_bytes = bench_peers.run_syslog_load(args.syslog_load, port, rb.LOAD_CONNECTIONS, args.messages,
                                                  args.timeout)
        done_at = bench_peers.wait_read(metrics_port, "syslog.0", expected, args.timeout)
        if done_at is None:
            raise rb.BenchFailure("the syslog input did not count %d messages within %d s" % (expected, args.timeout))
        cpu_loaded = bench_tax.cpu_seconds(sluice_pid) if sluice_pid else 0.0
        wall = done_at - t0
    except bench_peers.PeerError as e:
        raise rb.BenchFailure(str(e))
    finally:
        stopped = bench_peers.terminate(proc)
        if idle:
            idle.stdin.close()
            try:
                idle.wait(30)
            except subprocess.TimeoutExpired:
                idle.kill()
                idle.wait()
    cpu, rss = rb.stopped_rusage(stopped, result_path, log_path)
    rb.check_delivered(log_path, expected, "every message sent, the idle connections' included")
    floor_accept, floor_close = run_syslog_floor(rb, args, idle_exe)
    FLOOR_RUNS.append((floor_accept, floor_close))
    # The whole run's CPU split: accepting the idle connections (and
    # start-up), the busy load beside them, and shutdown (closing them all),
    # each fixed cost beside the bare receiver's.
    return rb.Run(wall, cpu, rss, args.messages, in_bytes, rb.count_pauses(log_path), (),
                  "VmRSS %.1f MB with %s idle connections open, before the load; CPU-s: %.2f until they were all "
                  "accepted (bare receiver %.2f), %.2f for the load (%.2f CPU-s/M), %.2f for shutdown (bare "
                  "receiver %.2f)" % (
                      idle_rss / rb.KIB_PER_MB, format(IDLE_CONNECTIONS, ","), cpu_idle, floor_accept,
                      cpu_loaded - cpu_idle, (cpu_loaded - cpu_idle) * 1e6 / args.messages, cpu - cpu_loaded,
                      floor_close))


def run_syslog_floor(rb, args, idle_exe):
    """bench/syslog_floor.c on the same IDLE_CONNECTIONS: its (accept, close) CPU-s, the kernel's share of each."""
    floor_exe = bench_peers.build_c_tool(args.cache_dir, "syslog_floor.c")
    if not floor_exe:
        raise rb.BenchFailure("could not compile bench/syslog_floor.c")
    port = bench_peers.free_port()
    floor = subprocess.Popen([floor_exe, str(port), str(IDLE_CONNECTIONS)], stdin=subprocess.PIPE,
                             stdout=subprocess.PIPE, text=True)
    idle = None
    try:
        if floor.stdout.readline().strip() != "ready":
            raise rb.BenchFailure("syslog_floor did not listen (exit %s)" % floor.poll())
        idle = subprocess.Popen([idle_exe, "127.0.0.1", str(port), str(IDLE_CONNECTIONS)], stdin=subprocess.PIPE,
                                stdout=subprocess.DEVNULL)
        accepted = floor.stdout.readline().split()
        floor.stdin.close()  # the receiver closes first, as sluice does when stopped
        closed = floor.stdout.readline().split()
        if len(accepted) != 3 or len(closed) != 3:
            raise rb.BenchFailure("syslog_floor did not report its accept and close CPU")
        return float(accepted[2]), float(closed[2])
    finally:
        for p in (floor, idle):
            if p and p.poll() is None:
                if p.stdin and not p.stdin.closed:
                    p.stdin.close()
                try:
                    p.wait(30)
                except subprocess.TimeoutExpired:
                    p.kill()
                    p.wait()


def child_pid(pid):
    """spawn_rusage's child (sluice) once it has one, for /proc reads; None if it can't be found."""
    deadline = time.monotonic() + 5
    while time.monotonic() < deadline:
        try:
            with open("/proc/%d/task/%d/children" % (pid, pid)) as f:
                kids = f.read().split()
            if kids:
                return int(kids[0])
        except OSError:
            return None
        time.sleep(0.01)
    return None


def metric(metrics_port, name, instance):
    """One of an input's counters from sluice's /api/v1/metrics; None if it doesn't answer."""
    try:
        with urllib.request.urlopen("http://127.0.0.1:%d/api/v1/metrics" % metrics_port, timeout=2) as r:
            text = r.read().decode()
    except OSError:
        return None
    m = re.search(r'^%s\{input="%s"\} (\d+)' % (re.escape(name), re.escape(instance)), text, re.M)
    return int(m.group(1)) if m else None


def count_newlines_from(path, offset):
    lines = 0
    with open(path, "rb", buffering=0) as f:
        f.seek(offset)
        while True:
            chunk = f.read(1 << 20)
            if not chunk:
                return lines
            lines += chunk.count(b"\n")


def run_backlog(rb, args, name, log_file, nbytes, log_path):
    if not args.spawner:
        raise rb.BenchFailure("needs a C compiler (for bench/spawn_rusage.c)")
    path, base_lines, base_bytes = backlog_file(args, log_file, nbytes)
    rb.read_through(path)  # in the page cache, as the other tail figures (if memory holds it)
    metrics_port = bench_peers.free_port()
    env = {"BENCH_LOG": path, "BENCH_METRICS_PORT": str(metrics_port)}
    result_path = log_path + ".rusage"
    if os.path.exists(result_path):
        os.unlink(result_path)
    proc = rb.spawn([args.spawner, result_path] + rb.sluice_argv(args, name), env, log_path)
    writer = subprocess.Popen([sys.executable, args.generator, "--follow", "--rate", str(LIVE_RATE), path],
                              stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL)
    t0 = time.monotonic()
    sluice_pid = child_pid(proc.pid)
    catch_up = None
    max_rss = 0
    total = None
    try:
        deadline = t0 + args.timeout
        size_before = base_bytes
        while catch_up is None:
            if time.monotonic() > deadline or proc.poll() is not None:
                raise rb.BenchFailure("did not catch up with the writer (exit %s); last log lines:\n%s" % (
                    proc.poll(), rb.tail_of(log_path)))
            time.sleep(0.1)
            if sluice_pid:
                max_rss = max(max_rss, rb.proc_status_kib(sluice_pid, "VmRSS"))
            read = metric(metrics_port, "sluice_input_bytes_read_total", "tail.0")
            # At the live end: it has read what the file held at the previous look.
            if read is not None and read >= size_before:
                catch_up = (time.monotonic() - t0, metric(metrics_port, "sluice_input_records_total", "tail.0"))
            size_before = os.path.getsize(path)
        time.sleep(LIVE_AFTER_CATCH_UP_S)
        writer.send_signal(signal.SIGTERM)
        writer.wait(30)
        total = base_lines + count_newlines_from(path, base_bytes)
        if bench_peers.wait_read(metrics_port, "tail.0", total, 60) is None:
            raise rb.BenchFailure("the tail input did not read all %d lines written" % total)
        time.sleep(1.5)  # the last chunk flushed to null
    finally:
        if writer.poll() is None:
            writer.kill()
            writer.wait()
        stopped = bench_peers.terminate(proc)
    cpu, rss = rb.stopped_rusage(stopped, result_path, log_path)
    rb.check_delivered(log_path, total, "every line of the backlog and every line the writer appended")
    catch_up_s, caught_records = catch_up
    run = rb.Run(catch_up_s, cpu, rss, caught_records or base_lines, base_bytes, rb.count_pauses(log_path), (),
                 "caught up after %.1f s (%s lines read), highest VmRSS while catching up %.1f MB; %s lines delivered" % (
                     catch_up_s, format(caught_records or 0, ","), max_rss / rb.KIB_PER_MB, format(total, ",")))
    run.catch_up_rss_kib = max_rss
    run.total_lines = total
    return run


def run_db_once(rb, args, pattern, target, lines, log_path):
    """CPU-ms per minute while `target` (one of the files `pattern` matches) grows DB_RATE lines/s."""
    db = os.path.join(args.cache_dir, "db10k.db")
    for stale in (db, db + ".tmp"):
        if os.path.exists(stale):
            os.unlink(stale)
    metrics_port = bench_peers.free_port()
    env = {"BENCH_LOG": pattern, "BENCH_DB": db, "BENCH_METRICS_PORT": str(metrics_port)}
    size = os.path.getsize(target)
    proc = rb.spawn(rb.sluice_argv(args, "db10k"), env, log_path)
    line = (b'{"ts":"2026-11-21T00:00:00.000000000Z","level":"info","message":"request completed",'
            b'"traceId":"0123456789abcdef0123456789abcdef","method":"GET","path":"/healthz","status":200,'
            b'"latencyMs":1.250}\n')
    appended = 0
    try:
        if bench_peers.wait_read(metrics_port, "tail.0", lines, args.timeout) is None:
            raise rb.BenchFailure("the tail input did not read the %d lines" % lines)
        c0, t0 = bench_tax.cpu_seconds(proc.pid), time.monotonic()
        with open(target, "ab", buffering=0) as f:
            for _ in range(DB_PHASE_S * 20):  # every 50 ms
                f.write(line * (DB_RATE // 20))
                appended += DB_RATE // 20
                time.sleep(0.05)
        cpu_ms_min = (bench_tax.cpu_seconds(proc.pid) - c0) * 1000 * 60 / (time.monotonic() - t0)
        if bench_peers.wait_read(metrics_port, "tail.0", lines + appended, 30) is None:
            raise rb.BenchFailure("the appended lines were not read")
        time.sleep(1.5)  # flushed to null
    finally:
        stopped = bench_peers.terminate(proc)
        os.truncate(target, size)  # the workload as it was
    if not stopped or proc.returncode != 0:
        raise rb.BenchFailure("exit %s after SIGTERM; last log lines:\n%s" % (proc.returncode, rb.tail_of(log_path)))
    rb.check_delivered(log_path, lines + appended, "every line, the appended ones too")
    return cpu_ms_min


def run_db(rb, args, log_file, log_path):
    """db10k: the CPU-ms per minute beside 10,000 files and beside one; both in Run.note, 10,000's in cpu_s."""
    pattern = split_workload(args, log_file, FILE_COUNTS["files10k"])
    directory = os.path.dirname(pattern)
    check_fd_limit(rb, "db10k", FILE_COUNTS["files10k"] + 64)
    one_dir = os.path.join(args.cache_dir, "db10k-one")
    shutil.rmtree(one_dir, ignore_errors=True)
    os.makedirs(one_dir)
    first = os.path.join(directory, "part-00000.log")
    os.link(first, os.path.join(one_dir, "part-00000.log"))  # the same file: appended to, then cut back
    one_lines = rb.read_through(first)
    one = run_db_once(rb, args, os.path.join(one_dir, "*.log"), first, one_lines, log_path + ".one")
    many = run_db_once(rb, args, pattern, first, args.lines, log_path)
    shutil.rmtree(one_dir, ignore_errors=True)
    return rb.Run(DB_PHASE_S, many * DB_PHASE_S / 60000, 0, DB_PHASE_S * DB_RATE, 0, 0, (),
                  "CPU-ms per minute at %d lines/s with a db: %.0f beside 10,000 files, %.0f with the one file "
                  "alone (%.2fx)" % (DB_RATE, many, one, many / one if one else 0))


def run_once(rb, args, name, log_file, nbytes, log_path):
    if name == "db10k":
        return run_db(rb, args, log_file, log_path)
    if name in FILE_COUNTS:
        return run_files(rb, args, name, log_file, log_path)
    if name == "syslog_idle10k":
        return run_syslog_idle(rb, args, name, log_path)
    return run_backlog(rb, args, name, log_file, nbytes, log_path)


# ---------------------------------------------------------------- report

def print_table(rb, args, results):
    """The shapes beside their baselines: (CPU-s/M, MB) from this run's null/syslog, else the recorded ones."""
    measured = {r.name: rb.medians(r) for r in results if r.runs and not r.failure}
    shapes = [r for r in results if r.name in NAMES and r.name != "db10k"]
    print("\n## The cost curve: sluice %s, medians of %d runs, %s\n" % (rb.sluice_version(args.sluice), args.runs,
                                                                      rb.machine()))
    if shapes:
        print("| shape | records/s | CPU-s per M records | peak RSS MB | beside | × CPU | target | vs target |")
        print("|---|---:|---:|---:|---|---:|---|---|")
    for res in shapes:
        base = BASELINE[res.name]
        if base in measured:
            base_cpu, base_rss, src = measured[base]["cpu_per_m"], measured[base]["rss_mb"], "this run"
        else:
            (base_cpu, base_rss), src = RECORDED[base], "recorded"
        beside = "%s: %.2f CPU-s/M, %.1f MB (%s)" % (base, base_cpu, base_rss, src)
        target = TARGETS.get(res.name)
        target_text = "≤ %.1f× CPU, ≤ %.0f MB" % target if target else "—"
        if res.failure:
            print("| %s | failed | | | %s | | %s | |" % (TITLES[res.name], beside, target_text))
            continue
        m = measured[res.name]
        ratio = m["cpu_per_m"] / base_cpu
        verdict = "—"
        if target:
            missed = [what for what, bad in (("CPU", ratio > target[0]), ("RSS", m["rss_mb"] > target[1])) if bad]
            verdict = "met" if not missed else "missed (" + ", ".join(missed) + ")"
        print("| %s | %s | %.2f | %.1f | %s | %.2f | %s | %s |" % (
            TITLES[res.name], format(round(m["lines_s"]), ","), m["cpu_per_m"], m["rss_mb"], beside, ratio,
            target_text, verdict))
    print_floor(measured, args.messages)
    for res in shapes + [r for r in results if r.name == "db10k"]:
        if res.failure and res.name == "db10k":
            print("\ndb10k: failed: %s" % res.failure, end="")
        for i, r in enumerate(res.runs):
            if r.note:
                print("\n%s run %d: %s" % (res.name, i + 1, r.note), end="")
    print()
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    print("descriptor limit (ulimit -n) %s / hard %s%s; inotify max_user_watches %s" % (
        soft, hard, ", the files shapes run with %d (--fd-limit)" % args.fd_limit if args.fd_limit else "",
        read_first_line("/proc/sys/fs/inotify/max_user_watches")))


def print_floor(measured, messages):
    """syslog_idle10k: the least any receiver's whole run could be, with only the bare receiver's fixed costs."""
    if not FLOOR_RUNS or "syslog_idle10k" not in measured:
        return
    base = measured["syslog"]["cpu_per_m"] if "syslog" in measured else RECORDED["syslog"][0]
    accept = sorted(a for a, _ in FLOOR_RUNS)[len(FLOOR_RUNS) // 2]
    close = sorted(c for _, c in FLOOR_RUNS)[len(FLOOR_RUNS) // 2]
    load_cpu = base * messages / 1e6
    print("\nsyslog_idle10k's floor: bench/syslog_floor.c, a bare epoll receiver, spends %.2f CPU-s accepting the "
          "%s idle connections and %.2f closing them (medians); added to the 100-connection load, that alone makes "
          "the whole run %.2f×" % (accept, format(IDLE_CONNECTIONS, ","), close,
                                   (load_cpu + accept + close) / load_cpu), end="")


def read_first_line(path):
    try:
        with open(path) as f:
            return f.readline().strip()
    except OSError:
        return "?"
