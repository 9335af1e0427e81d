#!/usr/bin/env python3
"""tail -> multiline java -> null on a Java service's log with 10% stack-trace lines.

Writes LINES lines (default 1,000,000): ordinary logback-style lines, and
every so often an ERROR line followed by a JVM stack trace (the exception,
"at" frames, a "Caused by:" with its frames and "... N more"), so that one
line in ten belongs to a trace. Runs sluice on
bench/pipelines/tail_multiline_java_null.yaml (measured as run_bench.py
measures: the file read through first, CPU-seconds and peak RSS from wait4 via
spawn_rusage), checks that null received exactly one record per ordinary line
plus one per trace, and prints CPU-seconds per million lines beside the same
file read without a multiline parser (BENCH_MULTILINE_PARSER empty).

  bench/bench_multiline.py [--lines N] [--runs N] [--sluice build/sluice]
"""
import argparse
import os
import random
import statistics
import sys
import tempfile

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import run_bench  # noqa: E402  (the spawner, wait4 and summary helpers)

TRACE = [
    "java.lang.IllegalStateException: cart {cart} has no owner",
    "\tat com.example.shop.cart.CartService.checkout(CartService.java:212)",
    "\tat com.example.shop.cart.CartController.post(CartController.java:88)",
    "\tat org.springframework.web.servlet.FrameworkServlet.service(FrameworkServlet.java:897)",
    "\tat org.apache.catalina.core.ApplicationFilterChain.doFilter(ApplicationFilterChain.java:166)",
    "Caused by: java.lang.NullPointerException: owner",
    "\tat com.example.shop.cart.Cart.owner(Cart.java:41)",
    "\tat com.example.shop.cart.CartService.checkout(CartService.java:208)",
    "\t... 3 more",
]


def workload(path, lines, seed):
    """Writes the file; returns (lines, expected records)."""
    rng = random.Random(seed)
    written = records = 0
    with open(path, "w") as f:
        while written < lines:
            # One trace (len(TRACE) lines) per 9 * len(TRACE) ordinary lines: 10% trace lines.
            for _ in range(9 * len(TRACE)):
                if written >= lines:
                    break
                f.write("2024-05-01 12:%02d:%02d.%03d INFO [http-nio-8080-exec-%d] c.e.shop.cart.CartController - "
                        "added item %d to cart %08x\n" % (rng.randrange(60), rng.randrange(60), rng.randrange(1000),
                                                          rng.randrange(1, 20), rng.randrange(10000),
                                                          rng.getrandbits(32)))
                written += 1
                records += 1
            if written + len(TRACE) > lines:
                continue
            cart = "%08x" % rng.getrandbits(32)
            for line in TRACE:
                f.write(line.replace("{cart}", cart) + "\n")
            written += len(TRACE)
            records += 1
    return written, records


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--lines", type=int, default=1_000_000)
    ap.add_argument("--runs", type=int, default=3)
    ap.add_argument("--sluice", default=os.path.join(run_bench.BENCH_DIR, "..", "build", "sluice"))
    ap.add_argument("--cache-dir", default="/tmp/sluice-bench")
    ap.add_argument("--timeout", type=float, default=600)
    ap.add_argument("--seed", type=int, default=42)
    args = ap.parse_args()
    os.makedirs(args.cache_dir, exist_ok=True)
    args.spawner = run_bench.build_spawner(args.cache_dir)
    log_file = os.path.join(args.cache_dir, "multiline-%d.log" % args.lines)
    lines, traces_joined = workload(log_file, args.lines, args.seed)
    name = "multiline"
    run_bench.PIPELINE_FILES[name] = "tail_multiline_java_null.yaml"
    results = {}
    for label, parser, expected in (("java", "java", traces_joined), ("baseline", "", lines)):
        cpu, rss, wall = [], [], []
        for _ in range(args.runs):
            run_bench.read_through(log_file)
            log_path = tempfile.mktemp(prefix="sluice-ml-", suffix=".log", dir=args.cache_dir)
            env = {"BENCH_LOG": log_file, "BENCH_MULTILINE_PARSER": parser}
            code, w, c, maxrss, _, timed_out = run_bench.measure(args, name, env, log_path)
            if code != 0 or timed_out:
                sys.exit("sluice failed (exit %s, timed out %s):\n%s" % (code, timed_out, run_bench.tail_of(log_path)))
            run_bench.check_delivered(log_path, expected, label)
            cpu.append(c)
            rss.append(maxrss)
            wall.append(w)
        results[label] = (statistics.median(cpu), statistics.median(rss), statistics.median(wall))
    print("%d lines, %d records after joining, median of %d runs" % (lines, traces_joined, args.runs))
    print("| pipeline | CPU-s per 1M lines | peak RSS MB | lines/s |")
    print("|---|---|---|---|")
    for label, (c, r, w) in results.items():
        what = "tail → multiline java → null" if label == "java" else "tail → null (the same file, no multiline parser)"
        print("| %s | %.2f | %.1f | %.0f |" % (what, c / lines * 1e6, r / 1024, lines / w))


if __name__ == "__main__":
    main()
