"""idenfy-mock quickstart: create a dummy token, receive and verify its webhook.

Standard library only. Exits 0 once a signed webhook has been verified.
"""

import base64
import hashlib
import hmac
import json
import os
import queue
import sys
import threading
import urllib.error
import urllib.request
from http.server import BaseHTTPRequestHandler, HTTPServer

BASE_URL = os.environ.get("IDENFY_MOCK_URL", "http://127.0.0.1:8080").rstrip("/")
API_KEY = os.environ.get("IDENFY_API_KEY", "idenfy-mock-key")
API_SECRET = os.environ.get("IDENFY_API_SECRET", "idenfy-mock-secret")
SIGNING_KEY = os.environ.get("IDENFY_SIGNING_KEY", "idenfy-mock-signing-key")

received = queue.Queue()


def signature_ok(body: bytes, signature: str) -> bool:
    expected = hmac.new(SIGNING_KEY.encode(), body, hashlib.sha256).hexdigest()
    return hmac.compare_digest(expected, signature)


class Webhook(BaseHTTPRequestHandler):
    def do_POST(self):
        length = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(min(length, 1 << 20))
        ok = signature_ok(body, self.headers.get("Idenfy-Signature", ""))
        self.send_response(200 if ok else 401)
        self.send_header("Content-Length", "0")
        self.end_headers()
        received.put((ok, self.headers.get("Idenfy-Event-Type", "?"), body))

    def log_message(self, *args):
        pass


def main() -> int:
    server = HTTPServer(("127.0.0.1", 0), Webhook)
    port = server.server_address[1]
    threading.Thread(target=server.serve_forever, daemon=True).start()

    payload = json.dumps({
        "clientId": "quickstart-python",
        "dummyStatus": "APPROVED",
        "callbackUrl": f"http://127.0.0.1:{port}/webhook",
    }).encode()
    auth = base64.b64encode(f"{API_KEY}:{API_SECRET}".encode()).decode()
    request = urllib.request.Request(
        f"{BASE_URL}/api/v2/token", data=payload, method="POST",
        headers={"Content-Type": "application/json", "Authorization": f"Basic {auth}"})
    try:
        with urllib.request.urlopen(request, timeout=10) as response:
            status, text = response.status, response.read().decode()
    except urllib.error.HTTPError as error:
        status, text = error.code, error.read().decode()
    except OSError as error:
        print(f"FAIL: cannot reach {BASE_URL}: {error}", file=sys.stderr)
        return 1
    if status != 201:
        print(f"FAIL: POST /api/v2/token answered {status}: {text}", file=sys.stderr)
        return 1

    try:
        ok, event, body = received.get(timeout=20)
    except queue.Empty:
        print("FAIL: no webhook within 20 s", file=sys.stderr)
        return 1
    finally:
        server.shutdown()
    if not ok:
        print(f"FAIL: {event} webhook with a bad Idenfy-Signature", file=sys.stderr)
        return 1
    result = json.loads(body)
    print(f"{event} scanRef={result['scanRef']} "
          f"overall={result['status']['overall']} signature valid")
    return 0


if __name__ == "__main__":
    sys.exit(main())
