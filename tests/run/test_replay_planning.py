"""What a replay line and a replay of recordings plan: the failing check beside the case it
failed on, the flags that made it a failure, and of recorded checks only what was recorded."""

from __future__ import annotations

import shlex

from sms_contract.checks.model import Capability
from sms_contract.run.planning import RunOptions, plan, recorded_only
from sms_contract.simulator.config import SimulatorConfig

from .conftest import NUMBER, MockRunner

EVERYTHING = frozenset(Capability)
ALLOW_LIST = ("15555550142", "15555550199")  # not the mock's stand-ins


def _options(*check_ids: str, case_id: str | None = None) -> RunOptions:
    return RunOptions(seed=3, allow_list=(NUMBER,), check_ids=check_ids, case_id=case_id)


def test_a_cross_cutting_check_named_beside_another_checks_case_stays_planned_to_judge_it() -> None:
    """--check SEND-REQUEST-ID --check SEND-EXAMPLE --case SEND-EXAMPLE#1 plans that one case
    and keeps SEND-REQUEST-ID, with no case of its own, to judge its exchanges."""
    planned = plan(
        _options("SEND-REQUEST-ID", "SEND-EXAMPLE", case_id="SEND-EXAMPLE#1"), EVERYTHING
    )
    assert [(p.check.id, [c.id for c in p.cases]) for p in planned] == [
        ("SEND-REQUEST-ID", []),
        ("SEND-EXAMPLE", ["SEND-EXAMPLE#1"]),
    ]


def test_a_replay_plans_only_the_recorded_cases_of_a_recorded_check() -> None:
    """Of a check with recorded cases only those are planned (the others are named as left
    out); a case reading a shared send recorded under another check counts as recorded; a
    check with nothing recorded is planned whole, for the simulator (and named)."""
    planned = plan(_options("SEND-ECHO-KEY", "SEND-ACCEPTED", "AUTH-NO-TOKEN"), EVERYTHING)
    recorded = frozenset(
        {("SEND-ECHO-KEY", "SEND-ECHO-KEY#1"), ("SEND-ECHO-KEY", "SEND-ECHO-KEY#2")}
    )
    replay = recorded_only(planned, recorded)
    cases = {p.check.id: [c.id for c in p.cases] for p in replay.planned}
    assert cases["SEND-ECHO-KEY"] == ["SEND-ECHO-KEY#1", "SEND-ECHO-KEY#2"]
    # SEND-ACCEPTED#1 and #2 read the shared sends SEND-ECHO-KEY#1 and #2 send.
    assert cases["SEND-ACCEPTED"] == ["SEND-ACCEPTED#1", "SEND-ACCEPTED#2"]
    assert cases["AUTH-NO-TOKEN"] == ["AUTH-NO-TOKEN#1"]
    assert "SEND-ECHO-KEY#3" in replay.left_out
    assert "SEND-ACCEPTED#3" in replay.left_out
    assert replay.unrecorded == ("AUTH-NO-TOKEN",)


def test_the_replay_line_of_a_strict_failure_carries_the_strict_flag(mock: MockRunner) -> None:
    """An observation made a failure by --strict-check replays with --strict-check, so the
    replay fails too; the mock line with two recipients names two fictional numbers."""
    run = mock(
        SimulatorConfig(),
        "STATUS-UNKNOWN-KEY",
        strict_checks=("STATUS-UNKNOWN-KEY",),
        allow_list=ALLOW_LIST,
    )
    (finding,) = run.check("STATUS-UNKNOWN-KEY").findings
    mock_line, live_line = shlex.split(finding.replay["mock"]), finding.replay["live"]
    assert "--strict-check STATUS-UNKNOWN-KEY" in finding.replay["mock"]
    assert "--strict-check STATUS-UNKNOWN-KEY" in live_line
    assert [mock_line[n + 1] for n, arg in enumerate(mock_line) if arg == "--to"] == [
        "15555551234",
        "15555551235",
    ]
    assert live_line.count("--to NUMBER") == 2
    assert not any(number in finding.replay["mock"] + live_line for number in ALLOW_LIST)
