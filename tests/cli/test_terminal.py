"""The terminal: colour and fitted lines on a terminal, plain full lines elsewhere, truncation
marked, a word at once while planning, and each check's sends told apart from the total."""

from __future__ import annotations

import io
import re

import pytest

from sms_contract.cli.main import main
from sms_contract.cli.terminal import Terminal, cut, cut_marked

ESCAPE = re.compile(r"\x1b\[[0-9;]*m")
LONG = "x" * 300


class Tty(io.StringIO):
    """A stream that says it is a terminal (and has no file descriptor to measure)."""

    def isatty(self) -> bool:
        return True


def test_a_pipe_gets_plain_full_lines_without_colour() -> None:
    """Not a terminal: no escape code, and a long line is not cut (a CI log keeps it all)."""
    out = io.StringIO()
    terminal = Terminal(out, environ={})
    terminal.parts(("PASS ", "green"), (LONG, None))
    assert out.getvalue() == f"PASS {LONG}\n"
    assert (terminal.color, terminal.width) == (False, None)


def test_a_terminal_gets_colour_and_lines_cut_to_its_width_with_a_marker() -> None:
    """COLUMNS=60: the line is 60 characters ending in '…', the verdict coloured."""
    out = Tty()
    Terminal(out, environ={"COLUMNS": "60"}).parts(("PASS ", "green"), (LONG, None))
    text = out.getvalue()
    assert ESCAPE.search(text)
    plain = ESCAPE.sub("", text).rstrip("\n")
    assert len(plain) == 60
    assert plain.endswith("…")


def test_no_color_turns_colour_off_on_a_terminal_and_force_color_turns_it_on_elsewhere() -> None:
    """NO_COLOR (any value) wins on a terminal; FORCE_COLOR colours a pipe."""
    tty = Tty()
    Terminal(tty, environ={"NO_COLOR": "", "COLUMNS": "80"}).parts(("FAIL", "bold red"))
    assert not ESCAPE.search(tty.getvalue())
    assert tty.getvalue() == "FAIL\n"
    pipe = io.StringIO()
    Terminal(pipe, environ={"FORCE_COLOR": "1"}).parts(("FAIL", "bold red"))
    assert ESCAPE.search(pipe.getvalue())


def test_a_cut_value_says_how_much_was_left_out_and_where_the_rest_is() -> None:
    """Evidence cut at its limit ends with the count of characters left out."""
    assert cut_marked("abcdef", 4, "report.json") == (
        "abcd… (+2 characters; all of it in report.json)"
    )
    assert cut_marked("abc", 4, "report.json") == "abc"
    assert cut("abcdef", 4) == "abc…"
    assert cut("abcdef", None) == "abcdef"


def test_planning_is_announced_at_once_where_no_spinner_can_show() -> None:
    """Not a terminal: the message is a line before the work starts."""
    out = io.StringIO()
    terminal = Terminal(out, environ={})
    with terminal.working("planning the run"):
        assert out.getvalue() == "planning the run…\n"


def test_each_check_line_tells_its_own_sends_from_the_running_total(
    capsys: pytest.CaptureFixture[str], tmp_path
) -> None:
    """SEND-EXAMPLE spends 1, the two-recipient batch 2: 'sends 2  total 3' on its line."""
    argv = ["run", "--check", "SEND-EXAMPLE", "--check", "SEND-BATCH-ACCEPTED", "--seed", "1"]
    assert main([*argv, "--report-dir", str(tmp_path)]) == 0
    lines = [line for line in capsys.readouterr().out.splitlines() if line.startswith("[")]
    assert "sends 1  total 1 " in lines[0]
    assert "sends 2  total 3 " in lines[1]
