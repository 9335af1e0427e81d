#!/usr/bin/env python3
"""A stand-in for Splunk's HTTP Event Collector (HEC), for the end-to-end
tests of sluice's `splunk` output. No Splunk can run on the test machines,
so this server was written from Splunk's HEC documentation ("Format events
for HTTP Event Collector", "HTTP Event Collector REST API endpoints",
"Troubleshoot HTTP Event Collector": the event fields, the token header and
the status/code table); it is not Splunk.

POST /services/collector/event (also /services/collector and
/services/collector/event/1.0; a query string such as
?auto_extract_timestamp=true is recorded and otherwise ignored):
  - Authorization must be "Splunk <token>" with --token (or Basic with
    --basic USER:PASSWORD): none -> 401 {"text":"Token is required","code":2};
    another scheme -> 401 code 3 "Invalid authorization"; a wrong token ->
    403 code 4 "Invalid token".
  - The body (gunzipped when Content-Encoding is gzip) is one or more JSON
    objects one after another (whitespace between allowed). Each is checked
    in order, as HEC does: not JSON -> 400 code 6 "Invalid data format";
    no "event" -> 400 code 12 "Event field is required"; an empty "event"
    ("" or {}) -> 400 code 13 "Event field cannot be blank"; an "index" not
    in --indexes (when given) -> 400 code 7 "Incorrect index"; a "time" that
    is not a number or a numeric string -> 400 code 6. An error answer
    carries "invalid-event-number": the position of the first bad event;
    the events before it are stored (HEC indexes a batch in order).
    An empty body -> 400 code 5 "No data".
  - Otherwise every event is stored and the answer is 200
    {"text":"Success","code":0}.
Other paths -> 404 {"text":"The requested URL was not found on this server.","code":404};
other methods -> 405.

Options:
  --port N            "listening <port>" once ready (0: a free port)
  --token T           the accepted HEC token
  --basic USER:PASS   also accept basic authentication with these
  --indexes a,b       the indexes the token may write to (default: any)
  --store FILE        one JSON line per stored event: the event object as sent
  --log FILE          one JSON line per request: {"path","headers","status","events","body_bytes"}
  --control FILE      a status written there (503, 500, 429) answers every
                      request with it: 503 {"text":"Server is busy","code":9},
                      500 {"text":"Internal server error","code":8}, 429 (the
                      text Splunk Cloud's throttling sends); missing or empty:
                      normal service.

SIGTERM ends it with status 0. Python 3 standard library only.
"""
import argparse
import base64
import gzip
import json
import signal
import sys
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import urlsplit

from standin_files import append_json_line, read_status  # beside this script

ARGS = None
PATHS = {"/services/collector/event", "/services/collector", "/services/collector/event/1.0"}


def hec(code, text, **extra):
    doc = {"text": text, "code": code}
    doc.update(extra)
    return doc


def split_events(text):
    """The JSON objects in a body, in order; raises ValueError at the first
    that isn't one (with how many came before it)."""
    decoder = json.JSONDecoder()
    events, i = [], 0
    while True:
        while i < len(text) and text[i] in " \t\r\n":
            i += 1
        if i == len(text):
            return events
        try:
            obj, i = decoder.raw_decode(text, i)
        except ValueError:
            raise ValueError(len(events))
        if not isinstance(obj, dict):
            raise ValueError(len(events))
        events.append(obj)


def check_event(e):
    """None, or the (code, text) HEC refuses this event with."""
    if "event" not in e:
        return 12, "Event field is required"
    if e["event"] in ("", {}, None):
        return 13, "Event field cannot be blank"
    if ARGS.indexes is not None and "index" in e and e["index"] not in ARGS.indexes:
        return 7, "Incorrect index"
    t = e.get("time")
    if t is not None and not isinstance(t, (int, float)):
        try:
            float(t)
        except (TypeError, ValueError):
            return 6, "Invalid data format"
    return None


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def log_message(self, fmt, *args):
        pass

    def answer(self, status, doc, headers=()):
        body = (json.dumps(doc, separators=(",", ":"))).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json; charset=UTF-8")
        for k, v in headers:
            self.send_header(k, v)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def authorized(self):
        auth = self.headers.get("Authorization")
        if not auth:
            return 401, hec(2, "Token is required")
        scheme, _, value = auth.partition(" ")
        if scheme == "Splunk":
            return (None, None) if value == ARGS.token else (403, hec(4, "Invalid token"))
        if scheme == "Basic" and ARGS.basic:
            try:
                ok = base64.b64decode(value).decode() == ARGS.basic
            except ValueError:
                ok = False
            return (None, None) if ok else (403, hec(4, "Invalid token"))
        return 401, hec(3, "Invalid authorization")

    def do_POST(self):
        length = int(self.headers.get("Content-Length", "0"))
        raw = self.rfile.read(length) if length else b""
        path = urlsplit(self.path).path
        entry = {"path": self.path, "headers": dict(self.headers.items()), "body_bytes": len(raw)}

        def done(status, doc, events=0, headers=()):
            entry["status"] = status
            entry["events"] = events
            append_json_line(ARGS.log, entry)
            self.answer(status, doc, headers)

        if path not in PATHS:
            return done(404, hec(404, "The requested URL was not found on this server."))
        control = read_status(ARGS.control)
        if control == 503:
            return done(503, hec(9, "Server is busy"))
        if control == 500:
            return done(500, hec(8, "Internal server error"))
        if control == 429:
            return done(429, hec(429, "Too many requests"), headers=[("Retry-After", "1")])
        status, refusal = self.authorized()
        if status:
            return done(status, refusal)
        body = gzip.decompress(raw) if self.headers.get("Content-Encoding", "").lower() == "gzip" else raw
        text = body.decode("utf-8", "replace")
        if not text.strip():
            return done(400, hec(5, "No data"))
        try:
            events = split_events(text)
        except ValueError as e:
            events, bad = None, e.args[0]
        if events is None:
            return done(400, hec(6, "Invalid data format", **{"invalid-event-number": bad}))
        for n, e in enumerate(events):
            why = check_event(e)
            if why:
                for stored in events[:n]:
                    append_json_line(ARGS.store, stored)
                return done(400, hec(why[0], why[1], **{"invalid-event-number": n}), events=n)
        for e in events:
            append_json_line(ARGS.store, e)
        return done(200, hec(0, "Success"), events=len(events))

    def do_GET(self):
        self.answer(405, hec(405, "Method not allowed"))


def main():
    global ARGS
    ap = argparse.ArgumentParser(description="Splunk HEC stand-in")
    ap.add_argument("--port", type=int, required=True)
    ap.add_argument("--token", default="")
    ap.add_argument("--basic", default="")
    ap.add_argument("--indexes", default=None)
    ap.add_argument("--store", default="")
    ap.add_argument("--log", default="")
    ap.add_argument("--control", default="")
    ARGS = ap.parse_args()
    if ARGS.indexes is not None:
        ARGS.indexes = set(x for x in ARGS.indexes.split(",") if x)
    server = ThreadingHTTPServer(("127.0.0.1", ARGS.port), Handler)
    server.daemon_threads = True
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(0))
    print("listening %d" % server.server_address[1], flush=True)
    server.serve_forever()


if __name__ == "__main__":
    main()
