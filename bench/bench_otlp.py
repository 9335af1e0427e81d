#!/usr/bin/env python3
"""The opentelemetry input's cost: OTLP/HTTP protobuf exports (or OTLP/JSON,
or OTLP/gRPC) → null, sluice beside Fluent Bit on the same load.

The body is one ExportLogsServiceRequest of --records log records (500, the
OpenTelemetry SDKs' default batch is 512) in the shape an instrumented web
service exports: a resource with service.name and the SDK's attributes, a
scope, and per log a time, an observed time, a severity, a body of about 60
bytes, five attributes and trace and span ids. It is encoded here by hand
from opentelemetry-proto v1's field numbers. wrk (bench/otlp_load.lua) POSTs
it over --connections keep-alive connections for --seconds (with --encoding
grpc, h2load sends it in gRPC's framing as LogsService/Export calls over
--connections HTTP/2 connections, one call at a time each); the agent runs
under bench/spawn_rusage.c, so CPU-seconds and peak RSS are its whole
process's, start and shutdown included. Records are those of the requests
answered 2xx; sluice's exit summary must count at least as many delivered.

Usage: bench/bench_otlp.py [--sluice build/sluice] [--fluent-bit PATH] [--encoding protobuf|json|grpc]
                           [--records 500] [--connections 20] [--seconds 10] [--runs 3]
Prints records/s, CPU-seconds per million records and peak RSS, the median
of --runs, for each agent given. A benchmark, not a test: it fails only when
an agent fails.
"""
import argparse
import os
import re
import statistics
import struct
import sys
import tempfile

import bench_peers
from run_bench import BenchFailure, build_spawner, spawn, stopped_rusage, tail_of

BENCH_DIR = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(BENCH_DIR)


def varint(v):
    out = bytearray()
    while v >= 0x80:
        out.append((v & 0x7F) | 0x80)
        v >>= 7
    out.append(v)
    return bytes(out)


def field_len(n, data):
    return varint(n << 3 | 2) + varint(len(data)) + data


def field_varint(n, v):
    return varint(n << 3) + varint(v)


def field_fixed64(n, v):
    return varint(n << 3 | 1) + struct.pack("<Q", v)


def field_fixed32(n, v):
    return varint(n << 3 | 5) + struct.pack("<I", v)


def any_string(s):
    return field_len(1, s.encode())


def any_int(i):
    return field_varint(3, i)


def any_double(d):
    return varint(4 << 3 | 1) + struct.pack("<d", d)


def key_value(key, any_value):
    return field_len(1, key.encode()) + field_len(2, any_value)


def export_request(records):
    """An ExportLogsServiceRequest of `records` web request logs under one resource and scope."""
    resource = b"".join(field_len(1, key_value(k, any_string(v))) for k, v in [
        ("service.name", "checkout"), ("service.version", "2.4.1"), ("telemetry.sdk.language", "python"),
        ("telemetry.sdk.name", "opentelemetry"), ("telemetry.sdk.version", "1.27.0"), ("host.name", "web-3")])
    scope = field_len(1, b"app.http") + field_len(2, b"1.0.0")
    methods, routes = ["GET", "GET", "POST", "PUT"], ["/api/v1/orders", "/api/v1/cart/items", "/api/v1/users/me"]
    logs = b""
    t0 = 1_700_000_000_000_000_000
    for i in range(records):
        status = 500 if i % 17 == 0 else 200
        attributes = b"".join(field_len(6, kv) for kv in [
            key_value("http.request.method", any_string(methods[i % 4])),
            key_value("http.route", any_string(routes[i % 3])),
            key_value("http.response.status_code", any_int(status)),
            key_value("duration_ms", any_double((i % 997) / 7.0)),
            key_value("user.id", any_string("u-%06d" % (i * 7919 % 1000000)))])
        trace = struct.pack(">QQ", (i + 1) * 2654435761 % 2**64, (i + 1) * 40503 % 2**64)
        span = struct.pack(">Q", (i + 1) * 11400714819323198485 % 2**64)
        log = (field_fixed64(1, t0 + i * 1_000_000) + field_varint(2, 17 if status == 500 else 9) +
               field_len(3, b"ERROR" if status == 500 else b"INFO") +
               field_len(5, any_string("%s %s completed with %d in %.1f ms" % (
                   methods[i % 4], routes[i % 3], status, (i % 997) / 7.0))) +
               attributes + field_fixed32(8, 1) + field_len(9, trace) + field_len(10, span) +
               field_fixed64(11, t0 + i * 1_000_000 + 250_000))
        logs += field_len(2, log)
    scope_logs = field_len(1, scope) + logs
    resource_logs = field_len(1, resource) + field_len(2, scope_logs)
    return field_len(1, resource_logs)


def export_request_json(records):
    """The same export in OTLP/JSON (what the JS SDK's default http exporter sends)."""
    import json

    def kv(key, value):
        return {"key": key, "value": value}
    resource = [kv(k, {"stringValue": v}) for k, v in [
        ("service.name", "checkout"), ("service.version", "2.4.1"), ("telemetry.sdk.language", "python"),
        ("telemetry.sdk.name", "opentelemetry"), ("telemetry.sdk.version", "1.27.0"), ("host.name", "web-3")]]
    methods, routes = ["GET", "GET", "POST", "PUT"], ["/api/v1/orders", "/api/v1/cart/items", "/api/v1/users/me"]
    logs = []
    t0 = 1_700_000_000_000_000_000
    for i in range(records):
        status = 500 if i % 17 == 0 else 200
        logs.append({
            "timeUnixNano": str(t0 + i * 1_000_000), "observedTimeUnixNano": str(t0 + i * 1_000_000 + 250_000),
            "severityNumber": 17 if status == 500 else 9, "severityText": "ERROR" if status == 500 else "INFO",
            "body": {"stringValue": "%s %s completed with %d in %.1f ms" % (
                methods[i % 4], routes[i % 3], status, (i % 997) / 7.0)},
            "attributes": [kv("http.request.method", {"stringValue": methods[i % 4]}),
                           kv("http.route", {"stringValue": routes[i % 3]}),
                           kv("http.response.status_code", {"intValue": status}),
                           kv("duration_ms", {"doubleValue": (i % 997) / 7.0}),
                           kv("user.id", {"stringValue": "u-%06d" % (i * 7919 % 1000000)})],
            "flags": 1,
            "traceId": struct.pack(">QQ", (i + 1) * 2654435761 % 2**64, (i + 1) * 40503 % 2**64).hex(),
            "spanId": struct.pack(">Q", (i + 1) * 11400714819323198485 % 2**64).hex()})
    return json.dumps({"resourceLogs": [{"resource": {"attributes": resource}, "scopeLogs": [
        {"scope": {"name": "app.http", "version": "1.0.0"}, "logRecords": logs}]}]},
        separators=(",", ":")).encode()


SLUICE_CONF = """service:
  log_level: info
pipeline:
  inputs:
    - name: opentelemetry
      listen: 127.0.0.1
      port: {port}
  outputs:
    - name: null
      match: '*'
"""

FLUENT_BIT_CONF = """[SERVICE]
    Flush 1
    Log_Level warn
[INPUT]
    Name opentelemetry
    Listen 127.0.0.1
    Port {port}
[OUTPUT]
    Name null
    Match *
"""


def run_wrk(port, body_path, records, connections, seconds, encoding):
    """wrk with bench/otlp_load.lua: (records in 2xx answers, wrk's seconds, non-2xx answers)."""
    content_type = "application/json" if encoding == "json" else "application/x-protobuf"
    try:
        sent, wall, refused, _ = bench_peers.run_wrk(
            port, connections, seconds, records, script="otlp_load.lua", path="/v1/logs",
            env_extra={"BENCH_OTLP_BODY": body_path, "BENCH_CONTENT_TYPE": content_type})
    except bench_peers.PeerError as e:
        raise BenchFailure(str(e))
    return sent, wall, refused


def run_h2load(port, body_path, records, connections, seconds):
    """h2load with gRPC calls: (records in calls answered 200, h2load's seconds, 0)."""
    try:
        calls, wall = bench_peers.run_h2load_grpc(
            port, body_path, connections, seconds, "/opentelemetry.proto.collector.logs.v1.LogsService/Export")
    except bench_peers.PeerError as e:
        raise BenchFailure(str(e))
    return calls * records, wall, 0


def run_once(agent, exe, spawner, work, body_path, args):
    port = bench_peers.free_port()
    conf = os.path.join(work, "sluice.yaml" if agent == "sluice" else "fluent-bit.conf")
    with open(conf, "w") as f:
        f.write((SLUICE_CONF if agent == "sluice" else FLUENT_BIT_CONF).format(port=port))
    log_path = os.path.join(work, "%s.log" % agent)
    result_path = log_path + ".rusage"
    if os.path.exists(result_path):
        os.unlink(result_path)
    proc = spawn([spawner, result_path, exe, "-c", conf], {}, log_path)
    try:
        bench_peers.wait_listening(port, proc, agent)
        if args.encoding == "grpc":
            sent, wall, refused = run_h2load(port, body_path, args.records, args.connections, args.seconds)
        else:
            sent, wall, refused = run_wrk(port, body_path, args.records, args.connections, args.seconds,
                                          args.encoding)
    except bench_peers.PeerError as e:
        raise BenchFailure("%s: %s; last log lines:\n%s" % (agent, e, tail_of(log_path)))
    finally:
        stopped = bench_peers.terminate(proc)
    cpu, rss = stopped_rusage(stopped, result_path, log_path)
    if agent == "sluice":
        with open(log_path, errors="replace") as f:
            m = re.search(r"output null\.0: (\d+) records delivered", f.read())
        if m and args.encoding == "grpc" and int(m.group(1)) <= sent:
            # h2load counts UNAVAILABLE answers (HTTP 200 too) as successes:
            # count what sluice took, and the rest as refused.
            refused = (sent - int(m.group(1))) // args.records
            sent = int(m.group(1))
        if not m or int(m.group(1)) < sent:
            raise BenchFailure("sluice delivered %s records, wrk had %d answered 2xx; last log lines:\n%s" % (
                m.group(1) if m else "no count of", sent, tail_of(log_path)))
    return sent / wall, cpu / (sent / 1e6), rss / 1024.0, refused


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--sluice", default=os.path.join(ROOT, "build", "sluice"))
    ap.add_argument("--fluent-bit", default="", help="a fluent-bit binary to run beside sluice")
    ap.add_argument("--records", type=int, default=500)
    ap.add_argument("--connections", type=int, default=20)
    ap.add_argument("--seconds", type=int, default=10)
    ap.add_argument("--runs", type=int, default=3)
    ap.add_argument("--encoding", default="protobuf", choices=["protobuf", "json", "grpc"],
                    help="the export as protobuf (http/protobuf), OTLP/JSON (http/json, the JS SDK's default) "
                    "or a gRPC call (grpc, the default of Python's, Go's and .NET's exporters)")
    args = ap.parse_args()
    work = tempfile.mkdtemp(prefix="sluice-bench-otlp-")
    spawner = build_spawner(work)
    if not spawner:
        sys.exit("bench_otlp: needs a C compiler for bench/spawn_rusage.c")
    body_path = os.path.join(work, "export." + {"json": "json", "protobuf": "pb", "grpc": "grpc"}[args.encoding])
    with open(body_path, "wb") as f:
        if args.encoding == "json":
            f.write(export_request_json(args.records))
        elif args.encoding == "grpc":
            message = export_request(args.records)
            f.write(struct.pack(">BI", 0, len(message)) + message)  # gRPC's framing: uncompressed, length
        else:
            f.write(export_request(args.records))
    print("OTLP %s, %d records per request (%d bytes), %s -c%d for %d s, median of %d" % (
        "gRPC" if args.encoding == "grpc" else "HTTP " + args.encoding, args.records, os.path.getsize(body_path),
        "h2load" if args.encoding == "grpc" else "wrk", args.connections, args.seconds, args.runs))
    print("| agent | records/s | CPU-s per million | peak RSS MB | refused |")
    print("|---|---|---|---|---|")
    agents = [("sluice", args.sluice)] + ([("fluent-bit", args.fluent_bit)] if args.fluent_bit else [])
    for agent, exe in agents:
        runs = [run_once(agent, exe, spawner, work, body_path, args) for _ in range(args.runs)]
        rate = statistics.median(r[0] for r in runs)
        cpu = statistics.median(r[1] for r in runs)
        rss = statistics.median(r[2] for r in runs)
        refused = sum(r[3] for r in runs)
        print("| %s | %s | %.2f | %.1f | %d |" % (agent, format(int(rate), ","), cpu, rss, refused))


if __name__ == "__main__":
    try:
        main()
    except BenchFailure as e:
        sys.exit("bench_otlp: %s" % e)
