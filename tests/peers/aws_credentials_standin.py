#!/usr/bin/env python3
"""A stand-in for the AWS credential endpoints, for sluice's credential tests.

Written from AWS's documentation (the STS API reference for AssumeRole and
AssumeRoleWithWebIdentity and its "Common Errors", the EC2 User Guide's
"Use IMDSv2" and "Retrieve security credentials from instance metadata", the
ECS and EKS Pod Identity container credential provider pages, and the
Signature Version 4 signing process); it is not AWS. One HTTP/1.1 server
plays all three:

- EC2 instance metadata (IMDSv2):
    PUT /latest/api/token with X-aws-ec2-metadata-token-ttl-seconds (1..21600)
      -> a session token (400 without the header, 403 with X-Forwarded-For);
    GET /latest/meta-data/iam/security-credentials/ with X-aws-ec2-metadata-token
      -> the role name (401 without a token this server issued);
    GET /latest/meta-data/iam/security-credentials/<role>
      -> {"Code": "Success", "AccessKeyId", "SecretAccessKey", "Token", "Expiration", ...}.
- The container endpoint: GET /container/<anything> -> {"AccessKeyId",
  "SecretAccessKey", "Token", "Expiration", "RoleArn"}; with --container-token,
  the Authorization header must equal it (else 401).
- STS's query API: POST / with a form body (or GET /?...), Version=2011-06-15:
    Action=AssumeRoleWithWebIdentity (unsigned; RoleArn, RoleSessionName and
      WebIdentityToken required; the token "invalid" is refused with
      InvalidIdentityToken);
    Action=AssumeRole: the request must be SigV4-signed (service sts) with a
      --known-key or with credentials this server minted (then its session
      token must be sent and signed); the signature is checked by the
      independent implementation in sigv4_check.py (hmac/hashlib). With --external-id,
      ExternalId must equal it.
  Answers are STS's XML documents; errors are <ErrorResponse> with a Code.
- Any request to /signed/...: its SigV4 signature is checked the same way
  (any service); 200 {"verified": true, ...} or 403 {"error": reason}.

Credentials minted here expire --expires-in seconds from now (or the control
file's "expires_in"). The control file (--control, JSON, read on each request
when it exists) may also hold "fail": {"imds_token" | "imds_list" |
"imds_role" | "container" | "sts": status or {"status", "code", "message"}}
to make that endpoint fail, and "imds_role" to rename the instance's role
("" = none attached: the role list answers 404).

--log FILE gets one JSON line per request: {"n", "kind", "method", "path",
"headers", "params" (STS form), "signed", "verified", "error", "status",
"minted" (the credentials answered: the tests check none of them reaches
sluice's log)}.

Usage: aws_credentials_standin.py --port N --log FILE [--control FILE]
       [--known-key AKID:SECRET]... [--container-token T] [--external-id X]
       [--imds-role NAME] [--expires-in SECONDS]
Prints "listening <port>" once ready. Python 3 standard library only.
"""
import argparse
import datetime
import itertools
import json
import os
import secrets
import sys
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qsl, urlsplit
from xml.sax.saxutils import escape

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import sigv4_check  # noqa: E402  (beside this script)

LOCK = threading.Lock()
SEQ = itertools.count(1)
ISSUED_IMDS_TOKENS = set()
MINTED = {}  # access key id -> (secret, token)


def utc(dt):
    return dt.strftime("%Y-%m-%dT%H:%M:%SZ")


def now():
    return datetime.datetime.now(datetime.timezone.utc)


# ---- SigV4, independently of sluice's C++ ----------------------------------

def credentials_of(akid):
    """The secret (and session token) of a key this server minted or knows."""
    with LOCK:
        minted = MINTED.get(akid)
    if minted:
        return minted
    known = SERVER_ARGS.known_keys.get(akid)
    return (known, None) if known else None


def verify_sigv4(method, target, headers, body, service=None):
    return sigv4_check.verify_sigv4(method, target, headers, body, credentials_of, service)


# ---- the server -----------------------------------------------------------

def control():
    path = SERVER_ARGS.control
    if path and os.path.exists(path):
        with open(path) as f:
            text = f.read()
        if text.strip():
            return json.loads(text)
    return {}


def mint(kind):
    ctl = control()
    expires_in = int(ctl.get("expires_in", SERVER_ARGS.expires_in))
    akid = "ASIA%s%04d" % (kind.upper(), next(SEQ))
    creds = {
        "access_key_id": akid,
        "secret_access_key": "standin-secret-" + secrets.token_urlsafe(24),
        "session_token": "standin-token-" + secrets.token_urlsafe(48),
        "expiration": utc(now() + datetime.timedelta(seconds=expires_in)),
    }
    with LOCK:
        MINTED[akid] = (creds["secret_access_key"], creds["session_token"])
    return creds


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def log_message(self, fmt, *args):  # quiet
        pass

    def _record(self):
        # Logged before the answer goes out: a test that has the answer
        # finds the request in the log.
        if not self.recorded:
            self.recorded = True
            with LOCK, open(SERVER_ARGS.log, "a") as f:
                f.write(json.dumps(self.entry) + "\n")

    def _answer(self, status, body, content_type):
        data = body.encode() if isinstance(body, str) else body
        self.entry["status"] = status
        self._record()
        self.send_response(status)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def _json(self, status, doc):
        self._answer(status, json.dumps(doc), "application/json")

    def _fault(self, name):
        fail = control().get("fail", {}).get(name)
        if fail is None:
            return None
        return fail if isinstance(fail, dict) else {"status": int(fail)}

    def _sts_error(self, status, code, message):
        doc = ('<ErrorResponse xmlns="https://sts.amazonaws.com/doc/2011-06-15/">\n'
               "  <Error>\n    <Type>Sender</Type>\n    <Code>%s</Code>\n    <Message>%s</Message>\n  </Error>\n"
               "  <RequestId>%s</RequestId>\n</ErrorResponse>\n") % (escape(code), escape(message), secrets.token_hex(8))
        self.entry["error"] = "%s: %s" % (code, message)
        self._answer(status, doc, "text/xml")

    def _handle(self):
        length = int(self.headers.get("Content-Length", "0"))
        body = self.rfile.read(length) if length else b""
        url = urlsplit(self.path)
        self.entry = {"n": next(SEQ), "kind": "", "method": self.command, "path": self.path,
                      "headers": {k: v for k, v in self.headers.items()}, "params": None, "signed": None,
                      "verified": None, "error": None, "status": None, "minted": None}
        self.recorded = False
        try:
            if url.path == "/latest/api/token":
                self.entry["kind"] = "imds_token"
                self._imds_token()
            elif url.path.startswith("/latest/meta-data/iam/security-credentials/"):
                self._imds_credentials(url.path[len("/latest/meta-data/iam/security-credentials/"):])
            elif url.path.startswith("/container/"):
                self.entry["kind"] = "container"
                self._container()
            elif url.path.startswith("/signed/"):
                self.entry["kind"] = "signed"
                self._signed(body)
            elif url.path == "/":
                self.entry["kind"] = "sts"
                self._sts(body, url.query)
            else:
                self._json(404, {"error": "no such endpoint"})
        finally:
            self._record()

    do_GET = do_POST = do_PUT = _handle

    def _imds_token(self):
        if self.command != "PUT":
            return self._answer(405, "", "text/plain")
        if "X-Forwarded-For" in self.headers:
            return self._answer(403, "", "text/plain")
        ttl = self.headers.get("X-aws-ec2-metadata-token-ttl-seconds", "")
        if not ttl.isdigit() or not 1 <= int(ttl) <= 21600:
            return self._answer(400, "", "text/plain")
        fault = self._fault("imds_token")
        if fault:
            return self._answer(fault["status"], "", "text/plain")
        token = "imds-session-" + secrets.token_urlsafe(16)
        with LOCK:
            ISSUED_IMDS_TOKENS.add(token)
        self._answer(200, token, "text/plain")

    def _imds_credentials(self, role):
        self.entry["kind"] = "imds_role" if role else "imds_list"
        with LOCK:
            ok = self.headers.get("X-aws-ec2-metadata-token") in ISSUED_IMDS_TOKENS
        if not ok:
            self.entry["error"] = "no valid X-aws-ec2-metadata-token"
            return self._answer(401, "", "text/plain")
        fault = self._fault(self.entry["kind"])
        if fault:
            return self._answer(fault["status"], "", "text/plain")
        attached = control().get("imds_role", SERVER_ARGS.imds_role)
        if not role:
            return self._answer(200, attached, "text/plain") if attached else self._answer(404, "", "text/html")
        if role != attached:
            return self._answer(404, "", "text/html")
        creds = mint("imds")
        self.entry["minted"] = creds
        self._json(200, {"Code": "Success", "LastUpdated": utc(now()), "Type": "AWS-HMAC",
                         "AccessKeyId": creds["access_key_id"], "SecretAccessKey": creds["secret_access_key"],
                         "Token": creds["session_token"], "Expiration": creds["expiration"]})

    def _container(self):
        if SERVER_ARGS.container_token and self.headers.get("Authorization") != SERVER_ARGS.container_token:
            self.entry["error"] = "wrong Authorization"
            return self._json(401, {"code": "AccessDeniedException", "message": "invalid authorization token"})
        fault = self._fault("container")
        if fault:
            return self._json(fault["status"], {"code": fault.get("code", "InternalError"),
                                                "message": fault.get("message", "scripted failure")})
        creds = mint("ecs")
        self.entry["minted"] = creds
        self._json(200, {"RoleArn": "arn:aws:iam::123456789012:role/standin-task",
                         "AccessKeyId": creds["access_key_id"], "SecretAccessKey": creds["secret_access_key"],
                         "Token": creds["session_token"], "Expiration": creds["expiration"]})

    def _signed(self, body):
        self.entry["signed"] = "Authorization" in self.headers
        try:
            akid, scope = verify_sigv4(self.command, self.path, self.headers, body)
        except ValueError as e:
            self.entry["verified"] = False
            self.entry["error"] = str(e)
            return self._json(403, {"error": str(e)})
        self.entry["verified"] = True
        self._json(200, dict(scope, verified=True, access_key_id=akid))

    def _sts(self, body, query):
        params = dict(parse_qsl(body.decode() if body else query, keep_blank_values=True))
        self.entry["params"] = params
        self.entry["signed"] = "Authorization" in self.headers
        if params.get("Version") != "2011-06-15":
            return self._sts_error(400, "InvalidAction", "Version must be 2011-06-15")
        action = params.get("Action")
        if action == "AssumeRole":
            try:
                verify_sigv4(self.command, self.path, self.headers, body, service="sts")
                self.entry["verified"] = True
            except ValueError as e:
                self.entry["verified"] = False
                code, _, message = str(e).partition(": ")
                return self._sts_error(403, code, message)
        elif action != "AssumeRoleWithWebIdentity":
            return self._sts_error(400, "InvalidAction", "Could not find operation %s" % action)
        for name in ("RoleArn", "RoleSessionName") + (("WebIdentityToken",) if action != "AssumeRole" else ()):
            if not params.get(name):
                return self._sts_error(400, "MissingParameter", "The request must contain the parameter " + name)
        if action == "AssumeRoleWithWebIdentity" and params["WebIdentityToken"] == "invalid":
            return self._sts_error(400, "InvalidIdentityToken", "Couldn't retrieve verification key from your "
                                   "identity provider")
        if action == "AssumeRole" and SERVER_ARGS.external_id and params.get("ExternalId") != SERVER_ARGS.external_id:
            return self._sts_error(403, "AccessDenied", "User is not authorized to perform: sts:AssumeRole on "
                                   "resource: " + params["RoleArn"])
        fault = self._fault("sts")
        if fault:
            return self._sts_error(fault["status"], fault.get("code", "AccessDenied"),
                                   fault.get("message", "scripted failure"))
        creds = mint("sts")
        self.entry["minted"] = creds
        role_name = params["RoleArn"].rsplit("/", 1)[-1]
        extra = ""
        if action == "AssumeRoleWithWebIdentity":
            extra = ("    <SubjectFromWebIdentityToken>system:serviceaccount:default:sluice</SubjectFromWebIdentityToken>\n"
                     "    <Audience>sts.amazonaws.com</Audience>\n"
                     "    <Provider>arn:aws:iam::123456789012:oidc-provider/standin</Provider>\n")
        doc = ('<{a}Response xmlns="https://sts.amazonaws.com/doc/2011-06-15/">\n  <{a}Result>\n{extra}'
               "    <AssumedRoleUser>\n      <Arn>arn:aws:sts::123456789012:assumed-role/{role}/{session}</Arn>\n"
               "      <AssumedRoleId>AROASTANDIN:{session}</AssumedRoleId>\n    </AssumedRoleUser>\n"
               "    <Credentials>\n      <AccessKeyId>{akid}</AccessKeyId>\n"
               "      <SecretAccessKey>{secret}</SecretAccessKey>\n      <SessionToken>{token}</SessionToken>\n"
               "      <Expiration>{exp}</Expiration>\n    </Credentials>\n  </{a}Result>\n"
               "  <ResponseMetadata>\n    <RequestId>{rid}</RequestId>\n  </ResponseMetadata>\n</{a}Response>\n").format(
            a=action, extra=extra, role=escape(role_name), session=escape(params["RoleSessionName"]),
            akid=creds["access_key_id"], secret=escape(creds["secret_access_key"]),
            token=escape(creds["session_token"]), exp=creds["expiration"], rid=secrets.token_hex(8))
        self._answer(200, doc, "text/xml")


class Server(ThreadingHTTPServer):
    daemon_threads = True
    allow_reuse_address = True


SERVER_ARGS = None


def main():
    global SERVER_ARGS
    ap = argparse.ArgumentParser()
    ap.add_argument("--port", type=int, required=True)
    ap.add_argument("--log", required=True)
    ap.add_argument("--control")
    ap.add_argument("--known-key", action="append", default=[])
    ap.add_argument("--container-token", default="")
    ap.add_argument("--external-id", default="")
    ap.add_argument("--imds-role", default="sluice-test-role")
    ap.add_argument("--expires-in", type=int, default=3600)
    args = ap.parse_args()
    args.known_keys = dict(k.split(":", 1) for k in args.known_key)
    SERVER_ARGS = args
    server = Server(("127.0.0.1", args.port), Handler)
    print("listening %d" % args.port, flush=True)
    server.serve_forever()


if __name__ == "__main__":
    sys.exit(main())
