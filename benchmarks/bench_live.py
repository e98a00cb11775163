"""What the default live command spends and how long it takes, against the simulator served on
loopback: conformant, and as servers that are slow, lossy, throttling or broken in one place.

For each scenario it runs, in-process, exactly the README's live command with the default
budgets::

    sms-contract run --target live --base-url URL --auth-url URL --to 15555551234 \\
        --definition-key account-reset --seed 1 --report-dir TMP

against a fresh ``Simulator`` on 127.0.0.1 (``serve_in_thread``), at the default concurrency
(``--concurrency``, 16) and, for the 200 ms latency scenario, also at 1 (strict order), and
prints one row: the exit code and result, checks judged (of the checks selected; skips for a
missing capability are not judged), checks incomplete, the sends the simulator itself
counted as accepted, requests and token requests as the simulator counted them, wall time,
the time spent sending (the report's ``duration``: sending and judging, not planning), and
the run's critical path with the ratio of the two.

The critical path: the phases are barriers, so it is the sum over the phases of the longest
case of each (from its first request to its last answer), timed by wrapping the runner's
``_run_scheduled``. It is taken from the strict-order run of the same scenario (at 1 no case
waits for a worker, a shared send or the 429 gate, so each case takes only its own chain),
and from the run itself where there is no strict-order run (an upper bound then). No
schedule can send faster than that; "x cp" is how far the run is from it.

The budget floor: a send that may be accepted holds a send of the budget while it is in
flight, so no more sends are in flight at once than the budget has left (``SafetyGuard``), and
no more than ``--concurrency``. Per phase, the floor is the larger of its longest case and its
sends' total time (each from the guard letting it through to its answer, times the
recipients it holds, summed) divided by that room (the budget left when the phase began, at
most the concurrency); the run's floor is the sum over the phases, from the same run the
critical path is taken from. "x floor" is how far the run is from the least time any schedule
that keeps the budget exact could take.

Everything stays on loopback and every scenario ends by itself (the run's own deadline is
600 s; the slowest scenario takes under a minute).

    /work/venv/bin/python benchmarks/bench_live.py [--scenario NAME ...]
"""

from __future__ import annotations

import argparse
import contextlib
import io
import json
import os
import sys
import tempfile
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

from sms_contract import Simulator, SimulatorConfig, serve_in_thread
from sms_contract.cli.main import main as sms_contract_main
from sms_contract.exchange import Exchange, HttpRequest
from sms_contract.run import runner
from sms_contract.run.defaults import LIVE_CONCURRENCY
from sms_contract.run.safety import SafetyGuard, recipient_count
from sms_contract.simulator.config import (
    DEFAULT_CLIENT_ID,
    DEFAULT_CLIENT_SECRET,
    Deviation,
    Faults,
)
from sms_contract.spec.endpoints import is_send

BASE = SimulatorConfig()
LATENCY = "latency 200 ms"
SCENARIOS: dict[str, SimulatorConfig] = {
    "conformant": BASE,
    LATENCY: replace(BASE, faults=Faults(latency=0.2)),
    "loses every 5th response": replace(BASE, faults=Faults(drop_response_every=5)),
    "429 every 4th (Retry-After 1)": replace(
        BASE, faults=Faults(rate_limit_every=4, retry_after=1)
    ),
    "429 to everything (Retry-After 1)": replace(
        BASE, faults=Faults(rate_limit_every=1, retry_after=1)
    ),
    "tokens of 4 s": replace(BASE, token_lifetime=4.0, expires_in=4),
    "status visible after 5 s": replace(BASE, status_visible_after=5.0),
    "200 to every send": replace(BASE, faults=Faults(send_answer=200)),
    "500 to every send": replace(BASE, faults=Faults(send_answer=500)),
    "500 to non-ASCII keys": replace(
        BASE, deviations=frozenset({Deviation.SERVER_ERROR_ON_NON_ASCII_KEY})
    ),
    "accepts a reused messageKey": replace(
        BASE, deviations=frozenset({Deviation.ACCEPT_DUPLICATE_KEY})
    ),
}


@dataclass(frozen=True)
class Row:
    scenario: str
    exit_code: int
    result: str
    judged: int
    selected: int
    incomplete: int
    accepted: int
    requests: int
    tokens: int
    seconds: float
    concurrency: int
    sending: float  # the report's duration: sending and judging
    critical: float  # sum over phases of the longest case
    floor: float  # sum over phases of max(longest case, send time / budget room)

    @property
    def ratio(self) -> float:
        return self.sending / self.critical if self.critical else float("nan")

    @property
    def floor_ratio(self) -> float:
        return self.sending / self.floor if self.floor else float("nan")


@dataclass
class Phases:
    """Per phase: the longest case, the sends' total time and the budget room at its start."""

    longest: dict[int, float]
    send_time: dict[int, float]
    room: dict[int, int]

    def critical(self) -> float:
        return sum(self.longest.values())

    def floor(self, concurrency: int) -> float:
        total = 0.0
        for phase, longest in self.longest.items():
            room = max(1, min(concurrency, self.room.get(phase, concurrency)))
            total += max(longest, self.send_time.get(phase, 0.0) / room)
        return total


@contextlib.contextmanager
def case_timings() -> Iterator[Phases]:
    """Per phase, from the runner's own case runs and the guard's own decisions: the longest
    case (seconds), the sends' total time, and the sends the budget had left when the phase's
    first send was let through."""
    phases = Phases({}, {}, {})
    lock = threading.Lock()
    current = threading.local()
    started: dict[int, float] = {}
    weight: dict[int, int] = {}
    original = runner.Runner._run_scheduled
    before_send, after_exchange = SafetyGuard.before_send, SafetyGuard.after_exchange

    def timed(self: runner.Runner, entry: Any) -> Any:
        current.phase = int(entry.case.phase)
        result = original(self, entry)
        _, _, began, ended = result
        with lock:
            longest = phases.longest.get(current.phase, 0.0)
            phases.longest[current.phase] = max(longest, ended - began)
        return result

    def let_through(self: SafetyGuard, request: HttpRequest) -> None:
        before_send(self, request)
        phase = getattr(current, "phase", None)
        if phase is not None and is_send(request):
            with lock:
                left = self.sends_left
                phases.room.setdefault(phase, 10**6 if left is None else left)
                started[id(request)] = time.monotonic()
                weight[id(request)] = recipient_count(request)  # a batch holds one per recipient

    def answered(self: SafetyGuard, exchange: Exchange) -> int:
        spent = after_exchange(self, exchange)
        phase = getattr(current, "phase", None)
        with lock:
            began = started.pop(id(exchange.request), None)
            held = weight.pop(id(exchange.request), 1)
            if phase is not None and began is not None:
                took = (time.monotonic() - began) * held
                phases.send_time[phase] = phases.send_time.get(phase, 0.0) + took
        return spent

    runner.Runner._run_scheduled = timed  # type: ignore[method-assign]
    SafetyGuard.before_send = let_through  # type: ignore[method-assign]
    SafetyGuard.after_exchange = answered  # type: ignore[method-assign]
    try:
        yield phases
    finally:
        runner.Runner._run_scheduled = original  # type: ignore[method-assign]
        SafetyGuard.before_send = before_send  # type: ignore[method-assign]
        SafetyGuard.after_exchange = after_exchange  # type: ignore[method-assign]


def measure(
    name: str, config: SimulatorConfig, concurrency: int = LIVE_CONCURRENCY
) -> tuple[Row, Phases]:
    simulator = Simulator(config)
    environ = {"SFMC_CLIENT_ID": DEFAULT_CLIENT_ID, "SFMC_CLIENT_SECRET": DEFAULT_CLIENT_SECRET}
    saved = {key: os.environ.pop(key) for key in list(os.environ) if key.startswith("SFMC_")}
    os.environ.update(environ)
    try:
        with serve_in_thread(simulator) as server, tempfile.TemporaryDirectory() as reports:
            base = server.base_url
            argv = [
                "run",
                *("--target", "live", "--base-url", base, "--auth-url", base),
                *("--to", "15555551234", "--definition-key", "account-reset", "--seed", "1"),
                *("--report-dir", reports, "--concurrency", str(concurrency)),
            ]
            started = time.monotonic()
            with (
                contextlib.redirect_stdout(io.StringIO()),
                contextlib.redirect_stderr(io.StringIO()),
                case_timings() as phases,
            ):
                code = sms_contract_main(argv)
            seconds = time.monotonic() - started
            report = json.loads((Path(reports) / "report.json").read_text("utf-8"))
            counters = simulator.counters
    finally:
        for key in environ:
            os.environ.pop(key, None)
        os.environ.update(saved)
    checks = report["checks"]
    selected = [check for check in checks if check["verdict"] != "skipped"]
    judged = [check for check in selected if check["verdict"] != "incomplete"]
    row = Row(
        scenario=name,
        exit_code=code,
        result=report["result"],
        judged=len(judged),
        selected=len(selected),
        incomplete=report["summary"]["incomplete"],
        accepted=counters.accepted_sends,
        requests=counters.requests,
        tokens=counters.token_requests,
        seconds=seconds,
        concurrency=concurrency,
        sending=float(report["duration"]),
        critical=phases.critical(),
        floor=phases.floor(concurrency),
    )
    return row, phases


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument(
        "--scenario",
        action="append",
        choices=list(SCENARIOS),
        help="run only this scenario (repeatable; default: all)",
    )
    parser.add_argument(
        "--concurrency",
        action="append",
        type=int,
        help=f"run each scenario at this --concurrency (repeatable; default: {LIVE_CONCURRENCY})",
    )
    args = parser.parse_args(argv)
    chosen = args.scenario or list(SCENARIOS)
    args.concurrency = args.concurrency or [LIVE_CONCURRENCY]
    print(
        f"{'scenario':<36} {'conc':>4} {'exit':>4} {'result':<10} {'judged':>9} {'incompl':>7} "
        f"{'accepted':>8} {'requests':>8} {'tokens':>6} {'wall s':>7} {'send s':>7} "
        f"{'cp s':>6} {'x cp':>5} {'floor s':>7} {'x floor':>7}"
    )
    runs = [(name, concurrency) for name in chosen for concurrency in args.concurrency]
    if LATENCY in chosen:  # strict order first: its cases, unhurried, give the critical path
        runs.insert(chosen.index(LATENCY) * len(args.concurrency), (LATENCY, 1))
    strict: dict[str, Phases] = {}
    for name, concurrency in runs:
        row, phases = measure(name, SCENARIOS[name], concurrency)
        if concurrency == 1:
            strict.setdefault(name, phases)
        if name in strict:  # the strict-order run's cases, unhurried, at this concurrency
            base = strict[name]
            row = replace(row, critical=base.critical(), floor=base.floor(concurrency))
        print(
            f"{row.scenario:<36} {row.concurrency:>4} {row.exit_code:>4} {row.result:<10} "
            f"{f'{row.judged}/{row.selected}':>9} {row.incomplete:>7} {row.accepted:>8} "
            f"{row.requests:>8} {row.tokens:>6} {row.seconds:>7.1f} {row.sending:>7.2f} "
            f"{row.critical:>6.2f} {row.ratio:>5.2f} {row.floor:>7.2f} {row.floor_ratio:>7.2f}",
            flush=True,
        )
    print(
        "\njudged: checks selected and judged completely (the three checks that need the "
        "mock's clock or tenant changes are skipped by capability, not counted); accepted, "
        "requests, tokens: the simulator's own counters (tokens: the run's one token and "
        "TOKEN-BAD-SECRET's refused request). The budgets are the live defaults. send s: the "
        "report's duration (sending and judging); cp s: the critical path (the longest case "
        "of each phase, summed); x cp: send s / cp s; floor s: the least any schedule that "
        "keeps the budget exact could take (per phase the longest case or the sends' time over "
        "the budget's room, whichever is larger, summed); x floor: send s / floor s."
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
