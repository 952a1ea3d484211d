"""Drop-in recipe, Python httpx: an app that hard-codes https://ivs.idenfy.com,
run unmodified against idenfy-mock. httpx (trust_env, the default) takes the
mock's CA through SSL_CERT_FILE (set by whoever runs it); without it, certifi.
Credentials from the environment.

    SSL_CERT_FILE=/path/to/ca.pem IDENFY_API_KEY=… IDENFY_API_SECRET=… IDENFY_SIGNING_KEY=… python python-httpx.py
"""
import hashlib
import hmac
import os
import sys

import httpx

BASE_URL = "https://ivs.idenfy.com"
AUTH = (os.environ["IDENFY_API_KEY"], os.environ["IDENFY_API_SECRET"])
SIGNING_KEY = os.environ["IDENFY_SIGNING_KEY"]


def fail(message):
    sys.exit(f"FAIL: python-httpx: {message}")


try:
    with httpx.Client(timeout=15) as client:
        # 1. A dummy verification, as with iDenfy's DEV environment.
        response = client.post(f"{BASE_URL}/api/v2/token", auth=AUTH,
                               json={"clientId": "dropin-python-httpx", "dummyStatus": "APPROVED"})
        if response.status_code != 201:
            fail(f"POST /api/v2/token answered {response.status_code}: {response.text[:300]}")
        token = response.json()
        if token["redirectUrl"] != f"{BASE_URL}/api/v2/redirect?authToken={token['authToken']}":
            fail(f"redirectUrl is {token['redirectUrl']}")

        # 2. redirectUrl leads to the verification page. A dummy token's verification
        #    is already finished: 410 says so; without dummyStatus, 200.
        page = client.get(token["redirectUrl"], follow_redirects=True)
        if page.status_code not in (200, 410) or not page.headers["content-type"].startswith("text/html"):
            fail(f"the page answered {page.status_code} {page.headers.get('content-type')} ({page.url})")
        if not str(page.url).startswith(("https://ivs.idenfy.com/", "https://ui.idenfy.com/")):
            fail(f"the redirect left iDenfy's hosts: {page.url}")

        # 3. The result webhook, from the mock's journal: its exact body text and headers.
        response = client.get(f"{BASE_URL}/_mock/webhooks/wait",
                              params={"scanRef": token["scanRef"], "timeoutMs": 10000})
        if response.status_code != 200:
            fail(f"no webhook for {token['scanRef']}: {response.status_code}")
except httpx.TransportError as error:  # e.g. a CA that is not trusted
    fail(f"cannot reach {BASE_URL}: {error}")
record = response.json()
raw = record["body"].encode()  # the bytes that were signed: verify these, not re-serialised JSON
signature = {name.lower(): value for name, value in record["headers"]}.get("idenfy-signature", "")
if not hmac.compare_digest(hmac.new(SIGNING_KEY.encode(), raw, hashlib.sha256).hexdigest(), signature):
    fail(f"{record['event']} webhook with a bad Idenfy-Signature")
print(f"ok: python-httpx: token 201, redirectUrl in iDenfy's form, page {page.status_code} text/html, "
      f"{record['event']} signature valid")
