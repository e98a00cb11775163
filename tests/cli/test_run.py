"""``sms-contract run`` end to end, in-process: exit codes, the dry run, the reports, the send
budget of a live run against the simulator on loopback, and no secret in any output."""

from __future__ import annotations

import json
import socket
import xml.etree.ElementTree as ET
from collections.abc import Callable, Iterable, Iterator
from contextlib import redirect_stdout
from dataclasses import dataclass
from html.parser import HTMLParser
from io import StringIO
from pathlib import Path
from typing import Any

import pytest

from sms_contract.checks import CATALOGUE
from sms_contract.cli.main import main
from sms_contract.simulator.app import Simulator
from sms_contract.simulator.config import Credentials, Deviation, SimulatorConfig
from sms_contract.simulator.server import serve_in_thread
from sms_contract.testing import TokenTap

NUMBER = "15555551234"
REPORTS = ("junit.xml", "report.json", "report.html", "summary.md")
pytestmark = pytest.mark.usefixtures("clean_cli_environment")


@dataclass
class Loopback:
    simulator: Simulator
    tap: TokenTap
    base_url: str

    def live(self, *extra: str) -> list[str]:
        """``run`` arguments for the live code path pointed at this server."""
        return [
            "run",
            "--target",
            "live",
            "--base-url",
            self.base_url,
            "--auth-url",
            self.base_url,
            "--definition-key",
            "account-reset",
            *extra,
        ]


@pytest.fixture
def loopback(monkeypatch: pytest.MonkeyPatch) -> Iterator[Callable[..., Loopback]]:
    """Serve a simulator (from config changes) on 127.0.0.1, credentials in the environment."""
    servers = []

    def start(**config: Any) -> Loopback:
        simulator = Simulator(SimulatorConfig(**config))
        credentials = simulator.config.credentials
        monkeypatch.setenv("SFMC_CLIENT_ID", credentials.client_id)
        monkeypatch.setenv("SFMC_CLIENT_SECRET", credentials.client_secret)
        tap = TokenTap(simulator)
        server = serve_in_thread(tap)
        servers.append(server)
        return Loopback(simulator, tap, server.base_url)

    yield start
    for server in servers:
        server.stop()


def closed_port() -> int:
    """A loopback port nothing listens on (bound, then released)."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def written(report_dir: Path) -> Iterable[tuple[Path, str]]:
    for path in sorted(report_dir.rglob("*")):
        if path.is_file():
            yield path, path.read_text(encoding="utf-8")


@dataclass(frozen=True)
class MockRun:
    exit_code: int
    stdout: str
    report_dir: Path


@pytest.fixture(scope="module")
def mock_run(tmp_path_factory: pytest.TempPathFactory) -> MockRun:
    """One default mock run (every check, default examples), shared by the report tests."""
    report_dir = tmp_path_factory.mktemp("reports")
    out = StringIO()
    with redirect_stdout(out):
        code = main(["run", "--seed", "11", "--report-dir", str(report_dir)])
    return MockRun(code, out.getvalue(), report_dir)


# --- exit codes --------------------------------------------------------------------------


def test_the_default_mock_run_exits_zero_and_writes_every_report(mock_run: MockRun) -> None:
    """No flag but a report dir: every claim holds against the mock, four reports written."""
    assert mock_run.exit_code == 0
    assert mock_run.stdout.splitlines()[0] == "sms-contract: seed 11 (reproduce with --seed 11)"
    assert sorted(p.name for p in mock_run.report_dir.iterdir()) == sorted(REPORTS)


@pytest.mark.loopback
def test_a_violated_claim_exits_one_with_evidence_and_replay(
    loopback: Callable[..., Loopback], capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    """A target that ignores auth fails AUTH-NO-TOKEN: exit 1, a curl line, replay commands."""
    server = loopback(deviations=frozenset({Deviation.IGNORE_AUTH}))
    argv = server.live("--to", NUMBER, "--check", "AUTH-NO-TOKEN", "--seed", "5")
    code = main([*argv, "--report-dir", str(tmp_path / "reports")])
    out = capsys.readouterr().out
    assert code == 1
    assert "curl -X POST " in out
    assert "sms-contract run --target mock --seed 5 --examples 5 --check AUTH-NO-TOKEN" in out
    assert "sms-contract run --target live --seed 5 --examples 5 --check AUTH-NO-TOKEN" in out
    report = json.loads((tmp_path / "reports" / "report.json").read_text())
    assert [(c["id"], c["verdict"]) for c in report["checks"]] == [("AUTH-NO-TOKEN", "fail")]
    assert report["exit_code"] == 1


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["--check", "NOPE"], "unknown check NOPE; run 'sms-contract checks' to list them"),
        (
            ["--target", "live", "--definition-key", "account-reset"],
            "--target live needs --to NUMBER (the allow-listed recipients)",
        ),
        (
            ["--base-url", "http://127.0.0.1:9"],
            "--base-url and --auth-url go with --target live (the mock is in-process)",
        ),
        (["--to", "555-0142"], "--to number 1 is not a mobile number"),
    ],
    ids=["unknown-check", "live-without-to", "base-url-with-mock", "bad-to"],
)
def test_a_usage_error_exits_two_with_one_line_and_no_traceback(
    argv: list[str], message: str, capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    """Configuration mistakes: exit 2, one line on stderr saying what to fix, nothing written."""
    code = main(["run", *argv, "--report-dir", str(tmp_path / "reports")])
    captured = capsys.readouterr()
    assert code == 2
    (line,) = captured.err.splitlines()
    assert line.startswith(f"sms-contract: error: {message}")
    assert "Traceback" not in captured.out + captured.err
    assert "555-0142" not in captured.err
    assert not (tmp_path / "reports").exists()


@pytest.mark.loopback
def test_an_unreachable_target_exits_three(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    """Nothing listens on the port: exit 3 with one line naming the connection failure."""
    monkeypatch.setenv("SFMC_CLIENT_ID", "client")
    monkeypatch.setenv("SFMC_CLIENT_SECRET", "not-a-real-secret")
    url = f"http://127.0.0.1:{closed_port()}"
    argv = ["run", "--target", "live", "--base-url", url, "--auth-url", url]
    argv += ["--to", NUMBER, "--definition-key", "account-reset", "--retries", "0"]
    code = main([*argv, "--report-dir", str(tmp_path / "reports")])
    captured = capsys.readouterr()
    assert code == 3
    (line,) = captured.err.splitlines()
    assert line.startswith("sms-contract: error: ")
    assert "cannot connect" in line
    assert "Traceback" not in captured.out + captured.err


# --- the dry run ----------------------------------------------------------------------------


@pytest.mark.loopback
def test_dry_run_prints_the_plan_and_sends_nothing(
    loopback: Callable[..., Loopback], capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    """--dry-run against a live target: one plan line per check, and not one request."""
    server = loopback()
    argv = server.live("--to", NUMBER, "--dry-run", "--seed", "3")
    code = main([*argv, "--report-dir", str(tmp_path / "reports")])
    out = capsys.readouterr().out
    assert code == 0
    assert server.simulator.counters.requests == 0
    assert "dry run: nothing is sent" in out
    first_words = [line.split()[0] for line in out.splitlines() if line.strip()]
    planned = [word for word in first_words if word in CATALOGUE]
    assert planned == list(CATALOGUE)
    assert not (tmp_path / "reports").exists()


# --- the reports ------------------------------------------------------------------------------


def test_junit_xml_parses_with_one_testcase_per_check_named_by_id(mock_run: MockRun) -> None:
    """junit.xml is XML, with one testcase per check, named '<ID> <title>', in catalogue order."""
    root = ET.parse(mock_run.report_dir / "junit.xml").getroot()
    names = [case.get("name", "") for case in root.iter("testcase")]
    assert [name.split(" ", 1)[0] for name in names] == list(CATALOGUE)
    assert names == [f"{check.id} {check.title}" for check in CATALOGUE.values()]
    assert [case for case in root.iter("testcase") if case.find("failure") is not None] == []


def test_json_report_parses_with_every_check_and_the_spending(mock_run: MockRun) -> None:
    """report.json is JSON, with every check's verdict and what the run spent."""
    report = json.loads((mock_run.report_dir / "report.json").read_text(encoding="ascii"))
    assert [check["id"] for check in report["checks"]] == list(CATALOGUE)
    assert (report["seed"], report["target"], report["exit_code"]) == (11, "mock", 0)
    assert {check["verdict"] for check in report["checks"]} <= {"pass", "observed"}
    spending = report["spending"]
    assert spending["requests"] > spending["accepted_sends"] > 0
    assert spending["max_sends"] is None


class _Tags(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.open: list[str] = []
        self.external: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag not in {"meta", "br", "hr", "img", "input", "link", "wbr", "col"}:
            self.open.append(tag)
        self.external += [v for k, v in attrs if k in ("src", "href") and v and "://" in v]

    def handle_endtag(self, tag: str) -> None:
        if self.open and self.open[-1] == tag:
            self.open.pop()


def test_html_report_is_self_contained_and_names_every_check(mock_run: MockRun) -> None:
    """report.html parses, loads nothing from elsewhere, and shows every check id."""
    html = (mock_run.report_dir / "report.html").read_text(encoding="utf-8")
    tags = _Tags()
    tags.feed(html)
    tags.close()
    assert html.startswith("<!DOCTYPE html>")
    assert tags.open == []
    assert [url for url in tags.external if not url.startswith("https://developer.")] == []
    assert [check_id for check_id in CATALOGUE if check_id not in html] == []


# --- live safety against the simulator on loopback ----------------------------------------------


@pytest.mark.loopback
def test_a_live_run_stays_within_its_send_budget(
    loopback: Callable[..., Loopback], capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    """--max-sends 3: the simulator accepted at most 3 sends and the report says what was spent."""
    server = loopback()
    argv = server.live("--to", NUMBER, "--max-sends", "3", "--examples", "2", "--seed", "9")
    main([*argv, "--report-dir", str(tmp_path / "reports")])
    capsys.readouterr()
    counters = server.simulator.counters
    spending = json.loads((tmp_path / "reports" / "report.json").read_text())["spending"]
    assert counters.accepted_sends <= 3
    assert spending["max_sends"] == 3
    assert spending["accepted_sends"] == counters.accepted_sends
    assert spending["requests"] == counters.requests
    assert spending["max_requests"] == 200
    report = json.loads((tmp_path / "reports" / "report.json").read_text())
    not_judged = {n["reason"] for c in report["checks"] for n in c["not_judged"]}
    assert "budget: the budget of 3 accepted sends is spent" in not_judged
    assert (report["result"], report["exit_code"]) == ("incomplete", 4)


CANARY_ID = "canary-client-id-4f2d"
CANARY_SECRET = "canary-client-secret-0b7e91"
CANARY_PHONE = "15555550142"


def leaks(values: Iterable[str], text: str) -> int:
    """How many of ``values`` occur in ``text`` (a count, so no assertion shows a value)."""
    return sum(1 for value in values if value in text)


@pytest.mark.loopback
def test_no_secret_reaches_the_terminal_or_any_report(
    loopback: Callable[..., Loopback], capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    """Canary client id and secret, every issued token and the recipient: in no output."""
    server = loopback(
        credentials=Credentials(client_id=CANARY_ID, client_secret=CANARY_SECRET),
        # Failures carry evidence: sends accepted without a token, and a token issued for a
        # wrong secret (its response holds an access_token).
        deviations=frozenset({Deviation.IGNORE_AUTH, Deviation.ACCEPT_BAD_SECRET}),
    )
    argv = server.live("--to", CANARY_PHONE, "--max-sends", "40", "--examples", "2")
    code = main([*argv, "--seed", "13", "--report-dir", str(tmp_path / "reports")])
    captured = capsys.readouterr()
    assert code == 1  # the deviations were found, so there is evidence to scrub
    assert len(server.tap.tokens) >= 2  # the client's token and the wrong secret's token
    secrets = [CANARY_ID, CANARY_SECRET, CANARY_PHONE, *server.tap.tokens]
    assert leaks(secrets, captured.out) == 0, "stdout"
    assert leaks(secrets, captured.err) == 0, "stderr"
    files = list(written(tmp_path / "reports"))
    assert sorted(path.name for path, _ in files) == sorted(REPORTS)
    assert [path.name for path, text in files if leaks(secrets, text)] == []
    # The evidence the scrubber had to handle is there, as placeholders.
    report = (tmp_path / "reports" / "report.json").read_text()
    assert '"access_token": "<secret-' in report
    assert '"to": "<phone-1>"' in report


# --- help and the catalogue listing -------------------------------------------------------------


def test_run_help_explains_the_defaults(capsys: pytest.CaptureFixture[str]) -> None:
    """run --help names the default of every flag that has one, and the exit codes."""
    with pytest.raises(SystemExit) as exited:
        main(["run", "--help"])
    text = " ".join(capsys.readouterr().out.split())
    assert exited.value.code == 0
    for expected in (
        "mock: hermetic, in-process (default)",
        "generated examples per property-based check (default: 5",
        "where reports are written (default: reports)",
        "seed (default: random, printed",
        "most accepted sends (live default: 15; mock: unbounded)",
        "most requests in all (live default: 200; mock: unbounded)",
        "mock default: the documented example 15555551234",
        "(default: 3)",
        "4 INCOMPLETE: not every selected claim could be judged",
        "--allow-incomplete makes this exit 0, unless nothing at all was judged",
        "deadline of the run: past it nothing new is sent and the run ends INCOMPLETE",
        "(live default: 600; mock: none)",
        "a 5xx is retried once",
    ):
        assert expected in text


def test_checks_lists_every_check_id(capsys: pytest.CaptureFixture[str]) -> None:
    """sms-contract checks prints one line per check, starting with its id, in order."""
    assert main(["checks"]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert [line.split()[0] for line in lines] == list(CATALOGUE)
    unknown_key = lines[list(CATALOGUE).index("STATUS-UNKNOWN-KEY")]
    assert unknown_key.endswith("[docs silent or conflicting: observed]")
