"""idenfy_mock.testcontainers against the container image: run by
scripts/helpers-test-containers (podman's Docker-compatible API, Ryuk off),
not by the default helper tests. The image is $IDENFY_MOCK_IMAGE."""

import base64
import hashlib
import hmac
import json
import urllib.error
import urllib.request
from typing import Any, Dict, Iterator, Tuple

import pytest

from idenfy_mock import IdenfyMockClient, IdenfyMockError, WebhookTimeoutError, header
from idenfy_mock.testcontainers import IdenfyMockContainer

_opener = urllib.request.build_opener(urllib.request.ProxyHandler({}))


@pytest.fixture(scope="module")
def container() -> Iterator[IdenfyMockContainer]:
    with IdenfyMockContainer(api_key="tc-key", api_secret="tc-secret", signing_key="tc-signing-key") as c:
        yield c


@pytest.fixture
def mock(container: IdenfyMockContainer) -> IdenfyMockClient:
    container.client.reset()
    return container.client


def idenfy_post(mock: IdenfyMockClient, path: str, body: Dict[str, Any]) -> Tuple[int, Dict[str, Any]]:
    auth = base64.b64encode(f"{mock.api_key}:{mock.api_secret}".encode()).decode()
    req = urllib.request.Request(
        mock.url + path,
        data=json.dumps(body).encode(),
        headers={"Authorization": "Basic " + auth, "Content-Type": "application/json"},
        method="POST",
    )
    try:
        with _opener.open(req, timeout=10) as resp:
            return resp.status, json.loads(resp.read() or b"{}")
    except urllib.error.HTTPError as err:
        return err.code, json.loads(err.read() or b"{}")


def test_the_client_points_at_the_mapped_port(container: IdenfyMockContainer) -> None:
    assert container.url == container.get_url()
    assert container.url.startswith("http://") and not container.url.endswith(":8080")
    assert container.client.health()["status"] == "ok"
    assert (container.client.api_key, container.client.signing_key) == ("tc-key", "tc-signing-key")


def test_token_webhook_signature_finish_clock_fault_reset(mock: IdenfyMockClient) -> None:
    status, token = idenfy_post(mock, "/api/v2/token", {"clientId": "user-1", "dummyStatus": "APPROVED"})
    assert status == 201, token
    hook = mock.wait_for_webhook(token["scanRef"], timeout=10)
    expected = hmac.new(b"tc-signing-key", hook["body"].encode(), hashlib.sha256).hexdigest()
    assert header(hook, "Idenfy-Signature") == expected

    status, active = idenfy_post(mock, "/api/v2/token", {"clientId": "user-2"})
    mock.finish(active["scanRef"], "deny", last_attempt=True)
    assert json.loads(mock.wait_for_webhook(active["scanRef"], timeout=10)["body"])["status"]["overall"] == "DENIED"

    status, expiring = idenfy_post(mock, "/api/v2/token", {"clientId": "user-3", "expiryTime": 60})
    mock.advance_clock(61)
    assert mock.wait_for_webhook(expiring["scanRef"], event="IDENTIFICATION_EXPIRED", timeout=10)["final"]

    mock.inject_fault("api", "status", status=503, path="/api/v2/token")
    assert idenfy_post(mock, "/api/v2/token", {"clientId": "user-4"})[0] == 503

    assert mock.reset()["scope"] == "all"
    assert mock.webhooks() == []
    with pytest.raises(WebhookTimeoutError) as err:
        mock.wait_for_webhook(token["scanRef"], timeout=0.3)
    assert token["scanRef"] in str(err.value)
    with pytest.raises(IdenfyMockError) as err2:
        mock.finish("nope", "approve")
    assert err2.value.message == "no verification with scanRef 'nope'"
