"""Test helpers for idenfy-mock, the local stand-in for the iDenfy API.

    from idenfy_mock import IdenfyMock

    with IdenfyMock() as mock:                       # a mock on a free port
        token = mock.create_token("user-1", dummyStatus="APPROVED")
        hook = mock.wait_for_webhook(token["scanRef"], timeout=5)
        assert mock.verify_signature(hook)

Under pytest, the `idenfy_mock` fixture gives one mock per session, reset
before each test. Standard library only; the binary is the one this wheel
installed (else `$IDENFY_MOCK_BIN`, else `idenfy-mock` on PATH).
"""

from ._client import (
    DEFAULT_API_KEY,
    DEFAULT_API_SECRET,
    DEFAULT_SIGNING_KEY,
    IdenfyMockClient,
    IdenfyMockError,
    WebhookTimeoutError,
    header,
    sign,
    verify_signature,
)
from ._launcher import IdenfyMock, StartError, find_binary, start_mock
from ._types import Attempt, ClockView, Fault, Health, ResetDone, WebhookRecord

__all__ = [
    "DEFAULT_API_KEY",
    "DEFAULT_API_SECRET",
    "DEFAULT_SIGNING_KEY",
    "Attempt",
    "ClockView",
    "Fault",
    "Health",
    "IdenfyMock",
    "IdenfyMockClient",
    "IdenfyMockError",
    "ResetDone",
    "StartError",
    "WebhookRecord",
    "WebhookTimeoutError",
    "find_binary",
    "header",
    "sign",
    "start_mock",
    "verify_signature",
]
