"""Drop-in recipe, Python requests: an app that hard-codes
https://ivs.idenfy.com, run unmodified against idenfy-mock. requests trusts
certifi's bundle, not SSL_CERT_FILE: it takes the mock's CA only through
REQUESTS_CA_BUNDLE (set by whoever runs it). Credentials from the environment.

    REQUESTS_CA_BUNDLE=/path/to/ca.pem IDENFY_API_KEY=… IDENFY_API_SECRET=… IDENFY_SIGNING_KEY=… python python-requests.py
"""
import hashlib
import hmac
import os
import sys

import requests

BASE_URL = "https://ivs.idenfy.com"
AUTH = (os.environ["IDENFY_API_KEY"], os.environ["IDENFY_API_SECRET"])
SIGNING_KEY = os.environ["IDENFY_SIGNING_KEY"]


def fail(message):
    sys.exit(f"FAIL: python-requests: {message}")


try:
    # 1. A dummy verification, as with iDenfy's DEV environment.
    response = requests.post(f"{BASE_URL}/api/v2/token", auth=AUTH, timeout=15,
                             json={"clientId": "dropin-python-requests", "dummyStatus": "APPROVED"})
    if response.status_code != 201:
        fail(f"POST /api/v2/token answered {response.status_code}: {response.text[:300]}")
    token = response.json()
    if token["redirectUrl"] != f"{BASE_URL}/api/v2/redirect?authToken={token['authToken']}":
        fail(f"redirectUrl is {token['redirectUrl']}")

    # 2. redirectUrl leads to the verification page (requests follows it). A dummy
    #    token's verification is already finished: 410 says so; without dummyStatus, 200.
    page = requests.get(token["redirectUrl"], timeout=15)
    if page.status_code not in (200, 410) or not page.headers["Content-Type"].startswith("text/html"):
        fail(f"the page answered {page.status_code} {page.headers.get('Content-Type')} ({page.url})")
    if not page.url.startswith(("https://ivs.idenfy.com/", "https://ui.idenfy.com/")):
        fail(f"the redirect left iDenfy's hosts: {page.url}")

    # 3. The result webhook, from the mock's journal: its exact body text and headers.
    response = requests.get(f"{BASE_URL}/_mock/webhooks/wait", timeout=15,
                            params={"scanRef": token["scanRef"], "timeoutMs": 10000})
    if response.status_code != 200:
        fail(f"no webhook for {token['scanRef']}: {response.status_code}")
except requests.exceptions.ConnectionError as error:  # e.g. a CA that is not trusted
    fail(f"cannot reach {BASE_URL}: {error}")
record = response.json()
raw = record["body"].encode()  # the bytes that were signed: verify these, not re-serialised JSON
signature = {name.lower(): value for name, value in record["headers"]}.get("idenfy-signature", "")
if not hmac.compare_digest(hmac.new(SIGNING_KEY.encode(), raw, hashlib.sha256).hexdigest(), signature):
    fail(f"{record['event']} webhook with a bad Idenfy-Signature")
print(f"ok: python-requests: token 201, redirectUrl in iDenfy's form, page {page.status_code} text/html, "
      f"{record['event']} signature valid")
