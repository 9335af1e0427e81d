#!/usr/bin/env python3
"""Exports COUNT logs over OTLP/gRPC with Python's grpcio (Debian's
python3-grpcio: the gRPC C-core, the HTTP/2 and gRPC stack under Python's,
Ruby's and C++'s OTLP exporters), as one LogsService/Export call per BATCH
logs. Used by tests/e2e/opentelemetry_input_e2e_test.cpp.

The ExportLogsServiceRequest is encoded here from opentelemetry-proto v1's
field numbers (grpcio carries bytes; no generated code is needed): resource
service.name = SERVICE, scope "python-grpc" 0.1, and per log i a time
(1700000000 s + i ms), severity 9 "INFO", body "python log i" and the
attribute seq = i. A call answered UNAVAILABLE is made again (up to 20 times,
300 ms apart), as the OTLP exporters do.

Usage: otlp_grpc_python_sender.py --target 127.0.0.1:PORT [--count N] [--batch N]
         [--service NAME] [--token T] [--gzip]
Prints "sent N" and exits 0 when every call returned OK; otherwise prints
"<STATUS CODE NAME>: <details>" of the failed call and exits 1.
"""
import argparse
import struct
import sys
import time

import grpc

METHOD = "/opentelemetry.proto.collector.logs.v1.LogsService/Export"


def varint(v):
    out = bytearray()
    while v >= 0x80:
        out.append((v & 0x7F) | 0x80)
        v >>= 7
    out.append(v)
    return bytes(out)


def field(n, data):
    return varint(n << 3 | 2) + varint(len(data)) + data


def string_value(s):
    return field(1, s.encode())


def key_value(key, any_value):
    return field(1, key.encode()) + field(2, any_value)


def export_request(first, count, service):
    resource = field(1, key_value("service.name", string_value(service)))
    scope = field(1, b"python-grpc") + field(2, b"0.1")
    logs = b""
    for i in range(first, first + count):
        log = (varint(1 << 3 | 1) + struct.pack("<Q", 1_700_000_000_000_000_000 + i * 1_000_000) +
               varint(2 << 3) + varint(9) + field(3, b"INFO") + field(5, string_value("python log %d" % i)) +
               field(6, key_value("seq", varint(3 << 3) + varint(i))))
        logs += field(2, log)
    return field(1, field(1, resource) + field(2, field(1, scope) + logs))


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--target", required=True)
    ap.add_argument("--count", type=int, default=10)
    ap.add_argument("--batch", type=int, default=100)
    ap.add_argument("--service", default="python-grpc")
    ap.add_argument("--token")
    ap.add_argument("--gzip", action="store_true")
    args = ap.parse_args()
    channel = grpc.insecure_channel(args.target)
    export = channel.unary_unary(METHOD)  # bytes in, bytes out
    metadata = [("authorization", "Bearer " + args.token)] if args.token else None
    compression = grpc.Compression.Gzip if args.gzip else grpc.Compression.NoCompression
    sent = 0
    while sent < args.count:
        n = min(args.batch, args.count - sent)
        request = export_request(sent, n, args.service)
        for attempt in range(21):
            try:
                export(request, metadata=metadata, compression=compression, timeout=10)
                break
            except grpc.RpcError as e:
                if e.code() == grpc.StatusCode.UNAVAILABLE and attempt < 20:
                    time.sleep(0.3)
                    continue
                print("%s: %s" % (e.code().name, e.details()))
                return 1
        sent += n
    print("sent %d" % sent)
    return 0


if __name__ == "__main__":
    sys.exit(main())
