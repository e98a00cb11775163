"""What a target cannot run is decided before anything is generated: a check declares what it
needs (``Check.requires``), the plan skips it without calling its ``plan``, and the cases of
every check need no more than it declares. The plan is generated once: what the send budget
leaves out is read from it, not planned again."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import replace

import pytest

from sms_contract.checks import CATALOGUE
from sms_contract.checks.model import (
    CAPABILITY_REASONS,
    Capability,
    Case,
    Check,
    PlanContext,
)
from sms_contract.errors import HarnessError, UsageError
from sms_contract.run.planning import RunOptions, allocate, plan, schedule
from tests.run.conftest import live_capabilities

NUMBER = "15555551234"
EVERYTHING = frozenset(Capability)


# A live tenant with client credentials: no clock, no tenant changes, no extra token, and
# nothing generated may be sent to it.
TENANT = live_capabilities(
    "https://mc-test.rest.marketingcloudapis.com",
    {"SFMC_CLIENT_ID": "id", "SFMC_CLIENT_SECRET": "secret"},
)
CONTEXTS = [
    PlanContext(seed=seed, examples=examples, definition_key="account-reset", allow_list=numbers)
    for seed, examples, numbers in (
        (1, 5, (NUMBER,)),
        (7, 2, (NUMBER, "15555550100", "15555550101")),
        (20240611, 1, ("15555550100",)),
    )
]


def options(*check_ids: str, **overrides: object) -> RunOptions:
    values: dict[str, object] = {"seed": 1, "allow_list": (NUMBER,), "check_ids": check_ids}
    values.update(overrides)
    return RunOptions(**values)  # type: ignore[arg-type]


@pytest.fixture
def planned_checks(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """Every catalogue check's ``plan`` wrapped to record the id of each check planned."""
    calls: list[str] = []

    def counting(check: Check) -> Callable[[PlanContext], Sequence[Case]]:
        def plan_and_count(ctx: PlanContext) -> Sequence[Case]:
            calls.append(check.id)
            return check.plan(ctx)

        return plan_and_count

    for check_id, check in list(CATALOGUE.items()):
        monkeypatch.setitem(CATALOGUE, check_id, replace(check, plan=counting(check)))
    return calls


def _refusing(check: Check) -> Check:
    def refuse(ctx: PlanContext) -> Sequence[Case]:
        raise AssertionError(f"{check.id} was planned")

    return replace(check, plan=refuse)


# --- skipped checks generate nothing ------------------------------------------------------------


def test_a_check_the_target_cannot_run_is_skipped_without_its_plan_being_called(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """SPEC-BREADTH on a live tenant: skipped with the reasons it always had, and its planner
    (here one that raises) is never called, so no Schemathesis case is generated."""
    monkeypatch.setitem(CATALOGUE, "SPEC-BREADTH", _refusing(CATALOGUE["SPEC-BREADTH"]))
    (item,) = plan(options("SPEC-BREADTH"), TENANT)
    assert item.skip_reason == (
        f"{CAPABILITY_REASONS[Capability.GENERATED_SENDS]}; "
        f"{CAPABILITY_REASONS[Capability.TENANT_CHANGES]}"
    )
    assert (item.cases, item.requests, item.sends) == ((), 0, 0)


def test_only_the_checks_a_target_can_run_are_planned(planned_checks: list[str]) -> None:
    """On a live tenant the whole catalogue plans every check it runs, each once, and none of
    the checks it skips (a static token skips those needing credentials as well)."""
    static_token = live_capabilities(
        "https://mc-test.rest.marketingcloudapis.com", {"SFMC_ACCESS_TOKEN": "token"}
    )
    for capabilities in (TENANT, static_token):
        planned_checks.clear()
        planned = plan(options(), capabilities)
        skipped = {item.check.id for item in planned if item.skip_reason is not None}
        assert skipped == {c.id for c in CATALOGUE.values() if not c.requires <= capabilities}
        assert sorted(planned_checks) == sorted(c for c in CATALOGUE if c not in skipped)
        assert "SPEC-BREADTH" in skipped


def test_with_a_case_of_a_skipped_check_the_check_stays_skipped_and_unplanned(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """``--case SPEC-BREADTH#3`` on a live tenant reports the check skipped, as it did when
    its cases were generated first; the case id names the check, so nothing is generated."""
    monkeypatch.setitem(CATALOGUE, "SPEC-BREADTH", _refusing(CATALOGUE["SPEC-BREADTH"]))
    planned = plan(options(case_id="SPEC-BREADTH#3"), TENANT)
    assert [(item.check.id, item.cases) for item in planned] == [("SPEC-BREADTH", ())]
    assert planned[0].skip_reason is not None


def test_a_case_no_check_names_is_still_a_usage_error() -> None:
    """A case id whose check is not selected, or does not exist, names no case of the plan."""
    with pytest.raises(UsageError, match="no case 'SPEC-BREADTH#3' in the selected checks"):
        plan(options("SEND-EXAMPLE", case_id="SPEC-BREADTH#3"), TENANT)
    with pytest.raises(UsageError, match="no case 'SEND-EXAMPLE#9' in the selected checks"):
        plan(options(case_id="SEND-EXAMPLE#9"), EVERYTHING)


# --- declared and per-case requirements agree ---------------------------------------------------


@pytest.mark.parametrize("ctx", CONTEXTS, ids=lambda ctx: f"seed-{ctx.seed}")
def test_every_case_needs_no_more_than_its_check_declares(ctx: PlanContext) -> None:
    """Planned with a context where everything is allowed, every case of every check needs a
    subset of what its check declares, and together they need all of it (a check is never
    skipped for a capability none of its cases needs). Each case id names its check."""
    for check in CATALOGUE.values():
        cases = check.plan(ctx)
        assert cases, check.id
        for case in cases:
            assert case.requires <= check.requires, case.id
            assert (case.check_id, case.id.partition("#")[0]) == (check.id, check.id)
        assert frozenset().union(*(case.requires for case in cases)) == check.requires, check.id


def test_a_case_that_needs_more_than_its_check_declares_is_refused(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """A check let run on what it declared cannot then send a case that needs more."""
    check = CATALOGUE["SEND-EXAMPLE"]

    def needing_a_clock(ctx: PlanContext) -> Sequence[Case]:
        clock = frozenset({Capability.TIME_TRAVEL})
        return [replace(case, requires=clock) for case in check.plan(ctx)]

    monkeypatch.setitem(CATALOGUE, check.id, replace(check, plan=needing_a_clock))
    with pytest.raises(HarnessError, match="needs time-travel, which SEND-EXAMPLE does not"):
        plan(options("SEND-EXAMPLE"), EVERYTHING)


# --- generated once: the budget's cut is read from the plan -------------------------------------


@pytest.mark.parametrize("max_sends", [3, 8, 15])
def test_what_the_budget_leaves_out_is_the_unbounded_plan_beyond_the_fitted_one(
    max_sends: int, planned_checks: list[str]
) -> None:
    """``allocate`` lists, in sending order, exactly the cases an unbounded plan has and the
    fitted one does not, without planning anything again."""
    fitted = plan(options(max_sends=max_sends), TENANT)
    planned_checks.clear()
    allocation = allocate(fitted, options(max_sends=max_sends))
    assert planned_checks == []
    kept = {case.owner for _, case in schedule(fitted)}
    unbounded = [case for _, case in schedule(plan(options(), TENANT))]
    assert allocation.dropped == tuple(c.id for c in unbounded if c.owner not in kept)
    assert allocation.dropped
