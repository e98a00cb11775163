"""The runner: send the planned cases (sms_contract.run.planning) through the reference client
within the safety rails, judge what came back, and return a ``RunOutcome``. No printing, no
files: the caller gets progress through a callback and renders the result itself.

Cases run in the order ``planning.schedule`` gives (phase by phase), a shared step once per
run. A case that cannot be judged (the send budget is spent, the target throttles, the
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
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime
from typing import Any

from sms_contract import __version__
from sms_contract.checks.auth import NARROW_SCOPE, token_step
from sms_contract.checks.model import Auth, Case, Check, Expect, Judgement, Poll, Step, When
from sms_contract.checks.reading import Answer, read_send
from sms_contract.client.retrying import ExchangeObserver
from sms_contract.client.sms_client import AuthMode, SmsClient
from sms_contract.errors import (
    ApiError,
    HarnessError,
    RecordingEnded,
    ResponseLost,
    TransportError,
)
from sms_contract.exchange import Exchange, HttpRequest
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
class _Recorded:
    entries: list[Entry] = field(default_factory=list)
    owner: Owner | None = None
    step: Step | None = None

    def add(self, exchange: Exchange) -> Entry | None:
        if self.owner is None or self.step is None:
            return None
        own_token = is_token_request(exchange.request) and self.step.operation_id != REQUEST_TOKEN
        entry = Entry(self.owner, OWN_TOKEN if own_token else self.step, exchange)
        self.entries.append(entry)
        return entry


@dataclass
class _CaseRun:
    exchanges: list[Exchange]
    not_judged: str | None = None


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
        self._recorded = _Recorded()
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
        self._shared: dict[str, Exchange | str] = {}  # shared step: its exchange, or why not
        self._finals: list[Entry] = []  # the final answer of every request, for judging all
        self._stop: str | None = None  # why nothing more is sent
        self._in_flight: HttpRequest | None = None  # sent, and not answered yet
        self._scoped_token: str | None = None  # what the last NARROW_SCOPE step was issued
        self._sends: dict[str, int] = {}  # accepted sends by the check whose case sent them
        self._answered = False  # the target has answered at least once
        self._throttled_in_a_row = 0
        self._unanswered_in_a_row = 0

    @property
    def entries(self) -> tuple[Entry, ...]:
        """Every exchange of the run so far, with its case and step."""
        return tuple(self._recorded.entries)

    def _sleep(self, seconds: float) -> None:
        interruption.check()
        self.guard.check_deadline(seconds)
        self._target.sleep(seconds)
        interruption.check()  # a signal during the wait: nothing is sent after it

    def _before_send(self, request: HttpRequest) -> None:
        interruption.check()
        self.guard.before_send(request)
        self._in_flight = request

    def _after_exchange(self, exchange: Exchange) -> None:
        self._in_flight = None
        self.guard.after_exchange(exchange)
        entry = self._recorded.add(exchange)
        if entry is not None and entry.step is OWN_TOKEN:
            self._final(exchange, OWN_TOKEN)  # the client's own token requests are judged too
        if self._target.recorder is not None:
            self._target.recorder(entry.owner if entry else None, exchange)

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
        order = schedule(planned)
        last = {item.check.id: n for n, (item, _) in enumerate(order)}
        runs: dict[Owner, _CaseRun] = {}
        began: dict[str, float] = {}
        for n, (item, case) in enumerate(order):
            began.setdefault(item.check.id, time.monotonic())
            before = self.guard.accepted_sends
            runs[case.owner] = self._run_case(case)
            spent = self.guard.accepted_sends - before
            self._sends[item.check.id] = self._sends.get(item.check.id, 0) + spent
            if last[item.check.id] == n and item.check.judge_exchange is None:
                elapsed = time.monotonic() - began[item.check.id]
                outcomes[item.check.id] = self._promoted(self._judge(item, runs, elapsed))
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
            # The signal came after the last request (or after the run had stopped sending
            # for another reason): nothing was cut short by it, and it is still said.
            self._stop = (
                f"interrupted: {name} received after the last request was answered"
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
        if name is not None and self._stop is None:
            self._stop = f"interrupted: {name} received; nothing more was sent"

    def _abandoned(self) -> None:
        """A second signal abandoned the request in flight: it counts as sent, and a send
        as possibly accepted (it may have been processed), like a response that was lost."""
        if self._in_flight is not None:
            self.guard.after_exchange(Exchange(self._in_flight, None))
            self._in_flight = None

    def _run_case(self, case: Case) -> _CaseRun:
        exchanges: list[Exchange] = []
        previous: Step | None = None
        self._scoped_token = None  # a narrow-scope token serves only the case that asked
        for step in case.steps:
            if step.when is not None and not (
                previous is not None and exchanges and _holds(step.when, previous, exchanges[-1])
            ):
                break
            previous = step
            if step.shared is not None and step.shared in self._shared:
                cached = self._shared[step.shared]
                if isinstance(cached, str):
                    return _CaseRun(exchanges, cached)
                exchanges.append(cached)
                continue
            self._interrupted()
            if self._stop is not None:
                return _CaseRun(exchanges, self._stop)
            try:
                exchange = self._run_step(case, step)
            except _NotJudged as stopped:
                if step.shared is not None:
                    self._shared[step.shared] = stopped.reason
                return _CaseRun(exchanges, stopped.reason)
            if step.shared is not None:
                self._shared[step.shared] = exchange
            exchanges.append(exchange)
        return _CaseRun(exchanges)

    def _run_step(self, case: Case, step: Step) -> Exchange:
        """The final exchange of one step; ``_NotJudged`` when it cannot be judged."""
        owner = step.owner or case.owner
        replayer = self._target.replayer
        scope = replayer.for_case(*owner) if replayer else contextlib.nullcontext()
        self._recorded.owner, self._recorded.step = owner, step
        try:
            with scope:
                exchange = self._poll(step) if step.poll is not None else self._send(step)
        except BudgetExhausted as exc:
            raise _NotJudged(f"budget: {exc}") from None
        except DeadlineReached as exc:
            self._stop = f"deadline: {exc}; nothing more was sent"
            raise _NotJudged(f"deadline: {exc}") from None
        except Interrupted as exc:
            self._stop = f"interrupted: {exc}; nothing more was sent"
            raise _NotJudged(f"interrupted: {exc}") from None
        except KeyboardInterrupt:
            name = interruption.requested()
            if name is None:
                raise  # not a signal this run handles: the caller's Ctrl-C
            self._abandoned()
            self._stop = (
                f"interrupted: {name} received twice; the request in flight was abandoned and "
                "nothing more was sent"
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
            self._recorded.owner = self._recorded.step = None
        response = exchange.response
        if response is None:
            self._unanswered(
                f"transport: no response after {exchange.attempt} attempt(s) "
                "(the connection was lost each time)"
            )
        self._answered = True
        self._unanswered_in_a_row = 0
        if response is not None and response.status == 429:
            self._throttled_in_a_row += 1
            if self._throttled_in_a_row >= BREAKER:
                self._stop = (
                    f"throttled: the target answered 429 to {BREAKER} requests in a row after "
                    "every retry (Retry-After honoured); nothing more was sent"
                )
            raise _NotJudged("throttled: HTTP 429 after every retry (honoured, never judged)")
        self._throttled_in_a_row = 0
        return exchange

    def _unanswered(self, reason: str) -> None:
        self._unanswered_in_a_row += 1
        if self._unanswered_in_a_row >= BREAKER:
            self._stop = (
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
            if self._scoped_token is None:
                raise HarnessError("a scoped step was planned without a narrow-scope token")
            headers["Authorization"] = f"Bearer {self._scoped_token}"
            mode = AuthMode.NONE
        before = len(self._recorded.entries)
        with contextlib.suppress(ResponseLost):  # the observer records it with response None
            self._client.request(
                step.method,
                step.path,
                body=step.wire_body(),
                headers=headers,
                auth=mode,
                # A retried send reuses its messageKey, so it cannot deliver twice; a send
                # without a key in the path (a batch) could, so it is not retried.
                retry=step.message_key is not None or not step.billable,
            )
        return self._final_exchange(before)

    def _final_exchange(self, before: int) -> Exchange:
        """The last attempt of the step, knowing whether an earlier one may have been
        processed (lost, or a 5xx): the client's own model of a retried send."""
        attempts = [
            entry.exchange
            for entry in self._recorded.entries[before:]
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
        return final

    def _final(self, exchange: Exchange, step: Step | None = None) -> None:
        """Keep the final answer of a request for the cross-cutting checks."""
        owner, current = self._recorded.owner, step or self._recorded.step
        if owner is not None and current is not None:
            self._finals.append(Entry(owner, current, exchange))

    def _send_token_request(self, step: Step) -> Exchange:
        """A token request of the case's own: the client's own token (requested only when it
        has none: the run's token responses are judged, not an extra one), or a request with
        a wrong secret (BAD_SECRET), built by the client's auth."""
        before = len(self._recorded.entries)
        if step.auth is Auth.CREDENTIALS:
            self._client.authenticate()
            for entry in self._recorded.entries[before:]:
                self._final(entry.exchange)
            own = [
                e
                for e in self._finals
                if e.step.operation_id == REQUEST_TOKEN and e.step.auth is Auth.CREDENTIALS
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
        if len(self._recorded.entries) == before:
            raise HarnessError("a token request produced no exchange")  # pragma: no cover
        exchange = self._recorded.entries[-1].exchange
        self._final(exchange)
        if step.auth is Auth.NARROW_SCOPE:
            body = exchange.response.json_or_none() if exchange.response else None
            token = body.get("access_token") if isinstance(body, dict) else None
            self._scoped_token = token if isinstance(token, str) and token else None
        return exchange

    def _expired_token(self) -> str:
        """A token the target issued, then its clock moved past the token's lifetime."""
        if self._target.advance_clock is None:
            raise HarnessError("an expired-token case was planned on a target without a clock")
        before = len(self._recorded.entries)
        with contextlib.suppress(ResponseLost):
            self._client.token_exchange()
        if len(self._recorded.entries) == before:
            raise HarnessError("a token request produced no exchange")  # pragma: no cover
        response = self._recorded.entries[-1].exchange.response
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
        for entry in self._finals:
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
