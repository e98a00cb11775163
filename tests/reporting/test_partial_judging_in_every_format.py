"""Partial judging ("3 of 4 cases not judged", and why) reads the same in all four reports:
the words of ``presentation.not_judged_summary`` and ``presentation.not_judged_lines``, each
format only escaping them its own way."""

from __future__ import annotations

import json
import re
import xml.etree.ElementTree as ET
from collections.abc import Callable
from dataclasses import replace
from html import unescape
from pathlib import Path

import pytest

from sms_contract.outcomes import NotJudged, RunOutcome
from sms_contract.reporting import html, json_report, junit, markdown
from sms_contract.reporting.presentation import not_judged_lines, not_judged_summary
from tests.reporting.conftest import THROTTLED


def _html_text(run: RunOutcome) -> str:
    return unescape(re.sub(r"<[^>]+>", "", html.render(run)))


def _markdown_text(run: RunOutcome) -> str:
    return re.sub(r"\\(.)", r"\1", markdown.render(run).replace("`", ""))


def _junit_text(run: RunOutcome) -> str:
    root = ET.fromstring(junit.render(run))
    parts = [value for element in root.iter() for value in element.attrib.values()]
    parts += [element.text or "" for element in root.iter()]
    return "\n".join(parts)


def _json_text(run: RunOutcome) -> str:
    checks = json.loads(json_report.render(run))["checks"]
    return "\n".join(
        line
        for check in checks
        for line in [check["not_judged_summary"] or "", *check["not_judged_reasons"]]
    )


FORMATS: dict[str, Callable[[RunOutcome], str]] = {
    "json": _json_text,
    "html": _html_text,
    "junit": _junit_text,
    "markdown": _markdown_text,
}


@pytest.mark.parametrize("name", FORMATS)
def test_an_incomplete_check_says_how_much_and_why_in_the_same_words(run, name):
    """The incomplete sample check: its count and each of its two reasons, with the cases each
    applies to, appear word for word."""
    incomplete = run.checks[4]
    text = FORMATS[name](run)
    assert not_judged_summary(incomplete) == "3 of 4 cases not judged"
    assert not_judged_summary(incomplete) in text
    for line in not_judged_lines(incomplete):
        assert line in text


@pytest.mark.parametrize("name", FORMATS)
def test_a_failure_with_cases_not_judged_shows_both_in_the_same_words(run, name):
    """A failed check that also left a case unjudged: its failure message and its count and
    reason, in every format."""
    failing = replace(run.checks[1], not_judged=(NotJudged("c-echo-2", THROTTLED),), planned=4)
    only = replace(run, checks=(failing,))
    text = FORMATS[name](only)
    assert "1 of 4 cases not judged" in text
    assert f"{THROTTLED} (case c-echo-2)" in text
    if name != "json":  # the JSON keeps the finding apart, in findings[]
        assert "messageKey was not echoed" in text
    else:
        assert json.loads(json_report.render(only))["checks"][0]["verdict"] == "fail"


def test_the_doc_quotes_the_words_the_reports_write(run):
    """docs/report-format.md's section on partial judging quotes the sample's count and
    first reason exactly as presentation words them, and names the JSON fields."""
    doc = (Path(__file__).resolve().parents[2] / "docs" / "report-format.md").read_text("utf-8")
    section = doc[doc.index("## What was not judged, in every report") :]
    section = " ".join(section[: section.index("\n## ", 1)].split())
    incomplete = run.checks[4]
    assert f'`"{not_judged_summary(incomplete)}"`' in section
    assert f'`"{not_judged_lines(incomplete)[0]}"`' in section
    for name in ("not_judged_summary", "not_judged_reasons", "report.html", "junit.xml"):
        assert name in section
