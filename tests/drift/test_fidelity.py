"""``sms-contract fidelity``: the simulator against recorded cassettes; the shipped recordings
are what recordings/README.md says they are, and the simulator answers them as recorded."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
import yaml

from sms_contract.cli.main import main
from sms_contract.drift.fidelity import check_fidelity
from sms_contract.recordings.cassettes import load_recordings
from sms_contract.run.recording import recordable_checks
from sms_contract.simulator.config import Deviation, SimulatorConfig

SHIPPED = Path(__file__).resolve().parents[2] / "recordings" / "simulator"
RERECORD = (
    "stale recordings: run 'sms-contract record --cassette-dir recordings/simulator --seed 7'"
)
EXAMPLE = "POST /messaging/v1/sms/messages/f4fe74b7-c3c0-4e5a-9f49-b63a641109a2-example-{nonce}"


@pytest.fixture
def copy(tmp_path: Path) -> Path:
    """A copy of the shipped recordings to edit."""
    return Path(shutil.copytree(SHIPPED, tmp_path / "recordings"))


def _edit(path: Path, index: int, dotted: str, value: object) -> None:
    data = yaml.safe_load(path.read_text(encoding="utf-8"))
    *parents, leaf = dotted.split(".")
    node = data["interactions"][index]
    for name in parents:
        node = node[name]
    if value is None:
        del node[leaf]
    else:
        node[leaf] = value
    path.write_text(yaml.safe_dump(data, sort_keys=False, allow_unicode=True), encoding="utf-8")


def test_the_shipped_recordings_are_the_simulator_recorded_as_the_readme_says() -> None:
    """One cassette per deterministic check, each from the simulator, seed 7, nonce s7."""
    cassettes = load_recordings(SHIPPED)
    names = sorted(path.name for path in SHIPPED.glob("*.yaml"))
    # TOKEN-CONTRACT judges the run's own token response, recorded under the case that asked
    # for it: it has no cassette of its own.
    own = [check_id for check_id in recordable_checks() if check_id != "TOKEN-CONTRACT"]
    assert names == sorted(f"{check_id}.yaml" for check_id in own), RERECORD
    assert {c.provenance.target.value for c in cassettes} == {"simulator"}
    runs = {c.provenance.run for c in cassettes}
    assert {(run.seed, run.nonce) for run in runs if run is not None} == {(7, "s7")}
    assert None not in runs
    readme = (SHIPPED.parent / "README.md").read_text(encoding="utf-8")
    assert "sms-contract record --cassette-dir recordings/simulator --seed 7\n" in readme


def test_the_simulator_answers_the_shipped_recordings_as_recorded(
    capsys: pytest.CaptureFixture[str],
) -> None:
    """fidelity on the shipped recordings: every recorded interaction compared, no difference,
    exit 0."""
    report = check_fidelity(load_recordings(SHIPPED))
    code = main(["fidelity", "--cassette-dir", str(SHIPPED)])
    out = capsys.readouterr().out.splitlines()
    assert report.items == (), RERECORD
    assert report.not_compared == ()
    assert report.compared > 2 * len(recordable_checks())
    assert code == 0
    summary = f"{report.compared} recorded interactions compared, 0 differences, 0 not compared"
    assert out[1] == summary
    assert out[-1] == "result: OK"


def test_a_recording_edited_to_another_status_is_reported_with_both_statuses(
    copy: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """A recorded 202 changed to 200: fidelity names the case, the request and 200 -> 202,
    and exits 1."""
    _edit(copy / "SEND-EXAMPLE.yaml", 0, "response.status", 200)
    code = main(["fidelity", "--cassette-dir", str(copy), "--check", "SEND-EXAMPLE"])
    out = capsys.readouterr().out.splitlines()
    assert code == 1
    assert out[1:] == [
        "1 recorded interactions compared, 1 differences, 0 not compared",
        f"CHANGED SEND-EXAMPLE#1: {EXAMPLE}",
        "  status 200 -> 202",
        "result: DIFFERENT from the recordings",
    ]


def test_a_recording_edited_in_errorcode_and_fields_is_reported_by_json_path(
    copy: Path,
) -> None:
    """A recorded errorcode changed and requestId removed: both named, recorded -> fresh."""
    path = copy / "SEND-EXAMPLE.yaml"
    _edit(path, 0, "response.json.errorcode", 109001)
    _edit(path, 0, "response.json.requestId", None)
    report = check_fidelity(load_recordings(copy), check_ids=["SEND-EXAMPLE"])
    assert [(item.case_id, item.details) for item in report.items] == [
        ("SEND-EXAMPLE#1", ("errorcode 109001 -> 0", "$.requestId added (string)"))
    ]


def test_a_recorded_request_the_plan_no_longer_sends_is_listed(copy: Path) -> None:
    """A recorded request body edited: fidelity cannot compare it and says which field."""
    _edit(copy / "SEND-EXAMPLE.yaml", 0, "request.json.definitionKey", "edited")
    report = check_fidelity(load_recordings(copy), check_ids=["SEND-EXAMPLE"])
    assert [(item.kind.value, item.details) for item in report.items] == [
        ("request-changed", ("body $.definitionKey: recorded 'edited', sent '{definition}'",))
    ]


def test_a_simulator_that_changed_is_reported_against_the_shipped_recordings() -> None:
    """A simulator answering accepted sends with 200: every accepted send of SEND-ACCEPTED
    is listed with 202 -> 200, the shared sends it reads (recorded under the echo check's
    cases) and its own."""
    changed = SimulatorConfig(deviations=frozenset({Deviation.STATUS_CHANGED}))
    report = check_fidelity(
        load_recordings(SHIPPED), check_ids=["SEND-ACCEPTED"], simulator=changed
    )
    assert [item.details for item in report.items] == [("status 202 -> 200",)] * 10
    assert sorted(item.case_id for item in report.items) == sorted(
        [
            *(f"SEND-ECHO-KEY#{n}" for n in range(1, 6)),
            *(f"SEND-ACCEPTED#{n}" for n in range(6, 11)),
        ]
    )
