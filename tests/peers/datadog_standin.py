#!/usr/bin/env python3
"""A stand-in for Datadog's Logs intake (HTTP API v2), for the end-to-end
tests of sluice's `datadog` output. Datadog can't run on the test machines,
so this server was written from Datadog's API documentation ("Send logs",
POST /api/v2/logs: its limits and its table of status codes); it is not
Datadog.

POST /api/v2/logs (a query string such as ?ddtags=... is recorded and
otherwise ignored):
  - DD-API-KEY must be --key: none -> 401 {"errors":["Unauthorized"]}; another
    key -> 403 {"errors":["Forbidden"]} (the documented "likely a missing API
    key" and "likely using an invalid API key").
  - The body, gunzipped when Content-Encoding is gzip (deflate too), must be
    at most 5,000,000 bytes ("maximum content size per payload
    (uncompressed): 5MB") -> 413 {"errors":["Payload too large"]} otherwise.
  - It must be a JSON array of objects -> 400 {"errors":["Bad Request"]}
    otherwise (not JSON, not an array, an entry that isn't an object), of at
    most 1,000 entries ("maximum array size if sending multiple logs in an
    array: 1000 entries") -> 413 otherwise.
  - An entry above 1 MB is accepted and would be truncated by Datadog, as the
    docs say; the stand-in stores it whole and counts it in the log's
    "oversized". Entries are not checked for `message`: the reference's
    HTTPLogItem marks it required, yet Fluent Bit sends records without one
    (without a dd_message_key field).
  - Otherwise every entry is stored and the answer is 202 {} ("Accepted").
Other paths -> 404 {"errors":["Not Found"]}; other methods -> 405.

Options:
  --port N          "listening <port>" once ready (0: a free port)
  --key K           the accepted API key
  --store FILE      one JSON line per stored entry: the entry as sent
  --log FILE        one JSON line per request:
                    {"path","headers","status","entries","body_bytes","raw_bytes","oversized"}
  --control FILE    a status written there answers every request with it:
                    503 {"errors":["Service Unavailable"]}, 500
                    {"errors":["Internal Server Error"]}, 429
                    {"errors":["Too Many Requests"]} with Retry-After: 1;
                    missing or empty: normal service.

SIGTERM ends it with status 0. Python 3 standard library only.
"""
import argparse
import gzip
import json
import signal
import sys
import zlib
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import urlsplit

from standin_files import append_json_line, read_status  # beside this script

ARGS = None
MAX_BODY = 5_000_000
MAX_ENTRIES = 1_000
MAX_ENTRY = 1_000_000
REASONS = {500: "Internal Server Error", 503: "Service Unavailable", 429: "Too Many Requests"}


def errors(*texts):
    return {"errors": list(texts)}


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def log_message(self, fmt, *args):
        pass

    def answer(self, status, doc, headers=()):
        body = json.dumps(doc, separators=(",", ":")).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        for k, v in headers:
            self.send_header(k, v)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def do_POST(self):
        length = int(self.headers.get("Content-Length", "0"))
        raw = self.rfile.read(length) if length else b""
        entry = {"path": self.path, "headers": dict(self.headers.items()), "raw_bytes": len(raw)}

        def done(status, doc, entries=0, headers=(), body_bytes=0, oversized=0):
            entry.update(status=status, entries=entries, body_bytes=body_bytes, oversized=oversized)
            append_json_line(ARGS.log, entry)
            self.answer(status, doc, headers)

        if urlsplit(self.path).path != "/api/v2/logs":
            return done(404, errors("Not Found"))
        control = read_status(ARGS.control)
        if control in REASONS:
            retry = [("Retry-After", "1")] if control == 429 else []
            return done(control, errors(REASONS[control]), headers=retry)
        key = self.headers.get("DD-API-KEY")
        if not key:
            return done(401, errors("Unauthorized"))
        if key != ARGS.key:
            return done(403, errors("Forbidden"))
        encoding = self.headers.get("Content-Encoding", "").lower()
        try:
            if encoding == "gzip":
                body = gzip.decompress(raw)
            elif encoding == "deflate":
                body = zlib.decompress(raw)
            else:
                body = raw
        except (OSError, EOFError, zlib.error):
            return done(400, errors("Bad Request"))
        if len(body) > MAX_BODY:
            return done(413, errors("Payload too large"), body_bytes=len(body))
        try:
            logs = json.loads(body.decode("utf-8"))
        except ValueError:
            return done(400, errors("Bad Request"), body_bytes=len(body))
        if not isinstance(logs, list) or not all(isinstance(e, dict) for e in logs):
            return done(400, errors("Bad Request"), body_bytes=len(body))
        if len(logs) > MAX_ENTRIES:
            return done(413, errors("Payload too large"), body_bytes=len(body))
        oversized = 0
        for e in logs:
            line = json.dumps(e, separators=(",", ":"), ensure_ascii=False)
            oversized += len(line.encode()) > MAX_ENTRY
            append_json_line(ARGS.store, e)
        return done(202, {}, entries=len(logs), body_bytes=len(body), oversized=oversized)

    def do_GET(self):
        self.answer(405, errors("Method Not Allowed"))


def main():
    global ARGS
    ap = argparse.ArgumentParser(description="Datadog Logs intake stand-in")
    ap.add_argument("--port", type=int, required=True)
    ap.add_argument("--key", default="")
    ap.add_argument("--store", default="")
    ap.add_argument("--log", default="")
    ap.add_argument("--control", default="")
    ARGS = ap.parse_args()
    server = ThreadingHTTPServer(("127.0.0.1", ARGS.port), Handler)
    server.daemon_threads = True
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(0))
    print("listening %d" % server.server_address[1], flush=True)
    server.serve_forever()


if __name__ == "__main__":
    main()
