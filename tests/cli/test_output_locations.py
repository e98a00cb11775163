"""Where run, record and drift write is checked before anything is sent: a report or
cassette directory that is a file, read-only, or another user's stops the command with exit 2
and one line naming the path and what is wrong, and the target gets no request."""

from __future__ import annotations

import os
import stat
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from sms_contract.cli.main import main
from sms_contract.errors import UsageError
from sms_contract.reporting.locations import check_output_dir, prepare_output_dir
from tests.cli.loopback import served

SHIPPED = Path(__file__).resolve().parents[2] / "recordings" / "simulator"
pytestmark = [pytest.mark.usefixtures("clean_cli_environment"), pytest.mark.loopback]
AS_ROOT = hasattr(os, "geteuid") and os.geteuid() == 0
ROOT_WRITES_ANYWHERE = pytest.mark.skipif(
    AS_ROOT,
    reason="running as root, which can write into a read-only directory: the check would "
    "rightly pass, so there is nothing to refuse",
)

# Each command with the output flag under test: the command and its other arguments, given
# the output directory under test and a directory where anything else may be written.
COMMANDS: dict[str, Callable[[Path, Path], tuple[str, list[str]]]] = {
    "run --report-dir": lambda path, _: ("run", ["--seed", "3", "--report-dir", str(path)]),
    "record --cassette-dir": lambda path, _: (
        "record",
        ["--seed", "3", "--cassette-dir", str(path)],
    ),
    "record --report-dir": lambda path, spare: (
        "record",
        ["--seed", "3", "--cassette-dir", str(spare), "--report-dir", str(path)],
    ),
    "drift --report-dir": lambda path, _: (
        "drift",
        ["--cassette-dir", str(SHIPPED), "--check", "SEND-EXAMPLE", "--report-dir", str(path)],
    ),
}


@pytest.fixture
def read_only_dir(tmp_path: Path) -> Iterator[Path]:
    """A directory nobody may write into (its mode given back afterwards, so that pytest can
    remove it)."""
    directory = tmp_path / "read-only"
    directory.mkdir()
    directory.chmod(stat.S_IRUSR | stat.S_IXUSR)
    yield directory
    directory.chmod(stat.S_IRWXU)


def _refused(
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
    flag: str,
    path: Path,
    spare: Path,
) -> str:
    """Run the command of ``flag`` against a loopback simulator with ``path`` as its output
    directory; assert exit 2, one line on stderr, no traceback, and no request sent; return
    the line."""
    command, extra = COMMANDS[flag](path, spare)
    with served(monkeypatch) as server:
        code = main(server.live(command, *extra))
    captured = capsys.readouterr()
    assert code == 2
    (line,) = captured.err.splitlines()
    assert line.startswith("sms-contract: error: ")
    assert "Traceback" not in captured.out + captured.err
    assert server.app.requests == []
    return line


@pytest.mark.parametrize("flag", list(COMMANDS))
def test_an_output_directory_that_is_a_file_stops_the_command_before_any_request(
    flag: str,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    """A file where the output directory should be: exit 2, one line naming the path and
    saying it is a file, and the target got not one request."""
    path = tmp_path / "taken"
    path.write_text("not a directory\n")
    line = _refused(monkeypatch, capsys, flag, path, tmp_path / "spare")
    option = flag.split()[1]
    assert line == (
        f"sms-contract: error: {option} {path} is a file, not a directory: give a directory "
        "to write into (it is created if missing)"
    )
    assert path.read_text() == "not a directory\n"


@pytest.mark.parametrize("flag", list(COMMANDS))
def test_an_output_directory_under_a_file_cannot_be_created_and_stops_the_command(
    flag: str,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    """A missing directory whose parent is a file cannot be created: exit 2, naming both."""
    parent = tmp_path / "file"
    parent.write_text("")
    line = _refused(monkeypatch, capsys, flag, parent / "reports", tmp_path / "spare")
    option = flag.split()[1]
    assert line == (
        f"sms-contract: error: {option} {parent / 'reports'} cannot be created: {parent} is a "
        "file, not a directory"
    )


@ROOT_WRITES_ANYWHERE
@pytest.mark.parametrize("flag", list(COMMANDS))
def test_a_read_only_output_directory_stops_the_command_before_any_request(
    flag: str,
    read_only_dir: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    """A directory that cannot be written into: exit 2, one line naming it and why, and the
    target got not one request."""
    line = _refused(monkeypatch, capsys, flag, read_only_dir, read_only_dir.parent / "spare")
    option = flag.split()[1]
    assert line == (
        f"sms-contract: error: {option} {read_only_dir}: the directory is not writable "
        "(permission denied)"
    )


@ROOT_WRITES_ANYWHERE
@pytest.mark.parametrize("flag", ["run --report-dir", "record --cassette-dir"])
def test_a_missing_directory_in_a_read_only_one_cannot_be_created_and_stops_the_command(
    flag: str,
    read_only_dir: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    """The directory does not exist and its parent cannot be written: exit 2, naming both."""
    spare = read_only_dir.parent / "spare"
    line = _refused(monkeypatch, capsys, flag, read_only_dir / "reports", spare)
    option = flag.split()[1]
    assert line == (
        f"sms-contract: error: {option} {read_only_dir / 'reports'} cannot be created: "
        f"{read_only_dir} is not writable (permission denied)"
    )


def test_another_users_directory_is_named_as_such() -> None:
    """A directory of another user that this one cannot write into (the root directory, for
    anyone but root): the message says whose it is."""
    root = Path(os.sep)
    if AS_ROOT or root.stat().st_uid == os.geteuid() or os.access(root, os.W_OK):
        pytest.skip(
            "needs a directory of another user that this user cannot write into: running as "
            "root (which can write anywhere), or / is this user's or writable"
        )
    with pytest.raises(UsageError) as raised:
        check_output_dir(root, "--report-dir")
    assert str(raised.value) == (
        f"--report-dir {root}: the directory is not writable (permission denied): it "
        f"belongs to another user (uid {root.stat().st_uid})"
    )


def test_checking_a_missing_directory_creates_nothing(tmp_path: Path) -> None:
    """The check only looks: a directory that does not exist yet is still missing after it
    (a run that stops before writing leaves no empty directory behind)."""
    prepare_output_dir(tmp_path / "a" / "b", "--report-dir", owned=("report.json",))
    assert list(tmp_path.iterdir()) == []


def test_the_dry_run_checks_no_report_directory(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """--dry-run writes no report, so a report directory it could not write is no error."""
    path = tmp_path / "taken"
    path.write_text("")
    with served(monkeypatch) as server:
        code = main(server.live("run", "--dry-run", "--report-dir", str(path)))
    assert code == 0
    assert "dry run: nothing is sent" in capsys.readouterr().out
    assert server.app.requests == []
