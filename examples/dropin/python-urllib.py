"""Drop-in recipe, Python standard library (urllib): an app that hard-codes
https://ivs.idenfy.com, run unmodified against idenfy-mock. It trusts the
mock's CA only through SSL_CERT_FILE (set by whoever runs it) and reads the
credentials from the environment.

    SSL_CERT_FILE=/path/to/ca.pem IDENFY_API_KEY=… IDENFY_API_SECRET=… IDENFY_SIGNING_KEY=… python3 python-urllib.py
"""
import base64
import hashlib
import hmac
import json
import os
import sys
import urllib.error
import urllib.request

BASE_URL = "https://ivs.idenfy.com"
API_KEY = os.environ["IDENFY_API_KEY"]
API_SECRET = os.environ["IDENFY_API_SECRET"]
SIGNING_KEY = os.environ["IDENFY_SIGNING_KEY"]


def fail(message):
    sys.exit(f"FAIL: python-urllib: {message}")


def fetch(url, payload=None):
    """(status, final URL, headers, body); urllib follows redirects."""
    headers = {}
    if payload is not None:
        basic = base64.b64encode(f"{API_KEY}:{API_SECRET}".encode()).decode()
        headers = {"Content-Type": "application/json", "Authorization": f"Basic {basic}"}
    data = None if payload is None else json.dumps(payload).encode()
    try:
        with urllib.request.urlopen(urllib.request.Request(url, data, headers), timeout=15) as response:
            return response.status, response.url, response.headers, response.read()
    except urllib.error.HTTPError as error:  # 4xx/5xx: still an answer
        return error.code, error.url, error.headers, error.read()
    except urllib.error.URLError as error:  # e.g. a CA that is not trusted
        fail(f"cannot reach {url}: {error.reason}")


# 1. A dummy verification, as with iDenfy's DEV environment.
status, _, _, body = fetch(f"{BASE_URL}/api/v2/token",
                           {"clientId": "dropin-python-urllib", "dummyStatus": "APPROVED"})
if status != 201:
    fail(f"POST /api/v2/token answered {status}: {body[:300]!r}")
token = json.loads(body)
if token["redirectUrl"] != f"{BASE_URL}/api/v2/redirect?authToken={token['authToken']}":
    fail(f"redirectUrl is {token['redirectUrl']}")

# 2. redirectUrl leads to the verification page. A dummy token's verification is
#    already finished, so the page says so with 410; without dummyStatus it is 200.
page_status, page_url, page_headers, _ = fetch(token["redirectUrl"])
if page_status not in (200, 410) or page_headers.get_content_type() != "text/html":
    fail(f"the page answered {page_status} {page_headers.get_content_type()} ({page_url})")
if not page_url.startswith(("https://ivs.idenfy.com/", "https://ui.idenfy.com/")):
    fail(f"the redirect left iDenfy's hosts: {page_url}")

# 3. The result webhook, from the mock's journal: its exact body text and headers.
status, _, _, body = fetch(f"{BASE_URL}/_mock/webhooks/wait?scanRef={token['scanRef']}&timeoutMs=10000")
if status != 200:
    fail(f"no webhook for {token['scanRef']}: {status}")
record = json.loads(body)
raw = record["body"].encode()  # the bytes that were signed: verify these, not re-serialised JSON
signature = {name.lower(): value for name, value in record["headers"]}.get("idenfy-signature", "")
expected = hmac.new(SIGNING_KEY.encode(), raw, hashlib.sha256).hexdigest()
if not hmac.compare_digest(expected, signature):
    fail(f"{record['event']} webhook with a bad Idenfy-Signature")
result = json.loads(raw)
if (result["scanRef"], result["status"]["overall"]) != (token["scanRef"], "APPROVED"):
    fail("the webhook is not the APPROVED result of this verification")
print(f"ok: python-urllib: token 201, redirectUrl in iDenfy's form, page {page_status} text/html, "
      f"{record['event']} signature valid")
