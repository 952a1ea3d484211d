"""The Python helper's own tests, run by scripts/helpers-test-py-node against
the package as a user installs it (the `idenfy_mock` fixture comes from the
installed pytest plugin). The iDenfy calls go through urllib, as an
application's own HTTP client would make them."""

import base64
import hashlib
import hmac
import json
import os
import signal
import subprocess
import sys
import threading
import time
import textwrap
import urllib.error
import urllib.request
from http.server import BaseHTTPRequestHandler, HTTPServer
from pathlib import Path
from typing import Any, Dict, Iterator, List, Optional, Tuple

import pytest

import idenfy_mock
from idenfy_mock import IdenfyMock, IdenfyMockError, WebhookTimeoutError, header

# urllib without any proxy from the environment: the mock is on loopback.
_opener = urllib.request.build_opener(urllib.request.ProxyHandler({}))


def idenfy_post(mock: IdenfyMock, path: str, body: Dict[str, Any]) -> Tuple[int, Dict[str, Any]]:
    """POST to the iDenfy API the way an application does: Basic auth, JSON."""
    auth = base64.b64encode(f"{mock.api_key}:{mock.api_secret}".encode()).decode()
    req = urllib.request.Request(
        mock.url + path,
        data=json.dumps(body).encode(),
        headers={"Authorization": "Basic " + auth, "Content-Type": "application/json"},
        method="POST",
    )
    try:
        with _opener.open(req, timeout=10) as resp:
            raw = resp.read()
            return resp.status, (json.loads(raw) if raw else {})
    except urllib.error.HTTPError as err:
        return err.code, json.loads(err.read() or b"{}")


def new_token(mock: IdenfyMock, **fields: Any) -> Dict[str, Any]:
    status, token = idenfy_post(mock, "/api/v2/token", dict({"clientId": "user-1"}, **fields))
    assert status == 201, token
    assert token["scanRef"]
    return token


def signature_ok(key: str, body: str, signature: Optional[str]) -> bool:
    expected = hmac.new(key.encode(), body.encode(), hashlib.sha256).hexdigest()
    return signature is not None and hmac.compare_digest(expected, signature)


def test_the_fixture_gives_url_and_credentials(idenfy_mock: IdenfyMock) -> None:
    assert idenfy_mock.url.startswith("http://127.0.0.1:")
    assert (idenfy_mock.api_key, idenfy_mock.api_secret, idenfy_mock.signing_key) == (
        "idenfy-mock-key",
        "idenfy-mock-secret",
        "idenfy-mock-signing-key",
    )
    with _opener.open(idenfy_mock.url + "/_mock/health", timeout=5) as resp:
        assert json.loads(resp.read())["status"] == "ok"


def test_dummy_token_webhook_with_a_valid_signature(idenfy_mock: IdenfyMock) -> None:
    token = new_token(idenfy_mock, dummyStatus="APPROVED")
    hook = idenfy_mock.wait_for_webhook(token["scanRef"], timeout=10)
    assert hook["scanRef"] == token["scanRef"]
    assert hook["event"] == "IDENTIFICATION_AUTO_FINISHED"
    assert header(hook, "idenfy-event-type") == "IDENTIFICATION_AUTO_FINISHED"
    # `body` is the exact text that was signed.
    assert signature_ok(idenfy_mock.signing_key or "", hook["body"], header(hook, "Idenfy-Signature"))
    assert idenfy_mock.verify_signature(hook)
    assert json.loads(hook["body"])["status"]["overall"] == "APPROVED"
    assert [w["id"] for w in idenfy_mock.webhooks(token["scanRef"])] == [hook["id"]]


class _Receiver:
    """A webhook receiver on loopback that keeps what it got."""

    def __init__(self) -> None:
        got: List[Tuple[Dict[str, str], bytes]] = []
        self.got = got

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:  # noqa: N802
                body = self.rfile.read(int(self.headers.get("Content-Length", "0")))
                got.append(({k.lower(): v for k, v in self.headers.items()}, body))
                self.send_response(200)
                self.send_header("Content-Length", "0")
                self.end_headers()

            def log_message(self, *args: Any) -> None:
                pass

        self.server = HTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/idenfy/webhook"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def receiver() -> Iterator[_Receiver]:
    r = _Receiver()
    yield r
    r.close()


def test_the_webhook_reaches_a_receiver_byte_for_byte(idenfy_mock: IdenfyMock, receiver: _Receiver) -> None:
    token = new_token(idenfy_mock, dummyStatus="DENIED", callbackUrl=receiver.url)
    hook = idenfy_mock.wait_for_webhook(token["scanRef"], state="delivered", timeout=10)
    assert hook["state"] == "delivered" and hook["target"] == receiver.url
    assert len(receiver.got) == 1
    headers, body = receiver.got[0]
    assert body.decode() == hook["body"]
    assert signature_ok("idenfy-mock-signing-key", body.decode(), headers.get("idenfy-signature"))
    assert json.loads(body)["status"]["overall"] == "DENIED"


def test_finish_with_every_page_outcome(idenfy_mock: IdenfyMock) -> None:
    outcomes = idenfy_mock.scenarios()["pageOutcomes"]
    assert outcomes == ["approve", "deny", "suspect", "unverified"]
    expected = {
        "approve": ("IDENTIFICATION_AUTO_FINISHED", "APPROVED"),
        "deny": ("IDENTIFICATION_AUTO_FINISHED", "DENIED"),
        "suspect": ("IDENTIFICATION_AUTO_FINISHED", "SUSPECTED"),
        "unverified": ("IDENTIFICATION_CANCELLED", "EXPIRED"),
    }
    for outcome in outcomes:
        token = new_token(idenfy_mock)  # no dummyStatus: ACTIVE until finished
        answer = idenfy_mock.finish(token["scanRef"], outcome)
        if outcome == "deny":
            # The first of the session's two attempts failed: no webhook yet.
            assert (answer["result"], answer["attemptsLeft"]) == ("retry", 1)
            answer = idenfy_mock.finish(token["scanRef"], outcome)
        assert answer["verification"]["scanRef"] == token["scanRef"]
        hook = idenfy_mock.wait_for_webhook(token["scanRef"], timeout=10)
        event, overall = expected[outcome]
        assert (hook["event"], json.loads(hook["body"])["status"]["overall"]) == (event, overall), outcome
        assert idenfy_mock.verify_signature(hook)
    denied = new_token(idenfy_mock)
    idenfy_mock.finish(denied["scanRef"], "deny", face="FACE_MATCH", document="DOC_FAKE", last_attempt=True)
    status = json.loads(idenfy_mock.wait_for_webhook(denied["scanRef"], timeout=10)["body"])["status"]
    assert (status["autoFace"], status["autoDocument"]) == ("FACE_MATCH", "DOC_FAKE")


def test_add_dummy_status_sends_the_manual_webhook(idenfy_mock: IdenfyMock) -> None:
    token = new_token(idenfy_mock, dummyStatus="DENIED", reviewFailed=True)
    auto = idenfy_mock.wait_for_webhook(token["scanRef"], event="IDENTIFICATION_AUTO_FINISHED", timeout=10)
    assert json.loads(auto["body"])["final"] is False
    idenfy_mock.add_dummy_status(token["scanRef"], "FACE_MATCH", "DOC_VALIDATED")
    manual = idenfy_mock.wait_for_webhook(token["scanRef"], event="IDENTIFICATION_MANUAL_FINISHED", timeout=10)
    body = json.loads(manual["body"])
    assert body["final"] is True and body["status"]["overall"] == "APPROVED"


def test_moving_the_clock_expires_a_token(idenfy_mock: IdenfyMock) -> None:
    token = new_token(idenfy_mock, expiryTime=600)
    before = idenfy_mock.clock()
    after = idenfy_mock.advance_clock(601)
    assert after["now"] - before["now"] >= 601 and after["offsetMs"] >= 601_000
    hook = idenfy_mock.wait_for_webhook(token["scanRef"], event="IDENTIFICATION_EXPIRED", timeout=10)
    assert json.loads(hook["body"])["status"]["overall"] == "EXPIRED"
    assert idenfy_mock.set_clock(before["now"])["now"] == before["now"]


def test_faults_api_and_webhook(idenfy_mock: IdenfyMock) -> None:
    fault = idenfy_mock.inject_fault("api", "status", status=503, path="/api/v2/token", times=1)
    assert fault["remaining"] == 1
    status, body = idenfy_post(idenfy_mock, "/api/v2/token", {"clientId": "user-2"})
    assert status == 503, body
    assert idenfy_mock.faults()[0]["fired"] == 1
    new_token(idenfy_mock)  # fired once only

    idenfy_mock.inject_fault("webhook", "bad_signature", event="IDENTIFICATION_AUTO_FINISHED")
    token = new_token(idenfy_mock, dummyStatus="APPROVED")
    hook = idenfy_mock.wait_for_webhook(token["scanRef"], timeout=10)
    assert not signature_ok("idenfy-mock-signing-key", hook["body"], header(hook, "Idenfy-Signature"))
    assert not idenfy_mock.verify_signature(hook)

    idenfy_mock.inject_fault("api", "status", status=500, times=0)
    idenfy_mock.clear_faults()
    assert idenfy_mock.faults() == []
    with pytest.raises(IdenfyMockError) as err:
        idenfy_mock.inject_fault("api", "nonsense")
    assert err.value.status == 400
    assert err.value.message and "unknown variant `nonsense`" in err.value.message
    assert "unknown variant `nonsense`" in str(err.value)


def test_reset_all_and_one_partner(idenfy_mock: IdenfyMock) -> None:
    token = new_token(idenfy_mock, dummyStatus="APPROVED")
    idenfy_mock.wait_for_webhook(token["scanRef"], timeout=10)
    assert idenfy_mock.reset(partner=idenfy_mock.api_key) == {"scope": "idenfy-mock-key", "removedVerifications": 1}
    assert idenfy_mock.webhooks() == []
    new_token(idenfy_mock, dummyStatus="APPROVED")
    idenfy_mock.advance_clock(60)
    assert idenfy_mock.reset() == {"scope": "all", "removedVerifications": 1}
    assert idenfy_mock.webhooks() == [] and abs(idenfy_mock.clock()["offsetMs"]) < 1000
    with pytest.raises(IdenfyMockError) as err:
        idenfy_mock.reset(partner="nobody")
    assert err.value.message == "no partner has API key 'nobody'"


def test_each_test_starts_clean(idenfy_mock: IdenfyMock) -> None:
    # The previous tests left verifications behind; the fixture reset them.
    assert idenfy_mock.webhooks() == [] and idenfy_mock.verifications() == []


def test_a_wait_that_times_out_names_the_scan_ref(idenfy_mock: IdenfyMock) -> None:
    token = new_token(idenfy_mock)  # ACTIVE: no webhook comes
    started = time.monotonic()
    with pytest.raises(WebhookTimeoutError) as err:
        idenfy_mock.wait_for_webhook(token["scanRef"], timeout=0.3)
    assert time.monotonic() - started < 5
    text = str(err.value)
    assert token["scanRef"] in text
    assert "no webhook journaled for it (the verification is ACTIVE)" in text
    assert err.value.status == 408 and err.value.message and "no matching webhook" in err.value.message
    assert err.value.scan_ref == token["scanRef"] and err.value.seen == []
    assert isinstance(err.value, TimeoutError)

    approved = new_token(idenfy_mock, dummyStatus="APPROVED")
    with pytest.raises(WebhookTimeoutError) as err2:
        idenfy_mock.wait_for_webhook(approved["scanRef"], event="IDENTIFICATION_MANUAL_FINISHED", timeout=0.3)
    assert approved["scanRef"] in str(err2.value)
    assert "IDENTIFICATION_AUTO_FINISHED undeliverable" in str(err2.value)
    assert [w["event"] for w in err2.value.seen] == ["IDENTIFICATION_AUTO_FINISHED"]


def test_errors_carry_the_mocks_message(idenfy_mock: IdenfyMock) -> None:
    with pytest.raises(IdenfyMockError) as err:
        idenfy_mock.finish("no-such-scan-ref", "approve")
    assert err.value.status == 404
    assert err.value.message == "no verification with scanRef 'no-such-scan-ref'"
    assert "no verification with scanRef 'no-such-scan-ref'" in str(err.value)
    token = new_token(idenfy_mock)
    with pytest.raises(IdenfyMockError) as err2:
        idenfy_mock.finish(token["scanRef"], "maybe")
    assert err2.value.message == "outcome must be one of: approve, deny, suspect, unverified"
    with pytest.raises(IdenfyMockError) as err3:
        idenfy_mock.add_dummy_status("no-such-scan-ref")
    assert err3.value.status == 404 and "was not found" in str(err3.value)


def test_replay_and_inbox(idenfy_mock: IdenfyMock) -> None:
    token = new_token(idenfy_mock, dummyStatus="APPROVED", callbackUrl=idenfy_mock.inbox_url("py"))
    hook = idenfy_mock.wait_for_webhook(token["scanRef"], state="delivered", timeout=10)
    copy_id = idenfy_mock.replay_webhook(hook["id"])
    deadline = time.monotonic() + 10
    copy = idenfy_mock.webhook(copy_id)
    while copy["state"] == "pending" and time.monotonic() < deadline:
        time.sleep(0.01)  # polling with a deadline (the long-poll answers the first match, the original)
        copy = idenfy_mock.webhook(copy_id)
    assert copy["state"] == "delivered" and copy["copyOf"] == hook["id"] and copy["body"] == hook["body"]
    messages = idenfy_mock.inbox("py")["messages"]
    assert [(m["scanRef"], m["signature"]) for m in messages] == [(token["scanRef"], "valid")] * 2


def test_a_second_mock_with_its_own_partner() -> None:
    with IdenfyMock(api_key="k2", api_secret="s2", signing_key="sk2", seed=7) as mock:
        assert mock.pid is not None
        token = new_token(mock, dummyStatus="SUSPECTED")
        hook = mock.wait_for_webhook(token["scanRef"], timeout=10)
        assert signature_ok("sk2", hook["body"], header(hook, "Idenfy-Signature"))
        pid = mock.pid
    assert mock.pid is None
    assert not _alive(pid)


def test_no_signing_key_means_unsigned_webhooks() -> None:
    with IdenfyMock(signing_key=None) as mock:
        assert mock.signing_key is None
        hook = mock.wait_for_webhook(new_token(mock, dummyStatus="APPROVED")["scanRef"], timeout=10)
        assert header(hook, "Idenfy-Signature") is None


def test_a_bad_start_raises_with_the_mocks_message() -> None:
    with pytest.raises(idenfy_mock.StartError) as err:
        IdenfyMock(args=["--webhook-url", "not a url"]).start()
    assert "did not start" in str(err.value) and "webhook" in str(err.value).lower()
    with pytest.raises(idenfy_mock.StartError) as err2:
        IdenfyMock(binary="/nonexistent/idenfy-mock").start()
    assert "/nonexistent/idenfy-mock" in str(err2.value)


def _alive(pid: Optional[int]) -> bool:
    """Whether `pid` runs (a zombie that nobody reaped yet counts as gone)."""
    if pid is None:
        return False
    try:
        with open(f"/proc/{pid}/stat") as f:
            return f.read().rsplit(")", 1)[1].split()[0] != "Z"
    except FileNotFoundError:
        return False
    except OSError:
        pass
    try:
        os.kill(pid, 0)
        return True
    except OSError:
        return False


_CHILD = """
import sys, threading
from idenfy_mock import IdenfyMock
def start():
    mock = IdenfyMock().start()
    print(mock.pid, mock.url, flush=True)
if sys.argv[1] == "thread":
    t = threading.Thread(target=start)
    t.start()
    t.join()
else:
    start()
sys.stdin.read()  # until the test kills this process
"""


@pytest.mark.skipif(sys.platform == "win32", reason="SIGKILL")
@pytest.mark.parametrize("started_from", ["main", "thread"])
def test_no_mock_is_left_behind_when_the_test_process_is_killed(started_from: str) -> None:
    # From the main thread the mock gets PR_SET_PDEATHSIG (Linux); from another
    # thread (or off Linux) a watchdog process stops it.
    with subprocess.Popen(
        [sys.executable, "-c", _CHILD, started_from], stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True
    ) as child:
        try:
            assert child.stdout is not None
            line = child.stdout.readline().split()
            assert len(line) == 2, f"the child printed {line!r}"
            pid, url = int(line[0]), line[1]
            assert _alive(pid)
            with _opener.open(url + "/_mock/health", timeout=5) as resp:
                assert resp.status == 200
            os.kill(child.pid, signal.SIGKILL)
            child.wait(10)
            deadline = time.monotonic() + 10
            while _alive(pid) and time.monotonic() < deadline:
                time.sleep(0.02)  # polling with a deadline: no event tells us another process's end
            assert not _alive(pid), f"the mock (pid {pid}) outlived the killed test process"
            with pytest.raises(OSError):
                _opener.open(url + "/_mock/health", timeout=2)
        finally:
            if child.poll() is None:
                child.kill()


# A stand-in for an idenfy-mock that supports IDENFY_MOCK_EXIT_WITH_PARENT=1
# (not in the binary yet): it serves /_mock/health with exitWithParent, stops
# when its stdin reaches end of file, and ignores SIGTERM, so only the closed
# pipe can have stopped it.
_FAKE = """
import http.server, json, os, signal, sys, threading
signal.signal(signal.SIGTERM, signal.SIG_IGN)
if os.environ.get("IDENFY_MOCK_EXIT_WITH_PARENT") != "1":
    sys.exit("IDENFY_MOCK_EXIT_WITH_PARENT is not set")
class H(http.server.BaseHTTPRequestHandler):
    def do_GET(self):
        body = json.dumps({"status": "ok", "version": "fake", "uptimeSecs": 0, "verifications": 0,
                           "webhooksPending": 0, "exitWithParent": True}).encode()
        self.send_response(200 if self.path == "/_mock/health" else 404)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)
    def log_message(self, *a):
        pass
server = http.server.HTTPServer(("127.0.0.1", 0), H)
threading.Thread(target=server.serve_forever, daemon=True).start()
print(f"INFO fake listening on 127.0.0.1:{server.server_address[1]}", flush=True)
while sys.stdin.buffer.read(4096):
    pass
os._exit(0)
"""


@pytest.mark.skipif(sys.platform == "win32", reason="SIGKILL")
def test_a_binary_that_exits_with_its_parent_needs_no_fallback(tmp_path: Path) -> None:
    fake = tmp_path / "idenfy-mock"
    fake.write_text(f"#!{sys.executable}\n" + textwrap.dedent(_FAKE))
    fake.chmod(0o755)
    script = f"""
import sys, threading
from idenfy_mock import IdenfyMock
def start():
    mock = IdenfyMock(binary={str(fake)!r}).start()
    assert mock.health().get("exitWithParent") is True
    print(mock.pid, mock.url, flush=True)
t = threading.Thread(target=start)  # off the main thread: no PR_SET_PDEATHSIG, and no watchdog either
t.start()
t.join()
sys.stdin.read()
"""
    with subprocess.Popen(
        [sys.executable, "-c", script], stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True
    ) as child:
        try:
            assert child.stdout is not None
            line = child.stdout.readline().split()
            assert len(line) == 2, f"the child printed {line!r}"
            pid = int(line[0])
            assert _alive(pid)
            os.kill(child.pid, signal.SIGKILL)
            child.wait(10)
            deadline = time.monotonic() + 5  # less than the watchdog's grace: only the closed stdin can stop it
            while _alive(pid) and time.monotonic() < deadline:
                time.sleep(0.02)  # polling with a deadline
            assert not _alive(pid), "the stand-in did not see its stdin close"
        finally:
            if child.poll() is None:
                child.kill()
