"""The programs bench/run_bench.py runs beside sluice: the nginx backend
stand-in, the syslog and HTTP load generators, and rsyslog as the syslog peer.

Each starts on 127.0.0.1 on a free port, in a scratch directory under the
benchmark's cache dir, and is stopped and cleaned up by its `stop()`.
"""
import hashlib
import json
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request

BENCH_DIR = os.path.dirname(os.path.abspath(__file__))


class PeerError(Exception):
    """A peer could not start or run: the benchmark can't measure anything."""


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_listening(port, proc, what, timeout_s=15):
    """Waits until something accepts on 127.0.0.1:port; fails early if proc exits."""
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise PeerError("%s exited with %d before listening on port %d" % (what, proc.returncode, port))
        try:
            socket.create_connection(("127.0.0.1", port), timeout=0.2).close()
            return
        except OSError:
            time.sleep(0.05)
    raise PeerError("%s did not listen on port %d within %d s" % (what, port, timeout_s))


def build_c_tool(cache_dir, source, libs=()):
    """Compiles bench/SOURCE (plain C, linked with libs) into the cache dir once per version of it; returns the path or None."""
    src = os.path.join(BENCH_DIR, source)
    with open(src, "rb") as f:
        digest = hashlib.sha256(f.read()).hexdigest()[:12]
    exe = os.path.join(cache_dir, "%s-%s" % (os.path.splitext(source)[0], digest))
    if os.access(exe, os.X_OK):
        return exe
    cc = shutil.which("cc") or shutil.which("gcc")
    if not cc:
        return None
    proc = subprocess.run([cc, "-O2", "-o", exe + ".tmp", src] + list(libs), capture_output=True, text=True)
    if proc.returncode != 0:
        print("run_bench: could not compile %s:\n%s" % (src, proc.stderr), file=sys.stderr)
        return None
    os.replace(exe + ".tmp", exe)
    return exe


class NginxSink:
    """nginx from bench/sink_nginx.conf: answers _bulk and Loki pushes as the backends do on success."""

    def __init__(self, cache_dir):
        if not shutil.which("nginx"):
            raise PeerError("nginx is not installed (scripts/install-deps.sh installs nginx-light)")
        self.port = free_port()
        self.dir = tempfile.mkdtemp(prefix="sink-nginx-", dir=cache_dir)
        with open(os.path.join(BENCH_DIR, "sink_nginx.conf")) as f:
            conf = f.read().replace("${SINK_PORT}", str(self.port)).replace("${SINK_DIR}", self.dir)
        path = os.path.join(self.dir, "nginx.conf")
        with open(path, "w") as f:
            f.write(conf)
        self.proc = subprocess.Popen(["nginx", "-p", self.dir, "-c", path], stdout=subprocess.DEVNULL,
                                     stderr=subprocess.DEVNULL)
        try:
            wait_listening(self.port, self.proc, "nginx")
        except PeerError:
            self.stop()
            raise

    def wire(self):
        """(HTTP requests, bytes on the wire: request header + body as sent) from the access log."""
        requests = total = 0
        with open(os.path.join(self.dir, "access.log")) as f:
            for line in f:
                # $request_length counts only the header when `return` discards the body.
                head, body = line.split()[:2]
                requests += 1
                total += int(head) + (int(body) if body.isdigit() else 0)
        return requests, total

    def stop(self):
        if self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        shutil.rmtree(self.dir, ignore_errors=True)


class KafkaMock:
    """librdkafka's mock cluster in its own process (bench/kafka_mock_peer.c): brokers, and a topic."""

    def __init__(self, cache_dir, topic, brokers=3, partitions=3):
        exe = build_c_tool(cache_dir, "kafka_mock_peer.c", ["-lrdkafka"])
        if not exe:
            raise PeerError("could not build bench/kafka_mock_peer.c (needs a C compiler and librdkafka-dev)")
        self.proc = subprocess.Popen([exe, str(brokers), topic, str(partitions)], stdin=subprocess.PIPE,
                                     stdout=subprocess.PIPE, text=True)
        self.bootstraps = self.proc.stdout.readline().strip()
        if not self.bootstraps:
            self.stop()
            raise PeerError("the Kafka mock cluster did not start")

    def stop(self):
        if self.proc.poll() is None:
            self.proc.stdin.close()  # it serves until stdin closes
            try:
                self.proc.wait(timeout=30)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()


def records_read(metrics_port, input_instance):
    """Records an input of sluice has taken in, from /api/v1/metrics; None if it doesn't answer."""
    url = "http://127.0.0.1:%d/api/v1/metrics" % metrics_port
    try:
        with urllib.request.urlopen(url, timeout=2) as r:
            text = r.read().decode()
    except OSError:
        return None
    m = re.search(r'^sluice_input_records_total\{input="%s"\} (\d+)' % re.escape(input_instance), text, re.M)
    return int(m.group(1)) if m else None


def wait_read(metrics_port, input_instance, expected, timeout_s):
    """Polls until the input has taken in `expected` records; returns the monotonic time it saw them, or None."""
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        n = records_read(metrics_port, input_instance)
        if n is not None and n >= expected:
            return time.monotonic()
        time.sleep(0.01)
    return None


def wait_backlog_empty(metrics_port, input_instance, timeout_s):
    """Polls until the input's filesystem buffer has nothing left on disk only; True once it hasn't."""
    pattern = re.compile(r'^sluice_storage_backlog_chunks\{input="%s"\} (\d+)' % re.escape(input_instance), re.M)
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        try:
            with urllib.request.urlopen("http://127.0.0.1:%d/api/v1/metrics" % metrics_port, timeout=5) as r:
                m = pattern.search(r.read().decode())
            if m and int(m.group(1)) == 0:
                return True
        except OSError:
            pass
        time.sleep(0.05)
    return False


def run_syslog_load(exe, port, connections, messages, timeout_s):
    """bench/syslog_load.c: sends `messages` octet-counted RFC 5424 messages; returns (its seconds, bytes sent).

    Its seconds end when the last byte is in the kernel's socket buffers,
    which hold megabytes per connection: the receiver may still be reading."""
    proc = subprocess.run([exe, "127.0.0.1", str(port), str(connections), str(messages)], capture_output=True,
                          text=True, timeout=timeout_s)
    if proc.returncode != 0:
        raise PeerError("syslog_load failed: " + (proc.stderr.strip() or proc.stdout.strip()))
    m = re.search(r"messages, (\d+) bytes, .* in ([0-9.]+) s", proc.stdout)
    if not m:
        raise PeerError("unexpected syslog_load output: " + proc.stdout)
    return float(m.group(2)), int(m.group(1))


def run_wrk(port, connections, seconds, records_per_request, script="http_load.lua", path="/bench", env_extra=None):
    """wrk with a bench/ script (http_load.lua, otlp_load.lua) for `seconds`.

    Returns (records in 2xx answers, wrk's seconds, non-2xx answers, bytes per record)."""
    if not shutil.which("wrk"):
        raise PeerError("wrk is not installed (scripts/install-deps.sh installs it)")
    env = dict(os.environ, BENCH_RECORDS=str(records_per_request), **(env_extra or {}))
    argv = ["wrk", "-t2", "-c%d" % connections, "-d%ds" % seconds, "--timeout", "10s",
            "-s", os.path.join(BENCH_DIR, script), "http://127.0.0.1:%d%s" % (port, path)]
    proc = subprocess.run(argv, capture_output=True, text=True, env=env, timeout=seconds + 60)
    if proc.returncode != 0:
        raise PeerError("wrk failed: " + proc.stderr.strip())
    sent = re.search(r"records sent \(2xx\): (\d+)", proc.stdout)
    dur = re.search(r"requests in ([0-9.]+)(m?s)", proc.stdout)
    if not sent or not dur:
        raise PeerError("unexpected wrk output:\n" + proc.stdout)
    seconds_run = float(dur.group(1)) / (1000.0 if dur.group(2) == "ms" else 1.0)
    refused = re.search(r"Non-2xx or 3xx responses: (\d+)", proc.stdout)
    each = re.search(r"\(([0-9.]+) bytes each\)", proc.stdout)
    return (int(sent.group(1)), seconds_run, int(refused.group(1)) if refused else 0,
            float(each.group(1)) if each else 0.0)


def run_h2load_grpc(port, body_path, connections, seconds, path):
    """h2load (nghttp2-client) POSTing body_path as a unary gRPC call to `path`
    over `connections` HTTP/2 connections, one stream at a time each (as wrk's
    one request per connection), for `seconds`.

    Returns (calls answered grpc-status 0, h2load's seconds). h2load counts
    every HTTP 200 as a success; a gRPC error is a 200 too, so the caller
    checks the agent's own count of what it took."""
    if not shutil.which("h2load"):
        raise PeerError("h2load is not installed (scripts/install-deps.sh installs nghttp2-client)")
    argv = ["h2load", "-t2", "-c%d" % connections, "-m1", "-D%d" % seconds, "-d", body_path,
            "-H", "content-type: application/grpc", "-H", "te: trailers",
            "http://127.0.0.1:%d%s" % (port, path)]
    proc = subprocess.run(argv, capture_output=True, text=True, timeout=seconds + 60)
    if proc.returncode != 0:
        raise PeerError("h2load failed: " + proc.stderr.strip() + proc.stdout[-2000:])
    ok = re.search(r"status codes: (\d+) 2xx", proc.stdout)
    dur = re.search(r"finished in ([0-9.]+)(m?s)", proc.stdout)
    if not ok or not dur:
        raise PeerError("unexpected h2load output:\n" + proc.stdout)
    return int(ok.group(1)), float(dur.group(1)) / (1000.0 if dur.group(2) == "ms" else 1.0)


RSYSLOG_CONF = """\
# rsyslog as the syslog benchmark's peer: imtcp (octet counting is on by
# default) to a plain file, the cheapest output that lets the run count
# what arrived.
global(workDirectory="{dir}")
module(load="imtcp" MaxSessions="1000")
input(type="imtcp" address="127.0.0.1" port="{port}")
template(name="msgonly" type="string" string="%msg%\\n")
*.* action(type="omfile" file="{out}" template="msgonly")
"""


class Rsyslog:
    """rsyslogd -n on a free port, writing each message's text to one file."""

    def __init__(self, cache_dir):
        exe = shutil.which("rsyslogd") or ("/usr/sbin/rsyslogd" if os.access("/usr/sbin/rsyslogd", os.X_OK) else None)
        if not exe:
            raise PeerError("rsyslog is not installed (scripts/install-deps.sh installs it)")
        self.exe = exe
        self.port = free_port()
        self.dir = tempfile.mkdtemp(prefix="peer-rsyslog-", dir=cache_dir)
        self.out = os.path.join(self.dir, "messages.log")
        self.conf = os.path.join(self.dir, "rsyslog.conf")
        with open(self.conf, "w") as f:
            f.write(RSYSLOG_CONF.format(dir=self.dir, port=self.port, out=self.out))

    def argv(self):
        return [self.exe, "-n", "-f", self.conf, "-i", os.path.join(self.dir, "rsyslogd.pid")]

    def wait_written(self, expected, timeout_s):
        """Waits until the output file has `expected` lines, or stopped growing for 5 s.

        Returns (its line count, the monotonic time it last grew)."""
        deadline = time.monotonic() + timeout_s
        last_size, grew_at = -1, time.monotonic()
        while time.monotonic() < deadline:
            size = os.path.getsize(self.out) if os.path.exists(self.out) else 0
            if size != last_size:
                last_size, grew_at = size, time.monotonic()
            elif time.monotonic() - grew_at > 0.3:
                lines = count_lines(self.out)
                if lines >= expected or time.monotonic() - grew_at > 5:
                    return lines, grew_at
            time.sleep(0.01)
        return count_lines(self.out), grew_at

    def cleanup(self):
        shutil.rmtree(self.dir, ignore_errors=True)


def count_lines(path):
    try:
        with open(path, "rb") as f:
            return sum(chunk.count(b"\n") for chunk in iter(lambda: f.read(1 << 20), b""))
    except OSError:
        return 0


def terminate(proc, timeout_s=60):
    """SIGTERM, then waits; SIGKILL after timeout_s. Returns True if it stopped on SIGTERM."""
    if proc.poll() is not None:
        return True
    proc.send_signal(signal.SIGTERM)
    try:
        proc.wait(timeout=timeout_s)
        return True
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait()
        return False


def google_key_file(cache_dir, sink_port):
    """A service-account key file (a fresh RSA key from openssl) whose token_uri is the nginx sink's /token."""
    path = os.path.join(cache_dir, "google-bench-key-%d.json" % sink_port)
    pem = subprocess.run(["openssl", "genpkey", "-algorithm", "RSA", "-pkeyopt", "rsa_keygen_bits:2048"],
                         check=True, capture_output=True, text=True).stdout
    key = {"type": "service_account", "project_id": "bench-project", "private_key_id": "bench",
           "private_key": pem, "client_email": "bench@bench-project.iam.gserviceaccount.com",
           "token_uri": "http://127.0.0.1:%d/token" % sink_port}
    with open(path, "w") as f:
        json.dump(key, f)
    return path


def oci_config_file(cache_dir):
    """An OCI config file and API key (a fresh RSA key from openssl) for the oci benchmarks: user, tenancy and
    the key's real fingerprint (sluice checks it), region us-ashburn-1."""
    key_path = os.path.join(cache_dir, "oci-bench-key.pem")
    pem = subprocess.run(["openssl", "genpkey", "-algorithm", "RSA", "-pkeyopt", "rsa_keygen_bits:2048"],
                         check=True, capture_output=True, text=True).stdout
    with open(key_path, "w") as f:
        f.write(pem)
    der = subprocess.run(["openssl", "pkey", "-in", key_path, "-pubout", "-outform", "DER"],
                         check=True, capture_output=True).stdout
    digest = hashlib.md5(der).hexdigest()
    fingerprint = ":".join(digest[i:i + 2] for i in range(0, 32, 2))
    path = os.path.join(cache_dir, "oci-bench-config")
    with open(path, "w") as f:
        f.write("[DEFAULT]\nuser=ocid1.user.oc1..bench\ntenancy=ocid1.tenancy.oc1..bench\n"
                "fingerprint=%s\nkey_file=%s\nregion=us-ashburn-1\n" % (fingerprint, key_path))
    return path


class GelfTcpSink:
    """A GELF TCP input that reads and discards (Graylog's TCP input frames messages with a NUL byte): the
    fanout benchmark's Graylog. Counts the messages; runs in a thread of the runner, which is not measured."""

    def __init__(self):
        import threading
        self.listener = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        self.listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self.listener.bind(("127.0.0.1", 0))
        self.listener.listen(16)
        self.port = self.listener.getsockname()[1]
        self.messages = 0
        self.bytes = 0
        self.lock = threading.Lock()
        self.thread = threading.Thread(target=self._accept, daemon=True)
        self.thread.start()

    def _accept(self):
        import threading
        while True:
            try:
                conn, _ = self.listener.accept()
            except OSError:
                return
            threading.Thread(target=self._read, args=(conn,), daemon=True).start()

    def _read(self, conn):
        with conn:
            while True:
                data = conn.recv(1 << 20)
                if not data:
                    return
                with self.lock:
                    self.messages += data.count(0)
                    self.bytes += len(data)

    def stop(self):
        self.listener.close()


FORWARD_SINK_CONF = """service:
  log_level: warn
pipeline:
  inputs:
    - name: forward
      listen: 127.0.0.1
      port: {port}
  outputs:
    - name: null
      match: '*'
"""


class ForwardSink:
    """A second sluice, forward input → null: the forward benchmark's aggregator (Fluentd or Fluent Bit in
    production). It acks each message once taken; its CPU is not measured."""

    def __init__(self, cache_dir, sluice):
        self.port = free_port()
        self.dir = tempfile.mkdtemp(prefix="peer-forward-", dir=cache_dir)
        conf = os.path.join(self.dir, "sink.yaml")
        with open(conf, "w") as f:
            f.write(FORWARD_SINK_CONF.format(port=self.port))
        self.log = open(os.path.join(self.dir, "sink.log"), "w")
        self.proc = subprocess.Popen([sluice, "-c", conf], stdout=self.log, stderr=subprocess.STDOUT)
        wait_listening(self.port, self.proc, "the forward sink (sluice)")

    def stop(self):
        terminate(self.proc)
        self.log.close()
        shutil.rmtree(self.dir, ignore_errors=True)
