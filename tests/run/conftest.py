"""What the run tests share: the live command pointed at a simulator served on 127.0.0.1
(``live_run``, with a ``Wire`` recording what reached the server), and the in-process mock with
the simulator's own counters (the ``mock`` fixture)."""

from __future__ import annotations

import json
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager, redirect_stdout
from dataclasses import dataclass, field
from io import StringIO
from pathlib import Path
from typing import Any

import pytest

from sms_contract.checks.model import Capability
from sms_contract.cli.main import main
from sms_contract.outcomes import CheckOutcome, RunOutcome, Verdict
from sms_contract.run.defaults import LIVE_MAX_REQUESTS, LIVE_MAX_SENDS, TargetKind
from sms_contract.run.planning import PlannedCheck, RunOptions, plan
from sms_contract.run.runner import Entry, Runner
from sms_contract.run.targets import TargetSettings, open_target
from sms_contract.simulator import app as simulator_app
from sms_contract.simulator.app import Simulator
from sms_contract.simulator.config import Deviation, SimulatorConfig
from sms_contract.simulator.server import serve_in_thread
from sms_contract.simulator.state import Counters
from sms_contract.spec.endpoints import SEND_STATUS, TOKEN_PATH

NUMBER = "15555551234"
DEFINITION = "account-reset"


@dataclass
class Wire:
    """A WSGI wrapper around a simulator: the method and raw target of every request that
    reached it, and every access token it issued (with the time it was issued)."""

    simulator: Simulator
    base_url: str = ""
    requests: list[tuple[str, str]] = field(default_factory=list)
    tokens: list[tuple[float, str]] = field(default_factory=list)

    @property
    def config(self) -> SimulatorConfig:  # serve_in_thread reads the body limit from it
        return self.simulator.config

    def __call__(self, environ: dict[str, Any], start_response: Callable[..., Any]) -> list[bytes]:
        self.requests.append((str(environ["REQUEST_METHOD"]), str(environ["RAW_URI"])))
        chunks = list(self.simulator(environ, start_response))
        if str(environ.get("PATH_INFO", "")).endswith(TOKEN_PATH):
            body = json.loads(b"".join(chunks) or b"null")
            if isinstance(body, dict) and isinstance(body.get("access_token"), str):
                self.tokens.append((time.monotonic(), body["access_token"]))
        return chunks


@dataclass(frozen=True)
class LiveRun:
    exit_code: int
    stdout: str
    report_dir: Path
    counters: Counters
    wire: Wire
    elapsed: float  # wall time of the whole command, planning included

    @property
    def report(self) -> dict[str, Any]:
        return dict(json.loads((self.report_dir / "report.json").read_text(encoding="utf-8")))

    def checks(self) -> dict[str, dict[str, Any]]:
        return {check["id"]: check for check in self.report["checks"]}


def cli(argv: list[str]) -> tuple[int, str]:
    out = StringIO()
    with redirect_stdout(out):
        code = main(argv)
    return code, out.getvalue()


def live_argv(base_url: str, *extra: str) -> list[str]:
    """The README's live command (default budgets) pointed at ``base_url``."""
    return [
        *("run", "--target", "live", "--base-url", base_url, "--auth-url", base_url),
        *("--to", NUMBER, "--definition-key", DEFINITION),
        *extra,
    ]


@contextmanager
def served(monkeypatch: pytest.MonkeyPatch, config: SimulatorConfig) -> Iterator[Wire]:
    """A simulator on 127.0.0.1 with its credentials in the environment; yields its wire."""
    simulator = Simulator(config)
    credentials = simulator.config.credentials
    monkeypatch.setenv("SFMC_CLIENT_ID", credentials.client_id)
    monkeypatch.setenv("SFMC_CLIENT_SECRET", credentials.client_secret)
    wire = Wire(simulator)
    with serve_in_thread(wire) as server:
        wire.base_url = server.base_url
        yield wire


def live_run(
    monkeypatch: pytest.MonkeyPatch, report_dir: Path, config: SimulatorConfig, *extra: str
) -> LiveRun:
    with served(monkeypatch, config) as wire:
        argv = live_argv(wire.base_url, *extra, "--report-dir", str(report_dir))
        started = time.monotonic()
        code, out = cli(argv)
        elapsed = time.monotonic() - started
        return LiveRun(code, out, report_dir, wire.simulator.counters, wire, elapsed)


# --- the in-process mock, with the simulator's own counters -----------------------------------


@dataclass(frozen=True)
class MockRun:
    outcome: RunOutcome
    counters: Counters  # the simulator's own
    entries: tuple[Entry, ...]  # every exchange (every attempt), with its case and step
    planned: tuple[PlannedCheck, ...]

    def check(self, check_id: str) -> CheckOutcome:
        (found,) = [c for c in self.outcome.checks if c.check_id == check_id]
        return found

    def findings(self, check_id: str) -> list[tuple[str, Verdict, str]]:
        return [(f.case_id, f.verdict, f.message) for f in self.check(check_id).findings]

    def key_of(self, case_id: str) -> str:
        (key,) = [
            case.steps[0].message_key
            for item in self.planned
            for case in item.cases
            if case.id == case_id
        ]
        assert key is not None
        return key

    def statuses(self, case_id: str) -> list[int | None]:
        """The answers to every status read the case made, in order."""
        return [
            None if e.exchange.response is None else e.exchange.response.status
            for e in self.entries
            if e.owner[1] == case_id and e.step.operation_id == SEND_STATUS
        ]


MockRunner = Callable[..., MockRun]


@pytest.fixture
def mock(monkeypatch: pytest.MonkeyPatch) -> MockRunner:
    """``mock(config, *check_ids, **options)``: run against the in-process mock with live
    budgets (15 sends, 200 requests) unless ``options`` says otherwise."""
    made: list[Simulator] = []

    class Counted(Simulator):
        def __init__(self, *args: Any, **kwargs: Any) -> None:
            super().__init__(*args, **kwargs)
            made.append(self)

    monkeypatch.setattr(simulator_app, "Simulator", Counted)

    def run(config: SimulatorConfig, *check_ids: str, **changes: Any) -> MockRun:
        values: dict[str, Any] = {
            "seed": 1,
            "allow_list": (NUMBER,),
            "max_sends": LIVE_MAX_SENDS,
            "max_requests": LIVE_MAX_REQUESTS,
            "check_ids": check_ids,
        }
        options = RunOptions(**(values | changes))
        with open_target(TargetSettings(simulator=config).resolved()) as target:
            planned = tuple(plan(options, target.capabilities))
            runner = Runner(target, options)
            outcome = runner.run(planned)
        return MockRun(outcome, made[-1].counters, runner.entries, planned)

    return run


def deviating(*deviations: Deviation, **changes: Any) -> SimulatorConfig:
    return SimulatorConfig(deviations=frozenset(deviations), **changes)


def live_capabilities(
    base_url: str, environ: dict[str, str], *, allow_extra_token: bool = False
) -> frozenset[Capability]:
    """What a live target at ``base_url`` offers the plan (opening it sends nothing)."""
    settings = TargetSettings(
        kind=TargetKind.LIVE,
        base_url=base_url,
        auth_url=base_url,
        allow_list=(NUMBER,),
        definition_key="account-reset",
        environ=environ,
        allow_extra_token=allow_extra_token,
    ).resolved()
    with open_target(settings) as target:
        return target.capabilities
