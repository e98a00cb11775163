"""write_reports: the one function that writes reports to disk."""

from __future__ import annotations

import pytest

import sms_contract.reporting as reporting
from sms_contract.errors import UsageError
from sms_contract.reporting import (
    ALL,
    WRITERS,
    html,
    json_report,
    junit,
    locations,
    markdown,
    write_reports,
)


def test_public_names_are_the_writers_and_write_reports():
    """The package exports exactly its writer table, the files it writes and the write
    function."""
    assert reporting.__all__ == ["ALL", "REPORT_FILES", "WRITERS", "Writer", "write_reports"]
    assert ALL == ("junit", "json", "html", "markdown")
    assert reporting.REPORT_FILES == ("junit.xml", "report.json", "report.html", "summary.md")


def test_writes_the_four_reports_into_a_new_directory(run, tmp_path):
    """Missing directories are created and each format lands in its documented file name."""
    directory = tmp_path / "nested" / "reports"
    paths = write_reports(run, directory)
    assert paths == {
        "junit": directory / "junit.xml",
        "json": directory / "report.json",
        "html": directory / "report.html",
        "markdown": directory / "summary.md",
    }
    assert sorted(p.name for p in directory.iterdir()) == [
        "junit.xml",
        "report.html",
        "report.json",
        "summary.md",
    ]


def test_written_files_hold_exactly_what_render_returns(run, tmp_path):
    """Writing adds nothing and changes nothing: the bytes are the rendered UTF-8."""
    paths = write_reports(run, tmp_path)
    for name, render in (
        ("junit", junit.render),
        ("json", json_report.render),
        ("html", html.render),
        ("markdown", markdown.render),
    ):
        assert paths[name].read_bytes() == render(run).encode("utf-8")


def test_writes_only_the_formats_asked_for(run, tmp_path):
    """A subset of formats writes only those files."""
    paths = write_reports(run, tmp_path, formats=["json", "markdown"])
    assert list(paths) == ["json", "markdown"]
    assert sorted(p.name for p in tmp_path.iterdir()) == ["report.json", "summary.md"]


def test_unknown_format_is_a_usage_error_and_writes_nothing(run, tmp_path):
    """A misspelled format names the choices, and no file or directory is created."""
    directory = tmp_path / "reports"
    with pytest.raises(UsageError) as raised:
        write_reports(run, directory, formats=["json", "xml"])
    assert str(raised.value) == (
        "unknown report format 'xml'; choose from junit, json, html, markdown"
    )
    assert not directory.exists()


def test_writer_table_names_each_file(run):
    """Each writer knows its file name and renders a string."""
    assert {name: writer.filename for name, writer in WRITERS.items()} == {
        "junit": "junit.xml",
        "json": "report.json",
        "html": "report.html",
        "markdown": "summary.md",
    }
    assert all(isinstance(writer.render(run), str) for writer in WRITERS.values())


def test_a_report_is_replaced_whole_or_not_at_all(run, tmp_path, monkeypatch):
    """Each file is written under a temporary name and renamed into place: when the rename
    fails, the earlier file is untouched and no temporary file is left behind."""
    earlier = tmp_path / "report.json"
    earlier.write_text("the earlier report\n")

    def failing_replace(source, target):
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(locations.os, "replace", failing_replace)
    with pytest.raises(UsageError) as raised:
        write_reports(run, tmp_path, formats=["json"])
    assert str(raised.value) == f"cannot write {earlier}: no space left on device"
    assert earlier.read_text() == "the earlier report\n"
    assert [p.name for p in tmp_path.iterdir()] == ["report.json"]


def test_a_directory_that_cannot_be_written_is_a_usage_error_naming_it(run, tmp_path):
    """A file where the directory should be (made after the command's own check, say): one
    line naming the path, no traceback-worthy OSError."""
    taken = tmp_path / "taken"
    taken.write_text("")
    with pytest.raises(UsageError) as raised:
        write_reports(run, taken)
    assert str(raised.value) == f"cannot write {taken}: file exists"
