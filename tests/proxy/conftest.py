"""What the proxy tests share: the simulator served on 127.0.0.1 behind a ``Wire`` that keeps
what reached it and what it answered, the proxy in front of it (in-process, or the real
command in a subprocess), and the reference client pointed at the proxy."""

from __future__ import annotations

import io
import json
import os
import queue
import signal
import subprocess
import sys
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from sms_contract.client.config import ClientConfig
from sms_contract.client.sms_client import SmsClient
from sms_contract.proxy.forwarding import Forwarder
from sms_contract.proxy.server import ProxyHandle, serve_proxy
from sms_contract.proxy.settings import ProxySettings
from sms_contract.proxy.watch import Watch
from sms_contract.simulator.app import Simulator
from sms_contract.simulator.config import Credentials, Deviation, SimulatorConfig
from sms_contract.simulator.server import serve_in_thread
from sms_contract.spec.endpoints import TOKEN_PATH
from sms_contract.transports.base import Transport

NUMBER = "15555551234"
DEFINITION = "account-reset"
STARTUP_TIMEOUT = 30.0  # seconds for the proxy command to say where it listens
EXIT_TIMEOUT = 30.0  # seconds for it to stop once signalled


@dataclass(frozen=True)
class Seen:
    """One request as it reached the simulator, and the simulator's answer."""

    method: str
    target: str  # the raw request target
    headers: dict[str, str]  # as WSGI names them: HTTP_X_CUSTOM, CONTENT_TYPE
    body: bytes
    status: str
    response_headers: list[tuple[str, str]]
    response_body: bytes


@dataclass
class Wire:
    """A WSGI wrapper around a simulator: every request that reached it and its answer, and
    every access token it issued."""

    simulator: Simulator
    seen: list[Seen] = field(default_factory=list)
    tokens: list[str] = field(default_factory=list)

    @property
    def config(self) -> SimulatorConfig:  # serve_in_thread reads the body limit from it
        return self.simulator.config

    def __call__(self, environ: dict[str, Any], start_response: Callable[..., Any]) -> list[bytes]:
        body = environ["wsgi.input"].read()
        environ["wsgi.input"] = io.BytesIO(body)
        answered: dict[str, Any] = {}

        def capture(status: str, headers: list[tuple[str, str]], exc_info: Any = None) -> Any:
            answered["status"], answered["headers"] = status, list(headers)
            return start_response(status, headers, exc_info)

        chunks = list(self.simulator(environ, capture))
        payload = b"".join(chunks)
        headers = {
            k: str(v) for k, v in environ.items() if k.startswith("HTTP_") or k == "CONTENT_TYPE"
        }
        self.seen.append(
            Seen(
                str(environ["REQUEST_METHOD"]),
                str(environ["RAW_URI"]),
                headers,
                body,
                answered["status"],
                answered["headers"],
                payload,
            )
        )
        if str(environ.get("PATH_INFO", "")).endswith(TOKEN_PATH):
            issued = json.loads(payload or b"null")
            if isinstance(issued, dict) and isinstance(issued.get("access_token"), str):
                self.tokens.append(issued["access_token"])
        return chunks


@dataclass
class Upstream:
    wire: Wire
    base_url: str

    @property
    def credentials(self) -> Credentials:
        return self.wire.simulator.config.credentials


@contextmanager
def upstream(config: SimulatorConfig | None = None) -> Iterator[Upstream]:
    """The simulator (``config``, the conformant default when None) on 127.0.0.1."""
    wire = Wire(Simulator(config or SimulatorConfig()))
    with serve_in_thread(wire) as server:
        yield Upstream(wire, server.base_url)


def deviating(*deviations: Deviation, **changes: Any) -> SimulatorConfig:
    return SimulatorConfig(deviations=frozenset(deviations), **changes)


@dataclass
class Proxied:
    """A proxy running in-process, the lines it gave, and its watch."""

    handle: ProxyHandle
    lines: list[str]

    @property
    def base_url(self) -> str:
        return self.handle.base_url

    @property
    def watch(self) -> Watch:
        return self.handle.watch


@contextmanager
def proxy(
    upstream_url: str, forwarder: Forwarder | None = None, **watch_options: Any
) -> Iterator[Proxied]:
    """The proxy on a free loopback port in front of ``upstream_url``."""
    settings = ProxySettings.from_urls(upstream_url, listen="127.0.0.1:0", timeout=10.0)
    forwarder = forwarder or Forwarder(timeout=10.0, tls=False)
    lines: list[str] = []
    watch = Watch(
        upstream=settings.upstream.url,
        source=settings.source,
        on_line=lines.append,
        **watch_options,
    )
    with serve_proxy(settings, watch, forwarder) as handle:
        yield Proxied(handle, lines)


def client(
    base_url: str, credentials: Credentials, transport: Transport | None = None, **changes: Any
) -> SmsClient:
    """The reference client with both its base URLs at ``base_url`` (the proxy)."""
    config = ClientConfig(
        client_id=credentials.client_id,
        client_secret=credentials.client_secret,
        account_id=credentials.account_id,
        auth_base_url=base_url,
        rest_base_url=base_url,
        **changes,
    )
    return SmsClient(config, transport)


def payload(number: str = NUMBER, **attributes: str) -> dict[str, Any]:
    recipient: dict[str, Any] = {"contactKey": "Astro25", "to": number}
    if attributes:
        recipient["attributes"] = attributes
    return {"definitionKey": DEFINITION, "recipient": recipient}


# --- the command in a subprocess ------------------------------------------------------------


@dataclass
class Command:
    """``sms-contract proxy`` running in a subprocess: its stdout lines as they come."""

    process: subprocess.Popen[str]
    lines: queue.Queue[str | None]
    seen: list[str] = field(default_factory=list)
    base_url: str = ""

    def wait_for(self, text: str, timeout: float = STARTUP_TIMEOUT) -> str:
        """The first line (from now on) holding ``text``."""
        while True:
            line = self.lines.get(timeout=timeout)
            if line is None:
                raise AssertionError(f"the command ended before printing {text!r}:\n{self.out}")
            self.seen.append(line)
            if text in line:
                return line

    def stop(self, signum: int = signal.SIGTERM) -> int:
        """Signal the command; its exit code once it ended (all its output read)."""
        self.process.send_signal(signum)
        code = self.process.wait(timeout=EXIT_TIMEOUT)
        while (line := self.lines.get(timeout=EXIT_TIMEOUT)) is not None:
            self.seen.append(line)
        return code

    @property
    def out(self) -> str:
        return "".join(self.seen)


@contextmanager
def command(*argv: str, cwd: Path) -> Iterator[Command]:
    """``sms-contract proxy ARGV --listen 127.0.0.1:0`` in a subprocess, with no SFMC_*
    variable of this machine; yields once it listens (``base_url``); killed if still alive
    after the block."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("SFMC_")}
    process = subprocess.Popen(
        [sys.executable, "-m", "sms_contract", "proxy", "--listen", "127.0.0.1:0", *argv],
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        cwd=cwd,
        env=env,
    )
    lines: queue.Queue[str | None] = queue.Queue()

    def read() -> None:
        assert process.stdout is not None
        for line in process.stdout:
            lines.put(line)
        lines.put(None)

    reader = threading.Thread(target=read, daemon=True)
    reader.start()
    running = Command(process, lines)
    try:
        banner = running.wait_for("listening on")
        running.base_url = banner.split("listening on ", 1)[1].split(",", 1)[0].strip()
        yield running
    finally:
        if process.poll() is None:
            process.kill()
            process.wait(timeout=EXIT_TIMEOUT)
        reader.join(timeout=EXIT_TIMEOUT)
        assert process.stdout is not None
        process.stdout.close()
