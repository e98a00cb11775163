"""With --cassette-dir the proxy writes scrubbed cassettes of observed traffic (check PROXY,
one case per exchange) that 'run --cassette-dir', 'drift' and 'fidelity' accept."""

from __future__ import annotations

import shutil
from contextlib import redirect_stderr, redirect_stdout
from io import StringIO
from pathlib import Path

import pytest

from sms_contract.cli.main import main
from sms_contract.proxy import watch as watch_module
from sms_contract.recordings.cassettes import OBSERVED_TRAFFIC, load_cassette_dir
from sms_contract.simulator.config import Deviation, SimulatorConfig
from tests.proxy.conftest import client, deviating, payload, proxy, upstream

pytestmark = [pytest.mark.loopback, pytest.mark.usefixtures("clean_cli_environment")]

SHIPPED = Path(__file__).resolve().parents[2] / "recordings" / "simulator"


def _record(directory: Path, config: SimulatorConfig | None = None) -> list[str]:
    """Traffic through a proxy recording into ``directory``; the proxy's lines."""
    with upstream(config) as up, proxy(up.base_url, cassette_dir=directory) as proxied:
        with client(proxied.base_url, up.credentials) as app:
            app.send_to_one(payload(FirstName="Ada"), message_key="recorded-1")
            app.message_status("recorded-1")
            app.send_to_one(payload(number="12"), message_key="recorded-2")  # refused
        proxied.watch.save_cassettes()
    return proxied.lines


def _cli(*argv: str) -> tuple[int, str]:
    out = StringIO()
    with redirect_stdout(out), redirect_stderr(out):
        code = main(list(argv))
    return code, out.getvalue()


def test_observed_traffic_is_recorded_under_one_case_per_exchange(tmp_path: Path) -> None:
    """One cassette, check PROXY, case PROXY#N as the line numbers them, no provenance.run
    (no run planned it), its provenance naming the simulator on loopback."""
    lines = _record(tmp_path / "observed")
    (cassette,) = load_cassette_dir(tmp_path / "observed")
    assert cassette.provenance.run is None
    assert cassette.provenance.target.value == "simulator"
    assert [i.check_id for i in cassette.interactions] == [OBSERVED_TRAFFIC] * 4
    assert [i.case_id for i in cassette.interactions] == [f"PROXY#{n}" for n in range(1, 5)]
    assert [line.split(" ", 1)[0] for line in lines] == ["#1", "#2", "#3", "#4"]
    send = cassette.interactions[1]
    assert send.request.path == "/messaging/v1/sms/messages/recorded-1"
    assert send.request.json["recipient"]["to"] == "<phone-1>"
    assert send.response is not None
    assert send.response.status == 202
    assert "Authorization" not in send.request.headers


def test_run_with_the_cassette_dir_accepts_the_recorded_traffic(tmp_path: Path) -> None:
    """No planned case is answered from observed traffic (none sends the application's
    requests): the simulator answers the plan, nothing is a cassette miss, exit 0."""
    _record(tmp_path / "observed")
    code, out = _cli(
        *("run", "--cassette-dir", str(tmp_path / "observed")),
        *("--check", "SEND-EXAMPLE", "--check", "SEND-ECHO-KEY", "--report-dir", "reports"),
    )
    assert code == 0, out[-3000:]
    assert "CassetteMiss" not in out


def test_drift_compares_observed_answers_with_the_spec(tmp_path: Path) -> None:
    """Drift sends nothing for observed traffic: it validates the recorded answers against
    the spec, 0 when they hold."""
    _record(tmp_path / "observed")
    code, out = _cli("drift", "--cassette-dir", str(tmp_path / "observed"))
    assert code == 0, out[-3000:]
    assert "4 recorded interactions compared, 0 differences, 0 not compared" in out
    assert "nothing is sent" in out
    assert (tmp_path / "reports" / "drift.json").is_file()


def test_drift_of_traffic_from_a_deviating_upstream_names_the_spec_issue(tmp_path: Path) -> None:
    """A 202 without requestId, recorded from the traffic, is drift from the spec: exit 1,
    the interaction named by its case."""
    _record(tmp_path / "observed", deviating(Deviation.MISSING_REQUEST_ID))
    code, out = _cli("drift", "--cassette-dir", str(tmp_path / "observed"))
    assert code == 1, out[-3000:]
    assert "SPEC PROXY#2: POST /messaging/v1/sms/messages/recorded-1" in out
    assert "requestId" in out


def test_observed_traffic_beside_planned_recordings_is_accepted_by_drift_and_fidelity(
    tmp_path: Path,
) -> None:
    """Beside the shipped recordings, the proxy's cassette changes nothing for their replay:
    drift runs the planned cases again and checks the observed answers against the spec,
    fidelity compares the planned ones."""
    directory = tmp_path / "mixed"
    directory.mkdir()
    shutil.copy(SHIPPED / "SEND-EXAMPLE.yaml", directory)
    _record(directory)
    code, out = _cli("drift", "--cassette-dir", str(directory), "--check", "SEND-EXAMPLE")
    assert code == 0, out[-3000:]
    assert "against a fresh mock run" in out
    code, out = _cli("fidelity", "--cassette-dir", str(directory), "--check", "SEND-EXAMPLE")
    assert code == 0, out[-3000:]


def test_fidelity_of_observed_traffic_alone_says_what_to_run_instead(tmp_path: Path) -> None:
    """There are no planned cases to run against the simulator: one line, exit 2, pointing
    to drift."""
    _record(tmp_path / "observed")
    code, out = _cli("fidelity", "--cassette-dir", str(tmp_path / "observed"))
    assert code == 2
    assert "observed traffic only" in out
    assert "sms-contract drift" in out
    assert "Traceback" not in out


def test_a_long_session_fills_one_cassette_after_another(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A full cassette is saved and let go; the next exchanges go into the next file, and
    every file loads with its cases in order."""
    monkeypatch.setattr(watch_module, "MAX_INTERACTIONS_PER_CASSETTE", 3)
    _record(tmp_path / "observed")
    cassettes = load_cassette_dir(tmp_path / "observed")
    assert [len(c.interactions) for c in cassettes] == [3, 1]
    cases = [i.case_id for c in cassettes for i in c.interactions]
    assert cases == ["PROXY#1", "PROXY#2", "PROXY#3", "PROXY#4"]
    names = sorted(path.name for path in (tmp_path / "observed").iterdir())
    assert names[0].startswith("proxy-")
    assert names[0].endswith("-001.yaml")
    assert names[1] == names[0].replace("-001.yaml", "-002.yaml")


def test_an_undocumented_4xx_in_observed_traffic_is_observed_not_drift(tmp_path: Path) -> None:
    """An application reads the status of a key the platform does not know: the 404 is a
    status the spec does not list, on which the documentation is silent; drift reports it as
    observed and exits 0, as the proxy's SEND-STATUS-CODES observed it."""
    with upstream() as up, proxy(up.base_url, cassette_dir=tmp_path / "observed") as proxied:
        with client(proxied.base_url, up.credentials) as app:
            assert app.message_status("never-sent").status == 404
        proxied.watch.save_cassettes()
    code, out = _cli("drift", "--cassette-dir", str(tmp_path / "observed"))
    assert code == 0, out[-3000:]
    assert "OBSERVED SPEC PROXY#2: GET /messaging/v1/sms/messages/never-sent" in out
