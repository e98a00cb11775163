"""SIGINT and SIGTERM during run, record and drift: the request in flight completes, nothing
more is sent, the reports are written marked interrupted with what was spent, and the command
exits 130; a signal while the run is planned is never lost; and no report of an earlier run
is left looking like the current one."""

from __future__ import annotations

import gc
import json
import signal
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from sms_contract.cli.main import main
from sms_contract.reporting import REPORT_FILES
from sms_contract.run import interruption, planning
from tests.cli.loopback import served

SHIPPED = Path(__file__).resolve().parents[2] / "recordings" / "simulator"
CHECKS = ("--check", "SEND-ECHO-KEY", "--check", "SEND-EXAMPLE")  # 7 requests: token, 6 sends
pytestmark = pytest.mark.usefixtures("clean_cli_environment")


def _report(directory: Path) -> dict[str, Any]:
    document: dict[str, Any] = json.loads((directory / "report.json").read_text("utf-8"))
    return document


def _not_judged_reasons(report: dict[str, Any]) -> list[str]:
    return [item["reason"] for check in report["checks"] for item in check["not_judged"]]


@pytest.mark.loopback
@pytest.mark.parametrize("number", [signal.SIGINT, signal.SIGTERM], ids=lambda s: s.name)
def test_a_signal_during_a_run_finishes_the_request_in_flight_and_writes_the_reports(
    number: signal.Signals,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    """The signal comes while the server answers the third request (a send): that request
    is answered and counted, no request follows it, the four reports are written with
    ``interrupted`` true, what was spent, and every case not run as not judged
    (``interrupted: ...``); exit 130, and the signal handlers are given back."""
    before = {n: signal.getsignal(n) for n in interruption.SIGNALS}
    reports = tmp_path / "reports"
    with served(monkeypatch, at=3, signals=(number,)) as server:
        code = main(server.live("run", "--seed", "3", *CHECKS, "--report-dir", str(reports)))
    out = capsys.readouterr().out
    assert code == 130
    assert server.app.signalled_after == 3
    assert len(server.app.requests) == 3  # nothing was sent after the signal
    assert sorted(p.name for p in reports.iterdir()) == sorted(REPORT_FILES)
    report = _report(reports)
    assert report["interrupted"] is True
    assert report["exit_code"] == 130
    assert report["stopped"] == f"interrupted: {number.name} received; nothing more was sent"
    assert report["spending"]["requests"] == 3
    assert report["spending"]["token_requests"] == 1
    assert report["spending"]["accepted_sends"] == 2
    reasons = _not_judged_reasons(report)
    assert len(reasons) == 4  # 3 cases of SEND-ECHO-KEY and SEND-EXAMPLE's one
    assert all(reason.startswith(f"interrupted: {number.name} received") for reason in reasons)
    assert {check["verdict"] for check in report["checks"]} == {"incomplete"}
    for name in ("junit.xml", "report.html", "summary.md"):
        assert "interrupted: " in (reports / name).read_text("utf-8"), name
    assert "result: INTERRUPTED: 2 checks not fully judged" in out
    assert {n: signal.getsignal(n) for n in interruption.SIGNALS} == before


@pytest.mark.loopback
def test_a_second_signal_abandons_the_request_in_flight_and_still_writes_the_reports(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """Two SIGINTs while the third request (a send) waits for its answer: it is abandoned,
    counted as sent and as possibly accepted, nothing follows it, the reports say so, and
    the command exits 130."""
    reports = tmp_path / "reports"
    with served(monkeypatch, at=3, signals=(signal.SIGINT, signal.SIGINT), hold=0.5) as server:
        code = main(server.live("run", "--seed", "3", *CHECKS, "--report-dir", str(reports)))
    capsys.readouterr()
    assert code == 130
    assert len(server.app.requests) == 3
    report = _report(reports)
    assert report["interrupted"] is True
    assert report["stopped"] == (
        "interrupted: SIGINT received twice; the request in flight was abandoned and nothing "
        "more was sent"
    )
    assert report["spending"]["requests"] == 3
    assert report["spending"]["accepted_sends"] == 2
    assert report["spending"]["possibly_accepted"] == 1
    assert "interrupted: SIGINT received twice; abandoned in flight" in _not_judged_reasons(report)


@pytest.mark.loopback
def test_a_signal_during_the_last_request_is_still_honoured_and_said(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """The signal comes while the last planned request is answered: every check is judged,
    and the run still exits 130 with reports that say when the signal came."""
    reports = tmp_path / "reports"
    with served(monkeypatch, at=7, signals=(signal.SIGINT,)) as server:
        code = main(server.live("run", "--seed", "3", *CHECKS, "--report-dir", str(reports)))
    capsys.readouterr()
    report = _report(reports)
    assert code == 130
    assert len(server.app.requests) == 7
    assert [check["verdict"] for check in report["checks"]] == ["pass", "pass"]
    assert report["stopped"] == "interrupted: SIGINT received after the last request was sent"
    assert (report["interrupted"], report["exit_code"]) == (True, 130)


@pytest.fixture
def signal_while_planning(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """SIGINT raised from inside a gc callback while the second check is planned: where a
    KeyboardInterrupt is lost ("Exception ignored in ... gc callback") and the run would go
    on."""
    select = planning.select_checks

    def raise_once(phase: str, info: dict[str, Any]) -> None:
        gc.callbacks.remove(raise_once)
        signal.raise_signal(signal.SIGINT)

    def selecting(check_ids: Any) -> Iterator[Any]:
        for n, check in enumerate(select(check_ids)):
            if n == 1:
                gc.callbacks.append(raise_once)
                gc.collect()
            yield check

    monkeypatch.setattr(planning, "select_checks", selecting)
    yield
    if raise_once in gc.callbacks:  # pragma: no cover - only when the test failed early
        gc.callbacks.remove(raise_once)


@pytest.mark.usefixtures("signal_while_planning")
def test_a_signal_while_the_run_is_planned_is_never_lost(tmp_path: Path) -> None:
    """The mock run stops planning at the signal and sends nothing: exit 130, reports
    written, every check incomplete ``interrupted: ...``, not one request."""
    reports = tmp_path / "reports"
    code = main(
        ["run", "--seed", "3", *CHECKS, "--check", "AUTH-NO-TOKEN", "--report-dir", str(reports)]
    )
    report = _report(reports)
    assert code == 130
    assert report["interrupted"] is True
    assert report["stopped"] == (
        "interrupted: SIGINT received while the run was planned; nothing was sent"
    )
    assert report["spending"]["requests"] == 0
    assert [check["verdict"] for check in report["checks"]] == ["incomplete"] * 3
    assert all(reason.startswith("interrupted: SIGINT") for reason in _not_judged_reasons(report))


@pytest.mark.usefixtures("signal_while_planning")
def test_a_signal_while_a_dry_run_is_planned_exits_130(
    capsys: pytest.CaptureFixture[str],
) -> None:
    """A dry run interrupted while it plans prints no plan and exits 130."""
    code = main(["run", "--dry-run", *CHECKS])
    assert code == 130
    assert "dry run: interrupted while the run was planned" in capsys.readouterr().out


@pytest.mark.loopback
def test_a_signal_during_record_writes_what_was_recorded_and_exits_130(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """record, SIGTERM during the third request: nothing more is sent, the cassettes hold
    what was exchanged, the reports are marked interrupted, exit 130."""
    cassettes, reports = tmp_path / "cassettes", tmp_path / "reports"
    argv = ["--seed", "3", *CHECKS, "--cassette-dir", str(cassettes), "--report-dir", str(reports)]
    with served(monkeypatch, at=3, signals=(signal.SIGTERM,)) as server:
        code = main(server.live("record", *argv))
    out = capsys.readouterr().out
    assert code == 130
    assert len(server.app.requests) == 3
    assert [p.name for p in cassettes.iterdir()] == ["SEND-ECHO-KEY.yaml"]
    report = _report(reports)
    assert report["interrupted"] is True
    assert report["spending"]["requests"] == 3
    assert "interrupted: SIGTERM received; nothing more was sent: the cassettes hold" in out


@pytest.mark.loopback
def test_a_signal_during_drift_lists_what_was_not_sent_as_not_compared_and_exits_130(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """drift, SIGINT during the third request: nothing more is sent, drift.json says the run
    was interrupted and lists the recorded cases not run as not compared (never drift)."""
    reports = tmp_path / "reports"
    argv = ["--cassette-dir", str(SHIPPED), *CHECKS, "--report-dir", str(reports)]
    with served(monkeypatch, at=3, signals=(signal.SIGINT,)) as server:
        code = main(server.live("drift", *argv))
    out = capsys.readouterr().out.splitlines()
    assert code == 130
    assert len(server.app.requests) == 3
    document = json.loads((reports / "drift.json").read_text("utf-8"))
    assert document["interrupted"] is True
    assert document["stopped"] == "interrupted: SIGINT received; nothing more was sent"
    assert (document["breaking"], document["differences"]) == (False, [])
    assert document["compared"] == 2  # the token request is the client's own: not compared
    assert [(n["case_id"], n["reason"]) for n in document["not_compared"]] == [
        (case, "interrupted: SIGINT received; nothing more was sent")
        for case in ("SEND-ECHO-KEY#3", "SEND-ECHO-KEY#4", "SEND-ECHO-KEY#5", "SEND-EXAMPLE#1")
    ]
    assert "**Stopped early:** interrupted: SIGINT" in (reports / "drift.md").read_text("utf-8")
    assert out[-1] == (
        "result: INTERRUPTED: SIGINT received; nothing more was sent; what was not sent is not "
        "compared"
    )


# --- no stale report --------------------------------------------------------------------------


def _stale(directory: Path, names: tuple[str, ...]) -> None:
    directory.mkdir(parents=True, exist_ok=True)
    for name in names:
        (directory / name).write_text("an earlier run's report\n")


@pytest.mark.loopback
@pytest.mark.parametrize(
    ("command", "owned", "extra"),
    [
        ("run", REPORT_FILES, ("--seed", "3")),
        ("drift", ("drift.json", "drift.md"), ("--cassette-dir", str(SHIPPED))),
    ],
    ids=["run", "drift"],
)
def test_a_run_that_dies_leaves_no_earlier_report_looking_like_its_own(
    command: str,
    owned: tuple[str, ...],
    extra: tuple[str, ...],
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    """An unreachable target (exit 3) after an earlier run's reports: they are gone, so
    nothing in the directory claims to be this run's result; files it does not own stay."""
    reports = tmp_path / "reports"
    _stale(reports, (*owned, "notes.txt"))
    monkeypatch.setenv("SFMC_CLIENT_ID", "client")
    monkeypatch.setenv("SFMC_CLIENT_SECRET", "not-a-real-secret")
    with served(monkeypatch) as server:
        url = server.base_url
    argv = [command, "--target", "live", "--base-url", url, "--auth-url", url, *extra]
    argv += ["--to", "15555551234", "--definition-key", "account-reset", "--retries", "0"]
    code = main([*argv, "--check", "SEND-EXAMPLE", "--report-dir", str(reports)])
    capsys.readouterr()
    assert code == 3
    assert [p.name for p in reports.iterdir()] == ["notes.txt"]


def test_a_run_replaces_every_earlier_report_whole_and_leaves_no_temporary_file(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """A mock run over an earlier run's reports: the directory holds exactly the four new
    reports (no temporary name left behind), each of this run."""
    reports = tmp_path / "reports"
    _stale(reports, REPORT_FILES)
    code = main(["run", "--seed", "3", "--check", "SEND-EXAMPLE", "--report-dir", str(reports)])
    capsys.readouterr()
    assert code == 0
    assert sorted(p.name for p in reports.iterdir()) == sorted(REPORT_FILES)
    for name in REPORT_FILES:
        assert "an earlier run's report" not in (reports / name).read_text("utf-8")
    assert _report(reports)["seed"] == 3


def test_interruption_is_only_installed_for_the_block() -> None:
    """Outside the block nothing is asked of the run; inside, a signal is recorded instead of
    raised, and a library caller's handlers are back afterwards."""
    previous: Callable[..., Any] | int | None = signal.getsignal(signal.SIGINT)
    assert interruption.requested() is None
    with interruption.stopping_on_signals():
        signal.raise_signal(signal.SIGINT)
        assert interruption.requested() == "SIGINT"
        with pytest.raises(interruption.Interrupted, match="SIGINT received"):
            interruption.check()
    assert interruption.requested() is None
    assert signal.getsignal(signal.SIGINT) == previous


@pytest.mark.loopback
def test_a_signal_stops_every_worker_after_the_requests_already_in_flight(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """With two workers the signal comes while the server answers the third of seven
    requests: the requests already sent are answered and counted, no worker starts another
    (at least three were left to send), the reports say so, exit 130. (With as many workers as
    cases, every request may be on its way before the signal is seen: then nothing is cut
    short, and the report says the signal came after the last request was sent.)"""
    reports = tmp_path / "reports"
    with served(monkeypatch, at=3, signals=(signal.SIGINT,), hold=0.2) as server:
        argv = server.live("run", "--seed", "3", *CHECKS, "--report-dir", str(reports))
        code = main([*argv, "--concurrency", "2"])
    capsys.readouterr()
    assert code == 130
    assert server.app.signalled_after is not None
    # At most one request of the other worker was already on its way.
    assert len(server.app.requests) <= server.app.signalled_after + 1
    assert len(server.app.requests) < 7
    report = _report(reports)
    assert report["interrupted"] is True
    assert report["spending"]["requests"] == len(server.app.requests)
    assert report["stopped"] == "interrupted: SIGINT received; nothing more was sent"


@pytest.mark.loopback
def test_a_second_signal_abandons_what_every_worker_has_in_flight(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """Two SIGINTs while the third request is held: the run does not wait for the workers'
    requests in flight, counts each as possibly accepted, writes its reports, exit 130."""
    reports = tmp_path / "reports"
    with served(monkeypatch, at=3, signals=(signal.SIGINT, signal.SIGINT), hold=1.0) as server:
        argv = server.live("run", "--seed", "3", *CHECKS, "--report-dir", str(reports))
        code = main([*argv, "--concurrency", "4"])
    capsys.readouterr()
    assert code == 130
    report = _report(reports)
    assert report["interrupted"] is True
    assert report["stopped"] == (
        "interrupted: SIGINT received twice; the requests in flight were abandoned and nothing "
        "more was sent"
    )
    assert report["spending"]["possibly_accepted"] >= 1
    assert any("abandoned in flight" in reason for reason in _not_judged_reasons(report))
