#!/usr/bin/env python3
"""A webhook receiver for the integration tests: records every request
(headers, body, whether the signature verifies, the answer given) as one
JSON line, and answers 500 to the first FAIL requests, 200 after.

usage: webhook_receiver.py PORTFILE LOG SECRETFILE [FAIL] [DELAY_S]
Writes the port it listens on (127.0.0.1, chosen by the system) to PORTFILE.
"""
import hashlib
import hmac
import http.server
import json
import sys
import threading
import time

portfile, log, secretfile = sys.argv[1:4]
fail = int(sys.argv[4]) if len(sys.argv) > 4 else 0
delay = float(sys.argv[5]) if len(sys.argv) > 5 else 0.0
secret = open(secretfile, "rb").read().rstrip(b"\r\n\t ")
lock = threading.Lock()
count = 0


class Handler(http.server.BaseHTTPRequestHandler):
    def do_POST(self):
        global count
        body = self.rfile.read(int(self.headers.get("Content-Length", "0")))
        want = "sha256=" + hmac.new(secret, body, hashlib.sha256).hexdigest()
        if delay:
            time.sleep(delay)
        with lock:
            count += 1
            code = 500 if count <= fail else 200
            rec = {
                "n": count,
                "code": code,
                "path": self.path,
                "event": self.headers.get("X-Hvpolicy-Event"),
                "key": self.headers.get("Idempotency-Key"),
                "type": self.headers.get("X-Hvpolicy-Event-Type"),
                "signed": hmac.compare_digest(
                    want, self.headers.get("X-Hvpolicy-Signature", "")),
                "body": body.decode(),
            }
            with open(log, "a") as f:
                f.write(json.dumps(rec) + "\n")
        self.send_response(code)
        self.send_header("Content-Length", "0")
        self.end_headers()

    def log_message(self, *args):
        pass


srv = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
with open(portfile + ".tmp", "w") as f:
    f.write(str(srv.server_address[1]))
import os
os.rename(portfile + ".tmp", portfile)
srv.serve_forever()
