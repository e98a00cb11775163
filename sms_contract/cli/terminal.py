"""Where the commands' human output goes, through Rich: colour and lines fitted to the width on
a terminal, plain full lines on anything else (a CI log, a pipe, a file).

Colour follows the conventions: only on a terminal, never with ``NO_COLOR`` set (any value,
https://no-color.org), always with ``FORCE_COLOR``; ``COLUMNS`` sets the width. A line cut to
fit ends with ``…``. On a terminal a spinner says what is going on between lines (planning,
sending), so the command is never silent for long; elsewhere the same news is one plain line.
Rich is imported when a command prints, never by ``--help`` or ``checks``.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from typing import TYPE_CHECKING, TextIO

from sms_contract.outcomes import Verdict

if TYPE_CHECKING:
    from rich.console import Console
    from rich.status import Status

ELLIPSIS = "…"
MIN_WIDTH = 40
DEFAULT_WIDTH = 80
VERDICT_STYLES: Mapping[str, str] = {
    Verdict.PASS.value: "green",
    Verdict.FAIL.value: "bold red",
    Verdict.OBSERVED.value: "yellow",
    Verdict.SKIPPED.value: "dim",
    Verdict.INCOMPLETE.value: "bold magenta",
    "ok": "bold green",
    "failed": "bold red",
    "incomplete": "bold magenta",
}


def cut(text: str, width: int | None, *, marker: str = ELLIPSIS) -> str:
    """``text`` in at most ``width`` characters, its end replaced by ``marker`` when cut."""
    if width is None or len(text) <= width:
        return text
    return text[: max(width - len(marker), 0)] + marker


def cut_marked(text: str, limit: int, where: str) -> str:
    """``text`` of at most ``limit`` characters, saying how much was left out and where the
    whole of it is when cut."""
    if len(text) <= limit:
        return text
    return f"{text[:limit]}{ELLIPSIS} (+{len(text) - limit} characters; all of it in {where})"


class Terminal:
    """The output of one command (module doc). Not thread-safe."""

    def __init__(self, stream: TextIO | None = None, environ: Mapping[str, str] | None = None):
        self._stream = stream
        self._environ = os.environ if environ is None else environ
        self._console: Console | None = None
        self._status: Status | None = None

    @property
    def stream(self) -> TextIO:
        return self._stream if self._stream is not None else sys.stdout

    @property
    def interactive(self) -> bool:
        """Writing to a terminal (so: fit lines, show a spinner)."""
        isatty = getattr(self.stream, "isatty", None)
        return bool(isatty and isatty())

    @property
    def color(self) -> bool:
        if "NO_COLOR" in self._environ:
            return False
        return self.interactive or bool(self._environ.get("FORCE_COLOR"))

    @property
    def width(self) -> int | None:
        """The columns a line may take on a terminal; ``None`` (no limit) elsewhere."""
        if not self.interactive:
            return None
        columns = self._environ.get("COLUMNS", "")
        if columns.isdigit() and int(columns) > 0:
            return max(int(columns), MIN_WIDTH)
        size = os.get_terminal_size(self.stream.fileno()).columns if self._has_fileno() else 0
        return max(size, MIN_WIDTH) if size else DEFAULT_WIDTH  # a pty may not know its size

    def _has_fileno(self) -> bool:
        try:
            self.stream.fileno()
        except (OSError, ValueError, AttributeError):
            return False
        return True

    def _rich(self) -> Console:
        if self._console is None or self._console.file is not self.stream:
            from rich.console import Console

            self._console = Console(
                file=self.stream,
                color_system="auto" if self.color else None,
                force_terminal=self.color or None,
                no_color=not self.color,
                highlight=False,
                markup=False,
                emoji=False,
                soft_wrap=True,
                width=self.width or 10_000,
            )
        return self._console

    def line(self, text: str = "", style: str | None = None) -> None:
        """One line, cut to the width on a terminal, in ``style`` when in colour."""
        shown = cut(text, self.width)
        if not self.color and self._status is None:
            print(shown, file=self.stream, flush=True)
            return
        self._rich().print(shown, style=style if self.color else None)
        self.stream.flush()

    def parts(self, *parts: tuple[str, str | None]) -> None:
        """One line made of (text, style) parts, cut to the width as a whole."""
        shown = cut("".join(part for part, _ in parts), self.width)
        if not self.color:
            self.line(shown)
            return
        from rich.text import Text

        text, start = Text(shown), 0
        for part, style in parts:
            end = min(start + len(part), len(shown))
            if style and start < end:
                text.stylize(style, start, end)
            start += len(part)
        self._rich().print(text)

    @contextmanager
    def working(self, message: str, *, announce: bool = True) -> Iterator[None]:
        """While the block runs: a spinner with ``message`` on a terminal; elsewhere
        ``message`` once, as a plain line (unless not ``announce``: the block prints its own
        news), so that a log shows it at once."""
        if not self.interactive:
            if announce:
                print(f"{message}…", file=self.stream, flush=True)
            yield
            return
        status = self._rich().status(cut(message, self.width), spinner="dots")
        self._status = status
        status.start()
        try:
            yield
        finally:
            status.stop()
            self._status = None

    def update(self, message: str) -> None:
        """What the spinner says now (nothing happens elsewhere)."""
        if self._status is not None:
            self._status.update(cut(message, self.width))


STDOUT = Terminal()
"""The commands' output: standard output as it is when a line is written (tests capture it)."""


def verdict_style(label: str) -> str | None:
    return VERDICT_STYLES.get(label.lower())


__all__ = ["ELLIPSIS", "STDOUT", "Terminal", "cut", "cut_marked", "verdict_style"]
