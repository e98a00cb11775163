"""Real third-party SFMC clients against ``sms-contract serve`` on 127.0.0.1.

The ``sandbox`` fixture serves the simulator the way ``sms-contract serve --host 127.0.0.1
--port 0`` does (the same parser, the same ``config_from``, so the same defaults), on a free
loopback port, and records every exchange: a failing test shows the requests the client sent
and what the simulator answered.

Nothing here may leave the machine: the clients are pointed at the sandbox for both the auth
and the REST base URL, and ``loopback_only`` (Python) and ``drive.js`` (Node) refuse any
connection to a host that is not loopback before it is made.

A client that is not installed skips its tests with the command that installs it
(``pytest -ra`` shows it). With ``SMS_CONTRACT_COMPAT=required`` in the environment (for CI,
which installs both) a missing client fails its tests instead.
"""

from __future__ import annotations

import argparse
import io
import ipaddress
import json
import os
import socket
import threading
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from typing import Any, NoReturn
from urllib.parse import urlsplit

import pytest

from sms_contract.cli.main import build_parser
from sms_contract.cli.serve import config_from
from sms_contract.simulator.app import Simulator
from sms_contract.simulator.server import ServerHandle, serve_in_thread
from sms_contract.transports.wsgi import DropConnection

REQUIRED_VARIABLE = "SMS_CONTRACT_COMPAT"
PROXY_VARIABLES = ("HTTP_PROXY", "HTTPS_PROXY", "ALL_PROXY", "NO_PROXY")


def client_missing(reason: str) -> NoReturn:
    """Skip (or, with SMS_CONTRACT_COMPAT=required, fail): ``reason`` says how to install it."""
    if os.environ.get(REQUIRED_VARIABLE, "").strip().lower() == "required":
        pytest.fail(f"{REQUIRED_VARIABLE}=required and {reason}", pytrace=False)
    pytest.skip(reason)


# --- the sandbox ---------------------------------------------------------------------------


@dataclass(frozen=True)
class Exchange:
    """One request the simulator answered, as it saw it (the loopback server reads a leading
    ``//`` as ``/``; drive.js reports the URLs as the Node SDK built them)."""

    method: str
    target: str
    request_body: bytes
    status: str
    response_body: bytes

    def render(self, limit: int = 600) -> str:
        request = _shown(self.request_body, limit)
        response = _shown(self.response_body, limit)
        return f"{self.method} {self.target}\n    > {request}\n    < {self.status} {response}"


def _shown(body: bytes, limit: int) -> str:
    text = body.decode("utf-8", "replace")
    return text if len(text) <= limit else text[:limit] + f"... ({len(text)} chars)"


class Recorder:
    """A WSGI middleware in front of the simulator that keeps every exchange."""

    def __init__(self, simulator: Simulator) -> None:
        self.simulator = simulator
        self.config = simulator.config  # serve_in_thread reads max_body_bytes from it
        self._lock = threading.Lock()
        self._exchanges: list[Exchange] = []

    @property
    def exchanges(self) -> list[Exchange]:
        with self._lock:
            return list(self._exchanges)

    def __call__(
        self, environ: dict[str, Any], start_response: Callable[..., Any]
    ) -> Iterable[bytes]:
        raw = str(environ.get("CONTENT_LENGTH") or "0")
        length = int(raw) if raw.isdigit() else 0
        body = environ["wsgi.input"].read(length) if length else b""
        environ["wsgi.input"] = io.BytesIO(body)
        method = str(environ.get("REQUEST_METHOD"))
        target = str(environ.get("RAW_URI") or environ.get("PATH_INFO"))
        answered: dict[str, Any] = {}

        def recording_start_response(
            status: str, headers: list[tuple[str, str]], exc_info: Any = None
        ) -> Any:
            answered["status"] = status
            return start_response(status, headers, exc_info)

        try:
            payload = b"".join(self.simulator(environ, recording_start_response))
        except DropConnection:
            self._keep(Exchange(method, target, body, "(connection dropped)", b""))
            raise
        self._keep(Exchange(method, target, body, answered.get("status", "?"), payload))
        return [payload]

    def _keep(self, exchange: Exchange) -> None:
        with self._lock:
            self._exchanges.append(exchange)


@dataclass
class Sandbox:
    """The simulator as ``sms-contract serve`` serves it, on 127.0.0.1, with its exchanges."""

    simulator: Simulator
    server: ServerHandle
    recorder: Recorder

    @property
    def base_url(self) -> str:
        """``http://127.0.0.1:PORT``, as the serve banner prints it."""
        return self.server.base_url

    @property
    def exchanges(self) -> list[Exchange]:
        return self.recorder.exchanges

    def evidence(self) -> str:
        """Every exchange so far, for an assertion message."""
        shown = [exchange.render() for exchange in self.exchanges] or ["(no request reached it)"]
        return "exchanges with the simulator:\n  " + "\n  ".join(shown)


def serve_arguments(*flags: str) -> argparse.Namespace:
    """``sms-contract serve --host 127.0.0.1 --port 0 FLAGS...`` parsed by the real parser."""
    argv = ["serve", "--host", "127.0.0.1", "--port", "0", *flags]
    try:
        return build_parser().parse_args(argv)
    except SystemExit:
        pytest.fail(f"sms-contract {' '.join(argv)}: refused by the CLI parser", pytrace=False)


@pytest.fixture
def serve_flags() -> tuple[str, ...]:
    """Extra ``sms-contract serve`` flags; a test overrides it with ``parametrize``."""
    return ()


@pytest.fixture
def sandbox(serve_flags: tuple[str, ...]) -> Iterator[Sandbox]:
    """The simulator served on a free 127.0.0.1 port for one test."""
    args = serve_arguments(*serve_flags)
    simulator = Simulator(config_from(args))
    recorder = Recorder(simulator)
    with serve_in_thread(recorder, args.host, args.port) as server:
        yield Sandbox(simulator, server, recorder)


# --- nothing leaves the machine (Python clients) -------------------------------------------


def _is_loopback(host: object) -> bool:
    if not isinstance(host, str):
        return False
    name = host.strip("[]").lower()
    if name == "localhost":
        return True
    try:
        return ipaddress.ip_address(name.split("%", 1)[0]).is_loopback
    except ValueError:
        return False


@dataclass
class LoopbackGuard:
    """What the guard refused: each entry is a host a client tried to reach."""

    refused: list[str] = field(default_factory=list)


@pytest.fixture
def loopback_only(monkeypatch: pytest.MonkeyPatch) -> LoopbackGuard:
    """Refuse name lookups and connections to anything but loopback, in this process.

    Proxy variables are removed too, so that ``requests`` connects to 127.0.0.1 itself.
    """
    guard = LoopbackGuard()
    for name in PROXY_VARIABLES:
        monkeypatch.delenv(name, raising=False)
        monkeypatch.delenv(name.lower(), raising=False)
    real_getaddrinfo = socket.getaddrinfo
    real_connect = socket.socket.connect
    real_connect_ex = socket.socket.connect_ex

    def refuse(host: object) -> OSError:
        guard.refused.append(str(host))
        return ConnectionRefusedError(f"loopback_only: refusing to reach {host!r}")

    def getaddrinfo(host: Any, *args: Any, **kwargs: Any) -> Any:
        name = host.decode("ascii", "replace") if isinstance(host, bytes) else host
        if name is not None and not _is_loopback(name):
            raise refuse(name)
        return real_getaddrinfo(host, *args, **kwargs)

    def connect(self: socket.socket, address: Any) -> None:
        if self.family in (socket.AF_INET, socket.AF_INET6) and not _is_loopback(address[0]):
            raise refuse(address[0])
        real_connect(self, address)

    def connect_ex(self: socket.socket, address: Any) -> int:
        if self.family in (socket.AF_INET, socket.AF_INET6) and not _is_loopback(address[0]):
            raise refuse(address[0])
        return real_connect_ex(self, address)

    monkeypatch.setattr(socket, "getaddrinfo", getaddrinfo)
    monkeypatch.setattr(socket.socket, "connect", connect)
    monkeypatch.setattr(socket.socket, "connect_ex", connect_ex)
    return guard


def netloc(url: str) -> str:
    return urlsplit(url).netloc


def pretty(value: Any) -> str:
    return json.dumps(value, indent=2, sort_keys=True, default=str)
