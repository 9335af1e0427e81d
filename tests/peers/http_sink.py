#!/usr/bin/env python3
"""HTTP test peer for the HTTP client and the `http` output (a stand-in for
any HTTP endpoint). Records every request as one JSON line in --out:
{"conn": n, "method", "path", "headers": {...}, "body": text (gunzipped when
Content-Encoding is gzip), "raw_length": bytes on the wire}, and for
/controlled "status": the status it was answered.

Answers by path:
  /status/<code>[?retry_after=V]  that status (with Retry-After: V), body "status <code>"
  /controlled                     the status written in the --control file (200 when it is
                                  missing or empty), body "status <code>": a backend a test
                                  takes down and brings back
  /hang                           reads the request, never answers
  /drop                           a truncated answer (Content-Length 100, 3 bytes), then closes
  /close-on-reuse                 the 2nd request on a connection is dropped unanswered
  /gzip-answer                    a gzip-encoded answer "compressed answer"
  /echo and anything else         200, the decoded request body echoed back

Prints "listening <port>" once ready. Stdlib only.
"""
import argparse
import gzip
import itertools
import json
import socketserver
import sys
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlsplit

LOCK = threading.Lock()
CONN_IDS = itertools.count(1)


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"  # keep-alive unless the client says close

    def setup(self):
        super().setup()
        self.conn_id = next(CONN_IDS)
        self.requests_on_conn = 0

    def log_message(self, fmt, *args):  # quiet
        pass

    def _record(self, body, raw_length, status=None):
        entry = {
            "conn": self.conn_id,
            "method": self.command,
            "path": self.path,
            "headers": {k: v for k, v in self.headers.items()},
            "body": body.decode("utf-8", "replace"),
            "raw_length": raw_length,
        }
        if status is not None:
            entry["status"] = status
        with LOCK, open(self.server.out_path, "a") as f:
            f.write(json.dumps(entry) + "\n")

    def _answer(self, status, body=b"", headers=()):
        self.send_response(status)
        for k, v in headers:
            self.send_header(k, v)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(body)

    def _handle(self):
        self.requests_on_conn += 1
        length = int(self.headers.get("Content-Length", "0"))
        raw = self.rfile.read(length) if length else b""
        body = raw
        if self.headers.get("Content-Encoding", "").lower() == "gzip":
            body = gzip.decompress(raw)
        url = urlsplit(self.path)
        path = url.path
        if path.startswith("http://"):  # absolute form through a proxy
            path = urlsplit(path).path
        if path == "/controlled":
            code = 200
            try:
                with open(self.server.control_path or "/nonexistent") as f:
                    code = int(f.read().strip() or "200")
            except (OSError, ValueError):
                pass
            self._record(body, len(raw), code)
        else:
            self._record(body, len(raw))
        query = parse_qs(url.query)
        if path == "/controlled":
            if code == 200:
                self._answer(200, body, [("Content-Type", self.headers.get("Content-Type", "text/plain"))])
            else:
                self._answer(code, b"status %d" % code)
        elif path.startswith("/status/"):
            code = int(path.split("/")[2])
            headers = []
            if "retry_after" in query:
                headers.append(("Retry-After", query["retry_after"][0]))
            self._answer(code, b"status %d" % code, headers)
        elif path == "/hang":
            time.sleep(3600)
        elif path == "/drop":
            self.wfile.write(b"HTTP/1.1 200 OK\r\nContent-Length: 100\r\n\r\nabc")
            self.wfile.flush()
            self.close_connection = True
        elif path == "/close-on-reuse" and self.requests_on_conn == 2:
            self.close_connection = True
        elif path == "/gzip-answer":
            self._answer(200, gzip.compress(b"compressed answer"), [("Content-Encoding", "gzip")])
        else:
            self._answer(200, body, [("Content-Type", self.headers.get("Content-Type", "text/plain"))])

    do_GET = do_POST = do_PUT = do_HEAD = do_DELETE = _handle


class Server(ThreadingHTTPServer):
    daemon_threads = True
    allow_reuse_address = True


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--port", type=int, required=True)
    ap.add_argument("--out", required=True)
    ap.add_argument("--control", help="file holding the status /controlled answers")
    args = ap.parse_args()
    server = Server(("127.0.0.1", args.port), Handler)
    server.out_path = args.out
    server.control_path = args.control
    print("listening %d" % args.port, flush=True)
    server.serve_forever()


if __name__ == "__main__":
    sys.exit(main())
