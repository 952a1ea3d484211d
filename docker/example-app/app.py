#!/usr/bin/env python3
"""A minimal "application" that integrates iDenfy, configured only through the
environment, as a real app would be pointed at idenfy-mock:

    IDENFY_BASE_URL     where iDenfy is (https://ivs.idenfy.com, or the mock)
    IDENFY_API_KEY      Basic-auth username
    IDENFY_API_SECRET   Basic-auth password
    IDENFY_SIGNING_KEY  key of the Idenfy-Signature HMAC
    WEBHOOK_PORT        where this app receives iDenfy's webhooks (default 3000)
    WEBHOOK_HOST        interface to bind (default 127.0.0.1)

It creates a dummy APPROVED verification, waits for the result webhook,
checks its signature, prints the outcome and exits 0 (1 on any failure).
Standard library only.
"""
import base64
import hashlib
import hmac
import json
import os
import sys
import threading
import time
import urllib.error
import urllib.request
from http.server import BaseHTTPRequestHandler, HTTPServer

BASE = os.environ.get("IDENFY_BASE_URL", "http://127.0.0.1:8080").rstrip("/")
KEY = os.environ.get("IDENFY_API_KEY", "idenfy-mock-key")
SECRET = os.environ.get("IDENFY_API_SECRET", "idenfy-mock-secret")
SIGNING_KEY = os.environ.get("IDENFY_SIGNING_KEY", "idenfy-mock-signing-key").encode()
PORT = int(os.environ.get("WEBHOOK_PORT", "3000"))
HOST = os.environ.get("WEBHOOK_HOST", "127.0.0.1")

received = {}
done = threading.Event()


class Webhook(BaseHTTPRequestHandler):
    def do_POST(self):
        body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
        expected = hmac.new(SIGNING_KEY, body, hashlib.sha256).hexdigest()
        received["valid"] = hmac.compare_digest(self.headers.get("Idenfy-Signature", ""), expected)
        received["body"] = json.loads(body)
        self.send_response(200)
        self.end_headers()
        done.set()

    def log_message(self, *args):
        pass


server = HTTPServer((HOST, PORT), Webhook)
threading.Thread(target=server.serve_forever, daemon=True).start()

request = urllib.request.Request(
    f"{BASE}/api/v2/token",
    data=json.dumps({"clientId": "example-user", "dummyStatus": "APPROVED"}).encode(),
    headers={
        "Content-Type": "application/json",
        "Authorization": "Basic " + base64.b64encode(f"{KEY}:{SECRET}".encode()).decode(),
    },
)
# The mock may still be starting (not every compose honours depends_on's
# condition): retry a refused connection for up to 30 s.
deadline = time.monotonic() + 30
while True:
    try:
        with urllib.request.urlopen(request, timeout=10) as response:
            token = json.load(response)
        break
    except urllib.error.HTTPError:
        raise
    except (urllib.error.URLError, ConnectionError) as err:
        if time.monotonic() > deadline:
            print(f"cannot reach {BASE}: {err}", flush=True)
            sys.exit(1)
        time.sleep(0.2)
print(f"token created: scanRef={token['scanRef']}", flush=True)

if not done.wait(timeout=20):
    print("no webhook arrived", flush=True)
    sys.exit(1)
overall = received["body"]["status"]["overall"]
print(f"webhook: overall={overall} signature {'valid' if received['valid'] else 'INVALID'}", flush=True)
sys.exit(0 if received["valid"] and overall == "APPROVED" and received["body"]["scanRef"] == token["scanRef"] else 1)
