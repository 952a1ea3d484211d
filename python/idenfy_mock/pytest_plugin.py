"""The pytest plugin (registered by the wheel's `pytest11` entry point).

Fixtures:

- `idenfy_mock`: the session's mock, reset (`POST /_mock/reset`) before the
  test; an `IdenfyMock` with `url`, `api_key`, `api_secret`, `signing_key`,
  `wait_for_webhook(scan_ref, timeout=...)` and the rest of the client.
- `idenfy_mock_session`: the same mock without the reset (session scope).
- `idenfy_mock_options`: the keyword arguments `IdenfyMock` is started with;
  override it in a conftest.py (session scope) to pass `webhook_url`,
  `config`, `seed`, `args`, ...

Command line: `--idenfy-mock-bin PATH` picks the binary (else the wheel's,
`$IDENFY_MOCK_BIN`, or PATH).
"""

from __future__ import annotations

from typing import Any, Dict, Iterator

import pytest

from ._launcher import IdenfyMock


def pytest_addoption(parser: pytest.Parser) -> None:
    group = parser.getgroup("idenfy-mock")
    group.addoption(
        "--idenfy-mock-bin",
        action="store",
        default=None,
        metavar="PATH",
        help="the idenfy-mock binary the idenfy_mock fixture runs (default: the one installed with the package, "
        "else $IDENFY_MOCK_BIN, else PATH)",
    )


@pytest.fixture(scope="session")
def idenfy_mock_options() -> Dict[str, Any]:
    """Keyword arguments for `IdenfyMock`; override to configure the session's mock."""
    return {}


@pytest.fixture(scope="session")
def idenfy_mock_session(request: pytest.FixtureRequest, idenfy_mock_options: Dict[str, Any]) -> Iterator[IdenfyMock]:
    """One idenfy-mock for the whole session (not reset between tests)."""
    options = dict(idenfy_mock_options)
    binary = request.config.getoption("idenfy_mock_bin")
    if binary and "binary" not in options:
        options["binary"] = binary
    with IdenfyMock(**options) as mock:
        yield mock


@pytest.fixture
def idenfy_mock(idenfy_mock_session: IdenfyMock) -> IdenfyMock:
    """The session's idenfy-mock, reset before this test."""
    idenfy_mock_session.reset()
    return idenfy_mock_session
