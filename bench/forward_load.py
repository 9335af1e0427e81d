#!/usr/bin/env python3
"""Load for the forward input: N records of this workload's size over one TCP
connection, as Fluentd's Forward protocol, as fast as sluice reads them.

  bench/forward_load.py PORT N Message|PackedForward

Message: one [tag, EventTime, record] per record, written 1,000 at a time;
PackedForward: [tag, bytes of 1,000 [EventTime, record] entries] per write.
Records: {"seq", "msg", "traceId"} (about 120 bytes as MessagePack). No acks.
Standard library only.
"""
import socket
import struct
import sys
import time


def text(b):
    return (bytes([0xa0 | len(b)]) if len(b) < 32 else bytes([0xd9, len(b)])) + b


def record(i):
    return (bytes([0x83]) + text(b"seq") + b"\xce" + struct.pack(">I", i) +
            text(b"msg") + text(b"GET /api/v1/items 200 12ms request completed") +
            text(b"traceId") + text(b"4bf92f3577b34da6a3ce929d0e0e4736"))


def event_time(i):
    return b"\xd7\x00" + struct.pack(">II", 1700000000, i % 1000000000)


def main():
    port, n, mode = int(sys.argv[1]), int(sys.argv[2]), sys.argv[3]
    conn = socket.create_connection(("127.0.0.1", port))
    start = time.time()
    for first in range(0, n, 1000):
        ids = range(first, min(n, first + 1000))
        if mode == "Message":
            conn.sendall(b"".join(b"\x93" + text(b"app") + event_time(i) + record(i) for i in ids))
        else:
            entries = b"".join(b"\x92" + event_time(i) + record(i) for i in ids)
            conn.sendall(b"\x92" + text(b"app") + b"\xc6" + struct.pack(">I", len(entries)) + entries)
    conn.close()
    print("sent %d records in %.2f s" % (n, time.time() - start))


if __name__ == "__main__":
    main()
