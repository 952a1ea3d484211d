"""A thin client of idenfy-mock's control API (`/_mock/...`), plus the two
iDenfy calls tests need (`POST /api/v2/token`, `POST /api/v2/add-dummy-status`).
Standard library only."""

import base64
import hashlib
import hmac
import http.client
import json
import ssl
import time
from datetime import datetime, timedelta
from typing import Any, Dict, List, Mapping, Optional, Sequence, Tuple, Union, cast
from urllib.parse import quote, urlencode, urlsplit

from ._types import ClockView, Fault, Health, ResetDone, WebhookRecord

DEFAULT_API_KEY = "idenfy-mock-key"
DEFAULT_API_SECRET = "idenfy-mock-secret"
DEFAULT_SIGNING_KEY = "idenfy-mock-signing-key"

# The server answers a long-poll after at most this long; longer waits loop.
_MAX_POLL_MS = 60_000


class IdenfyMockError(Exception):
    """A call to the mock failed. `message` is the mock's own message (its
    error body's `message`), `status` the HTTP status (None when the mock
    could not be reached), `body` the raw answer."""

    def __init__(
        self,
        summary: str,
        *,
        status: Optional[int] = None,
        message: Optional[str] = None,
        body: Optional[str] = None,
    ) -> None:
        super().__init__(summary)
        self.status = status
        self.message = message
        self.body = body


class WebhookTimeoutError(IdenfyMockError, TimeoutError):
    """`wait_for_webhook` saw no matching webhook in time. `scan_ref` is the
    one waited for, `seen` what the mock had for it then (its webhooks)."""

    def __init__(
        self,
        summary: str,
        *,
        scan_ref: str,
        seen: Sequence[WebhookRecord],
        status: Optional[int] = None,
        message: Optional[str] = None,
        body: Optional[str] = None,
    ) -> None:
        super().__init__(summary, status=status, message=message, body=body)
        self.scan_ref = scan_ref
        self.seen = list(seen)


def header(record: Mapping[str, Any], name: str) -> Optional[str]:
    """The value of header `name` (any case) in a webhook record, or None."""
    wanted = name.lower()
    for pair in record.get("headers", ()):
        if len(pair) == 2 and pair[0].lower() == wanted:
            return str(pair[1])
    return None


def sign(body: Union[str, bytes], key: str) -> str:
    """The `Idenfy-Signature` of `body`: lowercase hex HMAC-SHA256 keyed with `key`."""
    data = body.encode("utf-8") if isinstance(body, str) else body
    return hmac.new(key.encode("utf-8"), data, hashlib.sha256).hexdigest()


def verify_signature(body: Union[str, bytes], signature: Optional[str], key: str) -> bool:
    """Whether `signature` (an `Idenfy-Signature` header) signs `body` with `key`."""
    if not signature:
        return False
    return hmac.compare_digest(sign(body, key), signature.strip().lower())


_Json = Any
_Query = Mapping[str, Union[str, int, None]]


class IdenfyMockClient:
    """Talks to a running idenfy-mock at `url` (e.g. `http://127.0.0.1:8080`).

    `api_key`, `api_secret` and `signing_key` are the partner the tests act as
    (the mock's default partner unless it was configured otherwise);
    `admin_token` is sent as a Bearer token when the control API requires one.
    Every failed call raises `IdenfyMockError` carrying the mock's message."""

    def __init__(
        self,
        url: str,
        *,
        api_key: str = DEFAULT_API_KEY,
        api_secret: str = DEFAULT_API_SECRET,
        signing_key: Optional[str] = DEFAULT_SIGNING_KEY,
        admin_token: Optional[str] = None,
        ssl_context: Optional[ssl.SSLContext] = None,
        timeout: float = 30.0,
    ) -> None:
        self._set_url(url)
        self.api_key = api_key
        self.api_secret = api_secret
        self.signing_key = signing_key
        self.admin_token = admin_token
        self.ssl_context = ssl_context
        self.timeout = timeout

    def _set_url(self, url: str) -> None:
        parts = urlsplit(url)
        if parts.scheme not in ("http", "https") or not parts.hostname:
            raise ValueError(f"not an http(s) URL: {url!r}")
        self.url = url.rstrip("/")
        self._scheme = parts.scheme
        self._host = parts.hostname
        self._port = parts.port
        self._prefix = parts.path.rstrip("/")

    def __repr__(self) -> str:
        return f"{type(self).__name__}(url={self.url!r}, api_key={self.api_key!r})"

    # -- HTTP ---------------------------------------------------------------

    def _request(
        self,
        method: str,
        path: str,
        *,
        query: Optional[_Query] = None,
        body: Optional[_Json] = None,
        auth: Optional[Tuple[str, str]] = None,
        timeout: Optional[float] = None,
        expect: Sequence[int] = (200, 201, 204),
    ) -> Tuple[int, bytes]:
        self._check_usable(method, path)
        target = self._prefix + path
        if query:
            q = {k: v for k, v in query.items() if v is not None}
            if q:
                target += "?" + urlencode(q)
        headers = {"Accept": "application/json", "X-Idenfy-Mock": "1", "Connection": "close"}
        data: Optional[bytes] = None
        if body is not None:
            data = json.dumps(body).encode("utf-8")
            headers["Content-Type"] = "application/json"
        if auth is not None:
            token = base64.b64encode(f"{auth[0]}:{auth[1]}".encode("utf-8")).decode("ascii")
            headers["Authorization"] = "Basic " + token
        elif self.admin_token:
            headers["Authorization"] = "Bearer " + self.admin_token
        conn: http.client.HTTPConnection
        t = self.timeout if timeout is None else timeout
        if self._scheme == "https":
            conn = http.client.HTTPSConnection(self._host, self._port, timeout=t, context=self.ssl_context)
        else:
            conn = http.client.HTTPConnection(self._host, self._port, timeout=t)
        try:
            conn.request(method, target, body=data, headers=headers)
            resp = conn.getresponse()
            raw = resp.read()
            status = resp.status
        except (OSError, http.client.HTTPException) as exc:
            raise IdenfyMockError(f"{method} {self.url}{path}: the mock did not answer: {exc}") from exc
        finally:
            conn.close()
        if status not in expect:
            text = raw.decode("utf-8", "replace")
            message, identifier = _error_message(text)
            said = message if message is not None else (text or "(empty body)")
            if identifier:
                said += f" ({identifier})"
            raise IdenfyMockError(
                f"{method} {path} answered {status}: {said}",
                status=status,
                message=message,
                body=text,
            )
        return status, raw

    def _check_usable(self, method: str, path: str) -> None:
        """A hook: raises when the client cannot be used (a launcher not started)."""

    def _json(self, method: str, path: str, **kwargs: Any) -> Any:
        _, raw = self._request(method, path, **kwargs)
        return json.loads(raw.decode("utf-8")) if raw else None

    # -- health, scenarios ----------------------------------------------------

    def health(self) -> Health:
        """`GET /_mock/health`."""
        return cast(Health, self._json("GET", "/_mock/health"))

    def scenarios(self) -> Dict[str, Any]:
        """`GET /_mock/scenarios`: dummy statuses, manual results, page outcomes, tags, fault actions."""
        return cast(Dict[str, Any], self._json("GET", "/_mock/scenarios"))

    # -- the iDenfy API -------------------------------------------------------

    def create_token(self, client_id: str = "test-client", **fields: Any) -> Dict[str, Any]:
        """`POST /api/v2/token` as this partner; `fields` are iDenfy's names
        (`dummyStatus="APPROVED"`, `firstName=...`). Answers the token."""
        body: Dict[str, Any] = {"clientId": client_id}
        body.update(fields)
        return cast(
            Dict[str, Any],
            self._json("POST", "/api/v2/token", body=body, auth=(self.api_key, self.api_secret)),
        )

    def add_dummy_status(
        self,
        scan_ref: str,
        face: str = "FACE_MATCH",
        document: str = "DOC_VALIDATED",
    ) -> None:
        """`POST /api/v2/add-dummy-status`: a manual review result. `FACE_MATCH`
        with `DOC_VALIDATED` approves, anything else denies; an
        `IDENTIFICATION_MANUAL_FINISHED` webhook follows."""
        self._request(
            "POST",
            "/api/v2/add-dummy-status",
            body={"scanRef": scan_ref, "manualFaceMatchResult": face, "manualDocumentValidity": document},
            auth=(self.api_key, self.api_secret),
        )

    # -- verifications --------------------------------------------------------

    def verification(self, scan_ref: str) -> Dict[str, Any]:
        """`GET /_mock/verifications/{scanRef}`: its full state with its webhooks."""
        return cast(Dict[str, Any], self._json("GET", "/_mock/verifications/" + _seg(scan_ref)))

    def verifications(
        self,
        *,
        client_id: Optional[str] = None,
        status: Optional[str] = None,
        partner: Optional[str] = None,
    ) -> List[Dict[str, Any]]:
        """`GET /_mock/verifications`, every page, oldest first."""
        return self._all_pages(
            "/_mock/verifications", {"clientId": client_id, "status": status, "partner": partner}
        )

    def finish(
        self,
        scan_ref: str,
        outcome: str,
        *,
        face: Optional[str] = None,
        document: Optional[str] = None,
        tag: Optional[str] = None,
        last_attempt: bool = False,
    ) -> Dict[str, Any]:
        """`POST /_mock/verifications/{scanRef}/finish`: what the verification
        page's buttons do. `outcome` is `approve`, `deny` (with `face`,
        `document`), `suspect` (with `tag`) or `unverified`. The webhook goes
        out; wait for it with `wait_for_webhook`. A `deny` with attempts left
        (a session gives 2) answers `{"result": "retry"}` and sends nothing
        yet, unless `last_attempt` is set."""
        body: Dict[str, Any] = {"outcome": outcome}
        for key, value in (("face", face), ("document", document), ("tag", tag)):
            if value is not None:
                body[key] = value
        if last_attempt:
            body["lastAttempt"] = True
        return cast(
            Dict[str, Any],
            self._json("POST", "/_mock/verifications/" + _seg(scan_ref) + "/finish", body=body),
        )

    # -- webhooks ---------------------------------------------------------------

    def webhooks(
        self,
        scan_ref: Optional[str] = None,
        *,
        event: Optional[str] = None,
        state: Optional[str] = None,
    ) -> List[WebhookRecord]:
        """`GET /_mock/webhooks`: the journal, oldest first, every page."""
        return cast(
            List[WebhookRecord],
            self._all_pages("/_mock/webhooks", {"scanRef": scan_ref, "event": event, "state": state}),
        )

    def webhook(self, webhook_id: int) -> WebhookRecord:
        """`GET /_mock/webhooks/{id}`."""
        return cast(WebhookRecord, self._json("GET", f"/_mock/webhooks/{int(webhook_id)}"))

    def replay_webhook(self, webhook_id: int) -> int:
        """`POST /_mock/webhooks/{id}/replay`; answers the new entry's id."""
        answer = self._json("POST", f"/_mock/webhooks/{int(webhook_id)}/replay")
        return int(answer["id"])

    def wait_for_webhook(
        self,
        scan_ref: str,
        *,
        event: Optional[str] = None,
        state: Optional[str] = None,
        timeout: float = 10.0,
    ) -> WebhookRecord:
        """Waits (a long-poll, no sleeping) for a webhook of `scan_ref` and
        answers its journal record: `body` is the exact text sent, `headers`
        the pairs sent. Without `state` it answers once one has settled
        (delivered, failed, undeliverable, dropped, not_subscribed);
        `state="delivered"` waits for that one, `"any"` includes pending.
        Raises `WebhookTimeoutError` naming the scanRef and what was seen."""
        deadline = time.monotonic() + max(0.0, timeout)
        while True:
            left_ms = max(0, int((deadline - time.monotonic()) * 1000))
            poll_ms = min(left_ms, _MAX_POLL_MS)
            query = {"scanRef": scan_ref, "event": event, "state": state, "timeoutMs": poll_ms}
            try:
                return cast(
                    WebhookRecord,
                    self._json("GET", "/_mock/webhooks/wait", query=query, timeout=poll_ms / 1000 + 10),
                )
            except IdenfyMockError as exc:
                if exc.status != 408:
                    raise
                if left_ms > poll_ms:
                    continue
                raise self._timeout_error(scan_ref, event, state, timeout, exc) from None

    def _timeout_error(
        self,
        scan_ref: str,
        event: Optional[str],
        state: Optional[str],
        timeout: float,
        cause: IdenfyMockError,
    ) -> WebhookTimeoutError:
        wanted = "settled webhook" if state is None else f"webhook in state {state}"
        if event:
            wanted = f"{event} {wanted}"
        seen: List[WebhookRecord] = []
        try:
            detail = self.verification(scan_ref)
            seen = list(detail.get("webhooks") or [])
            if seen:
                what = "seen for it: " + "; ".join(_describe(w) for w in seen)
            else:
                what = f"no webhook journaled for it (the verification is {detail.get('status')})"
        except IdenfyMockError as exc:
            if exc.status == 404:
                what = f"the mock has no verification with this scanRef ({exc.message})"
            else:
                what = f"could not list what was seen: {exc}"
        return WebhookTimeoutError(
            f"no {wanted} for scanRef {scan_ref!r} within {timeout:g} s; {what}; "
            f"the mock said: {cause.message}",
            scan_ref=scan_ref,
            seen=seen,
            status=cause.status,
            message=cause.message,
            body=cause.body,
        )

    # -- clock ------------------------------------------------------------------

    def clock(self) -> ClockView:
        """`GET /_mock/clock`."""
        return cast(ClockView, self._json("GET", "/_mock/clock"))

    def advance_clock(self, seconds: Union[int, float, timedelta]) -> ClockView:
        """`POST /_mock/clock/advance`: moves the mock's time (negative: back);
        due expiries happen at once."""
        if isinstance(seconds, timedelta):
            seconds = seconds.total_seconds()
        return cast(ClockView, self._json("POST", "/_mock/clock/advance", body={"seconds": int(seconds)}))

    def set_clock(self, now: Union[int, float, datetime]) -> ClockView:
        """`POST /_mock/clock/set`: Unix seconds or an aware datetime."""
        if isinstance(now, datetime):
            now = now.timestamp()
        return cast(ClockView, self._json("POST", "/_mock/clock/set", body={"now": int(now)}))

    # -- faults -----------------------------------------------------------------

    def inject_fault(
        self,
        target: str,
        action: Union[str, Mapping[str, Any]],
        *,
        path: Optional[str] = None,
        event: Optional[str] = None,
        partner: Optional[str] = None,
        times: Optional[int] = None,
        **action_fields: Any,
    ) -> Fault:
        """`POST /_mock/faults`. `target` is `api` or `webhook`; `action` a type
        (`"status"`, `"delay"`, `"drop"`, `"duplicate"`, ...) with its fields as
        keywords (`status=503`, `ms=2000`), or the whole action object. Scoped by
        `path` (API) or `event` (webhook) and `partner`; fires `times` times
        (default 1, 0 = until cleared). Answers the registered fault."""
        act: Dict[str, Any] = {"type": action} if isinstance(action, str) else dict(action)
        act.update(action_fields)
        spec: Dict[str, Any] = {"target": target, "action": act}
        for key, value in (("path", path), ("event", event), ("partner", partner), ("times", times)):
            if value is not None:
                spec[key] = value
        return cast(Fault, self._json("POST", "/_mock/faults", body=spec))

    def faults(self) -> List[Fault]:
        """`GET /_mock/faults`, with `fired` and `remaining`."""
        return cast(List[Fault], self._json("GET", "/_mock/faults"))

    def clear_faults(self, fault_id: Optional[int] = None) -> None:
        """`DELETE /_mock/faults` (all) or `/_mock/faults/{id}` (one)."""
        path = "/_mock/faults" if fault_id is None else f"/_mock/faults/{int(fault_id)}"
        self._request("DELETE", path)

    # -- reset, inbox -----------------------------------------------------------

    def reset(self, partner: Optional[str] = None) -> ResetDone:
        """`POST /_mock/reset`: everything (verifications, webhooks, faults,
        inboxes, clock, credits), or only `partner`'s (an API key) data."""
        body = {} if partner is None else {"partner": partner}
        return cast(ResetDone, self._json("POST", "/_mock/reset", body=body))

    def inbox_url(self, name: str) -> str:
        """The URL of the mock's built-in webhook receiver `name`, to use as a
        `callbackUrl` or `--webhook-url`."""
        return f"{self.url}/_mock/inbox/{_seg(name)}"

    def inbox(self, name: str) -> Dict[str, Any]:
        """`GET /_mock/inbox/{name}`: what that receiver got, signatures checked."""
        return cast(Dict[str, Any], self._json("GET", "/_mock/inbox/" + _seg(name)))

    # -- signatures ---------------------------------------------------------------

    def verify_signature(self, record: Mapping[str, Any], key: Optional[str] = None) -> bool:
        """Whether a webhook record's `Idenfy-Signature` signs its exact body
        with `key` (default: this partner's signing key)."""
        k = self.signing_key if key is None else key
        if not k:
            raise ValueError("no signing key: pass key=")
        return verify_signature(record["body"], header(record, "Idenfy-Signature"), k)

    # -- helpers ------------------------------------------------------------------

    def _all_pages(self, path: str, query: Dict[str, Any]) -> List[Any]:
        items: List[Any] = []
        while True:
            page = self._json("GET", path, query=dict(query, offset=len(items), limit=1000))
            items.extend(page["items"])
            if not page["items"] or len(items) >= page["total"]:
                return items


def _seg(value: str) -> str:
    return quote(value, safe="")


def _error_message(text: str) -> Tuple[Optional[str], Optional[str]]:
    """The error body's `message` (control API and iDenfy API alike) and the
    iDenfy API's `identifier`."""
    try:
        parsed = json.loads(text)
    except ValueError:
        return None, None
    if isinstance(parsed, dict) and isinstance(parsed.get("message"), str):
        ident = parsed.get("identifier")
        return str(parsed["message"]), (ident if isinstance(ident, str) else None)
    return None, None


def _describe(w: Mapping[str, Any]) -> str:
    text = f"#{w.get('id')} {w.get('event')} {w.get('state')}"
    attempts = w.get("attempts") or []
    if attempts:
        last = attempts[-1]
        outcome = last.get("error") or last.get("status")
        text += f" ({len(attempts)} attempt{'s' if len(attempts) != 1 else ''}, last: {outcome})"
    return text
