"""Issue 10, the rest of the API: batch sends, the notSent list, 403 for a narrower scope, content
at the segment boundaries, and the documentation's conflicts read both ways, each judged inside
the live send budget. The catalogue's pass/fail rows are in tests/checks/test_catalogue.py;
these are the planning, budgeting, paging and safety behaviours behind them."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from sms_contract.checks.model import Capability, Phase
from sms_contract.client.config import ClientConfig
from sms_contract.client.sms_client import SmsClient
from sms_contract.outcomes import Verdict
from sms_contract.run.defaults import LIVE_MAX_REQUESTS, LIVE_MAX_SENDS
from sms_contract.run.planning import MARGIN, RunOptions, allocate, plan
from sms_contract.simulator.config import ASYNC_RULES, SimulatorConfig
from sms_contract.spec.rules import may_name_a_subscriber
from sms_contract.spec.sms_text import is_gsm7, message_units, segment_count
from sms_contract.strategies.boundaries import UNICODE_ATTRIBUTES
from tests.run.conftest import DEFINITION, NUMBER, MockRunner, cli, live_argv, served

LIVE = frozenset({Capability.CREDENTIALS})  # a tenant, no flags
SEEDS = (1, 2, 3)


def _live_plan(seed: int = 1, *check_ids: str, **changes: Any) -> Any:
    options = RunOptions(
        seed=seed,
        check_ids=check_ids,
        allow_list=(NUMBER,),
        definition_key=DEFINITION,
        max_sends=LIVE_MAX_SENDS,
        max_requests=LIVE_MAX_REQUESTS,
        **changes,
    )
    return options, plan(options, LIVE | {Capability.EXTRA_TOKEN})


def _cases(planned: Any, check_id: str) -> list[Any]:
    (item,) = [p for p in planned if p.check.id == check_id]
    return list(item.cases)


# --- the budget ---------------------------------------------------------------------------------


@pytest.mark.parametrize("seed", SEEDS)
def test_the_whole_catalogue_fits_the_default_budget_of_a_target_that_validates_later(
    seed: int,
) -> None:
    """A conformant target that accepts every probe the spec admits (and rejects it later)
    spends at most the budget less its margin: every named case is judged, none is cut."""
    options, planned = _live_plan(seed)
    allocation = allocate(planned, options)
    assert allocation.conformant_sends <= LIVE_MAX_SENDS - MARGIN
    assert [case for case in allocation.dropped if "BATCH" in case or "CONTENT" in case] == []


def test_content_boundaries_ride_on_the_shared_sends_and_cost_nothing() -> None:
    """SEND-CONTENT's cases read the echo check's shared sends: with or without it the plan
    spends the same."""
    options, planned = _live_plan(1)
    without = [p for p in planned if p.check.id != "SEND-CONTENT"]
    every = allocate(planned, options)
    assert allocate(without, options).conformant_sends == every.conformant_sends
    assert all(case.steps[0].shared for case in _cases(planned, "SEND-CONTENT"))


def test_a_batch_counts_once_per_recipient_against_the_budget(mock: MockRunner) -> None:
    """The documented two-recipient batch with one send left is refused before sending
    (not judged: budget), and the simulator accepted nothing."""
    run = mock(SimulatorConfig(), "SEND-BATCH-ACCEPTED", max_sends=1)
    check = run.check("SEND-BATCH-ACCEPTED")
    assert check.verdict is Verdict.INCOMPLETE
    assert [n.reason for n in check.not_judged] == [
        "budget: the budget of 1 accepted sends is spent"
    ]
    assert run.counters.accepted_sends == 0
    _, planned = _live_plan(1, "SEND-BATCH-ACCEPTED")
    (case,) = _cases(planned, "SEND-BATCH-ACCEPTED")
    assert (case.steps[0].conformant_sends, case.steps[0].most_sends) == (2, 2)


def test_a_recipient_beside_recipients_counts_as_one_more_possible_message() -> None:
    """A probe a conformant target refuses, but that could deliver to all three recipients."""
    _, planned = _live_plan(1, "SEND-BATCH-RECIPIENT-AND-RECIPIENTS")
    (case,) = _cases(planned, "SEND-BATCH-RECIPIENT-AND-RECIPIENTS")
    assert case.phase is Phase.PROBE
    assert (case.steps[0].conformant_sends, case.steps[0].most_sends) == (0, 3)


# --- live safety --------------------------------------------------------------------------------


def _json_of(step: Any) -> Any:
    try:
        return json.loads(step.wire_body() or b"")
    except (ValueError, UnicodeDecodeError):
        return None  # a malformed-JSON probe: no recipient in it


@pytest.mark.parametrize("seed", SEEDS)
def test_no_planned_live_send_leaves_a_real_subscriber_without_a_number(seed: int) -> None:
    """A recipient without ``to`` could be delivered to the number on file; every such
    recipient the live plan sends carries the harness's own contactKey."""
    _, planned = _live_plan(seed, examples=5)
    numberless = 0
    for item in planned:
        if item.skip_reason is not None:
            continue  # not sent (generated breadth: the mock and loopback only)
        for case in item.cases:
            for step in case.steps:
                body = _json_of(step) if step.billable else None
                if not isinstance(body, dict):
                    continue
                recipients = [body.get("recipient"), *(body.get("recipients") or [])]
                numberless += sum(1 for r in recipients if isinstance(r, dict) and "to" not in r)
                assert not [r for r in recipients if may_name_a_subscriber(r)], case.id
    assert numberless > 0  # to-missing's "to removed" and the batch's bad recipient


# --- content ------------------------------------------------------------------------------------


@pytest.mark.parametrize("seed", SEEDS)
def test_the_content_boundaries_are_sent_on_every_seed(seed: int) -> None:
    """160 and 161 GSM-7 septets, 70 and 71 UCS-2 units (one part, two parts), and the
    Unicode attributes, whatever the seed."""
    _, planned = _live_plan(seed, "SEND-CONTENT")
    bodies = [
        json.loads(case.steps[0].wire_body() or b"") for case in _cases(planned, "SEND-CONTENT")
    ]
    messages = [body["content"]["message"] for body in bodies]
    shape = [(is_gsm7(m), message_units(m), segment_count(m)) for m in messages]
    assert shape == [(True, 160, 1), (False, 70, 1), (True, 161, 2), (False, 71, 2)]
    assert bodies[0]["recipient"]["attributes"] == UNICODE_ATTRIBUTES


# --- notSent ------------------------------------------------------------------------------------


def _fill_not_sent(base_url: str, count: int) -> None:
    """``count`` sends the simulator accepts and then does not send (to-invalid, deferred)."""
    config = ClientConfig(
        client_id=SimulatorConfig().credentials.client_id,
        client_secret=SimulatorConfig().credentials.client_secret,
        auth_base_url=base_url,
    )
    with SmsClient(config) as client:
        for n in range(count):
            body = {
                "definitionKey": DEFINITION,
                "recipient": {"contactKey": f"sms-contract-fill-{n}", "to": "not-a-number"},
            }
            client.send_to_one(body, message_key=f"fill-{n}")


@pytest.mark.loopback
def test_a_message_not_sent_is_found_past_the_first_page_of_the_list(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    """With 130 older not-sent messages, the run's own is on the second page of 100: the list
    is read on with lastEventId and NOT-SENT passes; the pages asked for are on the wire."""
    with served(monkeypatch, SimulatorConfig(async_rules=ASYNC_RULES)) as wire:
        _fill_not_sent(wire.base_url, 130)
        argv = live_argv(wire.base_url, "--check", "NOT-SENT", "--seed", "1")
        code, _ = cli([*argv, "--report-dir", str(tmp_path)])
        pages = [t for m, t in wire.requests if m == "GET" and "type=notSent" in t]
    report = json.loads((tmp_path / "report.json").read_text(encoding="utf-8"))
    (check,) = report["checks"]
    assert (code, check["verdict"], check["cases"]) == (0, "pass", 2), check
    assert [page for page in pages if "lastEventId=" in page]


def test_a_dry_run_warns_when_the_budget_is_smaller_than_a_conformant_target_spends(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    """--max-sends 5 cannot hold the named cases: the dry run says so, and how to fix it; the
    default budget gives no warning."""
    with served(monkeypatch, SimulatorConfig()) as wire:
        argv = [
            *live_argv(wire.base_url, "--dry-run", "--seed", "1"),
            "--report-dir",
            str(tmp_path),
        ]
        _, small = cli([*argv, "--max-sends", "5"])
        _, default = cli(argv)
        assert wire.requests == []
    warning = [line for line in small.splitlines() if line.startswith("warning: ")]
    assert warning == [
        "warning: a conformant target accepts 14 sends and the budget is 5: the cases past it "
        "will not be judged (INCOMPLETE, exit 4); raise --max-sends or select fewer checks with "
        "--check"
    ]
    assert "warning: " not in default


# --- the conflicts, read both ways --------------------------------------------------------------


@pytest.mark.parametrize("deferred", [frozenset(), ASYNC_RULES], ids=["at-once", "later"])
def test_a_target_that_sends_to_a_contact_key_alone_is_observed_not_failed(
    deferred: frozenset[str], mock: MockRunner
) -> None:
    """The SDKs' reading ([CONFLICT] recipient.to required): "to removed" accepted and sent is
    observed, naming the conflict; an empty ``to`` is still refused (the spec refuses it under
    both readings), so the check holds."""
    config = SimulatorConfig(to_optional=True, async_rules=deferred)
    run = mock(config, "SEND-REJECT-TO-MISSING")
    check = run.check("SEND-REJECT-TO-MISSING")
    assert check.verdict is Verdict.OBSERVED, check.findings
    assert check.complete
    assert "SEND-REJECT-TO-MISSING#1" in {finding.case_id for finding in check.findings}
    for finding in check.findings:  # the named "to removed" and the generated ones like it
        assert finding.verdict is Verdict.OBSERVED
        assert "[CONFLICT] 'recipient.to required'" in finding.message
