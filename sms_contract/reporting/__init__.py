"""The reports of a run: JUnit XML, JSON, HTML and a Markdown summary.

Each format is a pure ``render(result: RunOutcome) -> str`` in its own module; ``write_reports``
is the only function here that touches the filesystem (through ``locations``: where a command
writes is checked before it sends anything, and each file is written atomically). Evidence in
a ``RunOutcome`` is already scrubbed, so no report can carry a secret.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path

from sms_contract.errors import UsageError
from sms_contract.outcomes import RunOutcome
from sms_contract.reporting import html, json_report, junit, markdown
from sms_contract.reporting.locations import write_files


@dataclass(frozen=True)
class Writer:
    """A report format: the file it is written to and the function that renders it."""

    filename: str
    render: Callable[[RunOutcome], str]


WRITERS: dict[str, Writer] = {
    "junit": Writer("junit.xml", junit.render),
    "json": Writer("report.json", json_report.render),
    "html": Writer("report.html", html.render),
    "markdown": Writer("summary.md", markdown.render),
}
ALL: tuple[str, ...] = tuple(WRITERS)
REPORT_FILES: tuple[str, ...] = tuple(writer.filename for writer in WRITERS.values())
"""The files a run owns in its report directory (``locations.prepare_output_dir`` removes
an earlier run's before this one sends anything)."""


def write_reports(
    result: RunOutcome, directory: Path, formats: Iterable[str] = ALL
) -> dict[str, Path]:
    """Render ``formats`` and write them into ``directory`` (created if missing).

    Returns the path written for each format, in the order asked. Every format is rendered
    before the first file is written, so a rendering error leaves no partial set of reports,
    and each file is written under a temporary name and renamed into place, so none is ever
    half written. A directory that cannot be written is a ``UsageError`` naming it.
    """
    chosen = list(dict.fromkeys(formats))
    unknown = [name for name in chosen if name not in WRITERS]
    if unknown:
        raise UsageError(
            f"unknown report format {', '.join(map(repr, unknown))}; "
            f"choose from {', '.join(WRITERS)}"
        )
    rendered = {WRITERS[name].filename: WRITERS[name].render(result) for name in chosen}
    # Renderers escape what is unprintable; backslashreplace is the last line of defence.
    return dict(zip(chosen, write_files(directory, rendered), strict=True))


__all__ = ["ALL", "REPORT_FILES", "WRITERS", "Writer", "write_reports"]
