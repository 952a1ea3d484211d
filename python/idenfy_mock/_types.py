"""The shapes the control API answers with (GET /_mock/openapi/control.json
has them all). They are plain dicts at run time; these only type them."""

from typing import Any, Dict, List, Optional, TypedDict


class Attempt(TypedDict):
    """One delivery attempt of a webhook."""

    atMs: int
    status: Optional[int]
    error: Optional[str]
    latencyMs: int


class WebhookRecord(TypedDict):
    """A journaled webhook: `body` is the exact text sent, `headers` the
    header name/value pairs in the order sent."""

    id: int
    scanRef: str
    partner: str
    event: str
    final: bool
    target: Optional[str]
    headers: List[List[str]]
    body: str
    state: str
    attempts: List[Attempt]
    createdAtMs: int
    copyOf: Optional[int]
    subscription: Optional[int]


class ClockView(TypedDict):
    """The mock's time: `now` in Unix seconds, `offsetMs` from real time."""

    now: int
    nowMs: int
    offsetMs: int


class Fault(TypedDict):
    """A registered fault and how often it fired."""

    id: int
    target: str
    path: Optional[str]
    event: Optional[str]
    partner: Optional[str]
    times: int
    action: Dict[str, Any]
    remaining: Optional[int]
    fired: int


class ResetDone(TypedDict):
    """What `POST /_mock/reset` did: `scope` is `all` or the partner's API key."""

    scope: str
    removedVerifications: int


class _HealthRequired(TypedDict):
    status: str
    version: str
    uptimeSecs: int
    verifications: int
    webhooksPending: int


class Health(_HealthRequired, total=False):
    """`GET /_mock/health`. `exitWithParent` (true) comes from a binary that
    stops by itself when the process that started it dies (see
    IDENFY_MOCK_EXIT_WITH_PARENT in _launcher.py)."""

    exitWithParent: bool
