"""Planning a run: which checks, which cases, what each will send, and how the send budget is
allocated. Pure: the same options and capabilities give the same plan, so ``--dry-run`` prints
exactly what a run would send. A check the target cannot run is skipped before its cases are
generated (``Check.requires``), and the plan is generated once: what did not fit the budget is
kept beside it (``PlannedCheck.dropped``) for ``allocate`` to report.

The allocation (``allocate``): a conformant target accepts the valid sends and refuses the
probes, so what a run spends is its accepted sends (a shared send counted once, whatever number
of claims read it) plus the probes of rules the platform may apply only after accepting (a
conformant target may accept those). When that is more than ``--max-sends``, the generated
cases planned on top of the named ones (``Case.optional``) are dropped, last phase first, until
it fits; a probe that only a non-conformant target accepts spends budget only if it does, and
the worst case (every probe accepted) is reported beside it.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace

from sms_contract.checks import CATALOGUE
from sms_contract.checks.model import (
    CAPABILITY_REASONS,
    Capability,
    Case,
    Check,
    Phase,
    PlanContext,
    Step,
)
from sms_contract.errors import HarnessError, UsageError

MARGIN = 1  # sends of the budget that generated cases leave free (``_fit``)


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
    max_time: float | None = None  # seconds; past them nothing new is sent
    status_wait: float = 30.0  # seconds a status read waits for the platform
    allow_incomplete: bool = False  # an incomplete run exits 0
    concurrency: int = 1  # cases of one phase in flight at once (live targets; 1: in order)


@dataclass(frozen=True)
class PlannedCheck:
    check: Check
    cases: tuple[Case, ...]
    skip_reason: str | None = None  # the target cannot run it: nothing was generated
    not_planned: str | None = None  # why its cases were not planned (``interrupted: ...``)
    dropped: tuple[Case, ...] = ()  # its generated cases left out to fit the budget (``_fit``)

    @property
    def requests(self) -> int:
        """Requests of its cases, shared sends included (counted once per run: ``allocate``)."""
        return sum(len(case.steps) for case in self.cases)

    @property
    def sends(self) -> int:
        """Billable steps of its cases (a shared one counts here for every check holding it)."""
        return sum(1 for case in self.cases for step in case.steps if step.billable)


@dataclass(frozen=True)
class SharedSend:
    """A send made once and read by several claims."""

    shared: str
    owner: tuple[str, str]  # (check, case) that sends it and whose recording holds it
    readers: tuple[str, ...]  # every check that reads its answer


@dataclass(frozen=True)
class Allocation:
    """What the run will spend of its budget, case by case (``--dry-run`` prints it)."""

    shared: tuple[SharedSend, ...]
    spending: tuple[str, ...]  # cases whose own (unshared) send a conformant target accepts
    may_accept: tuple[str, ...]  # probes a conformant target may accept (spend if it does)
    probes: int  # billable requests a conformant target refuses (spend only if accepted)
    conformant_sends: int  # what a conformant target makes the run spend
    worst_sends: int  # if every probe were accepted as well
    requests: int  # requests planned (shared sends once; no retries, polls or tokens)
    max_sends: int | None
    dropped: tuple[str, ...]  # generated cases left out to fit the budget


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


def plan(
    options: RunOptions,
    capabilities: frozenset[Capability],
    *,
    interrupted: Callable[[], str | None] = lambda: None,
) -> list[PlannedCheck]:
    """What the run will send, check by check; pure, so ``--dry-run`` shows exactly this.
    Generated cases that would not fit the send budget are left out (``PlannedCheck.dropped``,
    reported by ``allocate``).

    A check whose ``requires`` the target lacks is skipped (``skip_reason`` names what it
    lacks) without calling its ``plan``: it generates nothing. With ``--case`` such a check
    stays in the plan, skipped, when the case id names it (``CHECK-ID#n``): whether the case
    exists would take generating it.

    ``interrupted`` is asked before each check is planned: once it names a signal, the checks
    left are not planned (``not_planned`` says why) and the run sends nothing."""
    if not options.allow_list:
        raise UsageError("no recipient: give at least one --to NUMBER")
    ctx = PlanContext(
        seed=options.seed,
        examples=options.examples,
        definition_key=options.definition_key,
        allow_list=options.allow_list,
        nonce=options.nonce,
        max_sends=options.max_sends,
    )
    planned = []
    for check in select_checks(options.check_ids):
        signal = interrupted()
        if signal is not None:
            reason = f"interrupted: {signal} received while the run was planned; nothing was sent"
            planned.append(PlannedCheck(check, (), not_planned=reason))
            continue
        missing = check.requires - capabilities
        if missing:
            reason = "; ".join(CAPABILITY_REASONS[need] for need in sorted(missing))
            planned.append(PlannedCheck(check, (), skip_reason=reason))
            continue
        cases = _declared(check, check.plan(ctx))
        if options.case_id is not None:
            cases = tuple(case for case in cases if case.id == options.case_id)
        planned.append(PlannedCheck(check, cases))
    stopped = any(p.not_planned for p in planned)

    def holds_case(item: PlannedCheck) -> bool:
        if item.skip_reason is not None:
            return options.case_id is not None and _names(options.case_id, item.check)
        return bool(item.cases)

    if options.case_id is not None and not stopped and not any(map(holds_case, planned)):
        raise UsageError(f"no case {options.case_id!r} in the selected checks")
    # With --case, a check named with --check that judges every exchange of the run (a
    # cross-cutting one) stays planned without cases of its own: it judges that case's
    # exchanges (the replay line of its failure on another check's case names both checks).
    planned = [
        p
        for p in planned
        if holds_case(p)
        or p.not_planned
        or options.case_id is None
        or (options.check_ids and p.check.judge_exchange is not None)
    ]
    return _fit(planned, options.max_sends)


def _declared(check: Check, cases: Sequence[Case]) -> tuple[Case, ...]:
    """``cases``, refused if one needs more than its check declares: the check was let run on
    what it declared (``Check.requires``)."""
    for case in cases:
        if not case.requires <= check.requires:
            extra = ", ".join(sorted(case.requires - check.requires))
            raise HarnessError(f"case {case.id} needs {extra}, which {check.id} does not declare")
    return tuple(cases)


def _names(case_id: str, check: Check) -> bool:
    """A case id names its check: ``CHECK-ID#n``."""
    return case_id.partition("#")[0] == check.id


@dataclass(frozen=True)
class Replayable:
    """A plan cut down to what recordings hold (``recorded_only``)."""

    planned: tuple[PlannedCheck, ...]
    left_out: tuple[str, ...]  # cases of recorded checks that the recordings do not hold
    unrecorded: tuple[str, ...]  # checks with nothing recorded: the simulator answers them


def recorded_only(
    planned: Sequence[PlannedCheck], recorded: frozenset[tuple[str, str]]
) -> Replayable:
    """The plan of a replay: of a recorded check, only its recorded cases (a recording made
    within a send budget left generated cases out: the replay leaves out the same); a check
    with nothing recorded is kept whole, for the simulator to answer. A case counts as
    recorded when an interaction is recorded under its own (check, case) or under the owner
    of a shared send it reads; a check, when the recordings hold an interaction of it or one
    of its cases counts as recorded."""
    checks = {check_id for check_id, _ in recorded}

    def holds(case: Case) -> bool:
        owners = {case.owner} | {step.owner for step in case.steps if step.owner is not None}
        return bool(owners & recorded)

    kept: list[PlannedCheck] = []
    left_out: list[str] = []
    unrecorded: list[str] = []
    for item in planned:
        if item.skip_reason is not None or item.not_planned is not None:
            kept.append(item)
            continue
        cases = tuple(case for case in item.cases if holds(case))
        if not cases and item.check.id not in checks:
            kept.append(item)
            if item.cases:
                unrecorded.append(item.check.id)
            continue
        left_out += [case.id for case in item.cases if not holds(case)]
        kept.append(replace(item, cases=cases))
    return Replayable(tuple(kept), tuple(left_out), tuple(unrecorded))


def schedule(planned: Sequence[PlannedCheck]) -> list[tuple[PlannedCheck, Case]]:
    """The order cases are sent in: phase by phase, catalogue order within a phase."""
    order = [
        (case.phase, n, m, item, case)
        for n, item in enumerate(planned)
        if item.skip_reason is None
        for m, case in enumerate(item.cases)
    ]
    order.sort(key=lambda entry: (entry[0], entry[1], entry[2]))
    return [(item, case) for _, _, _, item, case in order]


def _runnable(planned: Sequence[PlannedCheck]) -> list[Case]:
    return [case for item, case in schedule(planned)]


def _cost(cases: Sequence[Case]) -> tuple[int, int]:
    """(sends a conformant target makes the run spend, if every probe were accepted too)."""
    seen: set[str] = set()
    conformant = worst = 0
    for case in cases:
        for step in case.steps:
            if not step.billable:
                continue
            if step.shared is not None:
                if step.shared in seen:
                    continue
                seen.add(step.shared)
            worst += step.most_sends
            if case.phase is Phase.MAY_ACCEPT:
                conformant += step.most_sends
            else:
                conformant += step.conformant_sends
    return conformant, worst


def _fit(planned: list[PlannedCheck], max_sends: int | None) -> list[PlannedCheck]:
    """Drop generated cases (last phase first) until a conformant target's spending leaves
    one send of the budget free: room for an answer that may have been an acceptance (a lost
    response whose retry is accepted counts twice). What is dropped is kept beside the plan
    (``PlannedCheck.dropped``)."""
    if max_sends is None:
        return planned
    room = max(max_sends - MARGIN, 0)
    dropped: set[tuple[str, str]] = set()
    optional = [case for case in reversed(_runnable(planned)) if case.optional]
    while optional:
        kept = [case for case in _runnable(planned) if case.owner not in dropped]
        if _cost(kept)[0] <= room:
            break
        dropped.add(optional.pop(0).owner)
    if not dropped:
        return planned
    return [
        replace(
            item,
            cases=tuple(c for c in item.cases if c.owner not in dropped),
            dropped=tuple(c for c in item.cases if c.owner in dropped),
        )
        for item in planned
    ]


def allocate(planned: Sequence[PlannedCheck], options: RunOptions) -> Allocation:
    """How ``planned`` (what ``plan`` gave for ``options``, or a part of it) spends its budget
    (module doc); pure, for ``--dry-run`` and reports. The budget is ``options.max_sends``;
    what the plan left out to fit it is listed from the plan itself (``PlannedCheck.dropped``,
    in sending order), so nothing is planned again."""
    cases = _runnable(planned)
    readers: dict[str, list[str]] = {}
    owners: dict[str, tuple[str, str]] = {}
    spending: list[str] = []
    may_accept: list[str] = []
    probes = requests = 0
    seen: set[str] = set()
    for case in cases:
        for step in case.steps:
            if step.shared is not None:
                readers.setdefault(step.shared, [])
                if case.check_id not in readers[step.shared]:
                    readers[step.shared].append(case.check_id)
                owners.setdefault(step.shared, step.owner or case.owner)
                if step.shared in seen:
                    continue
                seen.add(step.shared)
            requests += 1
            if not step.billable:
                continue
            if step.spends_if_conformant and step.shared is None:
                spending.append(case.id)
            elif case.phase is Phase.MAY_ACCEPT and not step.spends_if_conformant:
                may_accept.append(case.id)
            elif not step.spends_if_conformant:
                probes += 1
    conformant, worst = _cost(cases)
    dropped = tuple(case.id for case in _runnable([replace(p, cases=p.dropped) for p in planned]))
    sends = {step.shared for case in cases for step in case.steps if step.billable}
    shared = tuple(
        SharedSend(name, owners[name], tuple(readers[name]))
        for name in readers
        if name in seen and name in sends
    )
    return Allocation(
        shared=shared,
        spending=tuple(spending),
        may_accept=tuple(may_accept),
        probes=probes,
        conformant_sends=conformant,
        worst_sends=worst,
        requests=requests,
        max_sends=options.max_sends,
        dropped=dropped,
    )


def steps_of(planned: Sequence[PlannedCheck]) -> list[Step]:
    """Every step the run will send, each shared step once, in sending order."""
    seen: set[str] = set()
    steps = []
    for case in _runnable(planned):
        for step in case.steps:
            if step.shared is not None:
                if step.shared in seen:
                    continue
                seen.add(step.shared)
            steps.append(step)
    return steps
