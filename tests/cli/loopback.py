"""A simulator served on 127.0.0.1 that counts what reaches it and can signal the test process
while it answers the Nth request: the loopback target of the output-location and interrupt
tests."""

from __future__ import annotations

import signal
import threading
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

import pytest

from sms_contract.run import interruption
from sms_contract.simulator.app import Simulator
from sms_contract.simulator.config import SimulatorConfig
from sms_contract.simulator.server import serve_in_thread

NUMBER = "15555551234"
WAIT_STEPS = 500  # x 0.01 s: how long the server waits for the main thread to see a signal


@dataclass
class Signalling:
    """A WSGI app around a ``Simulator``: it records every request (method and path), and
    while it answers request number ``at`` (1-based), it sends each of ``signals`` to the
    main thread, one after the other (waiting until the run has seen the first before the
    second: two pending signals of one kind would merge into one)."""

    simulator: Simulator
    at: int | None = None
    signals: tuple[signal.Signals, ...] = ()
    hold: float = 0.0  # seconds to wait after signalling before answering
    requests: list[str] = field(default_factory=list)
    signalled_after: int | None = None  # how many requests had arrived when it signalled

    def __call__(
        self, environ: dict[str, Any], start_response: Callable[..., Any]
    ) -> Iterable[bytes]:
        self.requests.append(f"{environ['REQUEST_METHOD']} {environ['PATH_INFO']}")
        if self.at is not None and len(self.requests) == self.at:
            self._signal()
        return self.simulator(environ, start_response)

    def _signal(self) -> None:
        main = threading.main_thread().ident
        assert main is not None
        for n, number in enumerate(self.signals):
            signal.pthread_kill(main, number)
            if n == 0:
                _wait_until(lambda: interruption.requested() is not None)
        self.signalled_after = len(self.requests)
        if self.hold:
            threading.Event().wait(self.hold)


def _wait_until(condition: Callable[[], bool]) -> None:
    event = threading.Event()
    for _ in range(WAIT_STEPS):
        if condition():
            return
        event.wait(0.01)
    raise AssertionError("the main thread never saw the signal")


@dataclass
class Served:
    app: Signalling
    base_url: str

    def live(self, command: str, *extra: str, concurrency: int = 1) -> list[str]:
        """``command`` (run, record, drift) on the live code path pointed at this server; a
        run in strict order unless ``concurrency`` says otherwise (the tests count requests;
        record and drift always send in order)."""
        order = ("--concurrency", str(concurrency)) if command == "run" else ()
        return [
            command,
            *("--target", "live", "--base-url", self.base_url, "--auth-url", self.base_url),
            *("--to", NUMBER, "--definition-key", "account-reset"),
            *order,
            *extra,
        ]


@contextmanager
def served(
    monkeypatch: pytest.MonkeyPatch,
    *,
    at: int | None = None,
    signals: tuple[signal.Signals, ...] = (),
    hold: float = 0.0,
) -> Iterator[Served]:
    """The simulator on 127.0.0.1, its credentials in the environment."""
    simulator = Simulator(SimulatorConfig())
    credentials = simulator.config.credentials
    monkeypatch.setenv("SFMC_CLIENT_ID", credentials.client_id)
    monkeypatch.setenv("SFMC_CLIENT_SECRET", credentials.client_secret)
    app = Signalling(simulator, at=at, signals=signals, hold=hold)
    with serve_in_thread(app) as server:
        yield Served(app, server.base_url)
