"""``sms-contract record`` then ``sms-contract run --cassette-dir``: what is written, and that
replaying a recording gives the verdicts of the run that made it."""

from __future__ import annotations

import json
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
