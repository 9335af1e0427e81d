#!/usr/bin/env python3
"""A small HTTP proxy for the HTTP client's tests (a stand-in for squid or
any corporate proxy): CONNECT host:port opens a tunnel (RFC 9110 9.3.6);
an absolute-form request ("POST http://host:port/path HTTP/1.1") is
forwarded to that origin as is (origins must accept the absolute form, RFC
9112 3.2.2), and the rest of the connection is piped both ways.

--auth user:pass answers 407 to requests without that Proxy-Authorization.
Logs one JSON line per proxied request to --log: {"method", "target",
"proxy_authorization"}. Prints "listening <port>" once ready. Stdlib only.
"""
import argparse
import base64
import json
import socket
import socketserver
import sys
import threading
from urllib.parse import urlsplit

LOCK = threading.Lock()


def pipe(src, dst):
    try:
        while True:
            data = src.recv(65536)
            if not data:
                break
            dst.sendall(data)
    except OSError:
        pass
    finally:
        for s in (src, dst):
            try:
                s.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass


class Handler(socketserver.BaseRequestHandler):
    def read_head(self):
        data = b""
        while b"\r\n\r\n" not in data:
            chunk = self.request.recv(4096)
            if not chunk:
                return None, b""
            data += chunk
        head, rest = data.split(b"\r\n\r\n", 1)
        return head.decode("latin-1"), rest

    def handle(self):
        head, rest = self.read_head()
        if head is None:
            return
        lines = head.split("\r\n")
        method, target, _ = lines[0].split(" ", 2)
        fields = {}
        for line in lines[1:]:
            name, _, value = line.partition(":")
            fields[name.strip().lower()] = value.strip()
        auth = fields.get("proxy-authorization", "")
        with LOCK, open(self.server.log_path, "a") as f:
            f.write(json.dumps({"method": method, "target": target, "proxy_authorization": auth}) + "\n")
        if self.server.auth and auth != self.server.auth:
            self.request.sendall(b"HTTP/1.1 407 Proxy Authentication Required\r\n"
                                 b"Proxy-Authenticate: Basic realm=\"test\"\r\nContent-Length: 0\r\n\r\n")
            return
        if method == "CONNECT":
            host, _, port = target.rpartition(":")
            upstream = socket.create_connection((host.strip("[]"), int(port)))
            self.request.sendall(b"HTTP/1.1 200 Connection established\r\n\r\n")
            if rest:
                upstream.sendall(rest)
        else:
            url = urlsplit(target)
            upstream = socket.create_connection((url.hostname, url.port or 80))
            upstream.sendall(head.encode("latin-1") + b"\r\n\r\n" + rest)
        t = threading.Thread(target=pipe, args=(upstream, self.request), daemon=True)
        t.start()
        pipe(self.request, upstream)
        t.join()


class Server(socketserver.ThreadingTCPServer):
    daemon_threads = True
    allow_reuse_address = True


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--port", type=int, required=True)
    ap.add_argument("--log", required=True)
    ap.add_argument("--auth", default="")
    args = ap.parse_args()
    server = Server(("127.0.0.1", args.port), Handler)
    server.log_path = args.log
    server.auth = ("Basic " + base64.b64encode(args.auth.encode()).decode()) if args.auth else ""
    print("listening %d" % args.port, flush=True)
    server.serve_forever()


if __name__ == "__main__":
    sys.exit(main())
