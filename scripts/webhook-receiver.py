#!/usr/bin/env python3
"""A webhook receiver for trying idenfy-mock by hand (Python standard library only).

Prints each webhook's event, overall status and whether its Idenfy-Signature
verifies against the signing key, then answers 200.

    python3 scripts/webhook-receiver.py [PORT] [SIGNING_KEY]

Defaults: port 9000 on 127.0.0.1, and the embedded default partner's signing key.
"""
import hashlib
import hmac
import json
import sys
from http.server import BaseHTTPRequestHandler, HTTPServer

PORT = int(sys.argv[1]) if len(sys.argv) > 1 else 9000
KEY = (sys.argv[2] if len(sys.argv) > 2 else "idenfy-mock-signing-key").encode()


class Hook(BaseHTTPRequestHandler):
    def do_POST(self):
        body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
        sent = self.headers.get("Idenfy-Signature", "")
        expected = hmac.new(KEY, body, hashlib.sha256).hexdigest()
        verdict = "valid" if sent and hmac.compare_digest(sent, expected) else "INVALID or missing"
        data = json.loads(body)
        print(
            f"{self.headers.get('Idenfy-Event-Type')} scanRef={data['scanRef']} "
            f"overall={data['status']['overall']} final={data['final']} signature {verdict}",
            flush=True,
        )
        self.send_response(200)
        self.end_headers()

    def log_message(self, *args):
        pass


print(f"receiving webhooks on http://127.0.0.1:{PORT}/", flush=True)
HTTPServer(("127.0.0.1", PORT), Hook).serve_forever()
