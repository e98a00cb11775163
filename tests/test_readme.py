"""The README cannot go stale: its Python blocks run, and its commands run or parse.

Console blocks: every ``$ sms-contract ...`` line runs in-process against the mock, unless the
line is marked ``# live`` or ``# long-running``, in which case it must parse. The install and
test commands are the ones ``.ci/run`` uses.
"""

import re
import shlex
from pathlib import Path

import pytest

from sms_contract.cli.main import build_parser, main

ROOT = Path(__file__).resolve().parent.parent
README = (ROOT / "README.md").read_text(encoding="utf-8")
BLOCKS = re.findall(r"```(\w+)\n(.*?)```", README, flags=re.DOTALL)
COMMANDS = [
    line[2:].strip()
    for kind, body in BLOCKS
    if kind == "console"
    for line in body.splitlines()
    if line.startswith("$ ")
]
INSTALL = "python -m pip install -e '.[dev]' && sms-contract run"
TEST = "python -m pytest"


def _split(command: str) -> tuple[list[str], str]:
    words, _, comment = command.partition("  #")
    return shlex.split(words), comment.strip()


def test_readme_names_exactly_the_two_commands_ci_runs():
    """The install-and-run command and the test command are there, and .ci/run uses both."""
    assert INSTALL in COMMANDS
    assert TEST in COMMANDS
    ci = (ROOT / ".ci" / "run").read_text()
    assert "python -m pip install --quiet -e '.[dev]'" in ci
    assert "\npython -m pytest\n" in ci


@pytest.mark.parametrize(
    "command", [c for c in COMMANDS if c.startswith("sms-contract ")], ids=lambda c: c[:60]
)
def test_readme_sms_contract_commands_work(command, tmp_path, monkeypatch, capsys):
    """Each documented sms-contract command exits 0 on the mock (or parses, when marked)."""
    argv, comment = _split(command)
    for shipped in ("recordings", "spec"):  # the repository files the README refers to
        (tmp_path / shipped).symlink_to(ROOT / shipped)
    monkeypatch.chdir(tmp_path)
    if comment.startswith(("live", "long-running")):
        args = build_parser().parse_args(argv[1:])
        assert args.handler is not None
        return
    assert main(argv[1:]) == 0, capsys.readouterr().out[-2000:]


@pytest.mark.parametrize(
    "source", [body for kind, body in BLOCKS if kind == "python"], ids=lambda s: s[:40]
)
def test_readme_python_blocks_run(source):
    """Every Python example in the README runs and its assertions hold."""
    exec(compile(source, "README.md", "exec"), {"__name__": "readme_example"})
