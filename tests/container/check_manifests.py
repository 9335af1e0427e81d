#!/usr/bin/env python3
"""Checks docker/ without containers: the Kubernetes manifests' structure,
the compose files' structure, and every sluice pipeline in docker/ with the
real binary (`--dry-run`), plus the DaemonSet's pipeline run on CRI files
named as the kubelet names them.

What the manifests must hold (docs/container.md says why):
- every manifest parses, and each document has apiVersion, kind and a name;
- sluice's containers: numeric non-root user (the DaemonSet's: root, to read
  the kubelet's 0640 files), a read-only root filesystem, no privilege
  escalation, every capability dropped, memory requests and limits (the limit
  above the pipeline's service.mem_limit), liveness on /api/v1/health/live and
  readiness on /api/v1/health/ready at the pipeline's http_port, the pipeline
  from a ConfigMap in docker/k8s/ mounted at /etc/sluice, state at
  /var/lib/sluice; terminationGracePeriodSeconds above service.grace;
- the sidecar Pod: sluice is a native sidecar (an init container with
  restartPolicy: Always), the app a regular container, both mounting one
  emptyDir at the directory the pipeline tails; the Deployment's pod
  template is the Pod's spec;
- the DaemonSet tails /var/log/containers/*.log in CRI format from a
  read-only hostPath, keeps its offsets on the node, runs as a service
  account that a ClusterRole lets get pods and namespaces (what its
  kubernetes filter asks), and its pipeline, run against
  tests/peers/kube_apiserver_standin.py (a stand-in for the API server),
  gives every record its pod's `kubernetes` map.

Usage: check_manifests.py --source-dir DIR --binary PATH/sluice
Exits 0 when everything holds; otherwise prints each problem and exits 1.
Needs python3-yaml (scripts/install-deps.sh installs it).
"""
import argparse
import glob
import json
import os
import re
import subprocess
import sys
import tempfile

import yaml

PROBLEMS = []


def check(cond, what):
    if not cond:
        PROBLEMS.append(what)
    return cond


def seconds(text):
    """A sluice duration ("10s", "2m", "500ms", a bare number of seconds) in seconds."""
    m = re.fullmatch(r"(\d+(?:\.\d+)?)(ms|s|m|h|d)?", str(text).strip())
    if not m:
        raise ValueError("not a duration: %r" % text)
    scale = {"ms": 0.001, "s": 1, "m": 60, "h": 3600, "d": 86400, None: 1}[m.group(2)]
    return float(m.group(1)) * scale


def mebibytes(text):
    """A Kubernetes quantity (Mi, Gi, M) or a sluice size (32M, 1G) in MiB."""
    m = re.fullmatch(r"(\d+)(Ki|Mi|Gi|k|K|M|G)?", str(text).strip())
    scale = {"Ki": 1 / 1024, "k": 1 / 1024, "K": 1 / 1024, "Mi": 1, "M": 1, "Gi": 1024, "G": 1024, None: 1 / 1048576}
    return int(m.group(1)) * scale[m.group(2)]


def pipelines_in(source_dir):
    """{label: pipeline YAML text} for every sluice pipeline under docker/."""
    found = {}
    for path in sorted(glob.glob(os.path.join(source_dir, "docker", "k8s", "*.yaml"))):
        for doc in yaml.safe_load_all(open(path, encoding="utf-8")):
            if doc and doc.get("kind") == "ConfigMap" and "sluice.yaml" in doc.get("data", {}):
                found["%s ConfigMap %s" % (os.path.relpath(path, source_dir), doc["metadata"]["name"])] = doc["data"]["sluice.yaml"]
    for path in [os.path.join(source_dir, "docker", "sluice.yaml")] + sorted(
            glob.glob(os.path.join(source_dir, "docker", "compose", "sluice-*.yaml"))):
        found[os.path.relpath(path, source_dir)] = open(path, encoding="utf-8").read()
    return found


def dry_run(binary, source_dir, label, text, tmp):
    """sluice --dry-run on a pipeline, its Lua scripts taken from the source tree
    (the image has them at /usr/share/sluice/lua)."""
    path = os.path.join(tmp, re.sub(r"[^A-Za-z0-9_.-]", "_", label) + ".yaml")
    with open(path, "w", encoding="utf-8") as f:
        f.write(text.replace("/usr/share/sluice/lua/", os.path.join(source_dir, "lua") + "/"))
    p = subprocess.run([binary, "--dry-run", "-c", path], capture_output=True, text=True, timeout=60)
    check(p.returncode == 0 and "configuration OK" in p.stdout,
          "%s: --dry-run failed (%d): %s" % (label, p.returncode, (p.stdout + p.stderr).strip()))


def container_by_name(spec, name):
    for c in spec.get("initContainers", []) + spec.get("containers", []):
        if c["name"] == name:
            return c
    return None


def check_probe(where, container, kind, path, port):
    probe = container.get(kind)
    if not check(probe is not None, "%s: no %s" % (where, kind)):
        return
    get = probe.get("httpGet", {})
    check(get.get("path") == path, "%s: %s path %r, expected %s" % (where, kind, get.get("path"), path))
    named = {p.get("name"): p["containerPort"] for p in container.get("ports", [])}
    actual = named.get(get.get("port"), get.get("port"))
    check(actual == port, "%s: %s port %r is not the pipeline's http_port %d" % (where, kind, get.get("port"), port))


def check_sluice_pod_spec(where, spec, configmaps, as_root=False):
    """The checks every pod spec running sluice shares; returns (sluice container, its pipeline dict)."""
    sluice = [c for c in spec.get("initContainers", []) + spec.get("containers", [])
              if str(c.get("image", "")).split(":")[0].endswith("sluice")]
    if not check(len(sluice) == 1, "%s: expected one sluice container, found %d" % (where, len(sluice))):
        return None, None
    c = sluice[0]
    w = "%s container %s" % (where, c["name"])
    volumes = {v["name"]: v for v in spec.get("volumes", [])}
    mounts = {m["mountPath"]: m for m in c.get("volumeMounts", [])}
    for m in c.get("volumeMounts", []):
        check(m["name"] in volumes, "%s: mounts volume %s, which the pod doesn't declare" % (w, m["name"]))
    config_mount = mounts.get("/etc/sluice")
    pipeline = None
    if check(config_mount is not None, "%s: nothing mounted at /etc/sluice" % w):
        vol = volumes.get(config_mount["name"], {})
        name = vol.get("configMap", {}).get("name")
        if check(name in configmaps, "%s: /etc/sluice is not a ConfigMap of docker/k8s/ (%r)" % (w, name)):
            pipeline = yaml.safe_load(configmaps[name])
        check(config_mount.get("readOnly") is True, "%s: /etc/sluice should be mounted read-only" % w)
    check("/var/lib/sluice" in mounts, "%s: nothing mounted at /var/lib/sluice (offsets, dead letters)" % w)

    sc = c.get("securityContext", {})
    check(sc.get("readOnlyRootFilesystem") is True, "%s: readOnlyRootFilesystem must be true" % w)
    check(sc.get("allowPrivilegeEscalation") is False, "%s: allowPrivilegeEscalation must be false" % w)
    check(sc.get("capabilities", {}).get("drop") == ["ALL"], "%s: capabilities must drop ALL" % w)
    if as_root:
        check(sc.get("runAsUser") == 0, "%s: the node agent reads root's 0640 log files as UID 0" % w)
    else:
        check(sc.get("runAsNonRoot") is True and sc.get("runAsUser") == 10001,
              "%s: must run as the image's UID 10001 with runAsNonRoot" % w)

    if pipeline is None:
        return c, None
    service = pipeline.get("service", {})
    port = int(service.get("http_port", 2020))
    check(str(service.get("http_server")).lower() in ("on", "true"), "%s: the pipeline's http_server is off" % w)
    check(service.get("http_listen") == "0.0.0.0", "%s: the kubelet probes the pod IP: http_listen 0.0.0.0" % w)
    check_probe(w, c, "livenessProbe", "/api/v1/health/live", port)
    check_probe(w, c, "readinessProbe", "/api/v1/health/ready", port)
    if c.get("startupProbe"):
        check_probe(w, c, "startupProbe", "/api/v1/health/live", port)
    grace = seconds(service.get("grace", "5s"))
    check(spec.get("terminationGracePeriodSeconds", 30) > grace,
          "%s: terminationGracePeriodSeconds must be above service.grace (%gs)" % (where, grace))
    res = c.get("resources", {})
    req, lim = res.get("requests", {}).get("memory"), res.get("limits", {}).get("memory")
    if check(req and lim, "%s: memory requests and limits" % w):
        check(mebibytes(lim) > mebibytes(service.get("mem_limit", "64M")),
              "%s: memory limit %s not above service.mem_limit" % (w, lim))
        check(mebibytes(req) <= mebibytes(lim), "%s: memory request above the limit" % w)
    check(str(service.get("storage.path")) == "/var/lib/sluice", "%s: storage.path should be /var/lib/sluice" % w)
    return c, pipeline


def check_sidecar(where, spec, configmaps):
    c, pipeline = check_sluice_pod_spec(where, spec, configmaps)
    if c is None:
        return
    check(c in spec.get("initContainers", []) and c.get("restartPolicy") == "Always",
          "%s: sluice must be a native sidecar (an init container with restartPolicy: Always)" % where)
    apps = spec.get("containers", [])
    check(len(apps) >= 1, "%s: no application container" % where)
    for app in apps:
        sc = app.get("securityContext", {})
        check(sc.get("readOnlyRootFilesystem") is True and sc.get("allowPrivilegeEscalation") is False
              and sc.get("capabilities", {}).get("drop") == ["ALL"] and sc.get("runAsNonRoot") is True,
              "%s: container %s lacks the same hardening" % (where, app["name"]))
    if pipeline is None:
        return
    tail = [i for i in pipeline["pipeline"]["inputs"] if i["name"] == "tail"][0]
    log_dir = os.path.dirname(tail["path"])
    shared = {m["name"] for m in c.get("volumeMounts", []) if m["mountPath"] == log_dir}
    volumes = {v["name"]: v for v in spec.get("volumes", [])}
    for app in apps:
        app_dirs = {m["name"] for m in app.get("volumeMounts", []) if m["mountPath"] == log_dir}
        both = shared & app_dirs
        check(len(both) == 1 and "emptyDir" in volumes[next(iter(both))],
              "%s: %s and sluice don't share an emptyDir at %s" % (where, app["name"], log_dir))


def check_k8s(source_dir):
    docs = {}
    configmaps = {}
    for path in sorted(glob.glob(os.path.join(source_dir, "docker", "k8s", "*.yaml"))):
        rel = os.path.relpath(path, source_dir)
        for i, doc in enumerate(yaml.safe_load_all(open(path, encoding="utf-8"))):
            if doc is None:
                continue
            ok = check(all(k in doc for k in ("apiVersion", "kind", "metadata")) and "name" in doc["metadata"],
                       "%s document %d: needs apiVersion, kind and metadata.name" % (rel, i))
            if ok:
                docs.setdefault(doc["kind"], []).append((rel, doc))
                if doc["kind"] == "ConfigMap":
                    configmaps[doc["metadata"]["name"]] = doc.get("data", {}).get("sluice.yaml", "")
    pods = docs.get("Pod", [])
    deployments = docs.get("Deployment", [])
    daemonsets = docs.get("DaemonSet", [])
    check(len(pods) == 1 and len(deployments) == 1 and len(daemonsets) == 1,
          "docker/k8s/: expected one Pod, one Deployment and one DaemonSet")
    for rel, pod in pods:
        check_sidecar(rel, pod["spec"], configmaps)
    for rel, dep in deployments:
        template = dep["spec"]["template"]
        check(dep["spec"]["selector"]["matchLabels"].items() <= template["metadata"]["labels"].items(),
              "%s: the selector doesn't select the template's labels" % rel)
        check_sidecar(rel, template["spec"], configmaps)
        if pods:
            check(template["spec"] == pods[0][1]["spec"], "%s: the pod template differs from %s" % (rel, pods[0][0]))
    for rel, ds in daemonsets:
        spec = ds["spec"]["template"]["spec"]
        c, pipeline = check_sluice_pod_spec(rel, spec, configmaps, as_root=True)
        if c is None or pipeline is None:
            continue
        volumes = {v["name"]: v for v in spec.get("volumes", [])}
        mounts = {m["mountPath"]: m for m in c.get("volumeMounts", [])}
        log_mount = mounts.get("/var/log", {})
        check(volumes.get(log_mount.get("name"), {}).get("hostPath", {}).get("path") == "/var/log"
              and log_mount.get("readOnly") is True, "%s: the node's /var/log must be mounted read-only" % rel)
        state = volumes.get(mounts.get("/var/lib/sluice", {}).get("name"), {})
        check("hostPath" in state, "%s: offsets must live on the node (a hostPath at /var/lib/sluice)" % rel)
        tail = [i for i in pipeline["pipeline"]["inputs"] if i["name"] == "tail"][0]
        check(tail.get("path") == "/var/log/containers/*.log", "%s: tail path" % rel)
        check("cri" in str(tail.get("multiline.parser", "")), "%s: tail must read the CRI format" % rel)
        check(str(tail.get("tag", "")).startswith("kube."), "%s: tags in Fluent Bit's kube.* form" % rel)
        account = spec.get("serviceAccountName")
        check(account in docs_named(docs, "ServiceAccount"), "%s: runs as service account %s, not in docker/k8s/" % (rel, account))
        check(can_get(docs, account, "pods") and can_get(docs, account, "namespaces"),
              "%s: service account %s may not get pods and namespaces (the kubernetes filter asks for them)" % (rel, account))


def docs_named(docs, kind):
    return {d["metadata"]["name"] for _, d in docs.get(kind, [])}


def can_get(docs, account, resource):
    """Whether a ClusterRoleBinding gives the service account a ClusterRole
    with `get` on the core API group's resource."""
    roles = {d["metadata"]["name"]: d for _, d in docs.get("ClusterRole", [])}
    for _, binding in docs.get("ClusterRoleBinding", []):
        if not any(s.get("kind") == "ServiceAccount" and s.get("name") == account for s in binding.get("subjects", [])):
            continue
        role = roles.get(binding.get("roleRef", {}).get("name"), {})
        for rule in role.get("rules", []):
            if "" in rule.get("apiGroups", []) and resource in rule.get("resources", []) and "get" in rule.get("verbs", []):
                return True
    return False


def check_compose(source_dir):
    dockerfile = open(os.path.join(source_dir, "docker", "Dockerfile"), encoding="utf-8").read()
    stages = set(re.findall(r"^FROM \S+ AS (\S+)$", dockerfile, re.M))
    for name in ("compose.yaml", "compose.loki.yaml"):
        rel = os.path.join("docker", name)
        doc = yaml.safe_load(open(os.path.join(source_dir, rel), encoding="utf-8"))
        services = doc.get("services", {})
        if not check({"app", "sluice"} <= services.keys(), "%s: needs services app and sluice" % rel):
            continue
        declared = set((doc.get("volumes") or {}).keys())
        for sname, svc in services.items():
            for v in svc.get("volumes", []):
                src = v.split(":")[0]
                if src.startswith("."):
                    check(os.path.exists(os.path.join(source_dir, "docker", src)), "%s: %s mounts missing %s" % (rel, sname, src))
                else:
                    check(src in declared, "%s: %s mounts undeclared volume %s" % (rel, sname, src))
            build = svc.get("build")
            if build:
                check(build.get("dockerfile") == "docker/Dockerfile" and build.get("context") == "..",
                      "%s: %s builds from docker/Dockerfile with the repository as context" % (rel, sname))
                check(build.get("target", "runtime") in stages, "%s: %s: no stage %s" % (rel, sname, build.get("target")))
        sluice, app = services["sluice"], services["app"]
        conf = [v for v in sluice.get("volumes", []) if ":/etc/sluice/sluice.yaml" in v]
        check(len(conf) == 1, "%s: sluice's pipeline is not mounted at /etc/sluice/sluice.yaml" % rel)
        logs = lambda svc: {v.split(":")[0] for v in svc.get("volumes", []) if v.split(":")[1] == "/var/log/app"}
        check(logs(sluice) & logs(app), "%s: app and sluice don't share a volume at /var/log/app" % rel)
        check(sluice.get("read_only") is True and sluice.get("stop_signal") == "SIGTERM",
              "%s: sluice runs read-only and stops on SIGTERM" % rel)
        check(app.get("build", {}).get("target") == "demo-app", "%s: the app is the demo-app stage" % rel)


def start_api_standin(source_dir, tmp, pods):
    """tests/peers/kube_apiserver_standin.py on a free port with these pods
    and a token; returns (process, port, token file)."""
    pods_file = os.path.join(tmp, "pods.json")
    with open(pods_file, "w") as f:
        json.dump(pods, f)
    token = os.path.join(tmp, "token")
    with open(token, "w") as f:
        f.write("node-token\n")
    proc = subprocess.Popen([sys.executable, os.path.join(source_dir, "tests", "peers", "kube_apiserver_standin.py"),
                             "--port", "0", "--pods", pods_file, "--token-file", token],
                            stdout=subprocess.PIPE, text=True)
    line = proc.stdout.readline()
    if not line.startswith("listening "):
        proc.kill()
        raise RuntimeError("kube_apiserver_standin.py did not start: %r" % line)
    return proc, int(line.split()[1]), token


def run_daemonset_pipeline(binary, source_dir, tmp):
    """The DaemonSet's pipeline on CRI files named as the kubelet names them
    (paths moved into tmp, the API server a stand-in, the output to stdout):
    every record carries its pod's metadata, and JSON lines become fields."""
    text = [t for label, t in pipelines_in(source_dir).items() if "sluice-node-config" in label]
    if not check(len(text) == 1, "docker/k8s/: no sluice-node-config ConfigMap"):
        return
    p = yaml.safe_load(text[0])
    root = os.path.join(tmp, "node")
    logs = os.path.join(root, "var", "log", "containers")
    os.makedirs(logs)
    tail = p["pipeline"]["inputs"][0]
    tail["path"] = tail["path"].replace("/var/log/containers", logs)
    tail["exclude_path"] = tail["exclude_path"].replace("/var/log/containers", logs)
    tail.update({"db": os.path.join(root, "containers.db"), "read_from_head": True, "exit_on_eof": True})
    p["service"].update({"http_server": False, "storage.path": root, "log_level": "warn"})
    p["pipeline"]["outputs"] = [{"name": "stdout", "match": "kube.*", "format": "json_lines"}]
    files = {
        ("web-6d4cf56db6-x7k2p", "shop", "nginx", "a" * 64):
            '2026-12-06T10:00:00.000000001Z stdout F {"msg":"GET /","status":200}\n'
            '2026-12-06T10:00:00.000000002Z stderr P a line the runtime \n'
            '2026-12-06T10:00:00.000000003Z stderr F split in two\n',
        ("coredns-5d78c9869d-abcde", "kube-system", "coredns", "0123456789abcdef" * 4):
            '2026-12-06T10:00:01.000000000Z stdout F [INFO] plugin/reload: Running configuration\n',
        ("sluice-node-q8f2x", "logging", "sluice", "f" * 64):  # its own log: excluded
            '2026-12-06T10:00:02.000000000Z stdout F [info] sluice started\n',
    }
    pods = []
    for (pod, ns, container, cid), content in files.items():
        with open(os.path.join(logs, "%s_%s_%s-%s.log" % (pod, ns, container, cid)), "w") as f:
            f.write(content)
        pods.append({"metadata": {"name": pod, "namespace": ns, "uid": "uid-" + pod, "labels": {"app": container}},
                     "spec": {"nodeName": "node-1"},
                     "status": {"containerStatuses": [{"name": container, "containerID": "containerd://" + cid,
                                                       "image": container + ":1"}]}})
    api, port, token = start_api_standin(source_dir, tmp, pods)
    try:
        for f in p["pipeline"]["filters"]:
            if f["name"] == "kubernetes":  # in the cluster: kubernetes.default.svc and the pod's own token
                f.update({"kube_url": "http://127.0.0.1:%d" % port, "kube_token_file": token,
                          # the tag of a file under the moved folder
                          "kube_tag_prefix": "kube." + logs.strip("/").replace("/", ".") + "."})
        path = os.path.join(root, "pipeline.yaml")
        with open(path, "w") as f:
            yaml.safe_dump(p, f, sort_keys=False)
        run = subprocess.run([binary, "-c", path], capture_output=True, text=True, timeout=60)
    finally:
        api.terminate()
        api.wait(10)
    if not check(run.returncode == 0, "DaemonSet pipeline run failed (%d): %s" % (run.returncode, run.stderr)):
        return
    records = [json.loads(line) for line in run.stdout.splitlines() if line.strip()]
    k8s = lambda r: r.get("kubernetes", {})
    got = [(k8s(r).get("pod_name"), k8s(r).get("namespace_name"), k8s(r).get("container_name"),
            k8s(r).get("docker_id"), k8s(r).get("pod_id"), k8s(r).get("labels"), k8s(r).get("host"),
            r.get("stream"), r.get("msg") or r.get("log")) for r in records]
    want = [
        ("web-6d4cf56db6-x7k2p", "shop", "nginx", "a" * 64, "uid-web-6d4cf56db6-x7k2p", {"app": "nginx"}, "node-1",
         "stdout", "GET /"),
        ("web-6d4cf56db6-x7k2p", "shop", "nginx", "a" * 64, "uid-web-6d4cf56db6-x7k2p", {"app": "nginx"}, "node-1",
         "stderr", "a line the runtime split in two"),
        ("coredns-5d78c9869d-abcde", "kube-system", "coredns", "0123456789abcdef" * 4, "uid-coredns-5d78c9869d-abcde",
         {"app": "coredns"}, "node-1", "stdout", "[INFO] plugin/reload: Running configuration"),
    ]
    want.sort(key=repr)
    got.sort(key=repr)
    check(got == want, "DaemonSet pipeline: records %s, expected %s" % (got, want))
    check(all("log" not in r for r in records if r.get("msg")), "DaemonSet pipeline: a merged JSON line keeps its log")


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--source-dir", required=True)
    ap.add_argument("--binary", required=True)
    args = ap.parse_args()
    src = os.path.abspath(args.source_dir)
    with tempfile.TemporaryDirectory(prefix="sluice-manifests-") as tmp:
        pipelines = pipelines_in(src)
        check(len(pipelines) >= 5, "expected at least 5 pipelines in docker/, found %s" % sorted(pipelines))
        for label, text in pipelines.items():
            dry_run(args.binary, src, label, text, tmp)
        check_k8s(src)
        check_compose(src)
        run_daemonset_pipeline(args.binary, src, tmp)
    for p in PROBLEMS:
        print("FAIL: " + p)
    print("checked %d pipelines, docker/k8s/ and the compose files: %d problems" % (len(pipelines), len(PROBLEMS)))
    return 1 if PROBLEMS else 0


if __name__ == "__main__":
    sys.exit(main())
