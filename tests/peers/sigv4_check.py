"""SigV4 checked independently of sluice's C++, for the Python stand-ins
(aws_credentials_standin.py, es_standin.py): the canonical request, string
to sign and signature recomputed with hmac/hashlib from AWS's "Signature
Version 4 signing process" and compared with what the request carries.
Python 3 standard library only.
"""
import datetime
import hashlib
import hmac
from urllib.parse import quote, unquote, urlsplit


def now():
    return datetime.datetime.now(datetime.timezone.utc)


def sigv4_uri(path):
    parts = path.split("/")
    segments = []
    for s in parts:
        if s in ("", "."):
            continue
        if s == "..":
            if segments:
                segments.pop()
            continue
        segments.append(s)
    out = "".join("/" + quote(s, safe="-_.~") for s in segments)
    if not out or parts[-1] in ("", ".", ".."):
        out += "/"
    return out


def sigv4_query(query):
    pairs = []
    for piece in query.split("&"):
        if not piece:
            continue
        name, _, value = piece.partition("=")
        pairs.append((quote(unquote(name), safe="-_.~"), quote(unquote(value), safe="-_.~")))
    return "&".join("%s=%s" % p for p in sorted(pairs))


def collapse(value):
    return " ".join(value.split())


def verify_sigv4(method, target, headers, body, credentials_of, service=None):
    """Returns (access_key_id, scope parts) or raises ValueError(reason).

    credentials_of(access_key_id) -> (secret, session token or None) for a
    key the server knows, or None.
    """
    auth = headers.get("Authorization", "")
    if not auth.startswith("AWS4-HMAC-SHA256 "):
        raise ValueError("MissingAuthenticationToken: no AWS4-HMAC-SHA256 Authorization header")
    fields = {}
    for part in auth[len("AWS4-HMAC-SHA256 "):].split(","):
        k, _, v = part.strip().partition("=")
        fields[k] = v
    try:
        akid, date, region, svc, terminator = fields["Credential"].split("/")
        signed_headers = fields["SignedHeaders"]
        signature = fields["Signature"]
    except (KeyError, ValueError):
        raise ValueError("IncompleteSignature: Authorization lacks Credential, SignedHeaders or Signature")
    if terminator != "aws4_request":
        raise ValueError("IncompleteSignature: scope does not end in aws4_request")
    if service and svc != service:
        raise ValueError("SignatureDoesNotMatch: credential scope names service %s, not %s" % (svc, service))
    amz_date = headers.get("X-Amz-Date", "")
    if not amz_date.startswith(date):
        raise ValueError("SignatureDoesNotMatch: X-Amz-Date %r does not match the scope date %s" % (amz_date, date))
    try:
        when = datetime.datetime.strptime(amz_date, "%Y%m%dT%H%M%SZ").replace(tzinfo=datetime.timezone.utc)
    except ValueError:
        raise ValueError("IncompleteSignature: bad X-Amz-Date %r" % amz_date)
    if abs((now() - when).total_seconds()) > 300:
        raise ValueError("RequestExpired: X-Amz-Date is more than 5 minutes off")
    names = signed_headers.split(";")
    if "host" not in names or "x-amz-date" not in names:
        raise ValueError("SignatureDoesNotMatch: host and x-amz-date must be signed")
    if names != sorted(names):
        raise ValueError("SignatureDoesNotMatch: SignedHeaders are not sorted")
    creds = credentials_of(akid)
    if creds is None:
        raise ValueError("InvalidClientTokenId: unknown access key %s" % akid)
    secret, token = creds
    if token is not None:
        if headers.get("X-Amz-Security-Token") != token:
            raise ValueError("InvalidClientTokenId: the security token included in the request is invalid")
        if "x-amz-security-token" not in names:
            raise ValueError("SignatureDoesNotMatch: x-amz-security-token is not signed")
    body_hash = hashlib.sha256(body).hexdigest()
    if "X-Amz-Content-Sha256" in headers and headers["X-Amz-Content-Sha256"] != body_hash:
        raise ValueError("XAmzContentSHA256Mismatch: X-Amz-Content-Sha256 is not the body's hash")
    canonical_headers = ""
    for name in names:
        values = headers.get_all(name) or []
        if not values:
            raise ValueError("SignatureDoesNotMatch: signed header %s is absent" % name)
        canonical_headers += "%s:%s\n" % (name, ",".join(collapse(v) for v in values))
    url = urlsplit(target)
    creq = "\n".join([method, sigv4_uri(url.path), sigv4_query(url.query), canonical_headers,
                      signed_headers, body_hash])
    scope = "/".join([date, region, svc, "aws4_request"])
    sts = "\n".join(["AWS4-HMAC-SHA256", amz_date, scope, hashlib.sha256(creq.encode()).hexdigest()])
    key = ("AWS4" + secret).encode()
    for part in (date, region, svc, "aws4_request"):
        key = hmac.new(key, part.encode(), hashlib.sha256).digest()
    expected = hmac.new(key, sts.encode(), hashlib.sha256).hexdigest()
    if not hmac.compare_digest(expected, signature):
        raise ValueError("SignatureDoesNotMatch: the request signature we calculated does not match "
                         "the signature you provided")
    return akid, {"date": date, "region": region, "service": svc, "signed_headers": signed_headers}
