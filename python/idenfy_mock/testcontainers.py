"""idenfy-mock's container image under Testcontainers (`pip install testcontainers`).

    from idenfy_mock.testcontainers import IdenfyMockContainer

    with IdenfyMockContainer("ghcr.io/your-org/idenfy-mock:0.1.0") as container:
        mock = container.client                  # an IdenfyMockClient at the mapped port
        token = mock.create_token("user-1", dummyStatus="APPROVED")
        hook = mock.wait_for_webhook(token["scanRef"], timeout=5)

Only this module imports testcontainers; `idenfy_mock` itself needs nothing
but the standard library. The image defaults to `$IDENFY_MOCK_IMAGE`, else
`idenfy-mock:latest` (no image is published yet: build docker/Dockerfile).
"""

import os
import time
from typing import Any, Optional

try:
    from testcontainers.core.container import DockerContainer  # type: ignore[import-not-found,unused-ignore]
except ImportError as exc:  # pragma: no cover - depends on the environment
    raise ImportError(
        "idenfy_mock.testcontainers needs the testcontainers package: pip install testcontainers"
    ) from exc

from ._client import (
    DEFAULT_API_KEY,
    DEFAULT_API_SECRET,
    DEFAULT_SIGNING_KEY,
    IdenfyMockClient,
    IdenfyMockError,
)
from ._launcher import StartError

PORT = 8080


class IdenfyMockContainer(DockerContainer):  # type: ignore[misc,unused-ignore]
    """The idenfy-mock image with port 8080 exposed and the default partner's
    credentials set; `start()` returns once `/_mock/health` answers through
    the mapped port. `client` is an `IdenfyMockClient` pointed there, `url`
    its base URL. Everything else is Testcontainers' `DockerContainer`
    (`with_network`, `with_env`, ...)."""

    def __init__(
        self,
        image: Optional[str] = None,
        *,
        api_key: str = DEFAULT_API_KEY,
        api_secret: str = DEFAULT_API_SECRET,
        signing_key: str = DEFAULT_SIGNING_KEY,
        admin_token: Optional[str] = None,
        webhook_url: Optional[str] = None,
        startup_timeout: float = 60.0,
        **kwargs: Any,
    ) -> None:
        super().__init__(image or os.environ.get("IDENFY_MOCK_IMAGE") or "idenfy-mock:latest", **kwargs)
        self.api_key = api_key
        self.api_secret = api_secret
        self.signing_key = signing_key
        self.admin_token = admin_token
        self.startup_timeout = startup_timeout
        self._client: Optional[IdenfyMockClient] = None
        self.with_exposed_ports(PORT)
        self.with_env("IDENFY_MOCK_API_KEY", api_key)
        self.with_env("IDENFY_MOCK_API_SECRET", api_secret)
        self.with_env("IDENFY_MOCK_SIGNING_KEY", signing_key)
        if admin_token:
            self.with_env("IDENFY_MOCK_ADMIN_TOKEN", admin_token)
        if webhook_url:
            self.with_env("IDENFY_MOCK_WEBHOOK_URL", webhook_url)

    def start(self) -> "IdenfyMockContainer":
        super().start()
        client = IdenfyMockClient(
            self.get_url(),
            api_key=self.api_key,
            api_secret=self.api_secret,
            signing_key=self.signing_key,
            admin_token=self.admin_token,
            timeout=5.0,
        )
        deadline = time.monotonic() + self.startup_timeout
        last: Optional[Exception] = None
        while time.monotonic() < deadline:
            try:
                client.health()
                break
            except IdenfyMockError as exc:  # not answering through the mapped port yet
                last = exc
                time.sleep(0.05)
        else:
            logs = ""
            try:
                out, err = self.get_logs()
                logs = (out + err).decode("utf-8", "replace")[-4000:]
            except Exception:
                pass
            self.stop()
            raise StartError(
                f"idenfy-mock container ({self.image}) did not answer /_mock/health within "
                f"{self.startup_timeout:g} s: {last}; its output:\n{logs or '(none)'}"
            )
        client.timeout = 30.0
        self._client = client
        return self

    def get_url(self) -> str:
        """`http://HOST:MAPPED_PORT`, the mock's base URL from the test process."""
        host = self.get_container_host_ip()
        if ":" in host and not host.startswith("["):
            host = f"[{host}]"
        return f"http://{host}:{self.get_exposed_port(PORT)}"

    @property
    def url(self) -> str:
        return self.client.url

    @property
    def client(self) -> IdenfyMockClient:
        """The control-API client of the started container."""
        if self._client is None:
            raise IdenfyMockError("the container is not started (use `with IdenfyMockContainer(...) as c:`)")
        return self._client
