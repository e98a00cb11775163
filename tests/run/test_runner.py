"""The runner: what a run plans (the dry run), what it skips and why, the send budget, 429s
honoured and never judged, findings capped, and the exit code with and without --strict."""

from __future__ import annotations

import dataclasses
from typing import Any

import pytest

from sms_contract.checks import CATALOGUE
from sms_contract.checks.model import CAPABILITY_REASONS, Capability
from sms_contract.errors import HarnessError, UsageError
from sms_contract.outcomes import MAX_FINDINGS_PER_CHECK, Result, RunOutcome, Verdict
from sms_contract.run.planning import PlannedCheck, RunOptions, plan, select_checks
from sms_contract.run.runner import Runner
from sms_contract.run.targets import TargetSettings, open_target
from sms_contract.simulator.config import Deviation, Faults, SimulatorConfig
from sms_contract.strategies.keys import message_key_classes
from tests.run.conftest import live_capabilities

SEED = 7
NUMBER = "15555551234"
EVERYTHING = frozenset(Capability)
THROTTLED = "throttled: HTTP 429 after every retry (honoured, never judged)"


def options(*check_ids: str, **changes: Any) -> RunOptions:
    values: dict[str, Any] = {
        "seed": SEED,
        "examples": 2,
        "check_ids": check_ids,
        "allow_list": (NUMBER,),
        "definition_key": "account-reset",
    }
    return RunOptions(**(values | changes))


def by_id(planned: list[PlannedCheck]) -> dict[str, PlannedCheck]:
    return {item.check.id: item for item in planned}


def run_mock(run_options: RunOptions, **settings: Any) -> RunOutcome:
    """Run against the in-process mock (``settings`` go to ``TargetSettings``)."""
    with open_target(TargetSettings(**settings).resolved()) as target:
        return Runner(target, run_options).run(plan(run_options, target.capabilities))


# --- plan: the dry run --------------------------------------------------------------------


@pytest.mark.parametrize(
    ("check_id", "cases", "requests", "sends"),
    [
        ("SEND-EXAMPLE", 1, 2, 1),  # its status read stands in for a lost echo, if need be
        ("SEND-DUPLICATE-KEY", 1, 2, 2),
        ("SEND-REJECT-MALFORMED-JSON", 4, 4, 4),  # 2 named variants, 2 generated
        ("SEND-REJECT-MESSAGE-KEY-REUSED", 3, 6, 6),
        ("SEND-NO-5XX", 4, 4, 4),
        ("STATUS-AFTER-SEND", 2, 4, 2),
        ("STATUS-UNKNOWN-KEY", 1, 1, 0),
        ("TOKEN-CONTRACT", 1, 1, 0),
        ("AUTH-NO-TOKEN", 1, 1, 1),
    ],
)
def test_plan_counts_the_requests_and_billable_sends_of_each_check(
    check_id: str, cases: int, requests: int, sends: int
) -> None:
    """The dry run's numbers per check: cases, requests and sends (a status read is not
    billable; a shared send counts for every check that holds it, once in the allocation)."""
    (item,) = plan(options(check_id), EVERYTHING)
    assert (len(item.cases), item.requests, item.sends) == (cases, requests, sends)
    assert item.skip_reason is None


def test_plan_gives_echo_key_one_case_per_message_key_class() -> None:
    """SEND-ECHO-KEY sends one key of each character class (and may read its status when the
    acceptance's response was lost)."""
    (item,) = plan(options("SEND-ECHO-KEY"), EVERYTHING)
    classes = len(message_key_classes())
    assert (len(item.cases), item.requests, item.sends) == (classes, 2 * classes, classes)


def test_plan_caps_generated_cases_per_validation_rule_at_three_on_top_of_the_named() -> None:
    """A validation check plans its named variants, then min(3, --examples) generated ones."""
    (item,) = plan(options("SEND-REJECT-TO-INVALID", examples=10), EVERYTHING)
    assert [(case.id, case.optional) for case in item.cases] == [
        ("SEND-REJECT-TO-INVALID#1", False),
        ("SEND-REJECT-TO-INVALID#2", True),
        ("SEND-REJECT-TO-INVALID#3", True),
        ("SEND-REJECT-TO-INVALID#4", True),
    ]


def test_plan_is_the_whole_catalogue_in_order_when_no_check_is_named() -> None:
    """Without --check every check is planned, in catalogue order."""
    assert [item.check.id for item in plan(options(), EVERYTHING)] == list(CATALOGUE)


def test_plan_is_the_same_for_the_same_seed() -> None:
    """Planning twice with one seed gives the same cases and the same bytes."""

    def wire(planned: list[PlannedCheck]) -> list[tuple[str, str, bytes | None]]:
        return [
            (case.id, step.path, step.wire_body())
            for item in planned
            for case in item.cases
            for step in case.steps
        ]

    first = plan(options("SEND-ACCEPTED", "SEND-REJECT-WRONG-TYPE"), EVERYTHING)
    again = plan(options("SEND-ACCEPTED", "SEND-REJECT-WRONG-TYPE"), EVERYTHING)
    assert wire(first) == wire(again)


def test_plan_without_a_recipient_is_a_usage_error() -> None:
    """No allow-listed recipient: nothing can be planned."""
    with pytest.raises(UsageError, match="no recipient: give at least one --to NUMBER"):
        plan(options("SEND-EXAMPLE", allow_list=()), EVERYTHING)


# --- plan: what a target cannot do is skipped, with the reason --------------------------


def test_a_live_target_with_a_static_token_skips_the_checks_that_need_credentials() -> None:
    """Without client credentials TOKEN-* and AUTH-EXPIRED-TOKEN are skipped, saying why."""
    capabilities = live_capabilities(
        "https://mc-test.rest.marketingcloudapis.com", {"SFMC_ACCESS_TOKEN": "static-token"}
    )
    planned = by_id(plan(options(), capabilities))
    credentials = CAPABILITY_REASONS[Capability.CREDENTIALS]
    assert planned["TOKEN-CONTRACT"].skip_reason == credentials
    assert planned["TOKEN-BAD-SECRET"].skip_reason == credentials
    assert planned["AUTH-EXPIRED-TOKEN"].skip_reason == (
        f"{credentials}; {CAPABILITY_REASONS[Capability.TIME_TRAVEL]}"
    )
    assert planned["AUTH-NO-TOKEN"].skip_reason is None


def test_a_live_target_cannot_move_its_clock_so_expired_tokens_are_skipped() -> None:
    """With credentials, AUTH-EXPIRED-TOKEN is still skipped: only the simulator has a clock."""
    capabilities = live_capabilities(
        "https://mc-test.rest.marketingcloudapis.com",
        {"SFMC_CLIENT_ID": "id", "SFMC_CLIENT_SECRET": "secret"},
    )
    planned = by_id(plan(options(), capabilities))
    assert planned["AUTH-EXPIRED-TOKEN"].skip_reason == CAPABILITY_REASONS[Capability.TIME_TRAVEL]
    assert planned["TOKEN-CONTRACT"].skip_reason is None


def test_breadth_is_skipped_on_a_live_target_that_is_not_loopback() -> None:
    """Generated recipients and definition changes never go to a billed tenant."""
    capabilities = live_capabilities(
        "https://mc-test.rest.marketingcloudapis.com",
        {"SFMC_CLIENT_ID": "id", "SFMC_CLIENT_SECRET": "secret"},
    )
    (item,) = plan(options("SPEC-BREADTH"), capabilities)
    assert item.skip_reason == (
        f"{CAPABILITY_REASONS[Capability.GENERATED_SENDS]}; "
        f"{CAPABILITY_REASONS[Capability.TENANT_CHANGES]}"
    )
    assert Capability.GENERATED_SENDS not in capabilities


def test_a_loopback_live_target_may_get_generated_sends() -> None:
    """A simulator on 127.0.0.1 is not billed, so generated recipients may go there."""
    capabilities = live_capabilities("http://127.0.0.1:8080", {"SFMC_ACCESS_TOKEN": "t"})
    assert capabilities == frozenset({Capability.GENERATED_SENDS})


def test_an_extra_token_is_asked_of_a_live_target_only_when_allowed() -> None:
    """A live tenant throttles token requests: the narrow-scope token needs
    --allow-extra-token, on loopback too (a live run there behaves as against a tenant)."""
    credentials = {"SFMC_CLIENT_ID": "id", "SFMC_CLIENT_SECRET": "secret"}
    for base in ("https://mc123.rest.marketingcloudapis.com", "http://127.0.0.1:8080"):
        assert Capability.EXTRA_TOKEN not in live_capabilities(base, credentials)
        assert Capability.EXTRA_TOKEN in live_capabilities(
            base, credentials, allow_extra_token=True
        )


def test_the_mock_skips_nothing() -> None:
    """The mock can do everything a check asks for."""
    assert [item.check.id for item in plan(options(), EVERYTHING) if item.skip_reason] == []


# --- selecting checks and cases -------------------------------------------------------------


def test_an_unknown_check_id_is_a_usage_error_naming_it() -> None:
    """--check NOPE names NOPE and where to find the known ids."""
    with pytest.raises(UsageError) as caught:
        select_checks(["SEND-EXAMPLE", "NOPE"])
    assert str(caught.value) == "unknown check NOPE; run 'sms-contract checks' to list them"


def test_check_ids_are_case_insensitive_and_kept_in_the_order_given() -> None:
    """--check send-echo-key --check SEND-EXAMPLE selects those two, in that order."""
    selected = select_checks(["send-echo-key", "SEND-EXAMPLE", "SEND-EXAMPLE"])
    assert [check.id for check in selected] == ["SEND-ECHO-KEY", "SEND-EXAMPLE"]


def test_case_selection_plans_only_that_case() -> None:
    """--case from a replay line plans exactly that one case of its check."""
    (item,) = plan(
        options("SEND-REJECT-MALFORMED-JSON", case_id="SEND-REJECT-MALFORMED-JSON#2"), EVERYTHING
    )
    assert [case.id for case in item.cases] == ["SEND-REJECT-MALFORMED-JSON#2"]


def test_case_selection_without_check_keeps_only_the_owning_check() -> None:
    """--case alone drops every check that has no such case."""
    planned = plan(options(case_id="SEND-DUPLICATE-KEY#1"), EVERYTHING)
    assert [(item.check.id, len(item.cases)) for item in planned] == [("SEND-DUPLICATE-KEY", 1)]


def test_an_unknown_case_is_a_usage_error() -> None:
    """A case id that no selected check plans is refused before anything is sent."""
    with pytest.raises(UsageError, match=r"no case 'SEND-EXAMPLE#9' in the selected checks"):
        plan(options("SEND-EXAMPLE", case_id="SEND-EXAMPLE#9"), EVERYTHING)


def test_a_selected_case_runs_alone() -> None:
    """Running with --case judges that one case and sends only its requests."""
    result = run_mock(options("SEND-ACCEPTED", case_id="SEND-ACCEPTED#2"))
    (check,) = result.checks
    assert (check.verdict, check.cases) == (Verdict.PASS, 1)
    assert (result.spending.requests, result.spending.token_requests) == (2, 1)


# --- the send budget ----------------------------------------------------------------------


def test_budget_exhaustion_leaves_the_rest_not_judged_with_the_reason() -> None:
    """With --max-sends 2, the sends after the second accepted one are refused: the checks
    that needed them are INCOMPLETE, saying why, and the run exits 4."""
    result = run_mock(
        options(
            "SEND-EXAMPLE", "SEND-ACCEPTED", "SEND-DUPLICATE-KEY", "STATUS-AFTER-SEND", max_sends=2
        )
    )
    verdicts = {check.check_id: check.verdict for check in result.checks}
    assert verdicts == {
        "SEND-EXAMPLE": Verdict.PASS,
        "SEND-ACCEPTED": Verdict.INCOMPLETE,
        "SEND-DUPLICATE-KEY": Verdict.INCOMPLETE,
        "STATUS-AFTER-SEND": Verdict.PASS,
    }
    accepted = result.checks[1]
    budget = "budget: the budget of 2 accepted sends is spent"
    assert (accepted.cases, accepted.planned) == (1, 5)
    assert {n.reason for n in accepted.not_judged} == {budget}
    assert [n.reason for n in result.checks[2].not_judged] == [budget]
    assert all(check.skip_reason is None for check in result.checks)
    assert (result.spending.accepted_sends, result.spending.max_sends) == (2, 2)
    assert (result.result, result.exit_code) == (Result.INCOMPLETE, 4)


def test_allow_incomplete_exits_zero_but_the_result_stays_incomplete() -> None:
    """--allow-incomplete: a budget cut on purpose exits 0; the reports still say so."""
    result = run_mock(options("SEND-EXAMPLE", "SEND-ACCEPTED", max_sends=2, allow_incomplete=True))
    assert (result.result, result.exit_code) == (Result.INCOMPLETE, 0)


def test_a_run_that_judged_nothing_never_exits_zero() -> None:
    """Every selected check skipped for a missing capability: nothing judged, exit 4 even
    with --allow-incomplete."""
    capabilities = live_capabilities(
        "https://mc-test.rest.marketingcloudapis.com", {"SFMC_ACCESS_TOKEN": "t"}
    )
    planned = plan(options("AUTH-EXPIRED-TOKEN", allow_incomplete=True), capabilities)
    with open_target(TargetSettings().resolved()) as target:
        result = Runner(target, options("AUTH-EXPIRED-TOKEN", allow_incomplete=True)).run(planned)
    assert [c.verdict for c in result.checks] == [Verdict.SKIPPED]
    assert result.judged_nothing
    assert (result.result, result.exit_code) == (Result.INCOMPLETE, 4)


def test_request_budget_counts_token_requests_too() -> None:
    """--max-requests 2: the token request and one send; the rest is not judged."""
    result = run_mock(options("SEND-EXAMPLE", "SEND-ACCEPTED", max_requests=2))
    example, accepted = result.checks
    assert example.verdict is Verdict.PASS
    assert accepted.verdict is Verdict.INCOMPLETE
    assert {n.reason for n in accepted.not_judged} == {"budget: the request budget (2) is spent"}
    assert (result.spending.requests, result.spending.token_requests) == (2, 1)


# --- 429 is honoured, never judged --------------------------------------------------------


def test_a_429_after_every_retry_is_throttled_and_never_a_failure() -> None:
    """Every REST request answered 429 and no retries: nothing is a failure, the run stops
    sending after three throttled requests in a row, and it is INCOMPLETE (exit 4)."""
    result = run_mock(
        options(), retries=0, simulator=SimulatorConfig(faults=Faults(rate_limit_every=1))
    )
    assert [c.check_id for c in result.checks if c.verdict is Verdict.FAIL] == []
    reasons = {n.reason for c in result.checks for n in c.not_judged}
    assert THROTTLED in reasons
    assert result.stopped is not None
    assert result.stopped.startswith("throttled: the target answered 429 to 3 requests in a row")
    # A 429 is never judged: the checks of the REST routes only have nothing to judge; those
    # that cover the token endpoint (not throttled here) judged its answer.
    rest_only = {"SEND-NO-5XX", "SEND-REQUEST-ID", "SEND-ERRORCODE"}
    assert {(c.verdict, c.cases) for c in result.checks if c.check_id in rest_only} == {
        (Verdict.INCOMPLETE, 0)
    }
    spent = result.spending
    assert spent.throttled == 3
    assert spent.accepted_sends == 0
    assert (result.result, result.exit_code) == (Result.INCOMPLETE, 4)


def test_a_429_is_retried_after_retry_after_and_the_case_judged() -> None:
    """Every second request is 429: the client waits Retry-After and the checks still pass."""
    result = run_mock(
        options("SEND-EXAMPLE", "SEND-DUPLICATE-KEY", "AUTH-NO-TOKEN"),
        simulator=SimulatorConfig(faults=Faults(rate_limit_every=2)),
    )
    assert sorted((c.check_id, c.verdict) for c in result.checks) == [
        ("AUTH-NO-TOKEN", Verdict.PASS),
        ("SEND-DUPLICATE-KEY", Verdict.PASS),
        ("SEND-EXAMPLE", Verdict.PASS),
    ]
    # Three REST requests (the example send is shared): the 2nd and 4th REST attempts were 429
    # and each was sent again.
    assert (result.spending.requests, result.spending.throttled) == (6, 2)
    assert result.exit_code == 0


# --- findings, verdicts and the exit code -----------------------------------------------------


def test_findings_are_capped_with_a_count_of_the_rest() -> None:
    """More than 25 findings: the first 25 are kept and one more says how many were left out."""
    result = run_mock(
        options("SEND-ACCEPTED", examples=30),
        simulator=SimulatorConfig(deviations=frozenset({Deviation.STATUS_CHANGED})),
    )
    (check,) = result.checks
    assert check.cases == 35  # the five shared sends, then 30 generated ones
    assert len(check.findings) == MAX_FINDINGS_PER_CHECK + 1
    last = check.findings[-1]
    assert (last.verdict, last.message) == (Verdict.FAIL, "… and 10 more findings like these")
    assert [f.case_id for f in check.findings[:3]] == [
        "SEND-ACCEPTED#1",
        "SEND-ACCEPTED#2",
        "SEND-ACCEPTED#3",
    ]


def test_a_failure_carries_scrubbed_evidence_and_replay_commands() -> None:
    """A finding holds the request and response, a curl line and a replay per target kind."""
    result = run_mock(
        options("AUTH-NO-TOKEN"),
        simulator=SimulatorConfig(deviations=frozenset({Deviation.IGNORE_AUTH})),
    )
    (finding,) = result.checks[0].failures
    (evidence,) = finding.evidence
    assert evidence.response is not None
    assert evidence.response["status"] == 202
    assert NUMBER not in str(evidence.request)
    assert evidence.curl.startswith("curl -X POST ")
    assert finding.replay["mock"] == (
        f"sms-contract run --target mock --seed {SEED} --examples 2 --check AUTH-NO-TOKEN "
        "--case 'AUTH-NO-TOKEN#1'"
    )
    assert finding.replay["live"].startswith("sms-contract run --target live ")


def test_an_observation_exits_zero_unless_strict() -> None:
    """An observed verdict is no violation; under --strict it is."""
    relaxed = run_mock(options("STATUS-UNKNOWN-KEY"))
    strict = run_mock(options("STATUS-UNKNOWN-KEY", strict=True))
    assert [c.verdict for c in relaxed.checks] == [Verdict.OBSERVED]
    assert (relaxed.violated, relaxed.exit_code) == (False, 0)
    assert (strict.violated, strict.exit_code) == (True, 1)


def test_a_failure_exits_one() -> None:
    """A violated claim makes the run's exit code 1."""
    result = run_mock(
        options("SEND-REQUEST-ID", "SEND-EXAMPLE"),
        simulator=SimulatorConfig(deviations=frozenset({Deviation.MISSING_REQUEST_ID})),
    )
    assert [(c.check_id, c.verdict) for c in result.checks] == [
        ("SEND-REQUEST-ID", Verdict.FAIL),
        ("SEND-EXAMPLE", Verdict.PASS),
    ]
    assert result.exit_code == 1


def test_a_cross_cutting_check_judges_the_exchanges_of_other_checks() -> None:
    """SEND-CONTENT-TYPE judges SEND-EXAMPLE's exchange too, not only its own cases."""
    result = run_mock(
        options("SEND-EXAMPLE", "SEND-CONTENT-TYPE"),
        simulator=SimulatorConfig(deviations=frozenset({Deviation.WRONG_CONTENT_TYPE})),
    )
    content_type = result.checks[1]
    # The token response, the shared example send (sent once, owned by SEND-EXAMPLE#1), and
    # the check's own refused probe.
    assert content_type.cases == 3
    assert sorted({f.case_id for f in content_type.failures}) == [
        "SEND-CONTENT-TYPE#2",
        "SEND-EXAMPLE#1",
    ]


def test_the_same_check_named_twice_in_any_case_runs_once() -> None:
    """--check SEND-EXAMPLE --check send-example selects SEND-EXAMPLE once."""
    assert [c.id for c in select_checks(["SEND-EXAMPLE", "send-example"])] == ["SEND-EXAMPLE"]


def test_a_token_response_without_expires_in_fails_token_contract_and_the_run_goes_on() -> None:
    """A token without expires_in (or rest_instance_url): TOKEN-CONTRACT fails with evidence;
    the client still uses the token, so the other checks are judged (exit 1, not 3)."""
    config = SimulatorConfig(deviations=frozenset({Deviation.TOKEN_MISSING_FIELDS}))
    result = run_mock(options("TOKEN-CONTRACT", "SEND-EXAMPLE"), simulator=config)
    token, example = result.checks
    assert token.verdict is Verdict.FAIL
    assert [f.message.split(" (")[0] for f in token.findings] == [
        "expires_in is missing or not a positive integer",
        "rest_instance_url is missing",
    ]
    assert example.verdict is Verdict.PASS
    assert result.spending.token_requests == 1  # the run's one token is the one judged
    assert result.exit_code == 1


def test_strict_check_promotes_only_the_named_checks_observation() -> None:
    """--strict-check STATUS-UNKNOWN-KEY: its observation fails; another observation does not."""
    named = run_mock(
        options("STATUS-UNKNOWN-KEY", "SEND-EXAMPLE", strict_checks=("status-unknown-key",))
    )
    unknown, example = named.checks
    assert (unknown.verdict, example.verdict) == (Verdict.FAIL, Verdict.PASS)
    assert [f.message[:9] for f in unknown.findings] == ["(strict) "]
    assert named.exit_code == 1
    other = run_mock(options("STATUS-UNKNOWN-KEY", strict_checks=("SEND-EXAMPLE",)))
    assert (other.checks[0].verdict, other.exit_code) == (Verdict.OBSERVED, 0)


def test_a_fault_of_the_harness_itself_exits_3_not_2() -> None:
    """A case the plan should never have given this target (an expired token where the clock
    cannot move) is the harness's own fault: HarnessError, exit code 3, not a usage error."""
    run_options = options("AUTH-EXPIRED-TOKEN")
    with open_target(TargetSettings().resolved()) as target:
        planned = plan(run_options, target.capabilities)
        clockless = dataclasses.replace(target, advance_clock=None)
        with pytest.raises(HarnessError) as caught:
            Runner(clockless, run_options).run(planned)
    assert caught.value.exit_code == 3
    assert not isinstance(caught.value, UsageError)


def test_a_retry_after_that_would_pass_the_deadline_ends_the_run_incomplete() -> None:
    """Retry-After is honoured within the deadline: a wait that would pass --max-time is not
    waited; nothing more is sent, and the run ends INCOMPLETE with 'deadline' reasons."""
    result = run_mock(
        options("SEND-EXAMPLE", "SEND-ECHO-KEY", max_time=10.0),
        simulator=SimulatorConfig(faults=Faults(rate_limit_every=1, retry_after=30)),
    )
    assert result.stopped is not None
    assert result.stopped.startswith("deadline: waiting 30 s (Retry-After or backoff) would pass")
    reasons = {n.reason.split(":")[0] for check in result.checks for n in check.not_judged}
    assert reasons == {"deadline"}
    assert result.spending.requests == 2  # the token, and the first (throttled) send
    assert (result.result, result.exit_code) == (Result.INCOMPLETE, 4)
