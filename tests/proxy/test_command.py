"""``sms-contract proxy`` as a user runs it: it refuses what is unsafe before it listens,
prints one line per exchange, writes the reports on SIGINT or SIGTERM (and every
--report-every seconds) and exits with the verdict's code."""

from __future__ import annotations

import json
import signal
import time
from contextlib import redirect_stderr, redirect_stdout
from io import StringIO
from pathlib import Path

import pytest

from sms_contract.cli.main import build_parser, main
from sms_contract.simulator.config import Deviation
from tests.proxy.conftest import client, command, deviating, payload, upstream

pytestmark = [pytest.mark.loopback, pytest.mark.usefixtures("clean_cli_environment")]

REPORTS = ("junit.xml", "report.json", "report.html", "summary.md")


def _cli(*argv: str) -> tuple[int, str]:
    out = StringIO()
    with redirect_stdout(out), redirect_stderr(out):
        code = main(list(argv))
    return code, out.getvalue()


def test_listening_beyond_loopback_needs_the_explicit_flag(tmp_path: Path) -> None:
    """A non-loopback --listen is one line and exit 2, naming the flag; nothing listens."""
    code, out = _cli("proxy", "--upstream", "http://127.0.0.1:9", "--listen", "0.0.0.0:0")
    assert code == 2
    assert "not a loopback address" in out
    assert "--allow-remote-clients" in out
    assert "Traceback" not in out
    assert len(out.strip().splitlines()) == 1


@pytest.mark.parametrize(
    "url",
    ["http://example.com", "http://10.0.0.7:8080/", "ftp://127.0.0.1", "https://u:p@example.com"],
)
def test_an_unsafe_or_malformed_upstream_is_refused_before_anything_is_sent(url: str) -> None:
    """Plain http:// to a host that is not loopback, another scheme, or credentials in the
    URL: one line, exit 2."""
    code, out = _cli("proxy", "--upstream", url)
    assert code == 2
    assert out.startswith("sms-contract: error: --upstream")
    assert "Traceback" not in out


def test_the_help_says_what_stopping_does_and_what_each_exit_code_means() -> None:
    """--help documents SIGINT and SIGTERM and the exit codes the verdict maps to."""
    parser = build_parser()
    commands = next(a for a in parser._actions if a.dest == "command")
    text = commands.choices["proxy"].format_help()  # type: ignore[attr-defined]
    assert "SIGINT (Ctrl-C) or SIGTERM" in text
    for code in ("0  every claim judged", "1  a documented claim", "2  usage", "4  nothing"):
        assert code in text


@pytest.mark.parametrize("signum", [signal.SIGTERM, signal.SIGINT], ids=["SIGTERM", "SIGINT"])
def test_a_signal_writes_the_reports_and_exits_with_the_verdict(
    tmp_path: Path, signum: signal.Signals
) -> None:
    """Traffic through the real command; the signal stops it; the reports and cassettes are
    written, and the exit code is the verdict's (0 for a conformant upstream)."""
    with (
        upstream() as up,
        command("--upstream", up.base_url, "--cassette-dir", "c", cwd=tmp_path) as run,
    ):
        with client(run.base_url, up.credentials) as app:
            app.send_to_one(payload(), message_key="signalled-1")
        run.wait_for("#2 POST /messaging/v1/sms/messages/signalled-1 -> 202")
        code = run.stop(signum)
    assert code == 0, run.out
    assert f"proxy: {signum.name}: stopped accepting" in run.out
    assert "result: OK" in run.out
    for name in REPORTS:
        assert (tmp_path / "reports" / name).is_file()
    report = json.loads((tmp_path / "reports" / "report.json").read_text("utf-8"))
    assert report["target"] == "proxy"
    assert report["exit_code"] == 0
    assert list((tmp_path / "c").glob("proxy-*.yaml"))


def test_a_violation_makes_the_command_exit_1_with_the_claim_named(tmp_path: Path) -> None:
    """A deviating upstream: the line names the failed claim as it happens, the summary
    repeats it, and SIGTERM ends the command with exit 1."""
    config = deviating(Deviation.MISSING_REQUEST_ID)
    with upstream(config) as up, command("--upstream", up.base_url, cwd=tmp_path) as run:
        with client(run.base_url, up.credentials) as app:
            app.send_to_one(payload(), message_key="violated-1")
        line = run.wait_for("#2 POST")
        code = run.stop()
    assert "FAIL SEND-RESPONSE-SCHEMA, SEND-REQUEST-ID" in line
    assert code == 1, run.out
    assert "FAIL SEND-REQUEST-ID: PROXY#2 a 202 to a send carries no requestId string" in run.out
    report = json.loads((tmp_path / "reports" / "report.json").read_text("utf-8"))
    checks = {check["id"]: check for check in report["checks"]}
    assert checks["SEND-REQUEST-ID"]["verdict"] == "fail"


def test_reports_are_written_every_report_every_seconds_while_it_runs(tmp_path: Path) -> None:
    """--report-every: the reports appear, with the exchanges so far, before any signal."""
    report = tmp_path / "reports" / "report.json"
    with (
        upstream() as up,
        command("--upstream", up.base_url, "--report-every", "0.2", cwd=tmp_path) as run,
    ):
        with client(run.base_url, up.credentials) as app:
            app.send_to_one(payload(), message_key="periodic-1")
        run.wait_for("#2 POST")
        run.wait_for("proxy: reports updated (2 exchanges so far)")
        written = json.loads(report.read_text("utf-8"))
        code = run.stop(signal.SIGINT)
    checks = {check["id"]: check for check in written["checks"]}
    assert checks["SEND-ECHO-KEY"]["verdict"] == "pass"
    assert code == 0, run.out


def test_nothing_through_the_proxy_is_nothing_judged(tmp_path: Path) -> None:
    """Stopped before any traffic: every claim skipped with its reason, exit 4."""
    with upstream() as up, command("--upstream", up.base_url, cwd=tmp_path) as run:
        time.sleep(0.2)
        code = run.stop()
    assert code == 4, run.out
    report = json.loads((tmp_path / "reports" / "report.json").read_text("utf-8"))
    assert {check["verdict"] for check in report["checks"]} == {"skipped"}
