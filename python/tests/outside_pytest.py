"""`with IdenfyMock() as mock:` in a plain script, no pytest: the issue's
done-when. Run by scripts/helpers-test-py-node from the installed wheel;
exits non-zero on any failure. With HELPERS_EXPECT_BINARY set, it also checks
that the helper ran that binary (the one the wheel installed)."""

import base64
import hashlib
import hmac
import json
import os
import time
import urllib.error
import urllib.request
from typing import Any, Dict

from idenfy_mock import IdenfyMock, WebhookTimeoutError, find_binary, header

opener = urllib.request.build_opener(urllib.request.ProxyHandler({}))


def post_token(mock: IdenfyMock, body: Dict[str, Any]) -> Dict[str, Any]:
    auth = base64.b64encode(f"{mock.api_key}:{mock.api_secret}".encode()).decode()
    req = urllib.request.Request(
        mock.url + "/api/v2/token",
        data=json.dumps(body).encode(),
        headers={"Authorization": "Basic " + auth, "Content-Type": "application/json"},
        method="POST",
    )
    with opener.open(req, timeout=10) as resp:
        assert resp.status == 201
        answer: Dict[str, Any] = json.loads(resp.read())
        return answer


def main() -> None:
    expected = os.environ.get("HELPERS_EXPECT_BINARY")
    if expected:
        assert os.path.samefile(find_binary(), expected), (find_binary(), expected)

    started = time.perf_counter()
    with IdenfyMock() as mock:
        ready_ms = (time.perf_counter() - started) * 1000
        if expected:
            assert mock.binary is not None and os.path.samefile(mock.binary, expected)
        pid = mock.pid
        assert pid is not None

        token = post_token(mock, {"clientId": "user-1", "dummyStatus": "APPROVED"})
        hook = mock.wait_for_webhook(token["scanRef"], timeout=10)
        expected_sig = hmac.new(mock.signing_key.encode() if mock.signing_key else b"", hook["body"].encode(), hashlib.sha256).hexdigest()
        assert header(hook, "Idenfy-Signature") == expected_sig
        assert json.loads(hook["body"])["status"]["overall"] == "APPROVED"

        active = post_token(mock, {"clientId": "user-2"})
        mock.finish(active["scanRef"], "suspect", tag="NAME")
        suspected = mock.wait_for_webhook(active["scanRef"], timeout=10)
        assert json.loads(suspected["body"])["status"]["overall"] == "SUSPECTED"

        expiring = post_token(mock, {"clientId": "user-3", "expiryTime": 60})
        mock.advance_clock(61)
        assert mock.wait_for_webhook(expiring["scanRef"], event="IDENTIFICATION_EXPIRED", timeout=10)["final"]

        mock.inject_fault("api", "status", status=503, path="/api/v2/token")
        try:
            post_token(mock, {"clientId": "user-4"})
            raise AssertionError("the fault did not fire")
        except urllib.error.HTTPError as err:
            assert err.code == 503

        assert mock.reset()["scope"] == "all"
        assert mock.webhooks() == [] and mock.faults() == []
        try:
            mock.wait_for_webhook(token["scanRef"], timeout=0.2)
            raise AssertionError("the wait did not time out")
        except WebhookTimeoutError as err:
            assert token["scanRef"] in str(err)

    assert mock.pid is None
    deadline = time.monotonic() + 5
    while time.monotonic() < deadline:
        try:
            os.kill(pid, 0)
        except OSError:
            break
        if open(f"/proc/{pid}/stat").read().rsplit(")", 1)[1].split()[0] == "Z":
            break
        time.sleep(0.01)  # polling with a deadline
    else:
        raise AssertionError(f"the mock (pid {pid}) still runs after the with block")
    print(f"outside pytest: ok (start to ready {ready_ms:.1f} ms, binary {mock.binary})")


if __name__ == "__main__":
    main()
