"""Planning a run: which checks, which cases, and what each will send. Pure: the same options
and capabilities give the same plan, so ``--dry-run`` prints exactly what a run would send."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from sms_contract.checks import CATALOGUE
from sms_contract.checks.model import CAPABILITY_REASONS, Capability, Case, Check, PlanContext
from sms_contract.errors import UsageError


@dataclass(frozen=True)
class RunOptions:
    seed: int
    examples: int = 5
    check_ids: tuple[str, ...] = ()
    case_id: str | None = None
    strict: bool = False  # every "observed" verdict counts as a violation
    strict_checks: tuple[str, ...] = ()  # only these checks' "observed" verdicts do
    max_sends: int | None = None
    max_requests: int | None = None
    allow_list: tuple[str, ...] = ()
    definition_key: str = "account-reset"
    nonce: str = "sc0"


@dataclass(frozen=True)
class PlannedCheck:
    check: Check
    cases: tuple[Case, ...]
    skip_reason: str | None = None

    @property
    def requests(self) -> int:
        return sum(len(case.steps) for case in self.cases)

    @property
    def sends(self) -> int:
        return sum(1 for case in self.cases for step in case.steps if step.billable)


def select_checks(check_ids: Sequence[str]) -> list[Check]:
    """The checks named (all of them when none is), refusing an unknown id with the known ones."""
    if not check_ids:
        return list(CATALOGUE.values())
    unknown = [cid for cid in check_ids if cid.upper() not in CATALOGUE]
    if unknown:
        raise UsageError(
            f"unknown check {', '.join(unknown)}; run 'sms-contract checks' to list them"
        )
    return [CATALOGUE[cid] for cid in dict.fromkeys(cid.upper() for cid in check_ids)]


def plan(options: RunOptions, capabilities: frozenset[Capability]) -> list[PlannedCheck]:
    """What the run will send, check by check; pure, so ``--dry-run`` shows exactly this."""
    if not options.allow_list:
        raise UsageError("no recipient: give at least one --to NUMBER")
    ctx = PlanContext(
        seed=options.seed,
        examples=options.examples,
        definition_key=options.definition_key,
        allow_list=options.allow_list,
        nonce=options.nonce,
    )
    planned = []
    for check in select_checks(options.check_ids):
        cases = tuple(check.plan(ctx))
        if options.case_id is not None:
            cases = tuple(case for case in cases if case.id == options.case_id)
        missing = {need for case in cases for need in case.requires} - capabilities
        if missing:
            reason = "; ".join(CAPABILITY_REASONS[need] for need in sorted(missing))
            planned.append(PlannedCheck(check, cases, skip_reason=reason))
        else:
            planned.append(PlannedCheck(check, cases))
    if options.case_id is not None and not any(p.cases for p in planned):
        raise UsageError(f"no case {options.case_id!r} in the selected checks")
    return [p for p in planned if p.cases or options.case_id is None]
