"""Live runs with workers (``--concurrency``): the budget and the allow-list stay exact when
threads race for them, the phases stay barriers, one 429 holds every worker, one token serves
them all, and the verdicts are those of the same run in strict order."""

from __future__ import annotations

import itertools
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest

from sms_contract.errors import UnsafeTargetError
from sms_contract.exchange import Exchange, HttpRequest, HttpResponse
from sms_contract.run import runner
from sms_contract.run.defaults import LIVE_CONCURRENCY, LIVE_MAX_SENDS, MAX_CONCURRENCY
from sms_contract.run.safety import BudgetExhausted, SafetyGuard
from sms_contract.simulator.config import Deviation, Faults, SimulatorConfig
from tests.run.conftest import LiveRun, cli, live_argv, live_run, served

ALLOWED = "15555551234"
SEND = "https://x.rest/messaging/v1/sms/messages/{key}"
THREADS = 16
ATTEMPTS = 40  # per thread: every loop below ends by itself


def _send(key: str, to: str = ALLOWED) -> HttpRequest:
    body = f'{{"definitionKey": "d", "recipient": {{"to": "{to}"}}}}'.encode()
    return HttpRequest("POST", SEND.format(key=key), {}, body)


def _accepted(request: HttpRequest) -> Exchange:
    return Exchange(request, HttpResponse(202, {}, b'{"requestId": "r", "responses": []}'))


def _refused(request: HttpRequest) -> Exchange:
    return Exchange(request, HttpResponse(400, {}, b'{"message": "bad", "errorcode": 30001}'))


def _race(worker: Callable[[int], None]) -> None:
    """``worker(n)`` on ``THREADS`` threads, released at once."""
    start = threading.Barrier(THREADS)

    def run(n: int) -> None:
        start.wait()
        worker(n)

    threads = [threading.Thread(target=run, args=(n,)) for n in range(THREADS)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert not any(thread.is_alive() for thread in threads)


# --- the guard, raced -----------------------------------------------------------------------


def _race_sends(guard: SafetyGuard, accept: Callable[[int], bool]) -> tuple[list[str], list[int]]:
    """``THREADS`` threads send through ``guard`` as fast as they can until it refuses them,
    each send in flight a moment and then accepted when ``accept(attempt)``, else refused:
    what the sends let through were answered ("accepted" or "refused"), and the accepted sends
    the guard counted at each refusal."""
    outcomes: list[str] = []
    spent_when_refused: list[int] = []
    lock = threading.Lock()

    def worker(n: int) -> None:
        for attempt in range(ATTEMPTS):
            request = _send(f"k{n}-{attempt}")
            try:
                guard.before_send(request)
            except BudgetExhausted:
                spent_when_refused.append(guard.accepted_sends)
                return
            time.sleep(0.001)  # in flight
            accepted = accept(attempt)
            with lock:
                outcomes.append("accepted" if accepted else "refused")
            guard.after_exchange(_accepted(request) if accepted else _refused(request))

    _race(worker)
    return outcomes, spent_when_refused


def test_threads_racing_for_the_send_budget_get_exactly_the_budget_accepted() -> None:
    """16 threads send as fast as they can, every send accepted: exactly the budget is let
    through, never one more, and every other send is refused before it is sent."""
    guard = SafetyGuard([ALLOWED], max_sends=7, max_requests=None, enforce_allow_list=True)
    outcomes, _ = _race_sends(guard, lambda attempt: True)
    assert outcomes == ["accepted"] * 7
    assert guard.accepted_sends == 7
    assert guard.reserved_sends == 0
    assert guard.in_flight == 0


def test_refused_sends_give_their_room_back_to_the_threads_waiting_for_it() -> None:
    """Every other send refused (400): the refusals make room, so the racing threads end with
    the budget spent exactly, by accepted sends only."""
    guard = SafetyGuard([ALLOWED], max_sends=5, max_requests=None, enforce_allow_list=True)
    outcomes, spent_when_refused = _race_sends(guard, lambda attempt: attempt % 2 == 1)
    assert outcomes.count("accepted") == 5
    assert guard.accepted_sends == 5
    assert outcomes.count("refused") >= 5  # the first sends in flight were all refused
    # No thread was turned away while sends in flight could still make room.
    assert spent_when_refused == [5] * THREADS


def test_threads_racing_for_the_request_budget_get_exactly_the_budget() -> None:
    guard = SafetyGuard([ALLOWED], max_sends=None, max_requests=23, enforce_allow_list=True)
    status = HttpRequest("GET", SEND.format(key="k"), {}, None)
    sent: list[int] = []

    def worker(n: int) -> None:
        for _ in range(ATTEMPTS):
            request = HttpRequest(status.method, status.url, {}, None)
            try:
                guard.before_send(request)
            except BudgetExhausted:
                return
            sent.append(n)
            guard.after_exchange(Exchange(request, HttpResponse(404, {}, b"{}")))

    _race(worker)
    assert len(sent) == guard.requests == 23


def test_the_allow_list_refuses_every_other_number_whatever_the_threads_do() -> None:
    guard = SafetyGuard([ALLOWED], max_sends=None, max_requests=None, enforce_allow_list=True)
    refused: list[str] = []
    let_through: list[str] = []

    def worker(n: int) -> None:
        for attempt in range(ATTEMPTS):
            to = ALLOWED if attempt % 2 else f"1555555{n:04d}"
            request = _send(f"k{n}-{attempt}", to)
            try:
                guard.before_send(request)
            except UnsafeTargetError:
                refused.append(to)
                continue
            let_through.append(to)
            guard.after_exchange(_accepted(request))

    _race(worker)
    assert set(let_through) == {ALLOWED}
    assert len(let_through) == len(refused) == THREADS * ATTEMPTS // 2
    assert ALLOWED not in refused


# --- runs against the served simulator ------------------------------------------------------


@dataclass
class Timings:
    """When each case of the run began and ended, with its phase (the runner's own runs)."""

    cases: list[tuple[int, float, float]] = field(default_factory=list)
    threads: set[str] = field(default_factory=set)


@contextmanager
def timed_cases(monkeypatch: pytest.MonkeyPatch) -> Iterator[Timings]:
    timings = Timings()
    original = runner.Runner._run_scheduled

    def timed(self: runner.Runner, entry: Any) -> Any:
        result = original(self, entry)
        timings.cases.append((int(entry.case.phase), result[2], result[3]))
        timings.threads.add(threading.current_thread().name)
        return result

    monkeypatch.setattr(runner.Runner, "_run_scheduled", timed)
    yield timings


def _verdicts(run: LiveRun) -> list[tuple[str, str, int, list[str]]]:
    """What a reader of the report sees of each check, but the timings and the keys."""
    return [
        (check["id"], check["verdict"], check["cases"], [f["case_id"] for f in check["findings"]])
        for check in run.report["checks"]
    ]


@pytest.mark.loopback
@pytest.mark.parametrize(
    "config",
    [
        SimulatorConfig(faults=Faults(latency=0.02)),
        SimulatorConfig(
            faults=Faults(latency=0.02),
            deviations=frozenset({Deviation.ACCEPT_DUPLICATE_KEY, Deviation.MISSING_REQUEST_ID}),
        ),
    ],
    ids=["conformant", "two-deviations"],
)
def test_a_run_with_workers_judges_exactly_as_the_same_run_in_strict_order(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path, config: SimulatorConfig
) -> None:
    """The same seed at --concurrency 1 and at the default: the same checks, verdicts, cases
    judged and findings in the same order; one token for all the workers; the sends within
    the budget."""
    strict = live_run(monkeypatch, tmp_path / "one", config, "--seed", "4", "--concurrency", "1")
    with timed_cases(monkeypatch) as timings:
        workers = live_run(monkeypatch, tmp_path / "many", config, "--seed", "4")
    assert len(timings.threads) > 1  # it did run on workers
    assert strict.exit_code == workers.exit_code
    assert _verdicts(workers) == _verdicts(strict)
    assert workers.counters.requests == strict.counters.requests
    # The run's one token, and TOKEN-BAD-SECRET's refused request: never one per worker.
    assert workers.counters.token_requests == strict.counters.token_requests == 2
    assert workers.report["spending"]["accepted_sends"] <= LIVE_MAX_SENDS


@pytest.mark.loopback
def test_every_case_of_a_phase_is_answered_before_the_next_phase_begins(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    """Must-reject probes are all answered before the first shared send, and so on."""
    config = SimulatorConfig(faults=Faults(latency=0.02))
    with timed_cases(monkeypatch) as timings:
        run = live_run(monkeypatch, tmp_path / "reports", config, "--seed", "2")
    assert run.exit_code == 0
    phases = sorted({phase for phase, _, _ in timings.cases})
    assert len(phases) >= 3
    for earlier, later in itertools.pairwise(phases):
        last_end = max(end for phase, _, end in timings.cases if phase == earlier)
        first_start = min(start for phase, start, _ in timings.cases if phase == later)
        assert last_end <= first_start, (earlier, later)


@pytest.mark.loopback
def test_a_server_that_accepts_every_send_gets_no_more_than_the_budget_from_all_workers(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    """200 to every send (each counted as possibly accepted), the most workers: the budget is
    spent exactly, never overrun, and the run stops sending there."""
    config = SimulatorConfig(faults=Faults(send_answer=200, latency=0.02))
    run = live_run(
        monkeypatch, tmp_path / "r", config, "--seed", "3", "--concurrency", str(MAX_CONCURRENCY)
    )
    assert run.exit_code == 1
    # Every 200 counts as possibly accepted: the run spent its budget exactly on them (the
    # server itself stored no more; it does not store every probe it answers 200).
    assert run.report["spending"]["accepted_sends"] == LIVE_MAX_SENDS
    assert run.counters.accepted_sends <= LIVE_MAX_SENDS


def _lost(request: HttpRequest, attempt: int = 1) -> Exchange:
    return Exchange(request, None, attempt=attempt)


def test_a_retry_the_guard_expects_gets_the_room_before_new_sends() -> None:
    """Budget 2: a send is lost (possibly accepted), so its retry is expected. A new send
    then waits rather than take the one send left, the retry goes through, its rejection
    gives the possible acceptance back, and only then is the new send let through."""
    guard = SafetyGuard([ALLOWED], max_sends=2, max_requests=None, enforce_allow_list=True)
    first, other = _send("lost"), _send("new")
    guard.before_send(first)
    guard.after_exchange(_lost(first))
    assert guard.expect_retry(first)
    assert guard.sends_left == 1
    let_through = threading.Event()

    def new_send() -> None:
        guard.before_send(other)
        let_through.set()

    thread = threading.Thread(target=new_send)
    thread.start()
    try:
        assert not let_through.wait(0.3)  # the expected retry's room is left to it
        guard.before_send(first)  # the retry: through at once
        assert not let_through.is_set()
        guard.after_exchange(Exchange(first, _refused(first).response, attempt=2))
        assert guard.sends_left == 2  # the rejection gave the possible acceptance back
        assert let_through.wait(5)
    finally:
        thread.join(timeout=5)
    assert guard.reserved_sends == 1  # the new send, in flight


def test_a_retry_that_will_not_come_stops_holding_room() -> None:
    """Budget 1, spent by a lost send whose retry is expected: a new send waits, since the
    retry's rejection could give the send back; a token request does not wait at all. Once
    the step ends without the retry (``no_retry``), nothing can make room and the new send is
    refused. A send that was never possibly accepted expects no retry."""
    guard = SafetyGuard([ALLOWED], max_sends=1, max_requests=None, enforce_allow_list=True)
    lost, unsent, other = _send("lost"), _send("unsent"), _send("new")
    assert not guard.expect_retry(unsent)
    guard.before_send(lost)
    guard.after_exchange(_lost(lost))
    assert guard.expect_retry(lost)
    assert guard.sends_left == 0
    token = HttpRequest("POST", "https://x.auth/v2/token", {}, b"{}")
    guard.before_send(token)  # not a send: through at once
    guard.after_exchange(Exchange(token, HttpResponse(200, {}, b"{}")))
    refused: list[BaseException] = []

    def new_send() -> None:
        try:
            guard.before_send(other)
        except BudgetExhausted as exc:
            refused.append(exc)

    thread = threading.Thread(target=new_send)
    thread.start()
    try:
        thread.join(0.3)
        assert thread.is_alive()  # waiting for the retry
        guard.no_retry(lost)
        thread.join(5)
        assert not thread.is_alive()
    finally:
        guard.no_retry(lost)
        thread.join(timeout=5)
    assert len(refused) == 1
    assert guard.reserved_sends == 0


@pytest.mark.loopback
@pytest.mark.parametrize("seed", ["1", "2", "3"])
def test_a_server_losing_every_fifth_answer_leaves_the_budget_to_the_sends_that_count(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path, seed: str
) -> None:
    """With the default workers against a server that loses every 5th answer, the lost
    probes' retries come before new sends and give their possible acceptances back: the
    budget is never spent by losses, the server accepts what a conformant run sends, and
    nothing fails (a lost batch answer, which is not retried, may leave its check
    incomplete, as in strict order)."""
    config = SimulatorConfig(faults=Faults(drop_response_every=5))
    run = live_run(monkeypatch, tmp_path / "r", config, "--seed", seed)
    assert run.exit_code in (0, 4), run.stdout
    reasons = [item["reason"] for check in run.report["checks"] for item in check["not_judged"]]
    assert not [reason for reason in reasons if reason.startswith("budget:")], reasons
    assert all(reason.startswith("transport: ") for reason in reasons), reasons
    assert run.counters.accepted_sends == 10
    assert {check["verdict"] for check in run.report["checks"]} <= {
        "pass",
        "observed",
        "skipped",
        "incomplete",
    }


@dataclass
class Arrivals:
    """A WSGI wrapper that answers as the simulator does and notes when each answer left."""

    app: Any
    answers: list[tuple[float, int]] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)

    @property
    def config(self) -> SimulatorConfig:
        config: SimulatorConfig = self.app.config
        return config

    def __call__(self, environ: dict[str, Any], start_response: Callable[..., Any]) -> Any:
        arrived = time.monotonic()
        status: list[int] = []

        def noting(line: str, headers: Any, *rest: Any) -> Any:
            status.append(int(line.split()[0]))
            return start_response(line, headers, *rest)

        body = list(self.app(environ, noting))
        with self.lock:
            self.answers.append((arrived, status[0]))
        return body


@pytest.mark.loopback
def test_one_429_holds_every_worker_for_its_retry_after(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    """Every 25th request answered 429 with Retry-After 1: after each 429, no request of any
    worker reaches the server for a second but those already on their way (sent before the
    429 came back), and the run is judged whole."""
    config = SimulatorConfig(faults=Faults(rate_limit_every=25, retry_after=1))
    with served(monkeypatch, config) as wire:
        arrivals = Arrivals(wire.simulator)
        monkeypatch.setattr(wire, "simulator", arrivals)
        code, _ = cli(live_argv(wire.base_url, "--seed", "5", "--report-dir", str(tmp_path / "r")))
    assert code == 0
    answers = sorted(arrivals.answers)
    throttled = [at for at, status in answers if status == 429]
    assert throttled
    for at in throttled:
        # Requests already sent when the 429 left arrive within a moment of it.
        late = [t for t, _ in answers if at + 0.25 < t < at + 0.95]
        assert late == [], (at, late)


@pytest.mark.loopback
def test_the_default_concurrency_is_used_live_and_one_worker_on_the_mock(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    workers: list[int] = []
    original = runner.Runner.run

    def noting(self: runner.Runner, planned: Any) -> Any:
        workers.append(self.workers)
        return original(self, planned)

    monkeypatch.setattr(runner.Runner, "run", noting)
    live_run(monkeypatch, tmp_path / "live", SimulatorConfig(), "--check", "SEND-EXAMPLE")
    code, _ = cli(
        [
            "run",
            "--check",
            "SEND-EXAMPLE",
            "--concurrency",
            "8",
            "--report-dir",
            str(tmp_path / "mock"),
        ]
    )
    assert code == 0
    assert workers == [LIVE_CONCURRENCY, 1]


@pytest.mark.parametrize("value", ["0", str(MAX_CONCURRENCY + 1), "many"])
def test_a_concurrency_out_of_range_is_a_usage_error(
    value: str, capsys: pytest.CaptureFixture[str]
) -> None:
    with pytest.raises(SystemExit) as stopped:
        cli(["run", "--concurrency", value])
    assert stopped.value.code == 2
    assert "--concurrency" in capsys.readouterr().err


@pytest.mark.loopback
def test_a_dry_run_says_how_the_run_will_send(monkeypatch: pytest.MonkeyPatch) -> None:
    with served(monkeypatch, SimulatorConfig()) as wire:
        code, live = cli(live_argv(wire.base_url, "--dry-run", "--concurrency", "5"))
        assert code == 0
        assert wire.requests == []  # a dry run sends nothing
    code, mock = cli(["run", "--dry-run", "--concurrency", "5", "--check", "SEND-EXAMPLE"])
    assert code == 0
    (live_line,) = [line for line in live.splitlines() if line.startswith("dry run:")]
    (mock_line,) = [line for line in mock.splitlines() if line.startswith("dry run:")]
    assert live_line.endswith(
        "sending up to 5 cases of a phase at once (--concurrency), phase after phase"
    )
    assert mock_line.endswith("sending one request after another, in plan order")
