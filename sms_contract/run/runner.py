"""The runner: send the planned cases (sms_contract.run.planning) through the reference client
within the safety rails, judge what came back, and return a ``RunOutcome``. No printing, no
files: the caller gets progress through a callback and renders the result itself.

No case is ever re-executed and nothing is shrunk: a failure is reported from its first run,
with commands that replay that one case against the mock and against a live target.
"""

from __future__ import annotations

import contextlib
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime

from sms_contract import __version__
from sms_contract.checks.auth import token_step
from sms_contract.checks.model import Auth, Case, Check, Expect, Judgement, Step
from sms_contract.client.retrying import ExchangeObserver
from sms_contract.client.sms_client import AuthMode, SmsClient
from sms_contract.errors import ApiError, HarnessError, ResponseLost
from sms_contract.exchange import Exchange
from sms_contract.outcomes import CheckOutcome, Evidence, Finding, RunOutcome, Spending, Verdict
from sms_contract.redaction import Scrubber
from sms_contract.run.planning import PlannedCheck, RunOptions
from sms_contract.run.safety import BudgetExhausted, SafetyGuard
from sms_contract.run.targets import Target
from sms_contract.spec.endpoints import REQUEST_TOKEN, is_token_request
from sms_contract.spec.loading import load_spec

MAX_FINDINGS_PER_CHECK = 25


@dataclass
class _Recorded:
    """Every exchange of the run, with the step it belongs to (None: a token request)."""

    exchanges: list[tuple[Case | None, Step | None, Exchange]] = field(default_factory=list)
    case: Case | None = None
    step: Step | None = None

    def add(self, exchange: Exchange) -> None:
        # A token request the client makes on its own belongs to no step of the case.
        own_token = is_token_request(exchange.request) and (
            self.step is None or self.step.operation_id != REQUEST_TOKEN
        )
        self.exchanges.append((self.case, None if own_token else self.step, exchange))


# Called as each check finishes: its result, checks done, checks in all, what was spent so far.
Progress = Callable[[CheckOutcome, int, int, Spending], None]


class Runner:
    """Sends planned cases to one target and judges them."""

    def __init__(self, target: Target, options: RunOptions, progress: Progress | None = None):
        self._target = target
        self._options = options
        self._progress = progress
        self._recorded = _Recorded()
        self.guard = SafetyGuard(
            options.allow_list,
            max_sends=options.max_sends,
            max_requests=options.max_requests,
            enforce_allow_list=target.enforce_allow_list,
        )
        self.scrubber = Scrubber(target.known_secrets, known_phones=options.allow_list)
        self._client = SmsClient(
            target.config,
            target.transport,
            observer=ExchangeObserver(
                before_send=self.guard.before_send, after_exchange=self._after_exchange
            ),
            sleep=target.sleep,
        )

    def _after_exchange(self, exchange: Exchange) -> None:
        self.guard.after_exchange(exchange)
        self._recorded.add(exchange)
        if self._target.recorder is not None:
            self._target.recorder(self._recorded.case, exchange)

    # -- running ------------------------------------------------------------------------

    def run(self, planned: Sequence[PlannedCheck]) -> RunOutcome:
        started = time.monotonic()
        started_at = datetime.now(UTC).isoformat(timespec="seconds")
        results: dict[str, CheckOutcome] = {}
        total, done = len(planned), 0
        for item in planned:
            results[item.check.id] = self._promoted(self._run_check(item))
            if item.check.judge_exchange is None or item.skip_reason is not None:
                done += 1
                self._report(results[item.check.id], done, total)
        # Cross-cutting checks judge every exchange of the run, so they finish last.
        for item in planned:
            if item.check.judge_exchange is not None and item.skip_reason is None:
                results[item.check.id] = self._promoted(
                    self._judge_all(item, results[item.check.id])
                )
                done += 1
                self._report(results[item.check.id], done, total)
        return RunOutcome(
            tool_version=__version__,
            spec_sha256=load_spec().sha256,
            target=self._target.kind,
            base_url=self._target.base_url,
            seed=self._options.seed,
            started_at=started_at,
            duration=round(time.monotonic() - started, 3),
            strict=self._options.strict,
            checks=tuple(results[item.check.id] for item in planned),
            spending=self.guard.spending(),
        )

    def _promoted(self, result: CheckOutcome) -> CheckOutcome:
        """An observation of a check named with --strict-check is a violation."""
        chosen = {check_id.upper() for check_id in self._options.strict_checks}
        if result.check_id not in chosen or result.verdict is not Verdict.OBSERVED:
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

    def _run_check(self, item: PlannedCheck) -> CheckOutcome:
        check = item.check
        began = time.monotonic()
        if item.skip_reason is not None:
            return _result(check, Verdict.SKIPPED, 0, (), skip_reason=item.skip_reason)
        findings: list[Finding] = []
        judged = 0
        skipped: list[str] = []
        for case in item.cases:
            exchanges, why_not = self._run_case(case)
            if why_not is not None:
                skipped.append(why_not)
                if why_not.startswith("budget"):
                    break
                continue
            judged += 1
            if check.judge_exchange is None:
                findings += [
                    self._finding(case, j, exchanges) for j in check.judge(case, exchanges)
                ]
        duration = time.monotonic() - began
        if check.judge_exchange is not None:
            return _result(check, Verdict.PASS, judged, (), duration=duration)
        if judged == 0:
            reason = skipped[0] if skipped else "no case was planned"
            return _result(check, Verdict.SKIPPED, 0, (), skip_reason=reason, duration=duration)
        # A verdict on part of the cases says so: a pass on 1 case of 3 is not a pass on 3.
        partial = (
            f"{len(item.cases) - judged} of {len(item.cases)} cases not judged ({skipped[0]})"
            if judged < len(item.cases) and skipped
            else None
        )
        return _result(
            check,
            _verdict(findings),
            judged,
            _capped(findings),
            skip_reason=partial,
            duration=duration,
        )

    def _run_case(self, case: Case) -> tuple[list[Exchange], str | None]:
        replayer = self._target.replayer
        scope = replayer.for_case(case.check_id, case.id) if replayer else contextlib.nullcontext()
        with scope:
            return self._run_steps(case)

    def _run_steps(self, case: Case) -> tuple[list[Exchange], str | None]:
        exchanges: list[Exchange] = []
        self._recorded.case = case
        try:
            for step in case.steps:
                self._recorded.step = step
                exchange = self._send(step)
                if exchange.response is not None and exchange.response.status == 429:
                    return exchanges, "throttled (429) after every retry; honoured, not judged"
                exchanges.append(exchange)
        except BudgetExhausted as exc:
            return exchanges, f"budget: {exc}"
        except ApiError as exc:
            # The client could not use an answer at all (a token response without a token,
            # say): the checks on that endpoint report it; this case cannot be judged.
            return exchanges, f"not judged: {self.scrubber.text(str(exc))}"
        finally:
            self._recorded.case = None
            self._recorded.step = None
        return exchanges, None

    def _send(self, step: Step) -> Exchange:
        if step.auth in (Auth.CREDENTIALS, Auth.BAD_SECRET):
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
        before = len(self._recorded.exchanges)
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
        for _, _, exchange in reversed(self._recorded.exchanges[before:]):
            if not is_token_request(exchange.request):
                return exchange
        raise HarnessError("a step produced no exchange")  # pragma: no cover

    def _send_token_request(self, step: Step) -> Exchange:
        """A token request of the case's own, built and sent by the client's auth (a wrong
        secret for BAD_SECRET); the exchange as the observer recorded it."""
        secret = None
        if step.auth is Auth.BAD_SECRET:
            secret = "sms-contract-wrong-secret-" + str(self._options.seed)
        before = len(self._recorded.exchanges)
        with contextlib.suppress(ResponseLost):  # the observer records it with response None
            self._client.token_exchange(client_secret=secret)
        if len(self._recorded.exchanges) == before:
            raise HarnessError("a token request produced no exchange")  # pragma: no cover
        return self._recorded.exchanges[-1][2]

    def _expired_token(self) -> str:
        """A token the target issued, then its clock moved past the token's lifetime."""
        if self._target.advance_clock is None:
            raise HarnessError("an expired-token case was planned on a target without a clock")
        exchange = self._send_token_request(token_step(Auth.CREDENTIALS, Expect.ACCEPT))
        body = exchange.response.json_or_none() if exchange.response else None
        if not isinstance(body, dict) or not isinstance(body.get("access_token"), str):
            raise ApiError("the target issued no token, so none can expire")
        self._target.advance_clock(float(body.get("expires_in", 1080)) + 600.0)
        return str(body["access_token"])

    # -- judging ------------------------------------------------------------------------

    def _finding(self, case: Case, judgement: Judgement, exchanges: Sequence[Exchange]) -> Finding:
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
            replay=self._target.replay_commands(case, self._options),
        )

    def _evidence(self, exchange: Exchange) -> Evidence:
        return Evidence(
            request=self.scrubber.request(exchange.request),
            response=None
            if exchange.response is None
            else self.scrubber.response(exchange.response),
            curl=self.scrubber.curl(exchange.request),
        )

    def _judge_all(self, item: PlannedCheck, own: CheckOutcome) -> CheckOutcome:
        """A cross-cutting check judges every exchange of the run on its operations."""
        check = item.check
        assert check.judge_exchange is not None
        findings: list[Finding] = []
        judged = 0
        for case, step, exchange in self._recorded.exchanges:
            if case is None or step is None or step.operation_id not in check.operations:
                continue
            if exchange.response is not None and exchange.response.status == 429:
                continue  # throttled: honoured by the client, never judged
            judged += 1
            findings += [
                self._finding(case, Judgement(j.verdict, j.message, 0), [exchange])
                for j in check.judge_exchange(exchange, step)
            ]
        if judged == 0:
            reason = "no exchange to judge (every answer was throttled, or none was sent)"
            return _result(check, Verdict.SKIPPED, 0, (), skip_reason=reason)
        return _result(check, _verdict(findings), judged, _capped(findings), duration=own.duration)


def _verdict(findings: Sequence[Finding]) -> Verdict:
    if any(f.verdict is Verdict.FAIL for f in findings):
        return Verdict.FAIL
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


def _result(
    check: Check,
    verdict: Verdict,
    cases: int,
    findings: tuple[Finding, ...],
    *,
    skip_reason: str | None = None,
    duration: float = 0.0,
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
    )
