"""What a run produces: verdicts per check, the findings behind them, and the run as a whole.

Pure data, no I/O: the runner builds it, the reporters render it, the CLI maps it to an exit code.
Evidence is stored already scrubbed (sms_contract.redaction), so no reporter can leak a secret.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any


class Verdict(StrEnum):
    """pass: as documented. fail: contradicts a documented claim. observed: the documentation is
    silent or contradicts itself, so the report records what the target did (a failure only
    under ``--strict``). skipped: the check did not run here, with the reason why."""

    PASS = "pass"
    FAIL = "fail"
    OBSERVED = "observed"
    SKIPPED = "skipped"


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
class CheckOutcome:
    check_id: str
    title: str
    category: Category
    claim: Claim
    verdict: Verdict
    cases: int
    findings: tuple[Finding, ...] = ()
    skip_reason: str | None = None
    duration: float = 0.0

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

    def count(self, verdict: Verdict) -> int:
        return sum(1 for check in self.checks if check.verdict is verdict)

    @property
    def violated(self) -> bool:
        if any(check.verdict is Verdict.FAIL for check in self.checks):
            return True
        return self.strict and any(check.verdict is Verdict.OBSERVED for check in self.checks)

    @property
    def exit_code(self) -> int:
        return 1 if self.violated else 0
