#!/usr/bin/env python3
"""Sends COUNT Forward protocol messages over TLS with Python's ssl module (a
real TLS client, verifying the server's certificate against CA and the name
localhost), each in Message mode with a chunk option, and waits for each
message's ack before the next. Used by tests/e2e/forward_e2e_test.cpp.

The MessagePack is written here by hand (the few shapes needed):
[tag, time, {"seq": i, "msg": "tls message i"}, {"chunk": id}], and the
acks read back are {"ack": id}.

Usage: forward_tls_sender.py --port P --ca CA.pem [--count N] [--tag T]
Prints "acked N" and exits 0 when every message was acknowledged; otherwise
prints what went wrong and exits 1.
"""
import argparse
import base64
import os
import socket
import ssl
import struct
import sys
import time


def mp_str(s):
    b = s.encode()
    if len(b) < 32:
        return bytes([0xA0 | len(b)]) + b
    return b"\xd9" + bytes([len(b)]) + b


def mp_uint(n):
    if n < 128:
        return bytes([n])
    if n < 65536:
        return b"\xcd" + struct.pack(">H", n)
    return b"\xce" + struct.pack(">I", n)


def message(tag, seq, chunk):
    record = b"\x82" + mp_str("seq") + mp_uint(seq) + mp_str("msg") + mp_str("tls message %d" % seq)
    option = b"\x81" + mp_str("chunk") + mp_str(chunk)
    return b"\x94" + mp_str(tag) + b"\xce" + struct.pack(">I", int(time.time())) + record + option


def read_ack(conn, pending):
    """Reads one {"ack": id} map; returns (id, rest of the bytes)."""
    while True:
        # fixmap(1), fixstr "ack", then a fixstr or str8 id.
        if len(pending) >= 6 and pending[:5] == b"\x81\xa3ack":
            if pending[5] & 0xE0 == 0xA0:
                n, start = pending[5] & 0x1F, 6
            elif pending[5] == 0xD9 and len(pending) >= 7:
                n, start = pending[6], 7
            else:
                raise ValueError("unexpected ack bytes %r" % pending[:16])
            if len(pending) >= start + n:
                return pending[start:start + n].decode(), pending[start + n:]
        elif len(pending) >= 5:
            raise ValueError("unexpected answer bytes %r" % pending[:16])
        data = conn.recv(4096)
        if not data:
            raise ValueError("the server closed the connection")
        pending += data


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--port", type=int, required=True)
    ap.add_argument("--ca", required=True)
    ap.add_argument("--count", type=int, default=10)
    ap.add_argument("--tag", default="app.tls")
    args = ap.parse_args()
    context = ssl.create_default_context(cafile=args.ca)
    with socket.create_connection(("127.0.0.1", args.port), timeout=20) as raw:
        with context.wrap_socket(raw, server_hostname="localhost") as conn:
            pending = b""
            for seq in range(args.count):
                chunk = base64.b64encode(os.urandom(16)).decode()
                conn.sendall(message(args.tag, seq, chunk))
                acked, pending = read_ack(conn, pending)
                if acked != chunk:
                    print("ack %s for chunk %s" % (acked, chunk))
                    return 1
    print("acked %d" % args.count)
    return 0


if __name__ == "__main__":
    try:
        sys.exit(main())
    except (OSError, ValueError, ssl.SSLError) as e:
        print("forward_tls_sender: %s" % e)
        sys.exit(1)
