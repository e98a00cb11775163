"""A proxy session's state: every forwarded exchange numbered, scrubbed, judged and recorded.

The server's threads hand each exchange to ``Watch.exchange`` once its answer came, before that
answer goes back to the application; one lock holds everything that follows, so numbering,
the scrubber's placeholders, the verdicts and the cassettes stay consistent under concurrent
clients, and the line for the exchange is passed on (``on_line``) in the order of the numbers.

Scrubbing comes first, before anything of an exchange is kept, judged or shown: the client id
and account id of a token request are learned as secrets (``Scrubber.learn``; the client
secret is scrubbed by its key), and scrubbing the answer teaches the scrubber the
``access_token`` it carries, so the token is scrubbed wherever it appears later. Nothing
unscrubbed is kept: findings hold scrubbed evidence, cassettes scrubbed interactions, and the
earlier acceptance a reuse is judged against is the one exchange per messageKey kept (at most
``MAX_KEYS`` of them, for the uniqueness window), in memory only.

Verdicts as everywhere else (:mod:`sms_contract.outcomes`): a claim with a failing exchange
fails; a claim some exchange of its operations could not be judged on (the upstream
unreachable, a lost answer) is incomplete, with each one listed; a claim nothing it applies to
passed through is skipped, with the reason; otherwise it passes, or is observed. Answers 429
are never judged. A request that is no operation of the SMS API is forwarded and counted,
neither judged nor recorded (it may carry data no scrubbing rule knows).
"""

from __future__ import annotations

import json
import threading
import time
from collections import OrderedDict
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from urllib.parse import parse_qsl

from sms_contract import __version__
from sms_contract.checks.model import Judgement
from sms_contract.checks.reading import Answer, as_int, read_send
from sms_contract.exchange import Exchange, HttpRequest
from sms_contract.outcomes import (
    MAX_FINDINGS_PER_CHECK,
    CheckOutcome,
    Evidence,
    Finding,
    NotJudged,
    RunOutcome,
    Spending,
    Verdict,
)
from sms_contract.proxy.forwarding import Forwarded
from sms_contract.proxy.judging import (
    REUSE_WINDOW,
    Observed,
    Passive,
    observed_step,
    passive_claims,
)
from sms_contract.recordings.cassettes import (
    OBSERVED_TRAFFIC,
    Recorder,
    RecordingSource,
    save_cassette,
    scrub_base_url,
)
from sms_contract.redaction import Scrubber
from sms_contract.spec.endpoints import (
    REQUEST_TOKEN,
    SEND_OPERATIONS,
    SEND_TO_ONE,
    is_token_request,
)
from sms_contract.spec.loading import load_spec

TARGET = "proxy"  # RunOutcome.target of a proxy session's reports
MAX_NOT_JUDGED_PER_CHECK = 25
MAX_KEYS = 10_000  # accepted messageKeys remembered for SEND-DUPLICATE-KEY
MAX_INTERACTIONS_PER_CASSETTE = 5_000
_CREDENTIALS = ("client_id", "account_id")  # token request members no key rule scrubs
EVERY_ANSWER = "SEND-STATUS-CODES"  # the claim on every answer: a harness fault is listed there


@dataclass
class _Tally:
    """What one claim found so far."""

    judged: int = 0
    findings: list[Finding] = field(default_factory=list)
    more: list[Verdict] = field(default_factory=list)  # verdicts of findings past the cap
    more_case: str | None = None
    not_judged: list[NotJudged] = field(default_factory=list)
    more_not_judged: int = 0
    example: Evidence | None = None


@dataclass
class _Spent:
    requests: int = 0
    token_requests: int = 0
    accepted_sends: int = 0
    possibly_accepted: int = 0
    throttled: int = 0


class Watch:
    """The judging and recording side of one proxy session (module doc). Thread-safe."""

    def __init__(
        self,
        *,
        upstream: str,
        scrubber: Scrubber | None = None,
        strict: bool = False,
        cassette_dir: Path | None = None,
        source: RecordingSource = RecordingSource.LIVE,
        on_line: Callable[[str], None] | None = None,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._lock = threading.Lock()
        self._scrubber = scrubber or Scrubber()
        self._strict = strict
        self._on_line = on_line
        self._clock = clock
        self._began = clock()
        self._started_at = datetime.now(UTC).replace(microsecond=0)
        self._base_url = scrub_base_url(self._scrubber, upstream)
        self._claims = passive_claims()
        self._tallies = {claim.check.id: _Tally() for claim in self._claims}
        self._spent = _Spent()
        self._number = 0
        self._accepted: OrderedDict[str, tuple[float, Observed]] = OrderedDict()
        self._cassette_dir = cassette_dir
        self._source = source
        self._spec_sha256 = load_spec().sha256
        self._recorder: tuple[Path, Recorder] | None = None  # the cassette being filled
        self._recorded = 0  # interactions in it
        self._full: list[Path] = []  # cassettes filled (MAX_INTERACTIONS_PER_CASSETTE), saved

    # -- each exchange ---------------------------------------------------------------------

    def exchange(self, request: HttpRequest, forwarded: Forwarded) -> int:
        """Judge and keep one exchange (module doc); its number."""
        with self._lock:
            self._number += 1
            number = self._number
            try:
                line = self._exchange(number, request, forwarded)
            except Exception as exc:  # a harness fault must not cost the application its answer
                line = self._fault(number, request, exc)
            if self._on_line is not None:
                self._on_line(line)
            return number

    def _exchange(self, number: int, request: HttpRequest, forwarded: Forwarded) -> str:
        """The exchange's line, once it is scrubbed, counted, recorded and judged."""
        self._learn(request)
        answer = forwarded.answer
        response = None if answer is None else answer.response()
        exchange = Exchange(request, response)
        evidence = self._evidence(exchange)  # scrubbing first: it learns the answer's token
        step = observed_step(request, None if response is None else response.status)
        if step is None:
            self._spent.requests += 1 if forwarded.reached else 0
            shown = _status(forwarded, answer.status if answer else None)
            return f"#{number} {request.method} (a path outside the SMS API) -> {shown}"
        observed = Observed(number, step, exchange)
        head = f"#{number} {request.method} {self._scrubber.url(_target(request))} -> "
        failure = self._scrubber.text(forwarded.failure or "")
        if not forwarded.reached:
            self._not_judged(
                observed,
                f"transport: the upstream could not be reached ({failure}); nothing was sent, "
                "and the application was answered 502 by the proxy",
            )
            unreached = f"the upstream could not be reached ({failure})"
            return f"{head}502 from the proxy: {unreached}; not judged"
        self._count(observed)
        self._record(observed)
        if response is None:
            self._not_judged(
                observed,
                f"transport: no answer from the upstream ({failure}); the application's "
                "connection was closed unanswered (the request may have been processed)",
            )
            return f"{head}no answer ({failure}): not judged"
        took = f"{response.status} in {response.elapsed * 1000:.0f} ms, {step.operation_id}"
        if response.status == 429:
            return f"{head}{took}: throttled (429), never judged"
        return f"{head}{took}: {self._judge(observed, evidence)}"

    def _judge(self, observed: Observed, evidence: Evidence) -> str:
        """Every passive claim on the exchange's operation; what they found, in a few words."""
        earlier = self._earlier(observed)
        verdicts: dict[str, Verdict] = {}
        holding = 0
        for claim in self._claims:
            found = claim.judge(observed, earlier) if claim.covers(observed.step) else None
            if found is None:
                continue
            worst = self._judged(claim, observed, found, evidence)
            if worst is None:
                holding += 1
            else:
                verdicts[claim.check.id] = worst
        self._remember(observed)
        return _verdicts(verdicts, holding)

    def _fault(self, number: int, request: HttpRequest, exc: Exception) -> str:
        reason = f"harness: judging the exchange failed ({type(exc).__name__}); it was forwarded"
        tally = self._tallies[EVERY_ANSWER]
        tally.not_judged.append(NotJudged(f"{OBSERVED_TRAFFIC}#{number}", reason))
        return f"#{number} {request.method}: forwarded; {reason}"

    def _learn(self, request: HttpRequest) -> None:
        """The credentials of a token request, as secrets (module doc)."""
        if not is_token_request(request):
            return
        raw = (request.body or b"").decode("utf-8", errors="replace")
        try:
            body: Any = json.loads(raw)
        except ValueError:
            body = dict(parse_qsl(raw))
        if isinstance(body, Mapping):
            values = [body.get(name) for name in _CREDENTIALS]
            self._scrubber.learn(str(v) for v in values if isinstance(v, str | int))

    def _evidence(self, exchange: Exchange) -> Evidence:
        return self._scrubber.evidence(exchange)

    def _judged(
        self, claim: Passive, observed: Observed, found: list[Judgement], evidence: Evidence
    ) -> Verdict | None:
        """Keep what ``claim`` found on the exchange; the worst verdict (None: it held)."""
        tally = self._tallies[claim.check.id]
        shown = [j for j in found if j.verdict in (Verdict.FAIL, Verdict.OBSERVED)]
        tally.judged += 1
        if tally.example is None:
            tally.example = evidence
        for judgement in shown:
            if len(tally.findings) < MAX_FINDINGS_PER_CHECK:
                tally.findings.append(
                    Finding(
                        verdict=judgement.verdict,
                        message=self._scrubber.text(judgement.message),
                        case_id=observed.case_id,
                        evidence=(evidence,),
                    )
                )
            else:
                tally.more.append(judgement.verdict)
                tally.more_case = tally.more_case or observed.case_id
        if any(j.verdict is Verdict.FAIL for j in shown):
            return Verdict.FAIL
        return Verdict.OBSERVED if shown else None

    def _not_judged(self, observed: Observed, reason: str) -> None:
        for claim in self._claims:
            if claim.covers(observed.step):
                tally = self._tallies[claim.check.id]
                if len(tally.not_judged) < MAX_NOT_JUDGED_PER_CHECK:
                    text = self._scrubber.text(reason)
                    tally.not_judged.append(NotJudged(observed.case_id, text))
                else:
                    tally.more_not_judged += 1

    def _count(self, observed: Observed) -> None:
        """What the exchange spent against the upstream."""
        spent, step, exchange = self._spent, observed.step, observed.exchange
        spent.requests += 1
        if step.operation_id == REQUEST_TOKEN:
            spent.token_requests += 1
        response = exchange.response
        if response is not None and response.status == 429:
            spent.throttled += 1
            return
        if step.operation_id not in SEND_OPERATIONS:
            return
        read = read_send(exchange)
        if read.accepted or read.answer is Answer.REJECTED_202:
            queued = sum(1 for code in read.recipient_errorcodes if as_int(code) in (None, 0))
            spent.accepted_sends += max(queued, 1) if read.accepted else queued
        elif read.answer in (Answer.LOST, Answer.SERVER_ERROR, Answer.UNDOCUMENTED):
            spent.accepted_sends += 1  # it may have been accepted
            spent.possibly_accepted += 1

    def _earlier(self, observed: Observed) -> Observed | None:
        """The send accepted earlier with this single send's messageKey, within its window."""
        key = observed.step.message_key
        if observed.step.operation_id != SEND_TO_ONE or key is None or key not in self._accepted:
            return None
        when, earlier = self._accepted[key]
        if self._clock() - when > REUSE_WINDOW:
            del self._accepted[key]
            return None
        return earlier

    def _remember(self, observed: Observed) -> None:
        """An accepted single send's key, for a later reuse (the first acceptance counts)."""
        key = observed.step.message_key
        if observed.step.operation_id != SEND_TO_ONE or key is None or key in self._accepted:
            return
        if read_send(observed.exchange).accepted:
            self._accepted[key] = (self._clock(), observed)
            while len(self._accepted) > MAX_KEYS:
                self._accepted.popitem(last=False)

    def _record(self, observed: Observed) -> None:
        """Keep the exchange, scrubbed, in the cassette being filled; a full one is saved and
        let go, so a long session holds one cassette in memory."""
        if self._cassette_dir is None:
            return
        if self._recorder is not None and self._recorded >= MAX_INTERACTIONS_PER_CASSETTE:
            path, full = self._recorder
            self._full.append(save_cassette(full.cassette, path))
            self._recorder = None
        if self._recorder is None:
            recorder = Recorder(
                self._scrubber,
                target=self._source,
                base_url=self._base_url,
                spec_sha256=self._spec_sha256,
                recorded_at=self._started_at,
            )
            self._recorder, self._recorded = (self._cassette_path(), recorder), 0
        self._recorder[1].record(OBSERVED_TRAFFIC, observed.case_id, observed.exchange)
        self._recorded += 1

    def _cassette_path(self) -> Path:
        """A file name of its own, in the order they are filled: ``proxy-<start, UTC>-NNN.yaml``
        (001, 002, ...: sorted, as a directory of cassettes is loaded)."""
        assert self._cassette_dir is not None
        stem = f"proxy-{self._started_at:%Y%m%dT%H%M%SZ}"
        n = len(self._full) + 1
        while True:
            path = self._cassette_dir / f"{stem}-{n:03d}.yaml"
            if path not in self._full and not path.exists():
                return path
            n += 1

    # -- what the session found ------------------------------------------------------------

    @property
    def exchanges(self) -> int:
        """Exchanges handed in so far."""
        with self._lock:
            return self._number

    def save_cassettes(self) -> list[Path]:
        """Write the cassette being filled (atomically); every cassette of the session."""
        with self._lock:
            full = list(self._full)
            if self._recorder is None:
                return full
            path, cassette = self._recorder[0], self._recorder[1].cassette
        return [*full, save_cassette(cassette, path)]

    def outcome(self) -> RunOutcome:
        """The session so far, as a run's outcome: what every report renders."""
        with self._lock:
            checks = tuple(self._check(claim) for claim in self._claims)
            spent = self._spent
            return RunOutcome(
                tool_version=__version__,
                spec_sha256=self._spec_sha256,
                target=TARGET,
                base_url=self._base_url,
                seed=0,
                started_at=self._started_at.isoformat(),
                duration=round(self._clock() - self._began, 3),
                strict=self._strict,
                checks=checks,
                spending=Spending(
                    requests=spent.requests,
                    token_requests=spent.token_requests,
                    accepted_sends=spent.accepted_sends,
                    throttled=spent.throttled,
                    possibly_accepted=spent.possibly_accepted,
                ),
            )

    def _check(self, claim: Passive) -> CheckOutcome:
        tally = self._tallies[claim.check.id]
        findings = list(tally.findings)
        if tally.more:
            worst = Verdict.FAIL if Verdict.FAIL in tally.more else Verdict.OBSERVED
            message = f"… and {len(tally.more)} more findings like these"
            findings.append(Finding(worst, message, tally.more_case or "-"))
        not_judged = list(tally.not_judged)
        if tally.more_not_judged:
            reason = f"… and {tally.more_not_judged} more exchanges not judged for the same reasons"
            not_judged.append(NotJudged("-", reason))
        failed = any(f.verdict is Verdict.FAIL for f in findings)
        check = claim.check
        if not tally.judged and not not_judged:
            verdict, skip = Verdict.SKIPPED, f"not judged: {claim.unseen}"
        elif failed:
            verdict, skip = Verdict.FAIL, None
        elif not_judged:
            verdict, skip = Verdict.INCOMPLETE, None
        elif findings:
            verdict, skip = Verdict.OBSERVED, None
        else:
            verdict, skip = Verdict.PASS, None
        return CheckOutcome(
            check_id=check.id,
            title=check.title,
            category=check.category,
            claim=check.claim,
            verdict=verdict,
            cases=tally.judged,
            findings=tuple(findings),
            skip_reason=skip,
            not_judged=tuple(not_judged),
            planned=tally.judged + len(tally.not_judged) + tally.more_not_judged,
            example=tally.example if verdict is Verdict.PASS else None,
        )


def _target(request: HttpRequest) -> str:
    return request.path + (f"?{request.query}" if request.query else "")


def _status(forwarded: Forwarded, status: int | None) -> str:
    if not forwarded.reached:
        return "502 from the proxy: the upstream could not be reached"
    return "no answer" if status is None else f"{status}: forwarded, not judged, not recorded"


def _verdicts(verdicts: Mapping[str, Verdict], holding: int) -> str:
    """``FAIL SEND-REQUEST-ID; observed SEND-STATUS-CODES; 5 claims hold``."""
    parts = []
    for verdict, label in ((Verdict.FAIL, "FAIL"), (Verdict.OBSERVED, "observed")):
        named = [check_id for check_id, v in verdicts.items() if v is verdict]
        if named:
            parts.append(f"{label} {', '.join(named)}")
    if holding or not parts:
        parts.append(
            f"{holding} claim{'' if holding == 1 else 's'} hold{'s' if holding == 1 else ''}"
        )
    return "; ".join(parts)
