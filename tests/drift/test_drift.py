"""``sms-contract drift``: a simulator on loopback changed in one behaviour is reported against
the shipped recordings with the exact status, field or header; what did not change is not;
and the pure comparison of two answers."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from sms_contract.cli.main import main
from sms_contract.drift.response_diff import errorcode_changes, response_changes, shape_changes
from sms_contract.recordings.cassettes import RecordedResponse
from sms_contract.simulator.app import Simulator
from sms_contract.simulator.config import Credentials, Deviation, SimulatorConfig
from sms_contract.simulator.server import serve_in_thread

SHIPPED = Path(__file__).resolve().parents[2] / "recordings" / "simulator"
CLIENT_ID = "drift-client-id-4f"
CLIENT_SECRET = "drift-client-secret-9q"
EXAMPLE = "POST /messaging/v1/sms/messages/f4fe74b7-c3c0-4e5a-9f49-b63a641109a2-example-{nonce}"


@pytest.fixture(autouse=True)
def live_environment(clean_cli_environment: pytest.MonkeyPatch) -> None:
    """The loopback simulator's credentials, and nothing else of the machine's."""
    clean_cli_environment.setenv("SFMC_CLIENT_ID", CLIENT_ID)
    clean_cli_environment.setenv("SFMC_CLIENT_SECRET", CLIENT_SECRET)


def _drift(deviations: frozenset[Deviation], *extra: str) -> int:
    # The tenant's definition key differs from the recorded one: drift compares anyway.
    config = SimulatorConfig.with_definition(
        "tenant-definition",
        credentials=Credentials(CLIENT_ID, CLIENT_SECRET),
        deviations=deviations,
    )
    with serve_in_thread(Simulator(config)) as server:
        base = server.base_url
        live = ["--target", "live", "--base-url", base, "--auth-url", base]
        recipient = ["--to", "15555550142", "--definition-key", "tenant-definition"]
        return main(["drift", "--cassette-dir", str(SHIPPED), *live, *recipient, *extra])


@pytest.mark.parametrize(
    ("deviation", "detail"),
    [
        (Deviation.STATUS_CHANGED, "status 202 -> 200"),
        (Deviation.EXTRA_FIELD, "$.trackingId added (string)"),
        (Deviation.ERRORCODE_MISSING, "$.errorcode removed (number)"),
        (
            Deviation.WRONG_CONTENT_TYPE,
            "Content-Type 'application/json; charset=utf-8' -> 'text/plain; charset=utf-8'",
        ),
    ],
    ids=lambda value: value.cli_name if isinstance(value, Deviation) else "",
)
def test_a_changed_behaviour_is_named_exactly_and_exits_1(
    deviation: Deviation, detail: str, capsys: pytest.CaptureFixture[str]
) -> None:
    """One deviation of the loopback simulator: drift names the case, the request and the
    exact status, field or header that changed, and exits 1."""
    code = _drift(frozenset({deviation}), "--check", "SEND-EXAMPLE")
    out = capsys.readouterr().out.splitlines()
    changed = out.index(f"CHANGED SEND-EXAMPLE#1: {EXAMPLE}")
    assert code == 1
    assert out[changed + 1] == f"  {detail}"
    assert out[-1] == "result: DRIFT: the target no longer answers as recorded"


def test_a_status_that_changed_also_breaks_the_spec(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """200 for an accepted send is undocumented: the spec axis says so, in drift.json too."""
    code = _drift(frozenset({Deviation.STATUS_CHANGED}), "--check", "SEND-EXAMPLE")
    capsys.readouterr()
    document = json.loads((tmp_path / "reports" / "drift.json").read_text("utf-8"))
    spec = [d for d in document["differences"] if d["kind"] == "spec"]
    assert code == 1
    assert document["breaking"] is True
    assert [d["case_id"] for d in spec] == ["SEND-EXAMPLE#1"]
    assert spec[0]["details"][0].startswith(
        "sendSmsToSingleRecipient: $: status 200 is not documented; documented: 202,"
    )


def test_drift_names_the_checks_that_drifted_and_that_failed_by_id(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """A deviation that breaks two checks: the terminal, drift.md and drift.json list both
    checks by id, as drifted and as failed in the fresh run, in the order they ran."""
    code = _drift(
        frozenset({Deviation.STATUS_CHANGED}), "--check", "SEND-EXAMPLE", "--check", "SEND-ECHO-KEY"
    )
    out = capsys.readouterr().out.splitlines()
    markdown = (tmp_path / "reports" / "drift.md").read_text("utf-8")
    document = json.loads((tmp_path / "reports" / "drift.json").read_text("utf-8"))
    assert code == 1
    assert "drifted: 2 checks: SEND-EXAMPLE, SEND-ECHO-KEY" in out
    assert "failed in the fresh run: 2 checks: SEND-EXAMPLE, SEND-ECHO-KEY" in out
    assert "- checks that drifted: `SEND-EXAMPLE`, `SEND-ECHO-KEY`" in markdown
    assert "- checks that failed in the fresh run: `SEND-EXAMPLE`, `SEND-ECHO-KEY`" in markdown
    assert document["drifted_checks"] == ["SEND-EXAMPLE", "SEND-ECHO-KEY"]
    assert document["failed_checks"] == ["SEND-EXAMPLE", "SEND-ECHO-KEY"]


def test_a_conformant_simulator_shows_no_drift_and_writes_the_report_section(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """No deviation: exit 0, nothing changed; drift.md and drift.json are written, and what
    could not be compared on a live target (a clock to move, a second token, tenant changes)
    is listed as such."""
    code = _drift(frozenset(), "--max-sends", "40", "--report-dir", "out")
    out = capsys.readouterr().out.splitlines()
    markdown = (tmp_path / "out" / "drift.md").read_text("utf-8")
    document = json.loads((tmp_path / "out" / "drift.json").read_text("utf-8"))
    assert code == 0
    assert (document["breaking"], document["differences"]) == (False, [])
    assert document["not_compared"] == [
        {
            "check_id": "AUTH-EXPIRED-TOKEN",
            "case_id": "AUTH-EXPIRED-TOKEN#1",
            "reason": "needs to move the target's clock (only the simulator can; a real token "
            "lives 20 minutes)",
        },
        {
            "check_id": "AUTH-INSUFFICIENT-SCOPE",
            "case_id": "AUTH-INSUFFICIENT-SCOPE#1",
            "reason": "requests a second token (with a narrower scope) beside the run's one, and "
            "the vendor throttles token requests; runs against a live tenant only with "
            "--allow-extra-token",
        },
        {
            "check_id": "DEFINITIONS-LIFECYCLE",
            "case_id": "DEFINITIONS-LIFECYCLE#1",
            "reason": "changes the tenant's configuration; runs against mock only unless "
            "--allow-tenant-changes is given",
        },
    ]
    assert markdown.startswith("## Drift\n")
    assert "**no drift**" in markdown
    assert "- checks that drifted: none" in markdown
    assert "- checks that failed in the fresh run: none" in markdown
    assert (document["drifted_checks"], document["failed_checks"]) == ([], [])
    assert not any(line.startswith(("drifted:", "failed in the fresh run:")) for line in out)
    assert out[-1] == "result: OK"


def test_cases_past_the_send_budget_are_not_compared_rather_than_drift(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """--max-sends 1: the second accepted send is refused by the budget; its cases are listed
    as not compared and nothing counts as drift."""
    code = _drift(frozenset(), "--check", "SEND-ACCEPTED", "--max-sends", "1")
    capsys.readouterr()
    document = json.loads((tmp_path / "reports" / "drift.json").read_text("utf-8"))
    assert code == 0
    assert document["compared"] == 1
    # The shared sends SEND-ACCEPTED reads are recorded under the echo check's cases; its
    # generated sends on top were left out of a plan with a budget of one.
    assert [n["case_id"] for n in document["not_compared"]] == [
        *(f"SEND-ACCEPTED#{n}" for n in range(6, 11)),
        *(f"SEND-ECHO-KEY#{n}" for n in range(2, 6)),
    ]


def test_drift_mentions_diff_spec_for_the_spec_axis(capsys: pytest.CaptureFixture[str]) -> None:
    """--help points at diff-spec for comparing two spec versions."""
    with pytest.raises(SystemExit):
        main(["drift", "--help"])
    assert "'sms-contract diff-spec OLD NEW'" in capsys.readouterr().out


# --- the comparison of two answers -------------------------------------------------------------


def test_shape_names_added_removed_and_retyped_fields_once_each() -> None:
    """A removed object is one line (not one per child); types are JSON types."""
    recorded = {"a": 1, "gone": {"x": 1, "y": [1]}, "list": [{"k": "v"}], "t": "s"}
    fresh = {"a": 1.5, "new": None, "list": [{"k": 2}], "t": ["s"]}
    assert shape_changes(recorded, fresh) == [
        "$.gone removed (object)",
        "$.new added (null)",
        "$.t retyped string -> array",
        "$.list[].k retyped string -> number",
    ]


def test_an_empty_array_hides_no_field_and_invents_none() -> None:
    """[] against [{...}] compares the array, not the elements it lacks."""
    assert shape_changes({"responses": [{"errorcode": 0}]}, {"responses": []}) == []


def test_errorcodes_are_compared_at_every_depth_and_the_oauth_error_at_the_top() -> None:
    """Top-level errorcode, per-recipient errorcode, and OAuth error values."""
    recorded = {"errorcode": 0, "responses": [{"errorcode": 0}], "error": "invalid_client"}
    fresh = {"errorcode": 109001, "responses": [{"errorcode": 30001}], "error": "invalid_grant"}
    assert errorcode_changes(recorded, fresh) == [
        "errorcode 0 -> 109001",
        "errorcode at $.responses[].errorcode 0 -> 30001",
        "error 'invalid_client' -> 'invalid_grant'",
    ]


def test_a_lost_response_and_a_text_body_are_named() -> None:
    """No response on one side is a status line; JSON turned into text is a retyped body."""
    json_answer = RecordedResponse(202, {"Content-Type": "application/json"}, {"errorcode": 0})
    text_answer = RecordedResponse(202, {"Content-Type": "application/json"}, body="ok")
    assert response_changes(json_answer, None) == ["status 202 -> (response lost)"]
    assert response_changes(json_answer, text_answer) == ["$ retyped object -> text"]
