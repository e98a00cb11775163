"""The runner: send the planned cases (sms_contract.run.planning) through the reference client
within the safety rails, judge what came back, and return a ``RunOutcome``. No printing, no
files: the caller gets progress through a callback and renders the result itself.

Cases run in the order ``planning.schedule`` gives (phase by phase), a shared step once per
run. With ``RunOptions.concurrency`` above 1 (live targets only) the cases of one phase run
on that many worker threads, and each phase is a barrier: must-reject probes are all answered
before the phase that spends begins. The steps of one case keep their order; a shared step is
sent by the first case that reaches it while the others wait for its answer; one gate holds
every worker while the target throttles (a 429's Retry-After); the budget is reserved under
one lock (``SafetyGuard``); the client asks for one token, whatever number of workers need it.
Verdicts, findings and their order do not depend on the concurrency: each check is judged
from its cases in plan order once its last case is done.

A case that cannot be judged (the send budget is spent, the target throttles, the
deadline passes, the transport fails, or a send it reads was not accepted) is reported as not
judged with its reason, never as a pass: a check with such a case is ``incomplete`` unless it
failed. The run stops sending when the deadline passes, when the target answers 429 (after
every retry) or cannot be reached for ``BREAKER`` requests in a row, and when a signal asks it
to (``sms_contract.run.interruption``: looked at before every request and every wait).

No case is ever re-executed and nothing is shrunk: a failure is reported from its first run,
with commands that replay that one case against the mock and against a live target.
"""

from __future__ import annotations

import contextlib
import threading
import time
from collections import Counter
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime
from typing import Any

from sms_contract import __version__
from sms_contract.checks.auth import NARROW_SCOPE, token_step
from sms_contract.checks.model import Auth, Case, Check, Expect, Judgement, Poll, Step, When
from sms_contract.checks.reading import Answer, read_send
from sms_contract.client.config import retry_after
from sms_contract.client.retrying import ExchangeObserver, Retry
from sms_contract.client.sms_client import AuthMode, SmsClient
from sms_contract.errors import (
    ApiError,
    HarnessError,
    RecordingEnded,
    ResponseLost,
    TransportError,
)
from sms_contract.exchange import Exchange, HttpRequest, HttpResponse
from sms_contract.outcomes import (
    INTERRUPTED,
    MAX_FINDINGS_PER_CHECK,
    CheckOutcome,
    Evidence,
    Finding,
    NotJudged,
    RunOutcome,
    Spending,
    Verdict,
)
from sms_contract.redaction import Scrubber
from sms_contract.run import interruption
from sms_contract.run.interruption import Interrupted
from sms_contract.run.planning import PlannedCheck, RunOptions, schedule
from sms_contract.run.safety import BudgetExhausted, DeadlineReached, SafetyGuard
from sms_contract.run.targets import Target
from sms_contract.spec.endpoints import REQUEST_TOKEN, is_token_request
from sms_contract.spec.loading import load_spec

BREAKER = 3  # requests in a row throttled, or unanswered, before the run stops sending
POLL_FIRST_DELAY = 1.0
POLL_MAX_DELAY = 8.0
MAX_LIST_PAGES = 20  # notSent pages read looking for one message
OWN_TOKEN = token_step(Auth.CREDENTIALS, Expect.ACCEPT)
"""The step a token request the client makes on its own belongs to (TOKEN-CONTRACT judges
the run's own token responses)."""

Owner = tuple[str, str]


@dataclass(frozen=True)
class Entry:
    """One exchange of the run: the case it is recorded under, its step, what came back."""

    owner: Owner
    step: Step
    exchange: Exchange


@dataclass
class _Context:
    """What one thread is sending: the case (its check and place in the schedule), the step,
    and that step's exchanges; the observer's hooks run on the thread that sends, so they
    find here whose exchange they see."""

    check_id: str = ""
    index: int = -1  # the case's place in the schedule: the order findings are judged in
    owner: Owner | None = None
    step: Step | None = None
    entries: list[Entry] = field(default_factory=list)  # every exchange of the current step
    scoped_token: str | None = None  # what the case's NARROW_SCOPE step was issued
    in_flight: HttpRequest | None = None  # sent, and not answered yet
    sequence: int = 0  # final answers kept so far (``Runner._final``)
    settled: int = 0  # the step's entries up to here have given their final answer
    retries: list[HttpRequest] = field(default_factory=list)  # expected by the guard


@dataclass(frozen=True, order=True)
class _Final:
    """The final answer of a request, in plan order (the case's place, then its own order)."""

    index: int
    sequence: int
    entry: Entry = field(compare=False)


@dataclass
class _CaseRun:
    exchanges: list[Exchange]
    not_judged: str | None = None


class _Stopped(Exception):
    """A worker's request (a retry, say) found the run stopped sending: not sent."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


class _NotJudged(Exception):
    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


# Called as each check finishes: its outcome, checks done, checks in all, what was spent so far.
Progress = Callable[[CheckOutcome, int, int, Spending], None]


class Runner:
    """Sends planned cases to one target and judges them."""

    def __init__(self, target: Target, options: RunOptions, progress: Progress | None = None):
        self._target = target
        self._options = options
        self._progress = progress
        self._lock = threading.RLock()  # the run's shared state below, across workers
        self._context = threading.local()
        self._entries: list[Entry] = []  # every exchange of the run, as it happened
        deadline = None if options.max_time is None else time.monotonic() + options.max_time
        self.guard = SafetyGuard(
            options.allow_list,
            max_sends=options.max_sends,
            max_requests=options.max_requests,
            enforce_allow_list=target.enforce_allow_list,
            subscribers=not target.simulated,
            deadline=deadline,
        )
        self.scrubber = Scrubber(
            target.known_secrets,
            known_phones=options.allow_list,
            known_scopes=target.known_scopes,
        )
        self._client = SmsClient(
            target.config,
            target.transport,
            observer=ExchangeObserver(
                before_send=self._before_send, after_exchange=self._after_exchange
            ),
            sleep=self._sleep,
        )
        self.workers = options.concurrency if target.concurrent else 1
        # A shared step: its exchange, or why it was not judged; an event while it is sent.
        self._shared: dict[str, Exchange | str | threading.Event] = {}
        self._finals: list[_Final] = []  # the final answer of every request, for judging all
        self._stop: str | None = None  # why nothing more is sent
        self._sends: dict[str, int] = {}  # accepted sends by the check whose case sent them
        self._answered = False  # the target has answered at least once
        self._throttled_in_a_row = 0
        self._unanswered_in_a_row = 0
        self._gate = 0.0  # with workers: nothing is sent before this (monotonic) time
        self._slots = threading.Condition(threading.Lock())  # guards the two below
        self._sending = 0  # requests of the workers in flight
        self._allowed = float(self.workers)  # how many may be in flight (``_take_slot``)
        self._waiting: Counter[int] = Counter()  # attempt numbers of the requests waiting
        self._abandoned_at: str | None = None  # set once a second signal abandoned the run

    @property
    def entries(self) -> tuple[Entry, ...]:
        """Every exchange of the run so far, with its case and step."""
        with self._lock:
            return tuple(self._entries)

    @property
    def _current(self) -> _Context:
        context: _Context | None = getattr(self._context, "value", None)
        if context is None:
            context = self._context.value = _Context()
        return context

    def _sleep(self, seconds: float) -> None:
        interruption.check()
        self.guard.check_deadline(seconds)
        self._target.sleep(seconds)
        interruption.check()  # a signal during the wait: nothing is sent after it

    def _before_send(self, request: HttpRequest) -> None:
        interruption.check()
        if self._abandoned_at is not None:
            raise Interrupted(self._abandoned_at)
        self._take_slot(request)
        try:
            self.guard.before_send(request)
        except BaseException:
            self._give_slot()
            raise
        try:
            interruption.check()  # the guard may have waited for room in the budget
        except Interrupted:
            self.guard.release(request)
            self._give_slot()
            raise
        self._current.in_flight = request

    def _take_slot(self, request: HttpRequest) -> None:
        """With workers: wait while a 429's Retry-After holds every worker (``_throttle``) and
        while as many requests are in flight as the target is allowed now (all the workers,
        halved by every 429 and grown back by one a round of answers); the request furthest
        in its retries goes first, so that a throttled request ends (and the run sees that it
        ends throttled) as soon as in strict order. Once the run stops sending, no worker
        sends again, retries included. A retry the guard expects (``SafetyGuard.expect_retry``)
        waits for the gate only: the sends that wait in the guard for it hold slots, so it
        must not wait for one (it is one request more in flight, at most one per send whose
        answer was lost). In strict order the client's own wait after a 429 is the gate."""
        if self.workers == 1:
            return
        attempt = 1 + sum(
            1 for entry in self._current.entries if not is_token_request(entry.exchange.request)
        )
        expected = self.guard.expects(request)
        with self._slots:
            self._waiting[attempt] += 1
        try:
            while True:
                if self._stop is not None:
                    raise _Stopped(self._stop)
                with self._slots:
                    wait = self._gate - time.monotonic()
                    first = attempt >= max(n for n, count in self._waiting.items() if count)
                    room = first and self._sending < max(1, int(self._allowed))
                    if wait <= 0 and (expected or room):
                        self._sending += 1
                        return
                    if wait <= 0:
                        self._slots.wait(interruption.POLL_INTERVAL)
                if wait > 0:
                    self._sleep(wait)
                interruption.check()
                self.guard.check_deadline()
                if self._abandoned_at is not None:
                    raise Interrupted(self._abandoned_at)
        finally:
            with self._slots:
                self._waiting[attempt] -= 1
                self._slots.notify_all()

    def _give_slot(self, status: int | None = None) -> None:
        """A request of a worker was answered (``status``; ``None``: lost or not sent)."""
        if self.workers == 1:
            return
        with self._slots:
            self._sending -= 1
            if status == 429:
                self._allowed = max(1.0, self._allowed / 2)
            elif status is not None:
                self._allowed = min(float(self.workers), self._allowed + 1 / self._allowed)
            self._slots.notify_all()

    def _throttle(self, response: HttpResponse) -> None:
        """Close the gate for the 429's Retry-After (capped as the client caps it; without
        one, for the client's first backoff)."""
        policy = self._target.config.retry
        delay = retry_after(response)
        wait = policy.backoff(1) if delay is None else min(delay, policy.max_retry_after)
        with self._lock:
            self._gate = max(self._gate, time.monotonic() + wait)

    def _after_exchange(self, exchange: Exchange) -> None:
        context = self._current
        context.in_flight = None
        response = exchange.response
        if self.workers > 1 and response is not None and response.status == 429:
            self._throttle(response)  # before the slot is given back: no one slips through
        self._give_slot(None if response is None else response.status)
        if self._abandoned_at is not None:
            return  # counted as sent and possibly accepted when it was abandoned
        spent = self.guard.after_exchange(exchange)
        if self.guard.expect_retry(exchange.request):  # possibly accepted: a retry may follow
            context.retries.append(exchange.request)
        entry = self._record(context, exchange)
        with self._lock:
            if context.check_id:
                self._sends[context.check_id] = self._sends.get(context.check_id, 0) + spent
        if entry is not None and entry.step is OWN_TOKEN:
            self._final(exchange, OWN_TOKEN)  # the client's own token requests are judged too
        if self._target.recorder is not None:
            with self._lock:
                self._target.recorder(entry.owner if entry else None, exchange)

    def _record(self, context: _Context, exchange: Exchange) -> Entry | None:
        if context.owner is None or context.step is None:
            return None
        step = context.step
        own_token = is_token_request(exchange.request) and step.operation_id != REQUEST_TOKEN
        entry = Entry(context.owner, OWN_TOKEN if own_token else step, exchange)
        context.entries.append(entry)
        with self._lock:
            self._entries.append(entry)
        return entry

    # -- running ------------------------------------------------------------------------

    def run(self, planned: Sequence[PlannedCheck]) -> RunOutcome:
        started = time.monotonic()
        started_at = datetime.now(UTC).isoformat(timespec="seconds")
        outcomes: dict[str, CheckOutcome] = {}
        total = len(planned)
        cases = {case.owner: case for item in planned for case in item.cases}
        for item in planned:
            if item.skip_reason is not None:
                outcomes[item.check.id] = _outcome(
                    item.check, Verdict.SKIPPED, skip_reason=item.skip_reason
                )
                self._report(outcomes[item.check.id], len(outcomes), total)
            elif item.not_planned is not None:  # a signal came while the run was planned
                self._stop = self._stop or item.not_planned
                reason = (NotJudged("-", item.not_planned),)
                outcomes[item.check.id] = _outcome(
                    item.check, Verdict.INCOMPLETE, not_judged=reason
                )
                self._report(outcomes[item.check.id], len(outcomes), total)
        order = [_Scheduled(n, item, case) for n, (item, case) in enumerate(schedule(planned))]
        last = {entry.item.check.id: entry.index for entry in order}
        runs: dict[Owner, _CaseRun] = {}
        timings: dict[str, tuple[float, float]] = {}  # check: (first case began, last ended)
        for batch in _batches(order, self.workers):
            for entry, run, began, ended in self._run_batch(batch):
                runs[entry.case.owner] = run
                first, _ = timings.get(entry.item.check.id, (began, ended))
                timings[entry.item.check.id] = (min(first, began), ended)
            for entry in batch:
                item = entry.item
                if last[item.check.id] == entry.index and item.check.judge_exchange is None:
                    first, ended = timings[item.check.id]
                    outcomes[item.check.id] = self._promoted(self._judge(item, runs, ended - first))
                    self._report(outcomes[item.check.id], len(outcomes), total)
        for item in planned:  # checks that planned no case (a --case of another check)
            if item.check.id not in outcomes and item.check.judge_exchange is None:
                outcomes[item.check.id] = self._promoted(self._judge(item, runs, 0.0))
                self._report(outcomes[item.check.id], len(outcomes), total)
        # Cross-cutting checks judge every exchange of the run, so they finish last.
        for item in planned:
            if item.check.judge_exchange is not None and item.check.id not in outcomes:
                outcomes[item.check.id] = self._promoted(self._judge_all(item.check, cases))
                self._report(outcomes[item.check.id], len(outcomes), total)
        name = interruption.requested()
        if name is not None and not (self._stop or "").startswith(INTERRUPTED):
            # The signal came once every request had been sent (while the last ones were
            # answered, or later), or after the run had stopped sending for another reason:
            # nothing was cut short by it, and it is still said.
            self._stop = (
                f"interrupted: {name} received after the last request was sent"
                if self._stop is None
                else f"interrupted: {name} received after the run had stopped ({self._stop})"
            )
        return RunOutcome(
            tool_version=__version__,
            spec_sha256=load_spec().sha256,
            target=self._target.kind,
            base_url=self._target.base_url,
            seed=self._options.seed,
            started_at=started_at,
            duration=round(time.monotonic() - started, 3),
            strict=self._options.strict,
            checks=tuple(outcomes[item.check.id] for item in planned),
            spending=self.guard.spending(),
            allow_incomplete=self._options.allow_incomplete,
            stopped=self._stop,
        )

    def _promoted(self, result: CheckOutcome) -> CheckOutcome:
        """An observation of a check named with --strict-check is a violation; the sends its
        own cases spent are counted in."""
        result = replace(result, sends=self._sends.get(result.check_id, 0))
        chosen = {check_id.upper() for check_id in self._options.strict_checks}
        if result.check_id not in chosen or not result.observations:
            return result
        if result.verdict not in (Verdict.OBSERVED, Verdict.INCOMPLETE):
            return result
        findings = tuple(
            replace(f, verdict=Verdict.FAIL, message=f"(strict) {f.message}")
            if f.verdict is Verdict.OBSERVED
            else f
            for f in result.findings
        )
        return replace(result, verdict=Verdict.FAIL, findings=findings)

    def _report(self, result: CheckOutcome, done: int, total: int) -> None:
        if self._progress is not None:
            self._progress(result, done, total, self.guard.spending())

    def _interrupted(self) -> None:
        """Once a signal asked the run to stop, nothing more is sent."""
        name = interruption.requested()
        if name is not None:
            self._stopping(f"interrupted: {name} received; nothing more was sent")

    def _stopping(self, reason: str, *, instead: bool = False) -> None:
        """Nothing more is sent, for the first reason given (``instead``: for this one, which
        says more than the first: a second signal after the first)."""
        with self._lock:
            if self._stop is None or instead:
                self._stop = reason

    def _abandoned(self, contexts: Sequence[_Context]) -> None:
        """A second signal abandoned the requests in flight: each counts as sent, and a send
        as possibly accepted (it may have been processed), like a response that was lost."""
        for context in contexts:
            request = context.in_flight
            if request is not None:
                self.guard.after_exchange(Exchange(request, None))
                context.in_flight = None

    def _run_batch(
        self, batch: Sequence[_Scheduled]
    ) -> list[tuple[_Scheduled, _CaseRun, float, float]]:
        """Run the cases of a batch (one case, or a phase with workers); each with its run and
        when it began and ended, in the batch's order."""
        if len(batch) == 1 or self.workers == 1:
            return [self._run_scheduled(entry) for entry in batch]
        done: dict[int, tuple[_Scheduled, _CaseRun, float, float]] = {}
        errors: list[BaseException] = []
        pending = list(reversed(batch))
        contexts: list[_Context] = []

        def work() -> None:
            contexts.append(self._current)
            while True:
                with self._lock:
                    if not pending or errors or self._abandoned_at is not None:
                        return
                    entry = pending.pop()
                try:
                    result = self._run_scheduled(entry)
                except BaseException as exc:  # the run's own errors are raised by the caller
                    with self._lock:
                        errors.append(exc)
                    return
                with self._lock:
                    done[entry.index] = result

        threads = [
            threading.Thread(target=work, name=f"sms-contract-worker-{n}", daemon=True)
            for n in range(min(self.workers, len(batch)))
        ]
        for thread in threads:
            thread.start()
        try:
            for thread in threads:
                while thread.is_alive():
                    thread.join(interruption.POLL_INTERVAL)
        except KeyboardInterrupt:
            name = interruption.requested()
            if name is None:
                raise  # not a signal this run handles: the caller's Ctrl-C
            with self._lock:
                self._abandoned_at = f"{name} received twice; abandoned in flight"
            self._abandoned(contexts)
            self._stopping(
                f"interrupted: {name} received twice; the requests in flight were abandoned and "
                "nothing more was sent",
                instead=True,
            )
        with self._lock:
            if errors and self._abandoned_at is None:
                raise errors[0]
            finished = dict(done)
        now = time.monotonic()
        reason = f"interrupted: {self._abandoned_at}"
        return [
            finished.get(entry.index) or (entry, _CaseRun([], reason), now, now) for entry in batch
        ]

    def _run_scheduled(self, entry: _Scheduled) -> tuple[_Scheduled, _CaseRun, float, float]:
        context = self._current
        context.check_id, context.index = entry.case.check_id, entry.index
        context.scoped_token = None  # a narrow-scope token serves only the case that asked
        began = time.monotonic()
        run = self._run_case(entry.case)
        return entry, run, began, time.monotonic()

    def _run_case(self, case: Case) -> _CaseRun:
        exchanges: list[Exchange] = []
        previous: Step | None = None
        for step in case.steps:
            if step.when is not None and not (
                previous is not None and exchanges and _holds(step.when, previous, exchanges[-1])
            ):
                break
            previous = step
            if step.shared is not None:
                cached = self._claim(step.shared)
                if isinstance(cached, str):
                    return _CaseRun(exchanges, cached)
                if cached is not None:
                    exchanges.append(cached)
                    continue
            try:
                self._interrupted()
                if self._stop is not None:
                    self._settle(step, self._stop)
                    return _CaseRun(exchanges, self._stop)
                exchange = self._run_step(case, step)
            except _NotJudged as stopped:
                self._settle(step, stopped.reason)
                return _CaseRun(exchanges, stopped.reason)
            except BaseException:
                self._settle(step, "not judged: the request it reads failed")
                raise
            self._settle(step, exchange)
            exchanges.append(exchange)
        return _CaseRun(exchanges)

    def _claim(self, shared: str) -> Exchange | str | None:
        """A shared step's answer (or why it has none); ``None`` when this case is to send
        it: then it must be settled (``_settle``). Waits while another case sends it."""
        while True:
            with self._lock:
                held = self._shared.get(shared)
                if held is None:
                    self._shared[shared] = threading.Event()
                    return None
                if not isinstance(held, threading.Event):
                    return held
            held.wait(interruption.POLL_INTERVAL)
            if self._abandoned_at is not None:
                return f"interrupted: {self._abandoned_at}"

    def _settle(self, step: Step, answer: Exchange | str) -> None:
        """The answer of a shared step this case sent, for every case that reads it."""
        if step.shared is None:
            return
        with self._lock:
            held = self._shared.get(step.shared)
            if not isinstance(held, threading.Event):
                return
            self._shared[step.shared] = answer
        held.set()

    def _run_step(self, case: Case, step: Step) -> Exchange:
        """The final exchange of one step; ``_NotJudged`` when it cannot be judged."""
        owner = step.owner or case.owner
        replayer = self._target.replayer
        scope = replayer.for_case(*owner) if replayer else contextlib.nullcontext()
        context = self._current
        context.owner, context.step, context.entries, context.settled = owner, step, [], 0
        try:
            with scope:
                exchange = self._poll(step) if step.poll is not None else self._send(step)
        except BudgetExhausted as exc:
            self._cut_short(context)
            raise _NotJudged(f"budget: {exc}") from None
        except _Stopped as stopped:
            self._cut_short(context)
            raise _NotJudged(stopped.reason) from None
        except DeadlineReached as exc:
            self._cut_short(context)
            self._stopping(f"deadline: {exc}; nothing more was sent")
            raise _NotJudged(f"deadline: {exc}") from None
        except Interrupted as exc:
            self._cut_short(context)
            self._stopping(f"interrupted: {exc}; nothing more was sent")
            raise _NotJudged(f"interrupted: {exc}") from None
        except KeyboardInterrupt:
            name = interruption.requested()
            if name is None:
                raise  # not a signal this run handles: the caller's Ctrl-C
            self._abandoned([context])
            self._stopping(
                f"interrupted: {name} received twice; the request in flight was abandoned and "
                "nothing more was sent",
                instead=True,
            )
            raise _NotJudged(f"interrupted: {name} received twice; abandoned in flight") from None
        except TransportError as exc:
            if exc.permanent or not self._answered:
                raise  # the target cannot be reached at all: exit 3, with the cause
            self._unanswered(f"transport: {self.scrubber.text(str(exc))}")
        except ApiError as exc:
            # The client could not use an answer at all (a token response without a token,
            # say): the checks on that endpoint report it; this case cannot be judged.
            raise _NotJudged(f"not judged: {self.scrubber.text(str(exc))}") from None
        except RecordingEnded as exc:
            # Replaying: the recording run stopped before this request (its case was not
            # judged when recorded either); any other miss stops the run (exit 2).
            raise _NotJudged(self.scrubber.text(str(exc))) from None
        finally:
            context.owner = context.step = None
            for request in context.retries:  # the step is over: no retry of it follows
                self.guard.no_retry(request)
            context.retries.clear()
        response = exchange.response
        if response is None:
            self._unanswered(
                f"transport: no response after {exchange.attempt} attempt(s) "
                "(the connection was lost each time)"
            )
        with self._lock:
            self._answered = True
            self._unanswered_in_a_row = 0
            throttled = response is not None and response.status == 429
            self._throttled_in_a_row = self._throttled_in_a_row + 1 if throttled else 0
            breaker = self._throttled_in_a_row >= BREAKER
        if throttled:
            if breaker:
                self._stopping(
                    f"throttled: the target answered 429 to {BREAKER} requests in a row after "
                    "every retry (Retry-After honoured); nothing more was sent"
                )
            raise _NotJudged("throttled: HTTP 429 after every retry (honoured, never judged)")
        return exchange

    def _unanswered(self, reason: str) -> None:
        with self._lock:
            self._unanswered_in_a_row += 1
            breaker = self._unanswered_in_a_row >= BREAKER
        if breaker:
            self._stopping(
                f"transport: {BREAKER} requests in a row got no answer; nothing more was sent "
                f"(the last: {reason})"
            )
        raise _NotJudged(reason)

    def _poll(self, step: Step) -> Exchange:
        """A status read repeated with backoff until the platform shows the message (or its
        final status), or ``--status-wait`` seconds have passed."""
        if step.poll is Poll.LISTED:
            return self._find_listed(step)
        waited, delay = 0.0, POLL_FIRST_DELAY
        while True:
            exchange = self._send(step)
            if _status_shown(exchange, step.poll) or waited >= self._options.status_wait:
                return exchange
            response = exchange.response
            if response is None or response.status == 429 or response.status >= 500:
                return exchange
            pause = min(delay, self._options.status_wait - waited)
            self._sleep(pause)
            waited += pause
            delay = min(delay * 2, POLL_MAX_DELAY)

    def _find_listed(self, step: Step) -> Exchange:
        """The notSent list read page after page (``lastEventId`` from each page's
        ``lastEventID``) until a page lists the step's messageKey; at the end of the list, read
        again from there with backoff until ``--status-wait`` has passed. Returns the page that
        lists it, or the last page read; ``_NotJudged`` after ``MAX_LIST_PAGES`` pages without
        it (the message may be further on)."""
        key = step.message_key or ""
        waited, delay, cursor, pages = 0.0, POLL_FIRST_DELAY, None, 0
        while True:
            path = step.path if cursor is None else f"{step.path}&lastEventId={cursor}"
            exchange = self._send(replace(step, path=path))
            pages += 1
            response = exchange.response
            if listed(exchange, key) or response is None or response.status != 200:
                return exchange
            body = response.json_or_none()
            last = body.get("lastEventID") if isinstance(body, dict) else None
            advanced = isinstance(last, int) and not isinstance(last, bool) and last != cursor
            if pages >= MAX_LIST_PAGES:
                raise _NotJudged(
                    f"not judged: {pages} pages of the notSent list were read and none lists "
                    "the message (it may be further on)"
                )
            if _page_messages(exchange) and advanced:
                cursor = last
                continue
            if waited >= self._options.status_wait:
                return exchange
            if advanced:
                cursor = last
            pause = min(delay, self._options.status_wait - waited)
            self._sleep(pause)
            waited += pause
            delay = min(delay * 2, POLL_MAX_DELAY)

    def _send(self, step: Step) -> Exchange:
        if step.auth in (Auth.CREDENTIALS, Auth.BAD_SECRET, Auth.NARROW_SCOPE):
            return self._send_token_request(step)
        headers: dict[str, str] = {}
        if step.content_type is not None:
            headers["Content-Type"] = step.content_type
        mode = AuthMode.BEARER
        if step.auth is Auth.NONE:
            mode = AuthMode.NONE
        elif step.auth is Auth.INVALID:
            mode = AuthMode.INVALID
        elif step.auth is Auth.EXPIRED:
            headers["Authorization"] = f"Bearer {self._expired_token()}"
            mode = AuthMode.NONE
        elif step.auth is Auth.SCOPED:
            scoped = self._current.scoped_token
            if scoped is None:
                raise HarnessError("a scoped step was planned without a narrow-scope token")
            headers["Authorization"] = f"Bearer {scoped}"
            mode = AuthMode.NONE
        before = len(self._current.entries)
        with contextlib.suppress(ResponseLost):  # the observer records it with response None
            self._client.request(
                step.method,
                step.path,
                body=step.wire_body(),
                headers=headers,
                auth=mode,
                # A retried send reuses its messageKey, so it cannot deliver twice; a send
                # without a key in the path (a batch) could, so it is retried only when the
                # target cannot have acted on it (not sent, or a 429).
                retry=(
                    Retry.ALWAYS
                    if step.message_key is not None or not step.billable
                    else Retry.UNPROCESSED
                ),
            )
        return self._final_exchange(before)

    def _final_exchange(self, before: int) -> Exchange:
        """The last attempt of the step, knowing whether an earlier one may have been
        processed (lost, or a 5xx): the client's own model of a retried send."""
        attempts = [
            entry.exchange
            for entry in self._current.entries[before:]
            if not is_token_request(entry.exchange.request)
        ]
        if not attempts:
            raise HarnessError("a step produced no exchange")  # pragma: no cover
        earlier = tuple(
            None if attempt.response is None else attempt.response.status
            for attempt in attempts[:-1]
        )
        final = replace(attempts[-1], earlier=earlier)
        self._final(final)
        self._current.settled = len(self._current.entries)
        return final

    def _cut_short(self, context: _Context) -> None:
        """A request whose retry was not sent (the budget, the deadline, a signal, the run
        stopping): its last answer is still an answer of the target, judged by the checks of
        every exchange (a 5xx stays a 5xx), though its case is not judged."""
        attempts = [
            entry.exchange
            for entry in context.entries[context.settled :]
            if not is_token_request(entry.exchange.request)
        ]
        answered = [attempt for attempt in attempts if attempt.response is not None]
        if not answered:
            return
        earlier = tuple(
            None if attempt.response is None else attempt.response.status
            for attempt in attempts[: attempts.index(answered[-1])]
        )
        self._final(replace(answered[-1], earlier=earlier))
        context.settled = len(context.entries)

    def _final(self, exchange: Exchange, step: Step | None = None) -> None:
        """Keep the final answer of a request for the cross-cutting checks, in plan order."""
        context = self._current
        owner, current = context.owner, step or context.step
        if owner is not None and current is not None:
            context.sequence += 1
            final = _Final(context.index, context.sequence, Entry(owner, current, exchange))
            with self._lock:
                self._finals.append(final)

    def _send_token_request(self, step: Step) -> Exchange:
        """A token request of the case's own: the client's own token (requested only when it
        has none: the run's token responses are judged, not an extra one), or a request with
        a wrong secret (BAD_SECRET), built by the client's auth."""
        entries = self._current.entries
        before = len(entries)
        if step.auth is Auth.CREDENTIALS:
            self._client.authenticate()  # one token per run, whichever worker asked first
            for entry in entries[before:]:
                self._final(entry.exchange)
            with self._lock:
                own = [
                    final.entry
                    for final in sorted(self._finals)
                    if final.entry.step.operation_id == REQUEST_TOKEN
                    and final.entry.step.auth is Auth.CREDENTIALS
                ]
            if not own:
                raise HarnessError("no token request was made or recorded")  # pragma: no cover
            return own[-1].exchange
        with contextlib.suppress(ResponseLost):  # the observer records it with response None
            if step.auth is Auth.NARROW_SCOPE:
                self._client.token_exchange(scope=NARROW_SCOPE)
            else:
                self._client.token_exchange(
                    client_secret=f"sms-contract-wrong-secret-{self._options.seed}"
                )
        if len(entries) == before:
            raise HarnessError("a token request produced no exchange")  # pragma: no cover
        exchange = entries[-1].exchange
        self._final(exchange)
        if step.auth is Auth.NARROW_SCOPE:
            body = exchange.response.json_or_none() if exchange.response else None
            token = body.get("access_token") if isinstance(body, dict) else None
            self._current.scoped_token = token if isinstance(token, str) and token else None
        return exchange

    def _expired_token(self) -> str:
        """A token the target issued, then its clock moved past the token's lifetime."""
        if self._target.advance_clock is None:
            raise HarnessError("an expired-token case was planned on a target without a clock")
        entries = self._current.entries
        before = len(entries)
        with contextlib.suppress(ResponseLost):
            self._client.token_exchange()
        if len(entries) == before:
            raise HarnessError("a token request produced no exchange")  # pragma: no cover
        response = entries[-1].exchange.response
        body = response.json_or_none() if response else None
        if not isinstance(body, dict) or not isinstance(body.get("access_token"), str):
            raise ApiError("the target issued no token, so none can expire")
        self._target.advance_clock(float(body.get("expires_in", 1080)) + 600.0)
        return str(body["access_token"])

    # -- judging ------------------------------------------------------------------------

    def _finding(
        self,
        case: Case,
        judgement: Judgement,
        exchanges: Sequence[Exchange],
        check_id: str | None = None,
    ) -> Finding:
        """A finding of ``check_id`` (default: the case's own check) on ``case``; its replay
        commands name that check, so that they reproduce it."""
        chosen = (
            list(exchanges)
            if judgement.exchange_index is None
            else [exchanges[judgement.exchange_index]]
        )
        return Finding(
            verdict=judgement.verdict,
            message=self.scrubber.text(judgement.message),
            case_id=case.id,
            evidence=tuple(self._evidence(exchange) for exchange in chosen),
            replay=self._target.replay_commands(case, self._options, check_id),
        )

    def _evidence(self, exchange: Exchange) -> Evidence:
        return self.scrubber.evidence(exchange)

    def _judge(
        self, item: PlannedCheck, runs: Mapping[Owner, _CaseRun], duration: float
    ) -> CheckOutcome:
        """The check's verdict over its cases. A case whose judge says the claim does not
        apply to it (``not_applicable``: nothing the claim covers happened) holds the claim
        only beside a case it did apply to: when it applied to none, nothing was judged, and
        the check is incomplete with each case's reason, never a pass. A pass keeps one
        scrubbed example: the last exchange (the one its verdict rests on) of its first
        judged case."""
        check = item.check
        findings: list[Finding] = []
        not_judged: list[NotJudged] = []
        inapplicable: list[NotJudged] = []
        judged = 0
        example: Exchange | None = None
        for case in item.cases:
            run = runs.get(case.owner)
            if run is None:  # pragma: no cover - every scheduled case has run
                raise HarnessError(f"case {case.id} was planned but not run")
            if run.not_judged is not None:
                not_judged.append(NotJudged(case.id, self.scrubber.text(run.not_judged)))
                continue
            incomplete: str | None = None
            missing: str | None = None
            found = 0
            for judgement in check.judge(case, run.exchanges):
                if judgement.verdict is Verdict.INCOMPLETE:
                    incomplete = self.scrubber.text(judgement.message)
                elif judgement.verdict is Verdict.SKIPPED:
                    missing = self.scrubber.text(judgement.message)
                else:
                    findings.append(self._finding(case, judgement, run.exchanges))
                    found += 1
            if incomplete is not None:
                not_judged.append(NotJudged(case.id, incomplete))
            elif missing is not None and not found:
                inapplicable.append(NotJudged(case.id, missing))
            else:
                judged += 1
                if example is None and run.exchanges:
                    example = run.exchanges[-1]
        if judged:
            judged += len(inapplicable)  # it applied elsewhere: these cases hold it too
        else:
            not_judged += inapplicable
        if not item.cases:
            not_judged.append(NotJudged("-", "not judged: the run planned no case of this check"))
        verdict = _verdict(findings, incomplete=bool(not_judged) or judged == 0)
        return _outcome(
            check,
            verdict,
            cases=judged,
            planned=len(item.cases),
            findings=_capped(findings),
            not_judged=tuple(not_judged),
            duration=duration,
            example=self._example(verdict, example),
        )

    def _example(self, verdict: Verdict, exchange: Exchange | None) -> Evidence | None:
        """A passing check's example exchange, scrubbed like all evidence; none otherwise."""
        if verdict is not Verdict.PASS or exchange is None:
            return None
        return self._evidence(exchange)

    def _judge_all(self, check: Check, cases: Mapping[Owner, Case]) -> CheckOutcome:
        """A cross-cutting check judges every exchange of the run on its operations."""
        assert check.judge_exchange is not None
        findings: list[Finding] = []
        judged = 0
        example: Exchange | None = None  # a pass's example: the first exchange it judged
        for entry in (final.entry for final in sorted(self._finals)):
            if entry.step.operation_id not in check.operations:
                continue
            response = entry.exchange.response
            if response is not None and response.status == 429:
                continue  # throttled: honoured by the client, never judged
            found = check.judge_exchange(entry.exchange, entry.step)
            if found is None:
                continue
            judged += 1
            if example is None:
                example = entry.exchange
            case = cases.get(entry.owner) or _pseudo_case(entry.owner)
            findings += [
                self._finding(case, Judgement(j.verdict, j.message, 0), [entry.exchange], check.id)
                for j in found
                if j.verdict not in (Verdict.INCOMPLETE, Verdict.SKIPPED)
            ]
        not_judged: tuple[NotJudged, ...] = ()
        if judged == 0:
            not_judged = (
                NotJudged(
                    "-",
                    "not judged: no answer of this run is one the claim applies to "
                    "(nothing was sent, or nothing it covers was answered)",
                ),
            )
        verdict = _verdict(findings, incomplete=judged == 0)
        return _outcome(
            check,
            verdict,
            cases=judged,
            planned=judged or 1,
            findings=_capped(findings),
            not_judged=not_judged,
            example=self._example(verdict, example),
        )


@dataclass(frozen=True)
class _Scheduled:
    """A case in its place in the schedule."""

    index: int
    item: PlannedCheck
    case: Case


def _batches(order: Sequence[_Scheduled], workers: int) -> list[list[_Scheduled]]:
    """What runs together: in strict order each case alone; with workers, each phase (a
    barrier: every case of a phase is answered before the next phase begins)."""
    if workers == 1:
        return [[entry] for entry in order]
    batches: list[list[_Scheduled]] = []
    for entry in order:
        if batches and batches[-1][0].case.phase == entry.case.phase:
            batches[-1].append(entry)
        else:
            batches.append([entry])
    return batches


def _holds(when: When, previous: Step, exchange: Exchange) -> bool:
    if when is When.NOT_SENT:
        return _category(exchange).endswith("SMSNotSent")
    if when is When.SCOPE_NARROWED:
        return _narrowed(exchange)
    read = read_send(exchange, key_known=previous.key_known)
    if when is When.ACCEPTED:
        return read.accepted
    return read.answer is Answer.ACCEPTED_EARLIER and not any(read.echoed_keys)


def _category(exchange: Exchange) -> str:
    """The eventCategoryType of a 200 status answer; ``""`` for anything else."""
    response = exchange.response
    body = response.json_or_none() if response is not None and response.status == 200 else None
    category = body.get("eventCategoryType") if isinstance(body, dict) else None
    return category if isinstance(category, str) else ""


def _narrowed(exchange: Exchange) -> bool:
    """A token was issued, and its ``scope`` (when the response names one) lacks sms_send."""
    response = exchange.response
    body = response.json_or_none() if response is not None and response.status == 200 else None
    if not isinstance(body, dict) or not isinstance(body.get("access_token"), str):
        return False
    scope = body.get("scope")
    return not isinstance(scope, str) or "sms_send" not in scope.split()


def listed(exchange: Exchange, message_key: str) -> bool:
    """The notSent page lists ``message_key`` in a message's ``info.messageKey``."""
    return any(
        isinstance(item.get("info"), dict) and item["info"].get("messageKey") == message_key
        for item in _page_messages(exchange)
    )


def _page_messages(exchange: Exchange) -> list[dict[str, Any]]:
    response = exchange.response
    body = response.json_or_none() if response is not None and response.status == 200 else None
    messages = body.get("messages") if isinstance(body, dict) else None
    return [m for m in messages if isinstance(m, dict)] if isinstance(messages, list) else []


def _status_shown(exchange: Exchange, poll: Poll | None) -> bool:
    category = _category(exchange)
    if not category:
        return False
    return poll is not Poll.FINAL or category.endswith(("SMSSent", "SMSNotSent"))


def _pseudo_case(owner: Owner) -> Case:
    return Case(owner[1], owner[0], "", ())


def _verdict(findings: Sequence[Finding], *, incomplete: bool = False) -> Verdict:
    if any(f.verdict is Verdict.FAIL for f in findings):
        return Verdict.FAIL
    if incomplete:
        return Verdict.INCOMPLETE
    if any(f.verdict is Verdict.OBSERVED for f in findings):
        return Verdict.OBSERVED
    return Verdict.PASS


def _capped(findings: Sequence[Finding]) -> tuple[Finding, ...]:
    if len(findings) <= MAX_FINDINGS_PER_CHECK:
        return tuple(findings)
    kept = list(findings[:MAX_FINDINGS_PER_CHECK])
    rest = findings[MAX_FINDINGS_PER_CHECK:]
    verdict = _verdict(rest)
    kept.append(Finding(verdict, f"… and {len(rest)} more findings like these", rest[0].case_id))
    return tuple(kept)


def _outcome(
    check: Check,
    verdict: Verdict,
    *,
    cases: int = 0,
    planned: int = 0,
    findings: tuple[Finding, ...] = (),
    skip_reason: str | None = None,
    not_judged: tuple[NotJudged, ...] = (),
    duration: float = 0.0,
    example: Evidence | None = None,
) -> CheckOutcome:
    return CheckOutcome(
        check_id=check.id,
        title=check.title,
        category=check.category,
        claim=check.claim,
        verdict=verdict,
        cases=cases,
        findings=findings,
        skip_reason=skip_reason,
        duration=round(duration, 3),
        not_judged=not_judged,
        planned=planned,
        example=example,
    )
