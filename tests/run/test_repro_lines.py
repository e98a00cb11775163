"""The lines a failure prints to reproduce it, run as a user would run them: the curl line in a
shell against the simulator served on 127.0.0.1, and the replay command through the CLI."""

from __future__ import annotations

import json
import os
import shlex
import shutil
import subprocess
from pathlib import Path
from typing import Any

import pytest

from sms_contract.checks import CATALOGUE
from sms_contract.redaction import PLACEHOLDER
from sms_contract.simulator.config import Deviation

from .conftest import NUMBER, cli, deviating, live_argv, served

pytestmark = pytest.mark.usefixtures("clean_cli_environment")
CROSS_CUTTING = frozenset(c.id for c in CATALOGUE.values() if c.judge_exchange is not None)
_STATUS_ONLY = (
    'curl() { command curl --silent --output /dev/null --write-out "%{http_code}" "$@"; }; '
)


def _findings(report_dir: Path) -> list[tuple[str, dict[str, Any]]]:
    """(check id, finding) of every finding in the run's JSON report."""
    report = json.loads((report_dir / "report.json").read_text(encoding="utf-8"))
    return [(check["id"], finding) for check in report["checks"] for finding in check["findings"]]


def _evidence(report_dir: Path) -> list[dict[str, Any]]:
    return [e for _, finding in _findings(report_dir) for e in finding["evidence"]]


def _status_of(curl_line: str, token: str, home: Path) -> int:
    """Run ``curl_line`` with bash as pasted (a shell function only makes curl print the
    status instead of the body) with SFMC_ACCESS_TOKEN exported; the HTTP status it got."""
    environment = {
        "PATH": os.environ.get("PATH", ""),
        "HOME": str(home),  # no ~/.curlrc of the machine
        "SFMC_ACCESS_TOKEN": token,
        "NO_PROXY": "*",  # 127.0.0.1 only, never through a proxy of the machine
        "no_proxy": "*",
    }
    done = subprocess.run(
        ["bash", "-c", _STATUS_ONLY + curl_line],
        env=environment,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert done.returncode == 0, "the curl line did not run"
    return int(done.stdout)


needs_curl = pytest.mark.skipif(
    shutil.which("curl") is None or shutil.which("bash") is None,
    reason="running a printed curl line needs curl and bash installed",
)


@needs_curl
def test_a_printed_curl_line_run_in_bash_gets_the_status_the_run_recorded(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    """The curl lines of a live run's findings, pasted into bash with SFMC_ACCESS_TOKEN set to
    a token the simulator issued, get the status recorded in the evidence (status reads and
    refused probes, which answer the same when sent again; a line that holds no placeholder
    runs as pasted)."""
    config = deviating(Deviation.MISSING_REQUEST_ID, Deviation.MALFORMED_ERROR_BODY)
    with served(monkeypatch, config) as wire:
        code, _ = cli(live_argv(wire.base_url, "--seed", "3", "--report-dir", "reports"))
        evidence = _evidence(tmp_path / "reports")
        runnable = {
            e["curl"]: e["response"]["status"]
            for e in evidence
            if not PLACEHOLDER.search(e["curl"]) and e["response"] is not None
        }
        token = wire.tokens[-1][1]
        got = {line: _status_of(line, token, tmp_path) for line in runnable}
    methods = {shlex.split(line)[2] for line in runnable}
    assert code == 1
    assert methods == {"GET", "POST"}  # status reads and probes both
    assert got == runnable


@needs_curl
def test_a_curl_line_names_the_scrubbed_values_and_runs_once_they_are_filled_in(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    """A line whose body held the recipient says so in its trailing comment; with <phone-1>
    replaced by the --to number, bash runs it and gets the recorded status (a refused probe,
    refused again)."""
    config = deviating(Deviation.MALFORMED_ERROR_BODY)
    with served(monkeypatch, config) as wire:
        code, _ = cli(live_argv(wire.base_url, "--seed", "3", "--report-dir", "reports"))
        evidence = _evidence(tmp_path / "reports")
        refused = [
            e
            for e in evidence
            if set(PLACEHOLDER.findall(e["curl"])) == {"<phone-1>"}
            and e["response"] is not None
            and e["response"]["status"] == 400
        ]
        token = wire.tokens[-1][1]
        line = refused[0]["curl"]
        filled = line.replace("<phone-1>", NUMBER)
        status = _status_of(filled, token, tmp_path)
    assert code == 1
    assert NUMBER not in line
    assert line.endswith("  # scrubbed: fill in <phone-1> (a --to number) before running")
    assert status == 400


def _live_replay(line: str) -> list[str]:
    """The argv of a printed live replay line, its NUMBER placeholders filled in."""
    argv = shlex.split(line)
    assert argv[:2] == ["sms-contract", "run"]
    return [NUMBER if arg == "NUMBER" else arg for arg in argv[1:]]


def test_the_live_replay_line_of_every_failing_check_names_it_and_reproduces_the_failure(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    """Against a server that leaves out requestId, the cross-cutting checks fail on exchanges
    of other checks' cases: each finding's replay line names the failing check beside the
    case's own, and run through the CLI (NUMBER filled in) exits 1 with that check failing on
    that case again."""
    with served(monkeypatch, deviating(Deviation.MISSING_REQUEST_ID)) as wire:
        code, _ = cli(live_argv(wire.base_url, "--seed", "3", "--report-dir", "first"))
        findings = [(c, f) for c, f in _findings(tmp_path / "first") if f["verdict"] == "fail"]
        first: dict[str, dict[str, Any]] = {}
        for check_id, finding in findings:
            first.setdefault(check_id, finding)
        replayed = {}
        for check_id, finding in first.items():
            argv = [*_live_replay(finding["replay"]["live"]), "--report-dir", check_id]
            again, _ = cli(argv)
            failed_again = {
                (check, f["case_id"])
                for check, f in _findings(tmp_path / check_id)
                if f["verdict"] == "fail"
            }
            replayed[check_id] = (again, (check_id, finding["case_id"]) in failed_again)
    named = [
        f"--check {check_id} " in finding["replay"][kind]
        for check_id, finding in findings
        for kind in ("mock", "live")
    ]
    cross_cutting = {
        check_id
        for check_id, finding in first.items()
        if check_id in CROSS_CUTTING and not finding["case_id"].startswith(f"{check_id}#")
    }
    assert code == 1
    assert all(named)
    assert cross_cutting == {"SEND-REQUEST-ID", "SEND-RESPONSE-SCHEMA"}
    assert replayed == {check_id: (1, True) for check_id in first}
