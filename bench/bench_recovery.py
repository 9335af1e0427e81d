#!/usr/bin/env python3
"""How an output rides out a backend outage and a 429 storm (issue 13).

One sluice: tail -> parser json -> es, the output's defaults (workers 1,
retry_base, retry_cap), against the Elasticsearch stand-in
(tests/peers/es_standin.py; a stand-in written from the _bulk API's
specification, not Elasticsearch). A writer appends --rate JSON lines a
second to the tailed file the whole time. After a few seconds of normal
delivery, two phases:

  outage  the stand-in answers every request 503 for --outage seconds (60);
          then it is back. Reported: how long after its return the last
          line written before it arrived (every line up to it stored), and
          the requests sent during the outage.
  storm   the stand-in answers every request 429 with Retry-After:
          --retry-after (5) for --storm seconds (30). Reported: the requests
          sent during the storm; honouring Retry-After allows one per
          Retry-After (7 in 30 s, counting the first).

Then SIGTERM; every line written must have been stored exactly once.

Usage: bench/bench_recovery.py [--sluice build/sluice] [--outage 60]
       [--storm 30] [--retry-after 5] [--rate 40] [--only outage,storm]
"""
import argparse
import json
import os
import re
import signal
import socket
import subprocess
import sys
import tempfile
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
STANDIN = os.path.join(ROOT, "tests", "peers", "es_standin.py")
SEQ_RE = re.compile(r'"seq":(\d+)')


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Run:
    """The stand-in, sluice and the writer in one temporary directory."""

    def __init__(self, sluice, rate, workdir):
        self.dir = workdir
        self.rate = rate
        self.next_seq = 0
        self.app_log = os.path.join(workdir, "app.log")
        self.control = os.path.join(workdir, "control.json")
        self.store = os.path.join(workdir, "stored.jsonl")
        self.requests_log = os.path.join(workdir, "standin.log")
        open(self.app_log, "w").close()
        port = free_port()
        self.standin = subprocess.Popen(
            [sys.executable, STANDIN, "--port", str(port), "--log", self.requests_log, "--store", self.store,
             "--control", self.control], stdout=subprocess.PIPE, text=True)
        if "listening" not in self.standin.stdout.readline():
            raise SystemExit("the es stand-in did not start")
        conf = os.path.join(workdir, "sluice.yaml")
        with open(conf, "w") as f:
            f.write(f"""service:
  flush: 1s
  grace: 30s
  log_level: warn
pipeline:
  inputs:
    - name: tail
      tag: app
      path: {self.app_log}
      read_from_head: on
  filters:
    - name: parser
      match: app
      key_name: log
      parser: json
  outputs:
    - name: es
      match: '*'
      host: 127.0.0.1
      port: {port}
      dead_letter_file: {os.path.join(workdir, "dead.jsonl")}
""")
        self.sluice_err = open(os.path.join(workdir, "sluice.err"), "w")
        self.sluice = subprocess.Popen([sluice, "-c", conf], stderr=self.sluice_err)

    def tick(self):
        """Appends a tenth of a second's lines, then sleeps that tenth."""
        n = max(1, self.rate // 10)
        with open(self.app_log, "a") as f:
            for _ in range(n):
                f.write(json.dumps({"seq": self.next_seq, "ts": time.time(), "msg": "request handled"}) + "\n")
                self.next_seq += 1
        time.sleep(0.1)

    def write_for(self, seconds):
        end = time.monotonic() + seconds
        while time.monotonic() < end:
            self.tick()

    def fault_for(self, fault, seconds):
        fault = dict(fault, until=time.time() + seconds)
        with open(self.control, "w") as f:
            json.dump({"faults": [fault]}, f)

    def stored_seqs(self):
        seqs = []
        with open(self.store) as f:
            for line in f:
                m = SEQ_RE.search(line)
                if m:
                    seqs.append(int(m.group(1)))
        return seqs

    def requests_with(self, status):
        with open(self.requests_log) as f:
            return sum(1 for line in f if '"target":' in line and f'"status":{status}' in line)

    def all_stored_below(self, seq):
        """True when every line 0..seq is stored."""
        have = set(self.stored_seqs())
        return all(i in have for i in range(seq + 1))

    def warm_up(self):
        deadline = time.monotonic() + 30
        while not self.stored_seqs():
            if time.monotonic() > deadline:
                raise SystemExit("nothing delivered in 30 s")
            self.tick()

    def outage(self, seconds):
        self.fault_for({"type": "status", "status": 503}, seconds)
        back = time.monotonic() + seconds
        while time.monotonic() < back:
            self.tick()
        last = self.next_seq - 1
        while not self.all_stored_below(last):
            if time.monotonic() > back + 300:
                raise SystemExit("not caught up 300 s after the outage")
            self.tick()
        return time.monotonic() - back, self.requests_with(503)

    def storm(self, seconds, retry_after):
        self.fault_for({"type": "status", "status": 429, "retry_after": str(retry_after)}, seconds)
        self.write_for(seconds + 1)
        return self.requests_with(429)

    def finish(self):
        """Waits for everything written, stops sluice; returns (lines, duplicates)."""
        written = self.next_seq
        deadline = time.monotonic() + 300
        while not self.all_stored_below(written - 1):
            if time.monotonic() > deadline:
                raise SystemExit("not everything delivered in 300 s")
            time.sleep(0.2)
        self.sluice.send_signal(signal.SIGTERM)
        status = self.sluice.wait(60)
        self.standin.terminate()
        self.standin.wait(10)
        seqs = self.stored_seqs()
        if status != 0:
            raise SystemExit(f"sluice exited {status}")
        return written, len(seqs) - len(set(seqs))


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--sluice", default=os.path.join(ROOT, "build", "sluice"))
    ap.add_argument("--outage", type=float, default=60)
    ap.add_argument("--storm", type=float, default=30)
    ap.add_argument("--retry-after", type=int, default=5)
    ap.add_argument("--rate", type=int, default=40, help="lines a second")
    ap.add_argument("--only", default="outage,storm")
    args = ap.parse_args()
    phases = args.only.split(",")
    with tempfile.TemporaryDirectory(prefix="sluice-recovery-") as workdir:
        run = Run(args.sluice, args.rate, workdir)
        try:
            run.warm_up()
            if "outage" in phases:
                took, failed = run.outage(args.outage)
                print(f"outage {args.outage:.0f} s (503): last line written before the return stored "
                      f"{took:.1f} s after it; {failed} requests answered 503", flush=True)
            if "storm" in phases:
                before = run.requests_with(429)
                throttled = run.storm(args.storm, args.retry_after) - before
                print(f"storm {args.storm:.0f} s (429, Retry-After: {args.retry_after}): {throttled} requests "
                      f"(honouring it: at most {int(args.storm // args.retry_after) + 1})", flush=True)
            written, duplicates = run.finish()
            print(f"{written} lines written, all stored, {duplicates} stored twice")
        finally:
            for p in (run.sluice, run.standin):
                if p.poll() is None:
                    p.kill()
                    p.wait()


if __name__ == "__main__":
    main()
