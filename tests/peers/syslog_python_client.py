#!/usr/bin/env python3
"""A real Python logging client for the syslog input's end-to-end tests.

Sends --count records through logging.handlers.SysLogHandler to 127.0.0.1
over UDP or TCP (where Python ends each message with a NUL and no newline).
--format rfc5424 installs a Formatter that writes an RFC 5424 header after
the <PRI> the handler prepends (with structured data carrying the record's
sequence number and a BOM before the message, as RFC 5424 section 6.4 allows);
--format plain leaves Python's default: "<PRI>message" with no header.
Every 10th record is logged at ERROR, the others at INFO. Stdlib only.
"""
import argparse
import datetime
import logging
import logging.handlers
import os
import socket


class Rfc5424Formatter(logging.Formatter):
    def __init__(self, app):
        super().__init__()
        self.app = app
        self.host = socket.gethostname()

    def format(self, record):
        stamp = datetime.datetime.fromtimestamp(record.created, tz=datetime.timezone.utc)
        return '1 {} {} {} {} PY [meta@32473 seq="{}" quote="say \\"hi\\""] \ufeff{}'.format(
            stamp.isoformat(timespec="microseconds"), self.host, self.app, os.getpid(),
            record.seq, record.getMessage())


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--port", type=int, required=True)
    ap.add_argument("--socktype", choices=["udp", "tcp"], required=True)
    ap.add_argument("--format", choices=["rfc5424", "plain"], required=True)
    ap.add_argument("--count", type=int, default=100)
    ap.add_argument("--app", default="pyapp")
    args = ap.parse_args()

    socktype = socket.SOCK_DGRAM if args.socktype == "udp" else socket.SOCK_STREAM
    handler = logging.handlers.SysLogHandler(address=("127.0.0.1", args.port), socktype=socktype,
                                             facility=logging.handlers.SysLogHandler.LOG_LOCAL2)
    if args.format == "rfc5424":
        handler.setFormatter(Rfc5424Formatter(args.app))
    log = logging.getLogger("syslog-test")
    log.setLevel(logging.INFO)
    log.addHandler(handler)
    for i in range(args.count):
        level = logging.ERROR if i % 10 == 0 else logging.INFO
        log.log(level, "python message %d", i, extra={"seq": i})
    handler.close()


if __name__ == "__main__":
    main()
