#!/usr/bin/env python3
"""Logs COUNT records through Python's own logging.handlers.HTTPHandler (POST,
x-www-form-urlencoded: one request per record, each LogRecord attribute a form
field), as an application would. Used by tests/e2e/http_input_e2e_test.cpp.

Each record's message is "record I of COUNT: <text with characters a form must
escape>", with an extra field user_id=42. Exits 1 if the handler reported an
error (HTTPHandler itself ignores the status code; sluice's file output is
what the test checks).

Usage: http_input_python_handler.py --port P [--host 127.0.0.1] [--path /python.app]
         [--count N] [--user U --password P] [--cafile CA (HTTPS)]
"""
import argparse
import logging
import logging.handlers
import ssl
import sys

TEXT = "ünïcødé & = + % ✓ \"quoted\" a\\b"


class CountingHandler(logging.handlers.HTTPHandler):
    """HTTPHandler unchanged, except that a failed emit is remembered."""

    failures = 0

    def handleError(self, record):
        CountingHandler.failures += 1
        super().handleError(record)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--host", default="127.0.0.1")
    ap.add_argument("--port", type=int, required=True)
    ap.add_argument("--path", default="/python.app")
    ap.add_argument("--count", type=int, default=10)
    ap.add_argument("--user")
    ap.add_argument("--password")
    ap.add_argument("--cafile")
    args = ap.parse_args()

    credentials = (args.user, args.password) if args.user else None
    context = ssl.create_default_context(cafile=args.cafile) if args.cafile else None
    handler = CountingHandler(f"{args.host}:{args.port}", args.path, method="POST",
                              secure=context is not None, credentials=credentials, context=context)
    logger = logging.getLogger("sluice.test")
    logger.propagate = False
    logger.setLevel(logging.INFO)
    logger.addHandler(handler)
    for i in range(1, args.count + 1):
        logger.warning(f"record {i} of {args.count}: {TEXT}", extra={"user_id": 42})
    handler.close()
    return 1 if CountingHandler.failures else 0


if __name__ == "__main__":
    sys.exit(main())
