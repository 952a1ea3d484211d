"""Starts and stops an idenfy-mock process for tests."""

import atexit
import collections
import ctypes
import os
import re
import shutil
import signal
import subprocess
import sys
import sysconfig
import threading
import time
import weakref
from typing import IO, Any, Callable, Deque, List, Mapping, Optional, Sequence

from ._client import (
    DEFAULT_API_KEY,
    DEFAULT_API_SECRET,
    DEFAULT_SIGNING_KEY,
    IdenfyMockClient,
    IdenfyMockError,
)

EXE = "idenfy-mock.exe" if os.name == "nt" else "idenfy-mock"
# The log line "listening on ADDR" (RUST_LOG info), else the banner's
# "API base URL  http://ADDR", which shows whatever the log level.
_LISTENING = re.compile(r"listening on (\S+)|^\s*API base URL\s+https?://([^\s/]+)")


class StartError(IdenfyMockError):
    """The mock did not start: the message names the binary and carries the
    mock's own output (its error message, when it printed one)."""


def find_binary(binary: Optional[str] = None) -> str:
    """The idenfy-mock executable to run: `binary` when given; else the one
    this package was installed with (the wheel puts it in the environment's
    scripts directory); else `$IDENFY_MOCK_BIN`; else `idenfy-mock` on PATH."""
    if binary:
        return binary
    packaged = _packaged_binary()
    if packaged:
        return packaged
    from_env = os.environ.get("IDENFY_MOCK_BIN")
    if from_env:
        return from_env
    on_path = shutil.which(EXE)
    if on_path:
        return on_path
    raise StartError(
        "idenfy-mock: no binary found: not installed with this package, IDENFY_MOCK_BIN is not set, "
        "and there is no idenfy-mock on PATH (pip install idenfy-mock, or set IDENFY_MOCK_BIN)"
    )


def _packaged_binary() -> Optional[str]:
    # The wheel's RECORD lists the binary (as ../../../bin/idenfy-mock or the
    # like): exact for venvs, --user and --prefix installs alike.
    try:
        from importlib import metadata

        dist = metadata.distribution("idenfy-mock")
        for entry in dist.files or ():
            if entry.name == EXE:
                located = str(dist.locate_file(entry))
                if os.path.isfile(located):
                    return os.path.abspath(located)
    except Exception:  # not installed as a distribution (a source tree): fall through
        pass
    candidates: List[str] = []
    try:
        candidates.append(sysconfig.get_path("scripts"))
        candidates.append(sysconfig.get_path("scripts", f"{os.name}_user"))
    except KeyError:
        pass
    for scripts in candidates:
        path = os.path.join(scripts, EXE)
        if scripts and os.path.isfile(path) and os.access(path, os.X_OK):
            return path
    return None


# -- never leave the mock behind -------------------------------------------------
#
# 1. IDENFY_MOCK_EXIT_WITH_PARENT=1 with stdin a pipe the mock never gets data
#    from: a binary that supports it stops when the pipe closes, which the
#    kernel does when this process dies however it dies. Older binaries ignore
#    the variable, so on top of that:
# 2. on Linux, started from the main thread: PR_SET_PDEATHSIG (SIGTERM), set
#    in the child between fork and exec;
# 3. elsewhere (macOS, Windows, a start from another thread): a watchdog
#    process holding the other end of a pipe; when this process dies the
#    pipe closes and the watchdog stops the mock.
# 4. atexit stops every mock still running on a normal interpreter exit.

_PR_SET_PDEATHSIG = 1
_prctl: Any = None


def _pdeathsig_preexec() -> Optional[Callable[[], None]]:
    global _prctl
    if not sys.platform.startswith("linux") or threading.current_thread() is not threading.main_thread():
        return None
    if _prctl is None:
        try:
            libc = ctypes.CDLL(None, use_errno=True)
            fn = libc.prctl
            fn.argtypes = [ctypes.c_int, ctypes.c_ulong, ctypes.c_ulong, ctypes.c_ulong, ctypes.c_ulong]
            fn.restype = ctypes.c_int
            _prctl = fn
        except (OSError, AttributeError):
            _prctl = False
    if not _prctl:
        return None
    prctl = _prctl
    parent = os.getpid()
    sigterm = int(signal.SIGTERM)

    def preexec() -> None:
        # Runs in the child between fork and exec: nothing but these calls.
        prctl(_PR_SET_PDEATHSIG, sigterm, 0, 0, 0)
        if os.getppid() != parent:  # the parent died before the line above
            os._exit(70)

    return preexec


_WATCHDOG = r"""
import os, signal, sys, time
pid, grace = int(sys.argv[1]), float(sys.argv[2])
try:
    signal.signal(signal.SIGINT, signal.SIG_IGN)
except Exception:
    pass
try:
    while sys.stdin.buffer.read(4096):
        pass
except BaseException:
    pass
if os.name == "nt":
    try:
        os.kill(pid, signal.SIGTERM)
    except OSError:
        pass
    sys.exit(0)
try:
    os.kill(pid, signal.SIGTERM)
except OSError:
    sys.exit(0)
end = time.monotonic() + grace
while time.monotonic() < end:
    try:
        os.kill(pid, 0)
    except OSError:
        sys.exit(0)
    time.sleep(0.05)
try:
    os.kill(pid, signal.SIGKILL)
except OSError:
    pass
"""

_live: "weakref.WeakSet[IdenfyMock]" = weakref.WeakSet()


@atexit.register
def _stop_all() -> None:
    for mock in list(_live):
        try:
            mock.stop()
        except Exception:
            pass


class IdenfyMock(IdenfyMockClient):
    """An idenfy-mock process on a free loopback port, and a client of it.

        with IdenfyMock() as mock:
            token = mock.create_token("user-1", dummyStatus="APPROVED")
            hook = mock.wait_for_webhook(token["scanRef"], timeout=5)

    `url`, `api_key`, `api_secret` and `signing_key` are what to point the
    application at (the default partner's credentials are passed to the mock,
    so they are always known; `signing_key=None` makes webhooks unsigned).
    Every method of `IdenfyMockClient` is here.

    Options: `binary` (else see `find_binary`), `webhook_url`, `config` (a
    TOML file), `seed`, `admin_token`, `drop_in` (passes `--drop-in`; needs an
    idenfy-mock with drop-in mode), `args` (more flags), `env` (more
    environment), `host`/`port` (default 127.0.0.1 and a free port),
    `start_timeout`, `stop_timeout` (SIGTERM, then SIGKILL after it), `log`
    (a text stream the mock's output is copied to; the last lines are kept in
    `output` either way)."""

    def __init__(
        self,
        *,
        binary: Optional[str] = None,
        api_key: str = DEFAULT_API_KEY,
        api_secret: str = DEFAULT_API_SECRET,
        signing_key: Optional[str] = DEFAULT_SIGNING_KEY,
        admin_token: Optional[str] = None,
        webhook_url: Optional[str] = None,
        config: Optional[str] = None,
        seed: Optional[int] = None,
        drop_in: bool = False,
        args: Sequence[str] = (),
        env: Optional[Mapping[str, str]] = None,
        host: str = "127.0.0.1",
        port: int = 0,
        start_timeout: float = 10.0,
        stop_timeout: float = 10.0,
        log: Optional[IO[str]] = None,
        keep_lines: int = 500,
    ) -> None:
        super().__init__(
            "http://127.0.0.1:0",
            api_key=api_key,
            api_secret=api_secret,
            signing_key=signing_key or None,
            admin_token=admin_token,
        )
        self._binary_option = binary
        self.binary: Optional[str] = None
        self._webhook_url = webhook_url
        self._config = config
        self._seed = seed
        self._drop_in = drop_in
        self._args = list(args)
        self._env = dict(env or {})
        self._host = host
        self._port_option = port
        self.start_timeout = start_timeout
        self.stop_timeout = stop_timeout
        self._log = log
        self._lines: Deque[str] = collections.deque(maxlen=keep_lines)
        self._proc: Optional["subprocess.Popen[bytes]"] = None
        self._watchdog: Optional["subprocess.Popen[bytes]"] = None
        self._pump: Optional[threading.Thread] = None
        self._owner = os.getpid()
        self._started = False
        self.url = ""  # set by start()

    # -- lifecycle ----------------------------------------------------------------

    def __enter__(self) -> "IdenfyMock":
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    @property
    def pid(self) -> Optional[int]:
        """The mock process's id while it runs."""
        return self._proc.pid if self._proc is not None else None

    @property
    def output(self) -> List[str]:
        """The mock's last output lines (stdout and stderr)."""
        return list(self._lines)

    def start(self) -> "IdenfyMock":
        """Starts the mock and returns once `/_mock/health` answers."""
        if self._started:
            return self
        binary = find_binary(self._binary_option)
        self.binary = binary
        argv = [binary, "--listen", f"{self._host}:{self._port_option}"]
        if self._config:
            argv += ["--config", self._config]
        if self._webhook_url:
            argv += ["--webhook-url", self._webhook_url]
        if self._seed is not None:
            argv += ["--seed", str(self._seed)]
        if self._drop_in:
            argv.append("--drop-in")
        argv += self._args
        env = dict(os.environ)
        env["IDENFY_MOCK_API_KEY"] = self.api_key
        env["IDENFY_MOCK_API_SECRET"] = self.api_secret
        env["IDENFY_MOCK_SIGNING_KEY"] = self.signing_key or ""  # empty: webhooks go unsigned
        if self.admin_token:
            env["IDENFY_MOCK_ADMIN_TOKEN"] = self.admin_token
        env["IDENFY_MOCK_EXIT_WITH_PARENT"] = "1"
        env.update(self._env)

        deadline = time.monotonic() + self.start_timeout
        preexec = _pdeathsig_preexec()
        try:
            proc = subprocess.Popen(
                argv,
                stdin=subprocess.PIPE,
                stdout=subprocess.PIPE,
                stderr=subprocess.STDOUT,
                env=env,
                preexec_fn=preexec,
                close_fds=True,
            )
        except OSError as exc:
            raise StartError(f"idenfy-mock: cannot run {binary}: {exc}") from exc
        self._proc = proc
        self._started = True
        _live.add(self)
        if preexec is None:
            self._watchdog = _start_watchdog(proc.pid, self.stop_timeout)

        address: List[str] = []
        found = threading.Event()
        self._pump = threading.Thread(
            target=self._read_output, args=(proc, address, found), name="idenfy-mock output", daemon=True
        )
        self._pump.start()
        try:
            found.wait(max(0.0, deadline - time.monotonic()))
            if not address:
                try:
                    proc.wait(0.5)
                except subprocess.TimeoutExpired:
                    pass
                code = proc.returncode
                self._fail_start(
                    binary, "it did not print its address" if code is None else f"it exited with status {code}"
                )
            self._set_url(f"http://{address[0]}")
            self._wait_healthy(binary, deadline)
        except BaseException:
            self.stop()
            raise
        return self

    def _read_output(self, proc: "subprocess.Popen[bytes]", address: List[str], found: threading.Event) -> None:
        assert proc.stdout is not None
        try:
            for raw in iter(proc.stdout.readline, b""):
                line = raw.decode("utf-8", "replace").rstrip("\r\n")
                self._lines.append(line)
                if self._log is not None:
                    try:
                        self._log.write(line + "\n")
                    except Exception:
                        pass
                if not address:
                    m = _LISTENING.search(line)
                    if m:
                        address.append(m.group(1) or m.group(2))
                        found.set()
        except (OSError, ValueError):
            pass
        finally:
            found.set()

    def _wait_healthy(self, binary: str, deadline: float) -> None:
        assert self._proc is not None
        last: Optional[Exception] = None
        while time.monotonic() < deadline:
            try:
                health = self._json("GET", "/_mock/health", timeout=max(0.1, deadline - time.monotonic()))
                if isinstance(health, dict) and health.get("exitWithParent") is True:
                    self._stop_watchdog()  # the mock itself stops with us: no second process needed
                return
            except IdenfyMockError as exc:
                last = exc
            try:
                self._proc.wait(0.005)
                self._fail_start(binary, f"it exited with status {self._proc.returncode}")
            except subprocess.TimeoutExpired:
                pass
        self._fail_start(binary, f"/_mock/health did not answer: {last}")

    def _fail_start(self, binary: str, why: str) -> None:
        assert self._proc is not None
        code = self._proc.poll()
        if code is not None and self._pump is not None:
            self._pump.join(1.0)  # the rest of its output
        tail = "\n".join(list(self._lines)[-20:]) or "(no output)"
        raise StartError(f"idenfy-mock ({binary}) did not start within {self.start_timeout:g} s: {why}; its output:\n{tail}")

    def stop(self, timeout: Optional[float] = None) -> Optional[int]:
        """Stops the mock: SIGTERM, then SIGKILL after `timeout` (default
        `stop_timeout`). Answers its exit status; safe to call twice."""
        proc = self._proc
        if proc is None or os.getpid() != self._owner:
            return None
        grace = self.stop_timeout if timeout is None else timeout
        self._stop_watchdog()
        if proc.poll() is None:
            try:
                proc.terminate()
                proc.wait(grace)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()
            except OSError:
                pass
        for stream in (proc.stdin, proc.stdout):
            try:
                if stream is not None:
                    stream.close()
            except OSError:
                pass
        if self._pump is not None:
            self._pump.join(1.0)
        self._proc = None
        self._started = False
        _live.discard(self)
        return proc.returncode

    def _stop_watchdog(self) -> None:
        wd = self._watchdog
        self._watchdog = None
        if wd is not None and wd.poll() is None:
            try:
                wd.kill()
                wd.wait(5)
            except (OSError, subprocess.TimeoutExpired):
                pass
        if wd is not None and wd.stdin is not None:
            try:
                wd.stdin.close()
            except OSError:
                pass

    def _check_usable(self, method: str, path: str) -> None:
        if not self._started:
            raise IdenfyMockError(
                f"{method} {path}: the mock is not running (call start(), or use `with IdenfyMock() as mock:`)"
            )


def _start_watchdog(pid: int, grace: float) -> Optional["subprocess.Popen[bytes]"]:
    if not sys.executable:
        return None
    try:
        return subprocess.Popen(
            [sys.executable, "-I", "-S", "-c", _WATCHDOG, str(pid), str(grace)],
            stdin=subprocess.PIPE,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            close_fds=True,
        )
    except OSError:
        return None


def start_mock(**options: Any) -> IdenfyMock:
    """`IdenfyMock(**options).start()`."""
    return IdenfyMock(**options).start()

