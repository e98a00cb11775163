"""What a run produces: verdicts per check, the findings behind them, and the run as a whole.

Pure data, no I/O: the runner builds it, the reporters render it, the CLI maps it to an exit code.
Evidence is stored already scrubbed (sms_contract.redaction), so no reporter can leak a secret.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any

MAX_FINDINGS_PER_CHECK = 25  # a check's findings kept in full; the rest are counted

EXIT_OK = 0
EXIT_VIOLATED = 1
EXIT_INCOMPLETE = 4
EXIT_INTERRUPTED = 130  # 128 + SIGINT, as shells report a command stopped by Ctrl-C
INTERRUPTED = "interrupted:"
"""How ``RunOutcome.stopped`` begins when a signal (SIGINT, SIGTERM) stopped the run."""


class Verdict(StrEnum):
    """pass: as documented. fail: contradicts a documented claim. observed: the documentation is
    silent or contradicts itself, so the report records what the target did (a failure only
    under ``--strict``). skipped: the check cannot run on this target (it needs a capability
    the target lacks), with the reason why. incomplete: the check could run but some or all of
    its cases were not judged (the budget, throttling, the deadline or the transport), each
    with the reason why: never a pass."""

    PASS = "pass"
    FAIL = "fail"
    OBSERVED = "observed"
    SKIPPED = "skipped"
    INCOMPLETE = "incomplete"


class Result(StrEnum):
    """The run as a whole: every selected claim judged and held (ok), a claim violated
    (failed), or not everything judged (incomplete)."""

    OK = "ok"
    FAILED = "failed"
    INCOMPLETE = "incomplete"


class Category(StrEnum):
    STATUS = "status codes"
    CONTENT_TYPE = "content type"
    SCHEMA = "response schema"
    IDENTITY = "request and message identity"
    VALIDATION = "input validation"
    ROBUSTNESS = "robustness"
    AUTH = "authentication"
    IDEMPOTENCY = "idempotency"
    TOKEN = "token endpoint"
    DELIVERY = "send status"
    EXAMPLES = "documented examples"
    DEFINITIONS = "send definitions"
    BREADTH = "generated breadth"


@dataclass(frozen=True)
class Claim:
    """A documented claim: what the documentation says, and where."""

    text: str
    source: str
    quote: str
    documented: bool = True  # False: the docs are silent or conflict; the verdict is "observed"


@dataclass(frozen=True)
class Evidence:
    """A scrubbed exchange: what was sent, what came back, and how to send it again."""

    request: Mapping[str, Any]
    response: Mapping[str, Any] | None
    curl: str


@dataclass(frozen=True)
class Finding:
    """One thing a check found on one case: a violation, or an observation."""

    verdict: Verdict
    message: str
    case_id: str
    evidence: tuple[Evidence, ...] = ()
    replay: Mapping[str, str] = field(default_factory=dict)  # target kind -> command line


@dataclass(frozen=True)
class NotJudged:
    """A case that was planned and could not be judged, and why (in plain words, starting
    with what stood in the way: ``budget: ...``, ``throttled: ...``, ``deadline: ...``,
    ``transport: ...``, ``interrupted: ...``, ``not judged: ...``)."""

    case_id: str
    reason: str


@dataclass(frozen=True)
class CheckOutcome:
    check_id: str
    title: str
    category: Category
    claim: Claim
    verdict: Verdict
    cases: int
    findings: tuple[Finding, ...] = ()
    skip_reason: str | None = None  # only for SKIPPED: the capability the target lacks
    duration: float = 0.0
    not_judged: tuple[NotJudged, ...] = ()  # cases (or claims) that could not be judged
    planned: int = 0  # cases planned (``cases`` of them were judged)
    sends: int = 0  # accepted sends its own cases spent (a shared send: its owner's check)
    # Only for PASS: one scrubbed exchange the claim was judged on (the API at work, as
    # documented), so that a report reads as executable documentation.
    example: Evidence | None = None

    @property
    def complete(self) -> bool:
        """Every planned case of a check that ran was judged."""
        return self.verdict is not Verdict.INCOMPLETE and not self.not_judged

    @property
    def failures(self) -> tuple[Finding, ...]:
        return tuple(f for f in self.findings if f.verdict is Verdict.FAIL)

    @property
    def observations(self) -> tuple[Finding, ...]:
        return tuple(f for f in self.findings if f.verdict is Verdict.OBSERVED)


@dataclass(frozen=True)
class Spending:
    """What a run spent against its target; the budget it was given."""

    requests: int = 0
    token_requests: int = 0
    accepted_sends: int = 0
    max_sends: int | None = None
    max_requests: int | None = None
    throttled: int = 0  # 429 answers, honoured and never counted as violations
    possibly_accepted: int = 0  # of accepted_sends, answers that may have been accepted


@dataclass(frozen=True)
class RunOutcome:
    tool_version: str
    spec_sha256: str
    target: str  # "mock" or "live"
    base_url: str
    seed: int
    started_at: str  # ISO 8601, UTC
    duration: float
    strict: bool
    checks: tuple[CheckOutcome, ...]
    spending: Spending = Spending()
    allow_incomplete: bool = False  # --allow-incomplete: an incomplete run exits 0
    stopped: str | None = None  # why the run stopped sending before its plan was done

    def count(self, verdict: Verdict) -> int:
        return sum(1 for check in self.checks if check.verdict is verdict)

    @property
    def interrupted(self) -> bool:
        """A signal (SIGINT, SIGTERM) stopped the run: ``stopped`` says which and when."""
        return self.stopped is not None and self.stopped.startswith(INTERRUPTED)

    @property
    def violated(self) -> bool:
        if any(check.verdict is Verdict.FAIL for check in self.checks):
            return True
        return self.strict and any(check.verdict is Verdict.OBSERVED for check in self.checks)

    @property
    def judged_nothing(self) -> bool:
        """No case of any check was judged (every check skipped, or nothing answered)."""
        return all(check.cases == 0 for check in self.checks)

    @property
    def incomplete(self) -> tuple[CheckOutcome, ...]:
        """The checks that ran but could not judge all they planned."""
        return tuple(
            check
            for check in self.checks
            if check.verdict is not Verdict.SKIPPED and not check.complete
        )

    @property
    def result(self) -> Result:
        if self.violated:
            return Result.FAILED
        if self.incomplete or self.judged_nothing:
            return Result.INCOMPLETE
        return Result.OK

    @property
    def exit_code(self) -> int:
        """0 every selected claim was judged and held; 1 a claim was violated; 4 not every
        claim could be judged (0 with ``--allow-incomplete``, unless nothing was judged);
        130 a signal stopped the run, whatever it found until then."""
        if self.interrupted:
            return EXIT_INTERRUPTED
        result = self.result
        if result is Result.FAILED:
            return EXIT_VIOLATED
        if result is Result.INCOMPLETE and (self.judged_nothing or not self.allow_incomplete):
            return EXIT_INCOMPLETE
        return EXIT_OK
