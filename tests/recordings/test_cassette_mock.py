"""The mock target with --cassette-dir: recorded answers first, case by case, the simulator for
the rest, explained misses (exit 2), and nothing ever leaves the process."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path

import pytest
import requests
import yaml

from sms_contract.cli.main import main
from sms_contract.errors import UnsafeTargetError
from sms_contract.exchange import HttpRequest
from sms_contract.recordings.cassettes import (
    Cassette,
    Interaction,
    Provenance,
    RecordedRequest,
    RecordedResponse,
    RecordingSource,
)
from sms_contract.recordings.replay import CaseReplayer, SimulatorFallback
from sms_contract.redaction import Scrubber
from sms_contract.run.targets import MOCK_AUTH_URL, MOCK_REST_URL, TargetSettings, open_target
from sms_contract.simulator.app import Simulator
from sms_contract.simulator.clock import ManualClock
from sms_contract.simulator.config import SimulatorConfig

KEY = "f4fe74b7-c3c0-4e5a-9f49-b63a641109a2-example-s4"


@pytest.fixture(autouse=True)
def in_tmp_path(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    """Stray report files land in tmp_path."""
    monkeypatch.chdir(tmp_path)


def _record(directory: Path, *check_ids: str, seed: int = 4) -> None:
    args = ["record", "--cassette-dir", str(directory), "--seed", str(seed)]
    assert main(args + [arg for check_id in check_ids for arg in ("--check", check_id)]) == 0


def _edit(path: Path, edit: dict[str, object], index: int) -> None:
    """Change one field (``request.json.definitionKey`` style) of interaction ``index``."""
    data = yaml.safe_load(path.read_text(encoding="utf-8"))
    for dotted, value in edit.items():
        *parents, leaf = dotted.split(".")
        node = data["interactions"][index]
        for name in parents:
            node = node[name]
        node[leaf] = value
    path.write_text(yaml.safe_dump(data, sort_keys=False, allow_unicode=True), encoding="utf-8")


def test_a_request_its_recording_does_not_match_stops_the_run_naming_the_difference(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """A recorded case whose request changed is a CassetteMiss (exit 2) naming the nearest
    recorded interaction and the field that differs, with both values."""
    _record(tmp_path / "c", "SEND-EXAMPLE")
    _edit(tmp_path / "c" / "SEND-EXAMPLE.yaml", {"request.json.definitionKey": "edited-key"}, 1)
    capsys.readouterr()
    code = main(["run", "--cassette-dir", str(tmp_path / "c"), "--check", "SEND-EXAMPLE"])
    err = capsys.readouterr().err.splitlines()
    assert code == 2
    assert err == [
        "sms-contract: error: replaying check SEND-EXAMPLE case SEND-EXAMPLE#1: no recorded "
        f"interaction matches POST /messaging/v1/sms/messages/{KEY} (searched 2 interactions)",
        "nearest: check 'SEND-EXAMPLE' case 'SEND-EXAMPLE#1' "
        f"(POST /messaging/v1/sms/messages/{KEY}), which differs in:",
        "  body $.definitionKey: recorded 'edited-key', sent 'account-reset'",
        "(the recordings do not match this run's plan: replay with the --seed, --examples and "
        "--definition-key they were recorded with, or record them again with 'sms-contract "
        "record')",
    ]


def test_recorded_answers_are_replayed_and_unrecorded_checks_get_the_simulator(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """An edited recorded answer (400 instead of 202) fails SEND-EXAMPLE, which the conformant
    simulator would pass; AUTH-NO-TOKEN, not recorded, is answered by the simulator."""
    _record(tmp_path / "c", "SEND-EXAMPLE")
    rejection = {"message": "edited", "errorcode": 10001, "documentation": ""}
    _edit(tmp_path / "c" / "SEND-EXAMPLE.yaml", {"response.status": 400}, 1)
    _edit(tmp_path / "c" / "SEND-EXAMPLE.yaml", {"response.json": rejection}, 1)
    reports = tmp_path / "reports"
    checks_run = ["--check", "SEND-EXAMPLE", "--check", "AUTH-NO-TOKEN"]
    code = main(
        ["run", "--cassette-dir", str(tmp_path / "c"), "--report-dir", str(reports), *checks_run]
    )
    checks = json.loads((reports / "report.json").read_text("utf-8"))["checks"]
    assert code == 1
    assert {c["id"]: c["verdict"] for c in checks} == {
        "SEND-EXAMPLE": "fail",
        "AUTH-NO-TOKEN": "pass",
    }
    replay = checks[0]["findings"][0]["replay"]["mock"]
    assert replay == (
        "sms-contract run --target mock --seed 4 --examples 5 --check SEND-EXAMPLE "
        f"--case 'SEND-EXAMPLE#1' --cassette-dir {tmp_path / 'c'}"
    )


@pytest.mark.parametrize("with_recordings", [False, True], ids=["simulator", "recordings"])
def test_the_mock_refuses_every_other_host_alike(tmp_path: Path, with_recordings: bool) -> None:
    """A request to a real host from inside the mock fails before any connection, with one
    message (naming the host and the mock's own) and one exit code, recordings or not."""
    _record(tmp_path / "c", "AUTH-NO-TOKEN")
    settings = TargetSettings(cassette_dir=tmp_path / "c" if with_recordings else None).resolved()
    with open_target(settings), pytest.raises(UnsafeTargetError) as refused:
        requests.get("https://example.com/messaging/v1/sms/definitions", timeout=1)
    assert str(refused.value) == (
        "mock target is hermetic: https://example.com is not a host of the mock (hosts: "
        "https://mock.auth.sms-contract.invalid, https://mock.rest.sms-contract.invalid); "
        "nothing was sent"
    )
    assert refused.value.exit_code == 2


def test_an_empty_cassette_dir_is_a_usage_error(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """--cassette-dir must hold cassettes: exit 2 and the reason."""
    code = main(["run", "--cassette-dir", str(tmp_path)])
    assert code == 2
    assert capsys.readouterr().err == (
        f"sms-contract: error: --cassette-dir {tmp_path}: no cassettes (*.yaml) in it\n"
    )


def test_cassettes_of_two_runs_cannot_be_replayed_together(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """Two seeds in one directory: no single run matches both; exit 2 says so."""
    _record(tmp_path / "c", "AUTH-NO-TOKEN", seed=1)
    _record(tmp_path / "c", "AUTH-BAD-TOKEN", seed=2)
    capsys.readouterr()
    code = main(["run", "--cassette-dir", str(tmp_path / "c")])
    assert code == 2
    assert capsys.readouterr().err == (
        "sms-contract: error: the cassettes were recorded by different runs (seed 1 nonce s1, "
        "seed 2 nonce s2); keep one recording per --cassette-dir (record again into an empty "
        "directory)\n"
    )


def _interaction(case_id: str, status: int) -> Interaction:
    request = RecordedRequest("POST", "/messaging/v1/sms/messages/k", json={"to": "<phone-1>"})
    response = RecordedResponse(status, {"Content-Type": "application/json"}, {"errorcode": 0})
    return Interaction("SEND-DUPLICATE-KEY", case_id, request, response)


def _prepared(authorization: str) -> requests.PreparedRequest:
    body = {"definitionKey": "account-reset", "recipient": {"contactKey": "c", "to": "15555551234"}}
    return requests.Request(
        "POST",
        f"{MOCK_REST_URL}/messaging/v1/sms/messages/k",
        headers={"Authorization": authorization, "Content-Type": "application/json"},
        data=json.dumps(body),
    ).prepare()


def _fallback() -> SimulatorFallback:
    simulator = Simulator(SimulatorConfig(), clock=ManualClock())
    return SimulatorFallback(simulator, rest_base_url=MOCK_REST_URL, auth_base_url=MOCK_AUTH_URL)


def test_identical_requests_of_a_case_get_their_recorded_answers_in_order(tmp_path: Path) -> None:
    """A key sent twice gets 202 then 400, as recorded; a third time repeats the first."""
    provenance = Provenance(
        RecordingSource.SIMULATOR, datetime(2025, 1, 2, tzinfo=UTC), "0", "0", ""
    )
    cassette = Cassette(provenance, (_interaction("D#1", 202), _interaction("D#1", 400)))
    replayer = CaseReplayer([cassette], Scrubber(known_phones=["15555551234"]), _fallback())
    url = f"{MOCK_REST_URL}/messaging/v1/sms/messages/k"
    request = HttpRequest("POST", url, {}, b'{"to": "15555551234"}')
    with replayer.for_case("SEND-DUPLICATE-KEY", "D#1"):
        answers = [replayer.answer(request) for _ in range(3)]
    assert [a.response.status for a in answers if a and a.response] == [202, 400, 202]


def test_the_simulator_fallback_swaps_a_replayed_token_for_one_it_issued() -> None:
    """A placeholder bearer token (from a replayed token response) reaches the simulator as a
    token it issued (202); a made-up token is left alone (401)."""
    fallback = _fallback()
    swapped = fallback(_prepared("Bearer <secret-3>"))
    made_up = fallback(_prepared("Bearer sms-contract-invalid-token"))
    assert (swapped[0], made_up[0]) == (202, 401)
