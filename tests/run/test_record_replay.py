"""``sms-contract record`` then ``sms-contract run --cassette-dir``: what is written, and that
replaying a recording gives the verdicts of the run that made it."""

from __future__ import annotations

import json
import shlex
from pathlib import Path

import pytest
import yaml

from sms_contract.checks import CATALOGUE
from sms_contract.cli.main import main
from sms_contract.simulator.app import Simulator
from sms_contract.simulator.config import Credentials, Deviation, SimulatorConfig
from sms_contract.simulator.server import serve_in_thread

CLIENT_ID = "recording-client-id-3k"
CLIENT_SECRET = "recording-client-secret-8p"
NUMBER = "15555550142"
pytestmark = pytest.mark.usefixtures("clean_cli_environment")


def _verdicts(report: Path) -> dict[str, str]:
    checks = json.loads(report.read_text(encoding="utf-8"))["checks"]
    return {check["id"]: check["verdict"] for check in checks}


def _record_on_loopback(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path, deviations: frozenset[Deviation]
) -> tuple[Path, Path]:
    monkeypatch.setenv("SFMC_CLIENT_ID", CLIENT_ID)
    monkeypatch.setenv("SFMC_CLIENT_SECRET", CLIENT_SECRET)
    config = SimulatorConfig(
        credentials=Credentials(CLIENT_ID, CLIENT_SECRET), deviations=deviations
    )
    cassettes, reports = tmp_path / "cassettes", tmp_path / "recorded"
    with serve_in_thread(Simulator(config)) as server:
        base = server.base_url
        live = ["--target", "live", "--base-url", base, "--auth-url", base, "--to", NUMBER]
        budget = ["--definition-key", "account-reset", "--max-sends", "60", "--seed", "5"]
        out = ["--cassette-dir", str(cassettes), "--report-dir", str(reports)]
        code = main(["record", *live, *budget, *out])
    assert code == 0
    monkeypatch.delenv("SFMC_CLIENT_ID")
    monkeypatch.delenv("SFMC_CLIENT_SECRET")
    return cassettes, reports / "report.json"


@pytest.mark.parametrize(
    "deviations",
    [frozenset(), frozenset({Deviation.MISSING_REQUEST_ID, Deviation.ACCEPT_DUPLICATE_KEY})],
    ids=["conformant", "misbehaving"],
)
def test_replaying_a_recording_gives_the_verdicts_of_the_run_that_made_it(
    monkeypatch: pytest.MonkeyPatch,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    deviations: frozenset[Deviation],
) -> None:
    """Every recorded check gets the same verdict replayed on the mock as live on loopback,
    failures included (the mock's own simulator is conformant: the answers are replayed)."""
    cassettes, recorded_report = _record_on_loopback(monkeypatch, tmp_path, deviations)
    replayed_dir = tmp_path / "replayed"
    code = main(["run", "--cassette-dir", str(cassettes), "--report-dir", str(replayed_dir)])
    out = capsys.readouterr().out
    recorded = {k: v for k, v in _verdicts(recorded_report).items() if v != "skipped"}
    replayed = _verdicts(replayed_dir / "report.json")
    assert "seed 5 (reproduce with --seed 5)" in out  # the recorded seed, by default
    assert {check_id: replayed[check_id] for check_id in recorded} == recorded
    failed = sorted(k for k, v in recorded.items() if v == "fail")
    if deviations:
        assert failed == [
            "SEND-DUPLICATE-KEY",
            "SEND-REJECT-MESSAGE-KEY-REUSED",
            "SEND-REQUEST-ID",
            "SEND-RESPONSE-SCHEMA",
            "STATUS-AFTER-SEND",  # its status body lacks requestId too: off its schema
        ]
        assert code == 1
    else:
        assert (failed, code) == ([], 0)
    # every check but the four a live run skips: SPEC-BREADTH and DEFINITIONS-LIFECYCLE (no
    # --allow-tenant-changes), AUTH-EXPIRED-TOKEN (no clock) and AUTH-INSUFFICIENT-SCOPE (no
    # --allow-extra-token)
    assert len(recorded) == len(CATALOGUE) - 4


def test_record_writes_one_tagged_cassette_per_check_with_its_provenance(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """Against the mock: DIR/<CHECK>.yaml, interactions tagged with check and case, and a
    provenance naming the simulator and the run's seed, nonce and examples."""
    out_dir = tmp_path / "out"
    checks = ["--check", "SEND-DUPLICATE-KEY", "--check", "AUTH-EXPIRED-TOKEN"]
    code = main(["record", "--cassette-dir", str(out_dir), "--seed", "9", *checks])
    out = capsys.readouterr().out
    files = sorted(p.name for p in out_dir.iterdir())
    duplicate = yaml.safe_load((out_dir / "SEND-DUPLICATE-KEY.yaml").read_text("utf-8"))
    shared = yaml.safe_load((out_dir / "SEND-EXAMPLE.yaml").read_text("utf-8"))
    provenance = duplicate["provenance"]
    tags = {(i["check_id"], i["case_id"]) for i in duplicate["interactions"]}
    assert code == 0
    # The duplicate reuses the run's shared example send, recorded under the case that owns
    # it (SEND-EXAMPLE#1), so that a replay of either finds it there.
    assert files == ["AUTH-EXPIRED-TOKEN.yaml", "SEND-DUPLICATE-KEY.yaml", "SEND-EXAMPLE.yaml"]
    assert [(i["check_id"], i["response"]["status"]) for i in shared["interactions"]] == [
        ("SEND-EXAMPLE", 200),  # the client's token, asked for while the shared send went
        ("SEND-EXAMPLE", 202),
    ]
    assert provenance["target"] == "simulator"
    assert provenance["run"] == {
        "seed": 9,
        "nonce": "s9",
        "examples": 5,
        "definition_key": "account-reset",
        "recipients": 1,
    }
    assert len(provenance["spec_sha256"]) == 64
    assert tags == {("SEND-DUPLICATE-KEY", "SEND-DUPLICATE-KEY#1")}
    statuses = [i["response"]["status"] for i in duplicate["interactions"]]
    assert statuses == [400]  # the reused key
    assert "wrote 3 cassettes (5 interactions) to" in out


def test_recording_spec_breadth_is_refused_with_the_reason(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """SPEC-BREADTH's cases are not fixed by the seed: asking for it is a usage error."""
    code = main(["record", "--cassette-dir", str(tmp_path), "--check", "spec-breadth"])
    err = capsys.readouterr().err
    assert code == 2
    assert err.startswith(
        "sms-contract: error: SPEC-BREADTH cannot be recorded: its cases are generated by "
        "Schemathesis, not fixed by the seed"
    )
    assert list(tmp_path.iterdir()) == []


def test_record_needs_a_cassette_dir(capsys: pytest.CaptureFixture[str]) -> None:
    """--cassette-dir is required: it is where the cassettes go."""
    with pytest.raises(SystemExit) as exited:
        main(["record"])
    assert exited.value.code == 2
    assert "the following arguments are required: --cassette-dir" in capsys.readouterr().err


_LABELS = frozenset({"PASS", "FAIL", "OBSERVED", "SKIPPED", "INCOMPLETE"})


def _printed_verdicts(out: str) -> dict[str, str]:
    """The verdict each check's progress line shows: the line that names the check id and a
    verdict label, whatever else it shows and in which order."""
    verdicts = {}
    for line in out.splitlines():
        words = set(line.replace("]", " ").split())
        checks, labels = words & set(CATALOGUE), words & _LABELS
        if len(checks) == 1 and len(labels) == 1:
            verdicts[checks.pop()] = labels.pop().lower()
    return verdicts


def _record_with_required_flags_only(
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
    cassettes: Path,
    deviations: frozenset[Deviation] = frozenset(),
) -> str:
    """``record`` against a simulator served on 127.0.0.1 with the flags it requires and no
    other (default seed, default live budget); its terminal output."""
    monkeypatch.setenv("SFMC_CLIENT_ID", CLIENT_ID)
    monkeypatch.setenv("SFMC_CLIENT_SECRET", CLIENT_SECRET)
    config = SimulatorConfig(
        credentials=Credentials(CLIENT_ID, CLIENT_SECRET), deviations=deviations
    )
    with serve_in_thread(Simulator(config)) as server:
        base = server.base_url
        live = ["--target", "live", "--base-url", base, "--auth-url", base, "--to", NUMBER]
        required = [*live, "--definition-key", "account-reset", "--cassette-dir", str(cassettes)]
        code = main(["record", *required])
    monkeypatch.delenv("SFMC_CLIENT_ID")
    monkeypatch.delenv("SFMC_CLIENT_SECRET")
    out = capsys.readouterr().out
    assert code == 0
    return out


def test_record_with_the_defaults_then_run_with_none_replays_every_recorded_verdict(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """record live on loopback within the default live budget (generated cases that do not
    fit are left out, and named), then 'run --cassette-dir DIR' and nothing else: exit 0, the
    cases left out are left out again (named), and every recorded check gets the verdict it
    got when recorded."""
    cassettes = tmp_path / "cassettes"
    recorded_out = _record_with_required_flags_only(monkeypatch, capsys, cassettes)
    code = main(["run", "--cassette-dir", str(cassettes)])
    out = capsys.readouterr().out
    recorded = {k: v for k, v in _printed_verdicts(recorded_out).items() if v != "skipped"}
    replayed = _verdicts(tmp_path / "reports" / "report.json")  # the default --report-dir
    assert "left out to fit the send budget (--max-sends 15)" in recorded_out
    assert "cases of the recorded checks are not in the recordings" in out
    assert code == 0
    assert len(recorded) == len(CATALOGUE) - 4  # all but the four a live run skips
    assert {check_id: replayed[check_id] for check_id in recorded} == recorded


def test_the_mock_replay_line_of_a_cross_cutting_failure_in_a_recording_reproduces_it(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """A recording of a server that leaves out requestId, replayed on the mock: SEND-REQUEST-ID
    fails on the example send, and that finding's mock replay line (which names
    SEND-REQUEST-ID beside SEND-EXAMPLE, and the cassettes) run through the CLI exits 1 with
    SEND-REQUEST-ID failing on that case again."""
    cassettes = tmp_path / "cassettes"
    deviations = frozenset({Deviation.MISSING_REQUEST_ID})
    _record_with_required_flags_only(monkeypatch, capsys, cassettes, deviations)
    code = main(["run", "--cassette-dir", str(cassettes), "--report-dir", "replayed"])
    checks = json.loads((tmp_path / "replayed" / "report.json").read_text("utf-8"))["checks"]
    (request_id,) = [check for check in checks if check["id"] == "SEND-REQUEST-ID"]
    (finding,) = [f for f in request_id["findings"] if f["case_id"] == "SEND-EXAMPLE#1"]
    line = finding["replay"]["mock"]
    argv = shlex.split(line)
    again = main([*argv[1:], "--report-dir", "again"])
    checks_again = json.loads((tmp_path / "again" / "report.json").read_text("utf-8"))["checks"]
    verdicts_again = {check["id"]: check["verdict"] for check in checks_again}
    (request_id_again,) = [c for c in checks_again if c["id"] == "SEND-REQUEST-ID"]
    assert code == 1
    assert argv[:2] == ["sms-contract", "run"]
    assert "--check SEND-REQUEST-ID --check SEND-EXAMPLE --case 'SEND-EXAMPLE#1'" in line
    assert f"--cassette-dir {cassettes}" in line
    assert again == 1
    assert verdicts_again == {"SEND-REQUEST-ID": "fail", "SEND-EXAMPLE": "pass"}
    assert [f["case_id"] for f in request_id_again["findings"]] == ["SEND-EXAMPLE#1"]


@pytest.mark.parametrize(
    ("check_id", "case_id", "kept", "reason"),
    [
        (
            "DEFINITIONS-LIFECYCLE",
            "DEFINITIONS-LIFECYCLE#1",
            3,
            "the recording of this case ends before this request",
        ),
        ("STATUS-AFTER-SEND", "STATUS-AFTER-SEND#2", 0, "the cassette holds no interaction"),
    ],
    ids=["cut-short", "nothing-of-its-own"],
)
def test_a_case_whose_recording_ends_early_is_not_judged_and_the_replay_goes_on(
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    check_id: str,
    case_id: str,
    kept: int,
    reason: str,
) -> None:
    """A recording cut short (its run stopped: budget, deadline, a signal) holds fewer
    interactions of a case than the case sends. Replayed, the request past the end is no
    plan mismatch (exit 2) but that case not judged, saying so; the other checks still run."""
    cassettes = tmp_path / "cassettes"
    assert (
        main(["record", "--cassette-dir", str(cassettes), "--seed", "4", "--check", check_id]) == 0
    )
    path = cassettes / f"{check_id}.yaml"
    data = yaml.safe_load(path.read_text("utf-8"))
    others = [i for i in data["interactions"] if i["case_id"] != case_id]
    own = [i for i in data["interactions"] if i["case_id"] == case_id]
    data["interactions"] = others + own[:kept]
    path.write_text(yaml.safe_dump(data, sort_keys=False, allow_unicode=True), "utf-8")
    capsys.readouterr()
    code = main(
        ["run", "--cassette-dir", str(cassettes), "--check", check_id, "--check", "AUTH-NO-TOKEN"]
    )
    checks = {
        c["id"]: c
        for c in json.loads((tmp_path / "reports" / "report.json").read_text("utf-8"))["checks"]
    }
    (not_judged,) = checks[check_id]["not_judged"]
    assert code == 4
    assert checks[check_id]["verdict"] == "incomplete"
    assert not_judged["case_id"] == case_id
    assert not_judged["reason"].startswith(
        f"not recorded: replaying check {check_id} case {case_id}: {reason}"
    )
    assert checks["AUTH-NO-TOKEN"]["verdict"] == "pass"


def test_replaying_a_case_the_recordings_do_not_hold_is_refused_with_the_reason(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """--case of a recorded check that the recordings hold nothing of (a replay leaves such a
    case out) is a usage error naming the case, before anything is sent."""
    cassettes = tmp_path / "cassettes"
    check = ["--check", "SEND-REJECT-TO-INVALID"]
    assert main(["record", "--cassette-dir", str(cassettes), "--seed", "4", *check]) == 0
    path = cassettes / "SEND-REJECT-TO-INVALID.yaml"
    data = yaml.safe_load(path.read_text("utf-8"))
    data["interactions"] = [
        i for i in data["interactions"] if i["case_id"] != "SEND-REJECT-TO-INVALID#2"
    ]
    path.write_text(yaml.safe_dump(data, sort_keys=False, allow_unicode=True), "utf-8")
    capsys.readouterr()
    case = ["--case", "SEND-REJECT-TO-INVALID#2"]
    code = main(["run", "--cassette-dir", str(cassettes), *check, *case])
    err = capsys.readouterr().err
    assert code == 2
    assert err.startswith(
        "sms-contract: error: case 'SEND-REJECT-TO-INVALID#2' is not in the recordings"
    )
    assert not (tmp_path / "reports" / "report.json").exists()
