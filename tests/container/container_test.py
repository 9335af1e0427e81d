#!/usr/bin/env python3
"""sluice's container image and its examples with real containers (podman).

1. The image (docker/Dockerfile) is built once per run around the binary
   under test (--binary; target runtime-prebuilt, see "Why prebuilt" below),
   then: its metadata (user 10001, STOPSIGNAL, ENTRYPOINT, HEALTHCHECK), its
   size over the base, `sluice --version` and `--dry-run` as the non-root
   user on a read-only root filesystem, every shared library found, no
   compiler or headers, every pipeline of docker/ validated inside it, and
   the HEALTHCHECK turning the container healthy.
2. docker/k8s/sidecar-pod.yaml with its ConfigMap through `podman play kube`:
   the app container writes thousands of JSON lines (requests of four lines
   with a traceId, files rotated by rename) into the shared emptyDir, the
   last requests left open; sluice ships one record per request to an
   Elasticsearch stand-in (tests/peers/es_standin.py) on the host's
   127.0.0.1; every line arrives once. `podman pod stop` (SIGTERM, the
   manifest's terminationGracePeriodSeconds): sluice delivers the trace
   aggregator's open requests (aggregate_reason "shutdown") and exits 0.
   `podman pod start`: the same pod, its /var/lib/sluice volume kept,
   resumes from its db; the app writes more; still every line exactly once.
   sluice's peak RSS is measured (docs/container.md, the manifests' resources).
3. docker/compose.yaml and docker/compose.loki.yaml: podman-compose parses
   them (`--dry-run up`; Debian's podman-compose 1.0.3 has no `config`), then
   the app and sluice services run against stand-ins for Elasticsearch and
   Loki, their addresses given through the files' environment variables.

podman 4.3 (Debian 12) has no native sidecars: it refuses probes on init
containers and would wait for an init container to exit. The pod run is a
variant derived mechanically from the shipped manifest (variant_pod() says
exactly how); the shipped one stays in the native-sidecar form, and
check_manifests.py checks its structure.

Why prebuilt: compiling sluice inside the build stage takes minutes on CI's two
cores, and the binary ctest tests is the one to put in the image. The runtime
stage is the same for both targets; `--full-build` (or SLUICE_CONTAINER_FULL_BUILD=1)
builds the default target from source as well and runs the image checks on it.

Podman: as set up by podman-env.sh ($SLUICE_PODMAN_ENV, else
../shared/containers/podman-env.sh beside the repository); without one, the
podman on PATH with its own configuration. When neither works the test is
skipped (exit 77, the reason printed).

Usage: container_test.py --source-dir DIR --binary PATH/sluice --build-dir DIR [--full-build] [--keep]
"""
import argparse
import hashlib
import json
import os
import re
import select
import shutil
import socket
import subprocess
import sys
import tempfile
import time

import yaml

SKIP = 77
DEFAULT_BASE = "debian:bookworm-slim"
HEALTHCHECK = ["CMD", "sluice", "--health-check", "http://127.0.0.1:2020/api/v1/health"]
ENTRYPOINT = ["sluice", "-c", "/etc/sluice/sluice.yaml"]
SIZE_GOAL_MB = 60

STARTED = time.monotonic()
FAILURES = []


class Skip(Exception):
    pass


class Failed(Exception):
    pass


def log(msg):
    print("[%5.1fs] %s" % (time.monotonic() - STARTED, msg), flush=True)


def check(cond, what):
    if not cond:
        FAILURES.append(what)
        log("FAIL: " + what)
    return cond


def run(argv, timeout=300, check_rc=True, env=None, input=None):
    """Runs argv; returns the CompletedProcess (text). check_rc: a non-zero exit raises Failed with the output."""
    try:
        p = subprocess.run(argv, capture_output=True, text=True, timeout=timeout, env=env, input=input)
    except subprocess.TimeoutExpired as e:
        raise Failed("%s: no exit within %d s\n%s%s" % (" ".join(argv), timeout, e.stdout or "", e.stderr or ""))
    if check_rc and p.returncode != 0:
        raise Failed("%s: exit %d\n%s%s" % (" ".join(argv), p.returncode, p.stdout[-3000:], p.stderr[-3000:]))
    return p


def wait_for(cond, what, timeout_s, interval_s=0.5):
    """Polls cond() until true; raises Failed after timeout_s."""
    deadline = time.monotonic() + timeout_s
    while True:
        if cond():
            return
        if time.monotonic() > deadline:
            raise Failed("%s: not within %d s" % (what, timeout_s))
        time.sleep(interval_s)


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


# ---------------------------------------------------------------- podman set-up

def set_up_podman(source_dir):
    """Makes podman usable (podman-env.sh if there is one); returns the base image. Raises Skip."""
    env_script = os.environ.get("SLUICE_PODMAN_ENV") or os.path.join(
        os.path.dirname(source_dir), "shared", "containers", "podman-env.sh")
    base = os.environ.get("SLUICE_BASE_IMAGE", DEFAULT_BASE)
    if os.path.isfile(env_script):
        try:
            p = subprocess.run(["bash", "-c", 'source "$1" >&2 && env -0', "_", env_script],
                               capture_output=True, timeout=1800)
        except subprocess.TimeoutExpired:
            raise Skip("%s did not finish within 30 min" % env_script)
        if p.returncode != 0:
            raise Skip("%s failed (podman can't be set up here): %s" % (
                env_script, p.stderr.decode(errors="replace").strip()[-500:]))
        for item in p.stdout.split(b"\0"):
            key, _, value = item.decode(errors="replace").partition("=")
            if key in ("CONTAINERS_CONF", "CONTAINERS_STORAGE_CONF", "SLUICE_BASE_IMAGE"):
                os.environ[key] = value
        base = os.environ.get("SLUICE_BASE_IMAGE", base)
        how = "podman set up by %s" % env_script
    else:
        how = "podman as configured on this machine (no %s)" % env_script
    if shutil.which("podman") is None:
        raise Skip("no podman on PATH and no podman-env.sh at %s (set SLUICE_PODMAN_ENV)" % env_script)
    p = subprocess.run(["podman", "info", "--format", "{{.Store.GraphDriverName}}"], capture_output=True, text=True,
                       timeout=120)
    if p.returncode != 0:
        raise Skip("podman doesn't work here: %s" % p.stderr.strip()[-500:])
    if subprocess.run(["podman", "image", "exists", base]).returncode != 0:
        pull = subprocess.run(["podman", "pull", "-q", base], capture_output=True, text=True, timeout=600)
        if pull.returncode != 0:
            raise Skip("no base image %s here and it can't be pulled: %s" % (base, pull.stderr.strip()[-300:]))
    log("%s, storage driver %s, base image %s" % (how, p.stdout.strip(), base))
    return base


def image_id(ref):
    p = run(["podman", "image", "inspect", "--format", "{{.Id}}", ref], check_rc=False)
    return p.stdout.strip() if p.returncode == 0 else None


def build_image(source_dir, base, tag, target, extra):
    """podman build of docker/Dockerfile's target as tag; the image it replaces is removed."""
    old = image_id(tag)
    started = time.monotonic()
    run(["podman", "build", "--format", "docker", "--build-arg", "BASE=" + base, "--target", target, "-t", tag,
         "-f", os.path.join(source_dir, "docker", "Dockerfile")] + extra + [source_dir], timeout=3600)
    new = image_id(tag)
    if old and old != new:
        run(["podman", "rmi", old], check_rc=False)  # still used by a container: left for the next run
    log("built %s (target %s) in %.0f s" % (tag, target, time.monotonic() - started))


# ---------------------------------------------------------------- 1. the image

def podman_run(image, args, extra=(), timeout=120, check_rc=True):
    return run(["podman", "run", "--rm", "--read-only", "--no-healthcheck"] + list(extra) + [image] + list(args),
               timeout=timeout, check_rc=check_rc)


def docker_pipelines(source_dir):
    """{label: text} of every sluice pipeline in docker/ (ConfigMaps and files)."""
    found = {}
    k8s = os.path.join(source_dir, "docker", "k8s")
    for name in sorted(os.listdir(k8s)):
        for doc in yaml.safe_load_all(open(os.path.join(k8s, name), encoding="utf-8")):
            if doc and doc.get("kind") == "ConfigMap" and "sluice.yaml" in doc.get("data", {}):
                found["docker/k8s/%s ConfigMap %s" % (name, doc["metadata"]["name"])] = doc["data"]["sluice.yaml"]
    compose = os.path.join(source_dir, "docker", "compose")
    for name in sorted(os.listdir(compose)):
        if name.startswith("sluice-") and name.endswith(".yaml"):
            found["docker/compose/" + name] = open(os.path.join(compose, name), encoding="utf-8").read()
    return found


def check_image(image, base, source_dir, tmp):
    cfg = json.loads(run(["podman", "image", "inspect", image]).stdout)[0]
    conf = cfg["Config"]
    check(conf.get("User") == "10001:10001", "image user is %r, expected 10001:10001" % conf.get("User"))
    check(conf.get("StopSignal") in ("SIGTERM", "15"), "STOPSIGNAL is %r" % conf.get("StopSignal"))
    check(conf.get("Entrypoint") == ENTRYPOINT, "ENTRYPOINT is %r" % conf.get("Entrypoint"))
    health = cfg.get("Healthcheck") or conf.get("Healthcheck") or {}  # podman: top level; docker: in Config
    check(health.get("Test") == HEALTHCHECK, "HEALTHCHECK is %r" % health.get("Test"))
    size = cfg["Size"]
    base_size = json.loads(run(["podman", "image", "inspect", base]).stdout)[0]["Size"]
    over = (size - base_size) / 1e6
    log("image %.1f MB, %.1f MB over the base %s (%.1f MB)" % (size / 1e6, over, base, base_size / 1e6))
    check(over < SIZE_GOAL_MB, "the image is %.1f MB over the base, the goal is under %d MB" % (over, SIZE_GOAL_MB))

    out = podman_run(image, ["--version"]).stdout
    check(re.fullmatch(r"sluice \d+\.\d+\.\d+\n", out) is not None, "--version printed %r" % out)
    out = podman_run(image, ["--dry-run"]).stdout
    check("/etc/sluice/sluice.yaml: configuration OK" in out, "--dry-run of the default config: %r" % out)
    # One container for the rest (each start costs seconds on vfs storage).
    probe = podman_run(image, ["-c", "id -u; ldd /usr/bin/sluice; echo ==tools; ls /usr/bin/gcc* /usr/bin/g++* "
                                     "/usr/bin/cc /usr/bin/c++ /usr/bin/cmake /usr/include/boost "
                                     "/usr/include/yaml-cpp 2>/dev/null; true"],
                       extra=["--entrypoint", "sh"]).stdout
    uid, rest = probe.split("\n", 1)
    ldd, tools = rest.split("==tools\n", 1)
    check(uid == "10001", "runs as UID %r" % uid)
    check("not found" not in ldd and "libssl" in ldd, "libraries missing in the image:\n" + ldd)
    check(tools.strip() == "", "compiler or headers in the runtime image: %s" % tools.strip())
    # Every pipeline of docker/ validated in the image (its Lua scripts at /usr/share/sluice/lua).
    pipelines = tempfile.mkdtemp(prefix="pipelines-", dir=tmp)
    os.chmod(pipelines, 0o755)
    labels = {}
    for i, (label, text) in enumerate(docker_pipelines(source_dir).items()):
        labels["/p/%d.yaml" % i] = label
        with open(os.path.join(pipelines, "%d.yaml" % i), "w", encoding="utf-8") as f:
            f.write(text)
        os.chmod(os.path.join(pipelines, "%d.yaml" % i), 0o644)
    out = podman_run(image, ["-c", 'for f in /p/*.yaml; do sluice --dry-run -c "$f" 2>&1 || echo "$f: exit $?"; done'],
                     extra=["--entrypoint", "sh", "-v", pipelines + ":/p:ro"]).stdout
    for path, label in labels.items():
        check(path + ": configuration OK" in out, "%s: --dry-run in the image: %s" % (label, out))

    # The HEALTHCHECK as the image declares it, in a network namespace of its
    # own (port 2020 of the host may be taken).
    name = "sluice-ct-health-%d" % os.getpid()
    run(["podman", "run", "-d", "--name", name, "--network", "none", "--read-only", image])
    try:
        wait_for(lambda: run(["podman", "healthcheck", "run", name], check_rc=False).returncode == 0,
                 "the container turning healthy", 30)
        status = run(["podman", "inspect", "--format", "{{.State.Health.Status}}", name]).stdout.strip()
        check(status == "healthy", "health status %r" % status)
        run(["podman", "stop", "-t", "20", name], timeout=60)
        code = run(["podman", "inspect", "--format", "{{.State.ExitCode}}", name]).stdout.strip()
        check(code == "0", "sluice exited %s after podman stop (SIGTERM)" % code)
    finally:
        run(["podman", "rm", "-f", "-v", name], check_rc=False)
    log("image checks done")


# ---------------------------------------------------------------- 2. the sidecar pod

# The test's application (bash, in sluice's image): requests of four lines
# with a traceId, each line numbered ("#N") in its message; REQUESTS
# complete requests, then OPEN requests left open (two lines each), then
# TAIL complete ones (seen delivered: everything before them was read).
# The file is rotated by rename (app.log → app.log.1 → app.log.2) every
# ROTATE requests, once sluice has read every line so far: a file created
# and renamed before sluice opened it would never be seen, as with any tailer
# whose glob doesn't match the rotated names. The first start writes lines
# numbered from 0; a restart (phase1.done exists) continues after them.
WRITER = r'''set -eu
trap 'exit 0' TERM
cd /var/log/app
metric_lines_read() {  # sluice's lines read so far (its metrics, over bash's /dev/tcp: no curl here)
  local n=0 line
  exec 3<>"/dev/tcp/127.0.0.1/$SLUICE_PORT" || { echo 0; return; }
  printf 'GET /api/v1/metrics HTTP/1.0\r\nHost: 127.0.0.1\r\n\r\n' >&3
  while IFS= read -r line <&3; do
    case $line in sluice_input_lines_read_total*) n=${line##* }; n=${n%$'\r'}; n=${n%%.*} ;; esac
  done
  exec 3<&-
  echo "$n"
}
wait_read() {
  local i
  for i in $(seq 1200); do [ "$(metric_lines_read)" -ge "$1" ] && return 0; sleep 0.1; done
  echo "writer: sluice did not read $1 lines within 120 s" >&2; exit 1
}
# Like the shipped startupProbe: begin once sluice serves.
for i in $(seq 300); do sluice --health-check "http://127.0.0.1:$SLUICE_PORT/api/v1/health" >/dev/null 2>&1 && break; sleep 0.2; done
if [ -e phase1.done ]; then phase=2; first=$(cat phase1.done); else phase=1; first=0; fi
written=0
line() {  # request, step (0-3)
  local msgs=("handler started" "db query: SELECT 1" "handler finished" "request completed")
  printf '{"ts":"2026-12-06T10:00:00.000Z","level":"info","message":"%s #%d","traceId":"%032x","method":"GET","path":"/api/v1/items","status":%d,"latencyMs":1.5}\n' \
    "${msgs[$2]}" $(( $1 * 4 + $2 )) "$1" $(( $2 >= 2 ? 200 : 0 )) >>app.log
  written=$((written + 1))
}
r=$first
end=$((first + REQUESTS))
while [ "$r" -lt "$end" ]; do  # pairs of requests, their lines interleaved
  for s in 0 1 2 3; do line "$r" "$s"; line $((r + 1)) "$s"; done
  r=$((r + 2))
  if [ $(( (r - first) % ROTATE )) -eq 0 ] && [ "$r" -lt "$end" ]; then
    wait_read "$written"
    [ -e app.log.1 ] && mv app.log.1 app.log.2
    mv app.log app.log.1
  fi
done
for o in $(seq "$OPEN"); do line "$r" 0; line "$r" 1; r=$((r + 1)); done
for t in $(seq "$TAIL"); do for s in 0 1 2 3; do line "$r" "$s"; done; r=$((r + 1)); done
echo "$r" >"phase$phase.done"
echo "writer: phase $phase wrote $written lines, requests up to $r"
sleep infinity &
wait
'''
REQUESTS, OPEN, TAIL, ROTATE = 700, 3, 5, 250  # phase lines: 4*700 + 2*3 + 4*5 = 2826


def phase_lines(first):
    """(line numbers of complete requests, line numbers of open requests) written by a phase starting at request first."""
    complete, open_ = [], []
    r = first
    for _ in range(REQUESTS):
        complete += range(r * 4, r * 4 + 4)
        r += 1
    for _ in range(OPEN):
        open_ += [r * 4, r * 4 + 1]
        r += 1
    for _ in range(TAIL):
        complete += range(r * 4, r * 4 + 4)
        r += 1
    return complete, open_, r


def variant_pod(source_dir, name, image, http_port, es_port):
    """The shipped sidecar Pod and its ConfigMap, changed only where podman 4.3 or
    a test on a shared host needs it:
    - native sidecars (initContainers with restartPolicy: Always) become the
      first regular containers: podman 4.3 refuses probes on init containers
      and would wait for an init container to exit;
    - probes are dropped: podman turns them into curl health checks run by
      systemd timers (no curl in the image, no systemd here); the test asks
      the status server itself;
    - the pod runs in the host's network (`play kube --network host`), where
      the stand-in listens; container ports go (podman maps them only on a
      bridge network);
    - names get the test's suffix (podman names emptyDir volumes by the
      manifest's volume names, shared by every pod on the host);
    - images are the test's; the app's command is the test's WRITER;
    - the pipeline's http_port is a free port (the pod shares the host's
      network), ES_HOST/ES_PORT point at the stand-in; the aggregator's
      stale_timeout (and ack_hold) grow to 10 min so the open requests are
      still open at the stop whatever the machine's load."""
    k8s = os.path.join(source_dir, "docker", "k8s")
    config = yaml.safe_load(open(os.path.join(k8s, "sluice-config.yaml"), encoding="utf-8"))
    pod = yaml.safe_load(open(os.path.join(k8s, "sidecar-pod.yaml"), encoding="utf-8"))
    pipeline = config["data"]["sluice.yaml"]
    pipeline, n = re.subn(r"(?m)^(\s*http_port:) 2020\b", r"\g<1> %d" % http_port, pipeline)
    assert n == 1, "http_port not found in the pipeline"
    pipeline, n = re.subn(r"(?m)^(\s*- stale_timeout) 30s$", r"\1 10m", pipeline)
    pipeline, m = re.subn(r"(?m)^(\s*ack_hold:) 32s$", r"\1 11m", pipeline)
    assert n == 1 and m == 1, "stale_timeout / ack_hold not found in the pipeline"
    config["metadata"]["name"] = name + "-config"
    config["data"]["sluice.yaml"] = pipeline

    spec = pod["spec"]
    pod["metadata"]["name"] = name
    sidecars = [c for c in spec.get("initContainers", []) if c.get("restartPolicy") == "Always"]
    spec["initContainers"] = [c for c in spec.get("initContainers", []) if c not in sidecars]
    if not spec["initContainers"]:
        del spec["initContainers"]
    spec["containers"] = sidecars + spec["containers"]
    for c in spec["containers"]:
        c.pop("restartPolicy", None)
        for key in ("startupProbe", "livenessProbe", "readinessProbe", "ports"):
            c.pop(key, None)
        c["image"] = image
        for m in c.get("volumeMounts", []):
            m["name"] = name + "-" + m["name"]
        env = {e["name"]: e for e in c.get("env", [])}
        if "ES_HOST" in env:
            env["ES_HOST"]["value"] = "127.0.0.1"
            env["ES_PORT"]["value"] = str(es_port)
    for v in spec["volumes"]:
        v["name"] = name + "-" + v["name"]
        if "configMap" in v:
            v["configMap"]["name"] = config["metadata"]["name"]
    app = [c for c in spec["containers"] if c["name"] == "app"][0]
    app.pop("args", None)
    app["command"] = ["/bin/bash", "-c", WRITER]
    app["env"] = [{"name": k, "value": str(v)} for k, v in (
        ("SLUICE_PORT", http_port), ("REQUESTS", REQUESTS), ("OPEN", OPEN), ("TAIL", TAIL), ("ROTATE", ROTATE))]
    volumes = [v["name"] for v in spec["volumes"] if "configMap" not in v] + [config["metadata"]["name"]]
    return yaml.dump_all([config, pod], Dumper=BlockDumper, sort_keys=False), spec["terminationGracePeriodSeconds"], volumes


class BlockDumper(yaml.SafeDumper):
    """Multi-line strings as literal blocks (podman's YAML parser misreads PyYAML's folded quoted ones)."""


BlockDumper.add_representer(str, lambda dumper, s: dumper.represent_scalar(
    "tag:yaml.org,2002:str", s, style="|" if "\n" in s else None))


class Peer:
    """A python3 stand-in from tests/peers on a free port of 127.0.0.1."""

    def __init__(self, source_dir, script, args, tmp):
        self.port = free_port()
        self.err = open(os.path.join(tmp, script + ".err"), "w")
        self.proc = subprocess.Popen([sys.executable, os.path.join(source_dir, "tests", "peers", script),
                                      "--port", str(self.port)] + args, stdout=subprocess.PIPE, stderr=self.err,
                                     text=True)
        ready, _, _ = select.select([self.proc.stdout], [], [], 30)
        line = self.proc.stdout.readline() if ready else ""
        if "listening" not in line:
            self.stop()
            raise Failed("%s did not start: %r" % (script, line))

    def stop(self):
        self.proc.terminate()
        try:
            self.proc.wait(10)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()
        self.err.close()


def stored_docs(path):
    docs = []
    if os.path.exists(path):
        with open(path, encoding="utf-8") as f:
            for line in f:
                if line.endswith("\n"):
                    docs.append(json.loads(line)["source"])
    return docs


def line_counts(docs):
    """Line number → how often it arrived, from the "#N" of each joined message."""
    counts = {}
    for d in docs:
        for n in re.findall(r"#(\d+)", str(d.get("message", ""))):
            counts[int(n)] = counts.get(int(n), 0) + 1
    return counts


def container_state(name):
    out = run(["podman", "inspect", "--format", "{{.State.Status}} {{.State.ExitCode}} {{.State.Pid}}", name]).stdout
    status, code, pid = out.split()
    return status, int(code), int(pid)


def peak_rss_mb(pid):
    try:
        with open("/proc/%d/status" % pid) as f:
            for line in f:
                if line.startswith("VmHWM:"):
                    return int(line.split()[1]) / 1024
    except OSError:
        pass
    return None


def sluice_log(pod):
    """sluice's own log (it logs to stderr), every start of the container in order."""
    return run(["podman", "logs", pod + "-sluice"]).stderr


def check_stop(pod, grace, phase):
    """podman pod stop within the grace period: sluice and the app exit 0."""
    run(["podman", "pod", "stop", "-t", str(grace), pod], timeout=grace + 60)
    for c in ("sluice", "app"):
        status, code, _ = container_state(pod + "-" + c)
        check(status == "exited" and code == 0,
              "phase %d: %s %s with %d after podman pod stop (137: killed at the grace period)" % (phase, c, status, code))


def check_sidecar_pod(source_dir, image, tmp, keep):
    es_dir = os.path.join(tmp, "es")
    os.makedirs(es_dir)
    store = os.path.join(es_dir, "store.jsonl")
    es = Peer(source_dir, "es_standin.py", ["--log", os.path.join(es_dir, "log.jsonl"), "--store", store], tmp)
    name = "sluice-ct-%d" % os.getpid()
    http_port = free_port()
    manifest, grace, volumes = variant_pod(source_dir, name, image, http_port, es.port)
    path = os.path.join(tmp, "pod.yaml")
    with open(path, "w", encoding="utf-8") as f:
        f.write(manifest)
    rss = None
    try:
        run(["podman", "play", "kube", "--network", "host", path], timeout=300)
        log("pod %s started (sluice's status server on port %d, es stand-in on %d)" % (name, http_port, es.port))
        complete1, open1, next_request = phase_lines(0)
        wait_for(lambda: set(complete1) <= set(line_counts(stored_docs(store))),
                 "phase 1: every complete request delivered", 240)
        _, _, pid = container_state(name + "-sluice")
        rss = peak_rss_mb(pid)
        # The image's HEALTHCHECK command, in the pod, against the pipeline's port.
        p = run(["podman", "exec", name + "-sluice", "sluice", "--health-check",
                 "http://127.0.0.1:%d/api/v1/health" % http_port], check_rc=False)
        check(p.returncode == 0, "sluice --health-check in the pod: %s%s" % (p.stdout, p.stderr))
        check_stop(name, grace, 1)
        docs = stored_docs(store)
        counts = line_counts(docs)
        phase1 = set(complete1) | set(open1)
        check(set(counts) == phase1 and all(v == 1 for v in counts.values()),
              "phase 1: lines missing %s, repeated %s, unexpected %s" % (
                  sorted(phase1 - set(counts))[:20], sorted(n for n, v in counts.items() if v > 1)[:20],
                  sorted(set(counts) - phase1)[:20]))
        drained = [d for d in docs if d.get("aggregate_incomplete")]
        check(len(drained) == OPEN and all(d.get("aggregate_reason") == "shutdown" for d in drained),
              "phase 1: the open requests were not handed over at SIGTERM: %s" % drained)
        logs1 = sluice_log(name)
        check("signal 15 received" in logs1, "sluice's log shows no SIGTERM")
        follows = re.findall(r"tail: following /var/log/app/app\.log from offset (\d+)", logs1)
        rotations = (REQUESTS - 1) // ROTATE
        check(follows == ["0"] * (rotations + 1),
              "phase 1: app.log should be followed from offset 0 once and after each of %d rotations: %s" % (
                  rotations, follows))
        log("phase 1: %d lines in %d records, each once; %d open requests delivered at SIGTERM; sluice exited 0" % (
            len(counts), len(docs), len(drained)))

        run(["podman", "pod", "start", name], timeout=120)
        complete2, open2, _ = phase_lines(next_request)
        wait_for(lambda: set(complete2) <= set(line_counts(stored_docs(store))),
                 "phase 2: every complete request delivered after the restart", 240)
        check_stop(name, grace, 2)
        counts = line_counts(stored_docs(store))
        every = phase1 | set(complete2) | set(open2)
        check(set(counts) == every and all(v == 1 for v in counts.values()),
              "after the restart: lines missing %s, repeated %s" % (
                  sorted(every - set(counts))[:20], sorted(n for n, v in counts.items() if v > 1)[:20]))
        logs2 = sluice_log(name)[len(logs1):]
        resumed = re.findall(r"tail: following /var/log/app/app\.log from offset (\d+)", logs2)
        check(len(resumed) == rotations + 1 and int(resumed[0]) > 0 and resumed[1:] == ["0"] * rotations,
              "the restarted sluice should resume app.log from its db, then follow each new one: offsets %s" % resumed)
        log("phase 2: restarted from offset %s; %d lines in all, each exactly once; sluice exited 0" % (
            resumed[0] if resumed else "?", len(counts)))
    except Failed:
        for c in ("sluice", "app"):
            p = run(["podman", "logs", name + "-" + c], check_rc=False)
            print("---- %s-%s\n%s%s" % (name, c, p.stdout[-4000:], p.stderr[-4000:]))
        raise
    finally:
        if not keep:
            run(["podman", "pod", "rm", "-f", name], check_rc=False, timeout=120)
            run(["podman", "volume", "rm", "-f"] + volumes, check_rc=False)
        es.stop()
    return rss


# ---------------------------------------------------------------- 3. compose

# podman-compose 1.0.3 (Debian 12) gives a service with network_mode: host
# its project network (--net, --network-alias) and port mappings (-p) too,
# which podman refuses; this stand-in for podman drops them from such a run.
PODMAN_SHIM = r'''#!/bin/bash
args=("$@")
if [ "${1:-}" = run ] && [[ " $* " == *" --network host "* ]]; then
  out=() skip=0
  for a in "${args[@]}"; do
    if [ "$skip" = 1 ]; then skip=0; continue; fi
    case $a in --net|--network-alias|-p) skip=1; continue ;; esac
    out+=("$a")
  done
  args=("${out[@]}")
fi
exec podman "${args[@]}"
'''


def compose(project, files, args, env, timeout=300, check_rc=True):
    argv = ["podman-compose", "-p", project]
    if env.get("PODMAN_SHIM"):
        argv += ["--podman-path", env["PODMAN_SHIM"]]
    for f in files:
        argv += ["-f", f]
    return run(argv + args, env=env, timeout=timeout, check_rc=check_rc)


def remove_compose_project(project):
    """What podman-compose made for a project: containers, volumes, its network."""
    label = "io.podman.compose.project=" + project
    ids = run(["podman", "ps", "-aq", "--filter", "label=" + label], check_rc=False).stdout.split()
    if ids:
        run(["podman", "rm", "-f", "-v"] + ids, check_rc=False, timeout=120)
    vols = run(["podman", "volume", "ls", "-q", "--filter", "label=" + label], check_rc=False).stdout.split()
    if vols:
        run(["podman", "volume", "rm", "-f"] + vols, check_rc=False)
    run(["podman", "network", "rm", "-f", project + "_default"], check_rc=False)


def check_compose(source_dir, image, app_image, tmp, keep):
    docker = os.path.join(source_dir, "docker")
    if shutil.which("podman-compose") is None:
        check(False, "podman-compose is not installed (podman-env.sh installs it)")
        return
    override = os.path.join(tmp, "compose.test.yaml")
    # Host networking (no bridge networks on these machines); the stand-ins'
    # addresses come through the compose files' own variables.
    with open(override, "w") as f:
        yaml.safe_dump({"services": {"app": {"network_mode": "host"}, "sluice": {"network_mode": "host"}}}, f)
    shim = os.path.join(tmp, "podman-shim")
    with open(shim, "w") as f:
        f.write(PODMAN_SHIM)
    os.chmod(shim, 0o755)
    for name, stand_in, var in (("compose.yaml", "es_standin.py", "ES"), ("compose.loki.yaml", "http_sink.py", "LOKI")):
        project = "sluicect%d%s" % (os.getpid(), "loki" if "loki" in name else "es")
        files = [os.path.join(docker, name)]
        env = dict(os.environ)
        try:
            p = compose(project, files, ["--dry-run", "up", "-d"], env)
            services = yaml.safe_load(open(files[0], encoding="utf-8"))["services"]
            for s in services:
                check("--name=%s_%s_1" % (project, s) in p.stdout, "%s: podman-compose made no container for %s" % (name, s))
        finally:
            remove_compose_project(project)

        out = os.path.join(tmp, project)
        os.makedirs(out)
        if var == "ES":
            peer = Peer(source_dir, stand_in, ["--log", out + "/log.jsonl", "--store", out + "/store.jsonl"], tmp)
        else:
            peer = Peer(source_dir, stand_in, ["--out", out + "/requests.jsonl"], tmp)
        env.update({"SLUICE_IMAGE": image, "SLUICE_DEMO_APP_IMAGE": app_image, var + "_HOST": "127.0.0.1",
                    var + "_PORT": str(peer.port), "SLUICE_HTTP_PORT": str(free_port()), "APP_RATE": "100"})
        try:
            compose(project, files + [override], ["up", "-d", "--no-build", "app", "sluice"],
                    dict(env, PODMAN_SHIM=shim))
            for s in ("app", "sluice"):
                status, _, _ = container_state("%s_%s_1" % (project, s))
                check(status == "running", "%s: %s is %s after podman-compose up" % (name, s, status))
            if var == "ES":
                def delivered():
                    docs = stored_docs(out + "/store.jsonl")
                    joined = [d for d in docs if str(d.get("message", "")).count("\n") >= 1 and d.get("traceId")]
                    return len(joined) >= 5
            else:
                def delivered():
                    path = out + "/requests.jsonl"
                    if not os.path.exists(path):
                        return False
                    with open(path, encoding="utf-8", errors="replace") as f:
                        return any(json.loads(l).get("path") == "/loki/api/v1/push" for l in f if l.endswith("\n"))
            wait_for(delivered, "%s: requests reaching the %s stand-in" % (name, var), 120)
            sluice = "%s_sluice_1" % project
            run(["podman", "stop", "-t", "30", "%s_app_1" % project, sluice], timeout=90)
            status, code, _ = container_state(sluice)
            check(code == 0, "%s: sluice exited %d after podman stop" % (name, code))
            log("%s: app + sluice delivered to the %s stand-in; sluice exited 0" % (name, var))
        except Failed:
            for s in ("app", "sluice"):
                p = run(["podman", "logs", "%s_%s_1" % (project, s)], check_rc=False)
                print("---- %s %s\n%s%s" % (name, s, p.stdout[-3000:], p.stderr[-3000:]))
            raise
        finally:
            if not keep:
                remove_compose_project(project)
            peer.stop()


# ---------------------------------------------------------------- main

def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--source-dir", required=True)
    ap.add_argument("--binary", required=True)
    ap.add_argument("--build-dir", required=True)
    ap.add_argument("--full-build", action="store_true", default=os.environ.get("SLUICE_CONTAINER_FULL_BUILD") == "1")
    ap.add_argument("--keep", action="store_true", help="leave the pod, compose containers and volumes for a look")
    args = ap.parse_args()
    source_dir = os.path.abspath(args.source_dir)
    try:
        base = set_up_podman(source_dir)
    except Skip as e:
        print("SKIP: " + str(e))
        return SKIP
    suffix = hashlib.sha1(os.path.abspath(args.build_dir).encode()).hexdigest()[:10]
    image = "localhost/sluice-ctest:" + suffix
    app_image = "localhost/sluice-demo-app-ctest:" + suffix
    try:
        with tempfile.TemporaryDirectory(prefix="sluice-container-") as tmp:
            os.chmod(tmp, 0o755)  # files bind-mounted into containers are read by UID 10001
            prebuilt = os.path.join(tmp, "prebuilt")
            os.makedirs(prebuilt)
            run(["strip", "-o", os.path.join(prebuilt, "sluice"), args.binary])
            build_image(source_dir, base, image, "runtime-prebuilt", ["--build-context", "prebuilt=" + prebuilt])
            check_image(image, base, source_dir, tmp)
            if args.full_build:
                full = "localhost/sluice-ctest-full:" + suffix
                build_image(source_dir, base, full, "runtime", [])
                check_image(full, base, source_dir, tmp)
            rss = check_sidecar_pod(source_dir, image, tmp, args.keep)
            if rss is not None:
                log("sluice's peak RSS in the sidecar pod: %.1f MB" % rss)
            build_image(source_dir, base, app_image, "demo-app", [])
            check_compose(source_dir, image, app_image, tmp, args.keep)
    except Failed as e:
        FAILURES.append(str(e))
        print("FAIL: " + str(e))
    log("%d failures" % len(FAILURES))
    return 1 if FAILURES else 0


if __name__ == "__main__":
    sys.exit(main())
