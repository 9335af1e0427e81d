#!/usr/bin/env python3
"""Writes a web server's JSON-lines request log: the benchmark workload and the demo's input.

Every line is one compact JSON object with the keys, in this order:
  ts         RFC 3339 UTC time with nanoseconds, e.g. 2026-11-21T00:00:00.000040118Z
  level      debug | info | warn | error
  message    "handler started", then middle steps (database, cache, upstream),
             "handler finished" when the request has 4 or more lines, and always
             "request completed" last
  traceId    32 hex characters, the same on every line of a request
  method, path
  status     0 until the handler has decided; the final status on the last two lines
  latencyMs  milliseconds since the request started, 3 decimals

A request has 2 to 6 lines, and --concurrency requests are in flight at once, so
their lines interleave as they would in a busy server. Batch mode writes exactly
LINES lines in which every request is complete, deterministic for a --seed, with
times starting at 2026-11-21T00:00:00Z; an aggregator keyed on traceId therefore
emits exactly the `requests` count printed on stderr. This is the format of
../shared/bench/gen_traces.py, the file Fluent Bit's figures were measured on
(about 217 bytes a line); the lines themselves are not byte-identical to it.

--follow appends --rate lines a second to OUTPUT with the current time until it
is killed (the demo's live application log).

Usage: gen_traces.py LINES OUTPUT [--seed 42] [--concurrency 50]
       gen_traces.py --follow --rate 5 OUTPUT
OUTPUT may be '-' for stdout. Python 3 standard library only.
"""
import argparse
import random
import signal
import sys
import time

METHOD_POOL = ("GET",) * 6 + ("POST",) * 3 + ("PUT", "DELETE")

# Route templates; "#" is replaced by a numeric id.
ROUTES = (
    "/api/v1/users/#", "/api/v1/orders/#", "/api/v1/orders", "/api/v1/cart",
    "/api/v1/products/#", "/api/v1/search", "/healthz",
    "/api/v1/payments/#/capture", "/api/v2/inventory/#",
)

STEPS = (
    "db query: SELECT id, name, email FROM users WHERE id = $1",
    "db query: SELECT * FROM orders WHERE user_id = $1 ORDER BY created_at DESC LIMIT 20",
    "cache lookup: redis GET session",
    "upstream call: POST http://payments.internal/v1/charge",
    "db query: UPDATE inventory SET qty = qty - $1 WHERE sku = $2",
)

# Mostly successes, a few client and server errors.
STATUS_POOL = (200,) * 80 + (201,) * 6 + (204,) * 4 + (400, 401, 404, 404, 409, 429, 500, 502, 503, 504)

START = "handler started"
FINISHED = "handler finished"
COMPLETED = "request completed"

BATCH_EPOCH_NS = 1_795_219_200 * 1_000_000_000  # 2026-11-21T00:00:00Z
MEAN_GAP_NS = 40_000                              # ~25,000 lines per simulated second


class Clock:
    """RFC 3339 text for nanosecond times; the date part is formatted once per second."""

    def __init__(self):
        self.sec = None
        self.prefix = ""

    def text(self, ns):
        sec, frac = divmod(ns, 1_000_000_000)
        if sec != self.sec:
            self.sec = sec
            self.prefix = time.strftime("%Y-%m-%dT%H:%M:%S.", time.gmtime(sec))
        return "%s%09dZ" % (self.prefix, frac)


class Request:
    """One request in flight: the fixed part of its lines and the messages still to write."""

    __slots__ = ("middle", "status", "started_ns", "messages", "next")

    def __init__(self, rng, started_ns, nlines):
        trace = "%032x" % rng.getrandbits(128)
        method = METHOD_POOL[rng.randrange(len(METHOD_POOL))]
        path = ROUTES[rng.randrange(len(ROUTES))].replace("#", str(rng.randint(1, 99999)))
        # Everything between the message and the status is the same on every line.
        self.middle = '","traceId":"%s","method":"%s","path":"%s","status":' % (trace, method, path)
        self.status = STATUS_POOL[rng.randrange(len(STATUS_POOL))]
        self.started_ns = started_ns
        if nlines < 2:
            self.messages = [COMPLETED]
        else:
            steps = [STEPS[rng.randrange(len(STEPS))] for _ in range(nlines - 2)]
            if nlines >= 4:
                steps[-1] = FINISHED
            self.messages = [START] + steps + [COMPLETED]
        self.next = 0

    def line(self, clock, now_ns):
        if self.started_ns is None:  # --follow: the request starts with its first line
            self.started_ns = now_ns
        msg = self.messages[self.next]
        self.next += 1
        if msg is COMPLETED:
            status = self.status
            level = "error" if status >= 500 else ("warn" if status >= 400 else "info")
        elif msg is FINISHED:
            status, level = self.status, "info"
        else:
            status = 0
            level = "debug" if msg.startswith("db query") else "info"
        return '{"ts":"%s","level":"%s","message":"%s%s%d,"latencyMs":%.3f}\n' % (
            clock.text(now_ns), level, msg, self.middle, status, (now_ns - self.started_ns) / 1e6)

    def done(self):
        return self.next == len(self.messages)


def request_length(rng, budget):
    """2..6 lines, never leaving a budget of exactly 1 (a request has at least 2 lines)."""
    n = rng.randint(2, 6)
    if budget is None:
        return n
    if n >= budget:
        return budget
    if budget - n == 1:
        n = n + 1 if n < 6 else n - 1
    return n


def open_output(path, append):
    if path == "-":
        return sys.stdout
    return open(path, "a" if append else "w", buffering=1 << 20)


def generate(args):
    rng = random.Random(args.seed)
    clock = Clock()
    out = open_output(args.output, append=False)
    total = args.lines
    owed = 0          # lines promised to requests already started
    requests = 0
    nbytes = 0
    now = BATCH_EPOCH_NS
    gap = 1.0 / MEAN_GAP_NS

    def start_request():
        nonlocal owed, requests
        budget = total - owed
        if budget <= 0:
            return None
        n = request_length(rng, budget)
        owed += n
        requests += 1
        return Request(rng, now, n)

    inflight = []
    for _ in range(args.concurrency):
        r = start_request()
        if r is None:
            break
        inflight.append(r)

    expovariate, randrange = rng.expovariate, rng.randrange
    batch = []
    while inflight:
        k = randrange(len(inflight))
        r = inflight[k]
        now += int(expovariate(gap))
        batch.append(r.line(clock, now))
        if r.done():
            nr = start_request()
            if nr is None:
                inflight[k] = inflight[-1]
                inflight.pop()
            else:
                inflight[k] = nr
        if len(batch) == 8192:
            text = "".join(batch)
            nbytes += len(text)
            out.write(text)
            batch.clear()
    text = "".join(batch)
    nbytes += len(text)
    out.write(text)
    out.flush()
    if out is not sys.stdout:
        out.close()
    print("lines=%d requests=%d bytes=%d (%.1f MB)" % (total, requests, nbytes, nbytes / 1e6), file=sys.stderr)


def follow(args):
    """Appends about --rate lines a second, in batches at most 10 times a second, until killed."""
    rng = random.Random(args.seed if args.seed_given else None)
    clock = Clock()
    out = open_output(args.output, append=True)
    concurrency = args.concurrency
    inflight = [Request(rng, None, request_length(rng, None)) for _ in range(concurrency)]
    tick = max(1.0 / args.rate, 0.1)
    written = 0
    started = time.monotonic()
    while True:
        due = int((time.monotonic() - started) * args.rate) - written
        batch = []
        for _ in range(max(due, 0)):
            k = rng.randrange(len(inflight))
            r = inflight[k]
            batch.append(r.line(clock, time.time_ns()))
            if r.done():
                inflight[k] = Request(rng, None, request_length(rng, None))
        if batch:
            out.write("".join(batch))
            out.flush()
            written += len(batch)
        time.sleep(tick)


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0],
                                 formatter_class=argparse.RawDescriptionHelpFormatter,
                                 epilog=__doc__.split("\n", 2)[2])
    ap.add_argument("lines", type=int, nargs="?", help="exact number of lines to write (batch mode)")
    ap.add_argument("output", help="file to write, or - for stdout")
    ap.add_argument("--seed", type=int, default=None, help="random seed (default 42; random with --follow)")
    ap.add_argument("--concurrency", type=int, default=None,
                    help="requests in flight at once (default 50; 4 with --follow, so requests finish quickly)")
    ap.add_argument("--follow", action="store_true", help="append --rate lines a second until killed")
    ap.add_argument("--rate", type=float, default=5.0, help="lines per second with --follow (default 5)")
    args = ap.parse_args()

    args.seed_given = args.seed is not None
    if args.seed is None:
        args.seed = 42
    if args.concurrency is None:
        args.concurrency = 4 if args.follow else 50
    if args.concurrency < 1:
        ap.error("--concurrency must be at least 1")
    if args.follow:
        if args.lines is not None:
            ap.error("--follow takes no LINES: it writes until killed")
        if args.rate <= 0:
            ap.error("--rate must be above 0")
    elif args.lines is None or args.lines < 0:
        ap.error("LINES (a number >= 0) is required without --follow")

    # Killed by the demo's trap or by Ctrl-C: leave quietly, the last batch was flushed.
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(0))
    try:
        follow(args) if args.follow else generate(args)
    except KeyboardInterrupt:
        sys.exit(0)
    except BrokenPipeError:
        sys.stderr.close()
        sys.exit(1)


if __name__ == "__main__":
    main()
