#!/usr/bin/env python3
"""A stand-in for the Kubernetes API server's pod and namespace reads and the
kubelet's pod listing, for the end-to-end tests of sluice's `kubernetes`
filter (which, like Fluent Bit's, asks GET /api/v1/namespaces/<ns>/pods/<pod>
for a pod's metadata, or the kubelet's GET /pods).

No cluster can run on the test machines, so this server was written from the
Kubernetes API reference (the core/v1 Pod, PodList and Namespace objects, the
meta/v1 Status object and its reasons, and API access control's bearer-token
authentication); it is not Kubernetes. It speaks HTTP/1.1 with keep-alive
(ThreadingHTTPServer: a hanging request holds only its own connection).

Routes (GET only; any other method gets 405 MethodNotAllowed). The query
string is ignored; path segments are percent-decoded before matching:
  /api/v1/namespaces/<ns>/pods/<name>  the Pod from --pods whose
      metadata.namespace and metadata.name equal <ns> and <name> exactly,
      else 404 NotFound `pods "<name>" not found` (details name, kind pods)
  /api/v1/namespaces/<ns>              the Namespace from --namespaces named
      <ns>, else 404 NotFound `namespaces "<ns>" not found`
  /api/v1/namespaces/<ns>/pods         {"kind":"PodList","apiVersion":"v1",
      "metadata":{"resourceVersion":"1"},"items":[...]}: that namespace's pods
      sorted by name (as etcd lists them; an unknown namespace lists empty)
  /pods                                the kubelet's listing: {"kind":"PodList",
      "apiVersion":"v1","metadata":{},"items":[...]}, every pod, in file order
  anything else                        404 NotFound "the server could not find
                                       the requested resource"
A single object is answered with "kind" and "apiVersion" first (added when the
file lacks them); list items carry neither, as the API server's lists don't.
Every answer is application/json, encoded as Go's encoder does (compact, a
final newline, < > & U+2028 U+2029 written as \\u escapes, other non-ASCII as
UTF-8). Errors are Status objects: {"kind":"Status","apiVersion":"v1",
"metadata":{},"status":"Failure","message","reason"[,"details"],"code"}.

Options:
  --port N                 0 picks a free port; "listening <port>" names it
  --tls-cert F --tls-key F HTTPS (the handshake happens in the connection's
                           thread, so a client that refuses it stalls nothing)
  --token T | --token-file F
                           the only bearer token accepted; the file is re-read
                           on every request (surrounding whitespace stripped;
                           missing or empty: nothing is accepted). As the API
                           server, "Authorization: Bearer <token>" (scheme in
                           any case) is checked before anything else; otherwise
                           401 {"kind":"Status",...,"message":"Unauthorized",
                           "reason":"Unauthorized","code":401}. Neither option:
                           no authentication.
  --pods F                 JSON: a list of Pod objects (or a PodList), re-read
                           on every request; missing file: no pods
  --namespaces F           JSON: a list of Namespace objects (or a
                           NamespaceList), re-read on every request; missing
                           file: none. An unparsable --pods or --namespaces
                           file (after a few quick retries, in case a test is
                           rewriting it) answers 500 InternalError and says
                           why on stderr.
  --log F                  one JSON line per request, written before the answer:
                           {"method","path" (as sent, with the query),"headers"
                           (a repeated field's values joined with ", "),
                           "status" (answered; null for hang and drop),"time"}
  --control F              read on every request, before authentication.
                           A status >= 400 answers every request with it and
                           a Status body (500 InternalError, 503
                           ServiceUnavailable, 429 TooManyRequests with
                           Retry-After: 1, 401 as the authentication failure,
                           others as apimachinery's errors package names
                           them); "hang": read the request, answer nothing,
                           keep the connection open for 60 s, then close it;
                           "drop": read the request, close the connection
                           unanswered. Missing, empty, a status below 400 or
                           an unknown word (said on stderr): normal service.

SIGTERM or SIGINT ends it at once with status 0. Python 3 standard library only.
"""
import argparse
import json
import signal
import ssl
import sys
import threading
import time
import uuid
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import unquote, urlsplit

LOCK = threading.Lock()
ARGS = None
HANG_SECONDS = 60

# For control statuses other than 500/503/429/401: the reason and (mostly)
# the message apimachinery's NewGenericServerResponse gives each status.
GENERIC = {
    400: ("BadRequest", "the server rejected our request for an unknown reason"),
    403: ("Forbidden", "forbidden: scripted failure"),
    404: ("NotFound", "the server could not find the requested resource"),
    405: ("MethodNotAllowed", "the server does not allow this method on the requested resource"),
    406: ("NotAcceptable", "the server was unable to respond with a content type that the client supports"),
    409: ("Conflict", "the server reported a conflict"),
    410: ("Expired", "the resource has expired"),
    413: ("RequestEntityTooLarge", "Request entity too large: scripted failure"),
    415: ("UnsupportedMediaType", "the server does not support the requested media type"),
    422: ("Invalid", "the server rejected our request due to an error in our request"),
    504: ("Timeout", "the server was unable to return a response in the time allotted, "
                     "but may still be processing the request"),
}


def status_object(code, reason, message, details=None):
    doc = {"kind": "Status", "apiVersion": "v1", "metadata": {}, "status": "Failure", "message": message}
    if reason:  # StatusReasonUnknown is "", which Go omits
        doc["reason"] = reason
    if details is not None:
        doc["details"] = details
    doc["code"] = code
    return doc


UNAUTHORIZED = status_object(401, "Unauthorized", "Unauthorized")


def not_found(kind, name):
    return status_object(404, "NotFound", '%s "%s" not found' % (kind, name), {"name": name, "kind": kind})


def control_status(code):
    """The Status object (and extra headers) a control-file status answers."""
    if code == 500:
        return status_object(500, "InternalError", "Internal error occurred: scripted failure",
                             {"causes": [{"message": "scripted failure"}]}), []
    if code == 503:
        return status_object(503, "ServiceUnavailable", "the server is currently unable to handle the request"), []
    if code == 429:
        return status_object(429, "TooManyRequests", "Too many requests, please try again later.",
                             {"retryAfterSeconds": 1}), [("Retry-After", "1")]
    if code == 401:
        return UNAUTHORIZED, []
    if code in GENERIC:
        reason, message = GENERIC[code]
    elif code >= 500:
        reason, message = "InternalError", ('an error on the server ("scripted failure") has prevented '
                                            "the request from succeeding")
    else:
        reason, message = "", "the server responded with the status code %d but did not return more information" % code
    return status_object(code, reason, message, {}), []


def go_json(doc):
    """JSON as Go's encoding/json writes it (what the API server sends)."""
    text = json.dumps(doc, separators=(",", ":"), ensure_ascii=False)
    for ch, esc in (("<", "\\u003c"), (">", "\\u003e"), ("&", "\\u0026"),
                    ("\u2028", "\\u2028"), ("\u2029", "\\u2029")):
        text = text.replace(ch, esc)
    return (text + "\n").encode("utf-8")


class BadFile(Exception):
    pass


def read_objects(path, option):
    """The objects in a --pods / --namespaces file (a list, or a List's items)."""
    if not path:
        return []
    error = None
    for _ in range(10):  # a test may be rewriting the file right now
        try:
            with open(path, encoding="utf-8") as f:
                text = f.read()
        except FileNotFoundError:
            return []
        try:
            doc = json.loads(text) if text.strip() else []
            if isinstance(doc, dict):
                doc = doc.get("items") or []
            if not isinstance(doc, list) or not all(isinstance(o, dict) for o in doc):
                raise ValueError("not a list of objects")
            return doc
        except ValueError as e:
            error = e
        time.sleep(0.02)
    print("kube_apiserver_standin: %s %s: %s" % (option, path, error), file=sys.stderr, flush=True)
    raise BadFile("cannot parse the %s file: %s" % (option, error))


def meta(obj):
    m = obj.get("metadata")
    return m if isinstance(m, dict) else {}


def single(obj, kind):
    """An object as a GET answers it: kind and apiVersion first."""
    doc = {"kind": kind, "apiVersion": "v1"}
    doc.update((k, v) for k, v in obj.items() if k not in ("kind", "apiVersion"))
    return doc


def item(obj):
    return {k: v for k, v in obj.items() if k not in ("kind", "apiVersion")}


def read_control():
    path = ARGS.control
    if not path:
        return None
    try:
        with open(path, encoding="utf-8") as f:
            text = f.read().strip().lower()
    except OSError:
        return None
    if not text:
        return None
    if text in ("hang", "drop"):
        return text
    if text.isdigit() and int(text) >= 400:
        return int(text)
    if not text.isdigit():
        print("kube_apiserver_standin: ignoring control file content %r" % text, file=sys.stderr, flush=True)
    return None


def expected_token():
    if ARGS.token is not None:
        return ARGS.token
    try:
        with open(ARGS.token_file, encoding="utf-8") as f:
            return f.read().strip()
    except OSError:
        return ""


def authenticated(header):
    """The API server's bearer-token check (Authorization: Bearer <token>)."""
    if ARGS.token is None and ARGS.token_file is None:
        return True
    parts = (header or "").strip().split(" ")
    if len(parts) < 2 or parts[0].lower() != "bearer" or not parts[1]:
        return False
    token = expected_token()
    return bool(token) and parts[1] == token


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"  # keep-alive unless the client says close

    def log_message(self, fmt, *args):  # quiet
        pass

    def __getattr__(self, name):  # do_GET, do_POST, do_WHATEVER: one handler for every method
        if name.startswith("do_"):
            return self._handle
        raise AttributeError(name)

    def _record(self, status):
        if not ARGS.log:
            return
        headers = {}
        for k, v in self.headers.items():  # a repeated field: its values joined with ", "
            headers[k] = headers[k] + ", " + v if k in headers else v
        entry = {"method": self.command, "path": self.path, "headers": headers, "status": status,
                 "time": time.time()}
        with LOCK, open(ARGS.log, "a", encoding="utf-8") as f:
            f.write(json.dumps(entry) + "\n")

    def _answer(self, code, doc, headers=()):
        self._record(code)
        body = go_json(doc)
        self.send_response(code)
        self.send_header("Audit-Id", str(uuid.uuid4()))
        self.send_header("Cache-Control", "no-cache, private")
        self.send_header("Content-Type", "application/json")
        for k, v in headers:
            self.send_header(k, v)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(body)

    def _read_body(self):
        if "chunked" in self.headers.get("Transfer-Encoding", "").lower():
            self.close_connection = True  # not worth decoding: no route takes a body
            return
        length = self.headers.get("Content-Length", "0")
        if length.isdigit() and int(length):
            self.rfile.read(int(length))

    def _handle(self):
        self._read_body()
        control = read_control()
        if control == "drop":
            self._record(None)
            self.close_connection = True
            return
        if control == "hang":
            self._record(None)
            time.sleep(HANG_SECONDS)
            self.close_connection = True
            return
        if isinstance(control, int):
            doc, headers = control_status(control)
            return self._answer(control, doc, headers)
        if not authenticated(self.headers.get("Authorization")):
            return self._answer(401, UNAUTHORIZED)
        if self.command != "GET":
            return self._answer(405, status_object(
                405, "MethodNotAllowed", "the server does not allow this method on the requested resource", {}))
        try:
            code, doc = self._route()
        except BadFile as e:
            code, doc = 500, status_object(500, "InternalError", "Internal error occurred: %s" % e,
                                           {"causes": [{"message": str(e)}]})
        self._answer(code, doc)

    def _route(self):
        path = self.path
        if path.startswith(("http://", "https://")):  # absolute form
            path = urlsplit(path).path
        else:
            path = path.split("?", 1)[0]
        raw = path.split("/")
        if raw[0] != "" or len(raw) < 2:
            return self._unknown()
        seg = [unquote(s) for s in raw[1:]]
        if seg == ["pods"]:
            pods = read_objects(ARGS.pods, "--pods")
            return 200, {"kind": "PodList", "apiVersion": "v1", "metadata": {}, "items": [item(p) for p in pods]}
        if len(seg) < 4 or seg[:3] != ["api", "v1", "namespaces"] or any(not s for s in seg[3:]):
            return self._unknown()
        ns = seg[3]
        if len(seg) == 4:
            for n in read_objects(ARGS.namespaces, "--namespaces"):
                if meta(n).get("name") == ns:
                    return 200, single(n, "Namespace")
            return 404, not_found("namespaces", ns)
        if seg[4] != "pods" or len(seg) > 6:
            return self._unknown()
        pods = [p for p in read_objects(ARGS.pods, "--pods") if meta(p).get("namespace") == ns]
        if len(seg) == 5:
            pods.sort(key=lambda p: str(meta(p).get("name", "")))
            return 200, {"kind": "PodList", "apiVersion": "v1", "metadata": {"resourceVersion": "1"},
                         "items": [item(p) for p in pods]}
        name = seg[5]
        for p in pods:
            if meta(p).get("name") == name:
                return 200, single(p, "Pod")
        return 404, not_found("pods", name)

    def _unknown(self):
        return 404, status_object(404, "NotFound", "the server could not find the requested resource", {})


class Server(ThreadingHTTPServer):
    daemon_threads = True
    block_on_close = False
    allow_reuse_address = True

    def handle_error(self, request, client_address):  # quiet: refused handshakes, resets
        exc = sys.exc_info()[1]
        if not isinstance(exc, OSError):
            super().handle_error(request, client_address)


def stop(signum, frame):
    raise SystemExit(0)


def main():
    global ARGS
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--port", type=int, required=True)
    ap.add_argument("--tls-cert")
    ap.add_argument("--tls-key")
    auth = ap.add_mutually_exclusive_group()
    auth.add_argument("--token")
    auth.add_argument("--token-file")
    ap.add_argument("--pods")
    ap.add_argument("--namespaces")
    ap.add_argument("--log")
    ap.add_argument("--control")
    ARGS = ap.parse_args()
    if bool(ARGS.tls_cert) != bool(ARGS.tls_key):
        ap.error("--tls-cert and --tls-key go together")
    signal.signal(signal.SIGTERM, stop)
    signal.signal(signal.SIGINT, stop)
    server = Server(("127.0.0.1", ARGS.port), Handler)
    if ARGS.tls_cert:
        tls = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        tls.load_cert_chain(ARGS.tls_cert, ARGS.tls_key)
        # Handshakes happen in the per-connection threads (on first read), so
        # a client that refuses the certificate can't stall the accept loop.
        server.socket = tls.wrap_socket(server.socket, server_side=True, do_handshake_on_connect=False)
    print("listening %d" % server.server_address[1], flush=True)
    try:
        server.serve_forever()
    finally:
        server.server_close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
