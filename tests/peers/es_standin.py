#!/usr/bin/env python3
"""A stand-in for Elasticsearch's _bulk API, for sluice's end-to-end tests.

No Elasticsearch can run on the test machines, so this server was written from
the _bulk API's specification (Elastic's "Bulk API" reference and the notes in
../shared/protocols.md section 1); it is not Elasticsearch. It speaks
HTTP/1.1 with keep-alive (ThreadingHTTPServer), and:

- POST /_bulk and POST /<index>/_bulk: NDJSON, alternating action and source
  lines, every line ending in "\\n" (else 400, as Elasticsearch answers).
  Actions index / create / update / delete; metadata _index, _id,
  routing, pipeline, require_alias, and _type (refused with --reject-type, as
  Elasticsearch 8 does). create on an existing _id answers 409
  version_conflict_engine_exception; create/index without _id gets a generated
  one. update needs an _id (else 400 action_request_validation_exception)
  and a source {"doc": {...}} (merged into the stored document, objects
  recursively; "noop" when nothing changes), with "doc_as_upsert": true or
  "upsert": {...} to create a missing document; without them a missing one
  answers 404 document_missing_exception. Query parameters are logged. Content-Encoding: gzip bodies are
  accepted. Content-Type must be application/x-ndjson or application/json.
- Indices starting with a --data-stream prefix behave as data streams: only
  create, and @timestamp is required.
- The answer is Elasticsearch's: HTTP 200 {"took","errors","items"} with one
  item per action, in request order, each with its own status and error.
- GET / answers the cluster info.

Failures to script:
- Per item: a document whose source has "fail": "<status>" fails with that
  status every time; "fail": "<status>x<N>" fails the first N times the same
  source line arrives, then is stored. 429 is es_rejected_execution_exception,
  503 unavailable_shards_exception, 400 mapper_parsing_exception, any other
  status a generic error.
- Per request, from the JSON control file (--control; read again whenever it
  changes): {"faults": [F, ...]} consumed in order, each F applying to the
  next F.count requests (default 1), or with "until": T (Unix time in
  seconds) to every request until then (a 429 storm, an outage, switched
  on and off while a test runs):
    {"type": "status", "status": 429, "retry_after": "1"}  whole-request error
    {"type": "drop"}              read the request, close without answering
    {"type": "drop_after_store"}  store the documents, then close without answering
    {"type": "slow", "delay": 3}  store, then wait delay seconds before answering
    {"type": "malformed"}         answer 200 with a body that is not a _bulk answer
- --max-content-length N: bodies above N bytes (as received) get 413.
- --auth VALUE: the Authorization header must equal VALUE, else 401.
- --aws-sigv4 AKID:SECRET[:TOKEN] --aws-service es|aoss: requests must be
  SigV4-signed with that key (as Amazon OpenSearch Service and Serverless
  require), checked by sigv4_check.py; else 403 with AWS's message. aoss
  also requires the X-Amz-Content-Sha256 header.
- --tls-cert FILE --tls-key FILE: HTTPS instead of HTTP (as a cluster with
  xpack.security.http.ssl enabled); a client that doesn't trust the
  certificate fails its handshake.

What it saw goes to files the test reads (JSON lines, flushed per request):
  --log FILE    one {"req": n, "target", "gzip", "items", "fault"} line per
                request, then one {"req": n, "item": i, "op", "_index", "_id",
                "doc" (the source, parsed; its text if it isn't JSON), "status"} line per item
  --store FILE  one {"_index", "_id", "source" (parsed)} line per document stored
Prints "listening on <port>" once it accepts connections.

Usage: es_standin.py --port N --log FILE --store FILE [--control FILE]
       [--max-content-length N] [--auth VALUE] [--data-stream PREFIX] [--reject-type]
       [--tls-cert FILE --tls-key FILE] [--aws-sigv4 AKID:SECRET[:TOKEN] --aws-service es|aoss]
Python 3 standard library only.
"""
import argparse
import gzip
import json
import os
import socket
import ssl
import sys
import threading
import time
import uuid
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import urlsplit

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import sigv4_check  # noqa: E402  (beside this script)

ALLOWED_META = {"_index", "_id", "routing", "pipeline", "require_alias", "if_seq_no", "if_primary_term",
                "version", "version_type", "dynamic_templates", "require_data_stream"}

ITEM_ERRORS = {
    429: ("es_rejected_execution_exception",
          "rejected execution of coordinating operation [coordinating_and_primary_bytes=0, "
          "replica_bytes=0, all_bytes=0, coordinating_operation_bytes=100, max_coordinating_and_primary_bytes=0]"),
    503: ("unavailable_shards_exception", "[logs][0] primary shard is not active Timeout: [1m]"),
    400: ("mapper_parsing_exception", "failed to parse field [fail] of type [long] in document"),
}


class State:
    def __init__(self, args):
        self.args = args
        self.lock = threading.Lock()
        self.docs = {}            # (index, id) -> source
        self.attempts = {}        # raw source line -> times seen
        self.requests = 0
        self.seq_no = 0
        self.faults = []
        self.control_mtime = None
        self.log = open(args.log, "a", encoding="utf-8")
        self.store = open(args.store, "a", encoding="utf-8")

    def next_fault(self):
        """The fault for the next request (or None); re-reads the control file when it changed."""
        path = self.args.control
        if path:
            try:
                mtime = os.stat(path).st_mtime_ns
            except FileNotFoundError:
                mtime = None
            if mtime is not None and mtime != self.control_mtime:
                self.control_mtime = mtime
                with open(path, encoding="utf-8") as f:
                    text = f.read()
                self.faults = [dict(fault) for fault in json.loads(text).get("faults", [])] if text.strip() else []
        while self.faults:
            fault = self.faults[0]
            if "until" in fault:
                if time.time() < float(fault["until"]):
                    return fault
                self.faults.pop(0)
                continue
            left = fault.get("count", 1)
            if left <= 0:
                self.faults.pop(0)
                continue
            fault["count"] = left - 1
            return fault
        return None

    def write_log(self, obj):
        self.log.write(json.dumps(obj, separators=(",", ":")) + "\n")


def error_body(status, err_type, reason):
    return {"error": {"root_cause": [{"type": err_type, "reason": reason}], "type": err_type, "reason": reason},
            "status": status}


class BulkError(Exception):
    """A whole-request 400, as Elasticsearch answers a malformed bulk body."""


def parse_bulk(body, default_index, reject_type):
    """NDJSON → [(op, meta, raw_source or None)]; raises BulkError like Elasticsearch would."""
    if not body.endswith(b"\n"):
        raise BulkError("The bulk request must be terminated by a newline [\\n]")
    lines = body.split(b"\n")[:-1]
    ops = []
    i = 0
    while i < len(lines):
        line_no = i + 1
        try:
            action = json.loads(lines[i])
        except ValueError:
            raise BulkError(f"Malformed action/metadata line [{line_no}], expected START_OBJECT")
        if not isinstance(action, dict) or len(action) != 1:
            raise BulkError(f"Malformed action/metadata line [{line_no}], expected a single action")
        op, meta = next(iter(action.items()))
        if op not in ("index", "create", "update", "delete"):
            raise BulkError(f"Malformed action/metadata line [{line_no}], expected field [create], [delete], "
                            f"[index] or [update] but found [{op}]")
        if not isinstance(meta, dict):
            raise BulkError(f"Malformed action/metadata line [{line_no}], expected START_OBJECT")
        for key in meta:
            if key == "_type" and not reject_type:
                continue
            if key not in ALLOWED_META:
                raise BulkError(f"Action/metadata line [{line_no}] contains an unknown parameter [{key}]")
        meta = dict(meta)
        meta.setdefault("_index", default_index)
        if meta["_index"] is None:
            raise BulkError(f"Validation Failed: 1: index is missing for action/metadata line [{line_no}];")
        if op == "delete":
            ops.append((op, meta, None))
            i += 1
            continue
        if i + 1 >= len(lines):
            raise BulkError(f"Validation Failed: 1: no requests added / source missing for line [{line_no}];")
        ops.append((op, meta, lines[i + 1]))
        i += 2
    return ops


def item_failure(source_line, source, state):
    """The scripted status for this document, or None; counts attempts per source line."""
    marker = source.get("fail") if isinstance(source, dict) else None
    if not isinstance(marker, str):
        return None
    status_text, _, times = marker.partition("x")
    if not status_text.isdigit():
        return None
    seen = state.attempts.get(source_line, 0) + 1
    state.attempts[source_line] = seen
    if times and seen > int(times):
        return None
    return int(status_text)


def merged(current, doc):
    """Elasticsearch's partial-document update: objects merge recursively, anything else replaces."""
    out = dict(current)
    for k, v in doc.items():
        if isinstance(v, dict) and isinstance(out.get(k), dict):
            out[k] = merged(out[k], v)
        else:
            out[k] = v
    return out


def apply_update(state, meta, source, out):
    """An update action's item (caller holds the lock); returns (answer item, stored line or None)."""
    index = meta["_index"]
    doc_id = meta.get("_id")
    if doc_id is None:
        out.update(status=400, error={"type": "action_request_validation_exception",
                                      "reason": "Validation Failed: 1: id is missing;"})
        return out, None
    doc = source.get("doc")
    upsert = source.get("upsert")
    if not isinstance(doc, dict) and not isinstance(upsert, dict):
        out.update(status=400, error={"type": "action_request_validation_exception",
                                      "reason": "Validation Failed: 1: script or doc is missing;"})
        return out, None
    key = (index, doc_id)
    if key not in state.docs:
        if source.get("doc_as_upsert") is True and isinstance(doc, dict):
            created = doc
        elif isinstance(upsert, dict):
            created = upsert
        else:
            out.update(status=404, error={"type": "document_missing_exception",
                                          "reason": f"[{doc_id}]: document missing", "index": index})
            return out, None
        state.docs[key] = created
        result, status, stored = "created", 201, created
    else:
        new = merged(state.docs[key], doc if isinstance(doc, dict) else {})
        if new == state.docs[key]:
            out.update(_version=1, result="noop", status=200)
            return out, None
        state.docs[key] = new
        result, status, stored = "updated", 200, new
    state.seq_no += 1
    out.update(_version=1, result=result, _shards={"total": 2, "successful": 1, "failed": 0},
               _seq_no=state.seq_no, _primary_term=1, status=status)
    return out, {"_index": index, "_id": doc_id, "source": stored}


def apply_item(state, op, meta, raw, data_stream_prefix):
    """Stores one document (caller holds the lock); returns its answer item."""
    index = meta["_index"]
    doc_id = meta.get("_id")
    out = {"_index": index}
    if doc_id is not None:
        out["_id"] = doc_id
    try:
        source = json.loads(raw) if raw is not None else None
        if raw is not None and not isinstance(source, dict):
            raise ValueError("not an object")
    except ValueError:
        out.update(status=400, error={"type": "document_parsing_exception",
                                      "reason": "[1:1] failed to parse: source is not a JSON object"})
        return out, None
    if op == "delete":
        existed = state.docs.pop((index, doc_id), None) is not None
        out.update(status=200 if existed else 404, result="deleted" if existed else "not_found")
        return out, None
    failing = item_failure(raw, source, state)
    if failing is not None:
        err_type, reason = ITEM_ERRORS.get(failing, ("simulated_exception", f"simulated failure {failing}"))
        out.update(status=failing, error={"type": err_type, "reason": reason})
        return out, None
    if op == "update" and not (data_stream_prefix and index.startswith(data_stream_prefix)):
        return apply_update(state, meta, source, out)
    if data_stream_prefix and index.startswith(data_stream_prefix):
        if op != "create":
            out.update(status=400, error={"type": "illegal_argument_exception",
                                          "reason": "only write ops with an op_type of create are allowed in data streams"})
            return out, None
        if "@timestamp" not in source:
            out.update(status=400, error={"type": "document_parsing_exception",
                                          "reason": "data stream timestamp field [@timestamp] is missing"})
            return out, None
    if doc_id is None:
        doc_id = uuid.uuid4().hex[:20]
        out["_id"] = doc_id
    key = (index, doc_id)
    if op == "create" and key in state.docs:
        out.update(status=409, error={
            "type": "version_conflict_engine_exception",
            "reason": f"[{doc_id}]: version conflict, document already exists (current version [1])",
            "index": index})
        return out, None
    existed = key in state.docs
    state.docs[key] = source
    state.seq_no += 1
    out.update(_version=1, result="updated" if existed else "created",
               _shards={"total": 2, "successful": 1, "failed": 0}, _seq_no=state.seq_no, _primary_term=1,
               status=200 if existed else 201)
    return out, {"_index": index, "_id": doc_id, "source": source}


def parsed_or_raw(raw):
    """The source line as JSON when it parses (so tests can match `"key":value`), else its text."""
    if raw is None:
        return None
    try:
        return json.loads(raw)
    except ValueError:
        return raw.decode("utf-8", "replace")


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server_version = "es-standin"

    def log_message(self, fmt, *args):  # quiet: the test reads the log files
        pass

    def read_body(self):
        if self.headers.get("Transfer-Encoding", "").lower() == "chunked":
            data = b""
            while True:
                size = int(self.rfile.readline().split(b";")[0].strip(), 16)
                if size == 0:
                    self.rfile.readline()
                    return data
                data += self.rfile.read(size)
                self.rfile.readline()
        return self.rfile.read(int(self.headers.get("Content-Length", "0")))

    def answer(self, status, obj=None, headers=(), raw=None):
        body = raw if raw is not None else (json.dumps(obj, separators=(",", ":")).encode() if obj is not None else b"")
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        for name, value in headers:
            self.send_header(name, value)
        self.end_headers()
        self.wfile.write(body)

    def drop(self):
        self.close_connection = True
        try:
            self.connection.shutdown(socket.SHUT_RDWR)
        except OSError:
            pass

    def do_GET(self):
        self.answer(200, {"name": "es-standin", "cluster_name": "standin",
                          "version": {"number": "8.15.0", "build_flavor": "default"},
                          "tagline": "You Know, for Search"})

    def do_POST(self):
        state = self.server.state
        args = state.args
        raw_body = self.read_body()
        url = urlsplit(self.path)
        parts = [p for p in url.path.split("/") if p]
        if not parts or parts[-1] != "_bulk" or len(parts) > 2:
            self.answer(404, error_body(404, "resource_not_found_exception", f"no handler for {url.path}"))
            return
        default_index = parts[0] if len(parts) == 2 else None
        with state.lock:
            state.requests += 1
            req = state.requests
            fault = state.next_fault()
        entry = {"req": req, "target": self.path, "gzip": False, "items": 0,
                 "fault": fault.get("type") if fault else None}
        if args.aws_sigv4:
            problem = self.sigv4_problem(raw_body)
            if problem:
                entry["sigv4"] = problem
                self.log_request_entry(entry, status=403)
                self.answer(403, {"message": problem.split(": ", 1)[-1]})
                return
            entry["sigv4"] = "verified"
        if args.auth and self.headers.get("Authorization") != args.auth:
            self.log_request_entry(entry, status=401)
            self.answer(401, error_body(401, "security_exception", "missing authentication credentials"),
                        headers=[("WWW-Authenticate", 'Basic realm="security", charset="UTF-8"'),
                                 ("WWW-Authenticate", "ApiKey")])
            return
        if args.max_content_length and len(raw_body) > args.max_content_length:
            self.log_request_entry(entry, status=413)
            self.answer(413)
            return
        body = raw_body
        if self.headers.get("Content-Encoding", "").lower() == "gzip":
            entry["gzip"] = True
            try:
                body = gzip.decompress(raw_body)
            except OSError:
                self.log_request_entry(entry, status=400)
                self.answer(400, error_body(400, "illegal_argument_exception", "invalid gzip body"))
                return
        content_type = self.headers.get("Content-Type", "").split(";")[0].strip()
        if content_type not in ("application/x-ndjson", "application/json"):
            self.log_request_entry(entry, status=406)
            self.answer(406, error_body(406, "media_type_header_exception",
                                        f"Content-Type header [{content_type}] is not supported"))
            return
        if fault and fault["type"] == "drop":
            self.log_request_entry(entry, status=0)
            self.drop()
            return
        if fault and fault["type"] == "status":
            self.log_request_entry(entry, status=fault["status"])
            headers = [("Retry-After", str(fault["retry_after"]))] if "retry_after" in fault else []
            self.answer(fault["status"], error_body(fault["status"], "simulated_exception", "scripted failure"),
                        headers=headers)
            return
        if fault and fault["type"] == "malformed":
            self.log_request_entry(entry, status=200)
            self.answer(200, raw=b"<html><body>502 from some proxy</body></html>")
            return
        try:
            ops = parse_bulk(body, default_index, args.reject_type)
        except BulkError as e:
            self.log_request_entry(entry, status=400)
            self.answer(400, error_body(400, "illegal_argument_exception", str(e)))
            return
        self.store_and_answer(state, entry, ops, fault)

    def sigv4_problem(self, raw_body):
        """Why the request's SigV4 signature doesn't verify, or None."""
        akid, secret, *token = self.server.state.args.aws_sigv4.split(":")
        service = self.server.state.args.aws_service
        if service == "aoss" and "X-Amz-Content-Sha256" not in self.headers:
            return "MissingContentSha256: OpenSearch Serverless needs X-Amz-Content-Sha256"
        try:
            sigv4_check.verify_sigv4("POST", self.path, self.headers, raw_body,
                                     lambda k: (secret, token[0] if token else None) if k == akid else None,
                                     service)
        except ValueError as e:
            return str(e)
        return None

    def log_request_entry(self, entry, status):
        state = self.server.state
        entry["status"] = status
        with state.lock:
            state.write_log(entry)
            state.log.flush()

    def store_and_answer(self, state, entry, ops, fault):
        started = time.monotonic()
        items = []
        with state.lock:
            entry["items"] = len(ops)
            entry["status"] = 200
            state.write_log(entry)
            for i, (op, meta, raw) in enumerate(ops):
                result, stored = apply_item(state, op, meta, raw, state.args.data_stream)
                items.append({op: result})
                state.write_log({"req": entry["req"], "item": i, "op": op, "_index": meta["_index"],
                                 "_id": result.get("_id"), "doc": parsed_or_raw(raw), "status": result["status"]})
                if stored is not None:
                    state.store.write(json.dumps(stored, separators=(",", ":")) + "\n")
            state.log.flush()
            state.store.flush()
        if fault and fault["type"] == "drop_after_store":
            self.drop()
            return
        if fault and fault["type"] == "slow":
            time.sleep(float(fault.get("delay", 3)))
        errors = any(next(iter(it.values()))["status"] >= 300 for it in items)
        took = int((time.monotonic() - started) * 1000)
        self.answer(200, {"took": took, "errors": errors, "items": items})


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--log", required=True)
    parser.add_argument("--store", required=True)
    parser.add_argument("--control")
    parser.add_argument("--max-content-length", type=int, default=0)
    parser.add_argument("--auth")
    parser.add_argument("--data-stream", default="")
    parser.add_argument("--reject-type", action="store_true")
    parser.add_argument("--tls-cert")
    parser.add_argument("--tls-key")
    parser.add_argument("--aws-sigv4")
    parser.add_argument("--aws-service", default="es")
    args = parser.parse_args()
    server = ThreadingHTTPServer(("127.0.0.1", args.port), Handler)
    if args.tls_cert:
        tls = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        tls.load_cert_chain(args.tls_cert, args.tls_key)
        # Handshakes happen in the per-connection threads (on first read), so
        # a client that refuses the certificate can't stall the accept loop.
        server.socket = tls.wrap_socket(server.socket, server_side=True, do_handshake_on_connect=False)
    server.daemon_threads = True
    server.state = State(args)
    print(f"listening on {args.port}", flush=True)
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        pass


if __name__ == "__main__":
    sys.exit(main())
