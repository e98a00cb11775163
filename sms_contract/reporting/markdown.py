"""A Markdown summary for a CI job page (GitHub's ``$GITHUB_STEP_SUMMARY``).

A headline with the result (OK, FAILED or INCOMPLETE, with the exit code), why the run
stopped sending early if it did, a table of checks (failing first), each failure with its
claim, source and the evidence of its first finding (request and response folded in
``<details>``), what could not be judged and why, the observations, and what the run spent.
Text from the run is escaped so it cannot break the table or inject markup; code goes in
fences longer than any run of backticks inside it.
"""

from __future__ import annotations

import re
from html import escape

from sms_contract.outcomes import CheckOutcome, Finding, Result, RunOutcome, Verdict
from sms_contract.reporting.presentation import (
    VERDICT_ORDER,
    counts_as_failure,
    exit_phrase,
    is_link,
    not_judged_lines,
    not_judged_summary,
    ordered,
    outcome_sentence,
    pretty_json,
    printable,
    result_word,
    shown_findings,
    spending_line,
    verdict_label,
)

_ICONS = {
    Verdict.PASS: "✅",
    Verdict.FAIL: "❌",
    Verdict.OBSERVED: "🔎",
    Verdict.SKIPPED: "⏭️",
    Verdict.INCOMPLETE: "⚠️",
}
_RESULT_ICONS = {Result.OK: "✅", Result.FAILED: "❌", Result.INCOMPLETE: "⚠️"}
_MARKDOWN = re.compile(r"[\\`*_\[\]~]")  # characters that would format prose
_MAX_MESSAGES = 5  # per failing check; the HTML and JSON reports carry every finding
_MAX_CASES = 10  # case ids named per reason not judged; the HTML and JSON reports name all


def render(result: RunOutcome) -> str:
    """The run as GitHub-flavoured Markdown."""
    blocks = [_headline(result)]
    if result.stopped is not None:
        blocks.append(f"**Stopped early:** {_text(result.stopped)}")
    blocks += [_facts(result), _table(result)]
    checks = ordered(result.checks, result.strict)
    failing = [check for check in checks if counts_as_failure(check, result.strict)]
    if failing:
        blocks.append("### Failures")
        blocks += [_failure(check, result.strict) for check in failing]
    incomplete = ordered(result.incomplete, result.strict)
    if incomplete:
        blocks.append("### Not judged")
        blocks.append(_not_judged(incomplete, result.strict))
    observed = [
        check
        for check in checks
        if check.observations and not counts_as_failure(check, result.strict)
    ]
    if observed:
        blocks.append("### Observations")
        blocks.append(_observations(observed))
    blocks.append(f"**Spent:** {_text(spending_line(result.spending))}")
    return "\n\n".join(blocks) + "\n"


def _headline(result: RunOutcome) -> str:
    return (
        f"## {_RESULT_ICONS[result.result]} sms-contract: {result_word(result)} "
        f"({_text(exit_phrase(result))}): {_text(outcome_sentence(result))}"
    )


def _facts(result: RunOutcome) -> str:
    counts = " · ".join(f"{result.count(v)} {v.value}" for v in VERDICT_ORDER)
    strict = " · strict: observations count as failures" if result.strict else ""
    allow = f" · {_code('--allow-incomplete')}" if result.allow_incomplete else ""
    return (
        f"Target **{_text(result.target)}** {_code(result.base_url)} · seed "
        f"{_code(str(result.seed))} · {_text(result.started_at)} · sms-contract "
        f"{_text(result.tool_version)} · spec {_code(result.spec_sha256[:12])}{strict}{allow}"
        f"\n\n**Verdicts:** {counts} · exit code {result.exit_code}"
    )


def _table(result: RunOutcome) -> str:
    rows = ["| Check | Title | Verdict |", "| --- | --- | --- |"]
    rows += [
        f"| {_cell(_code(check.check_id))} | {_cell(_text(check.title))} | "
        f"{_icon(check, result.strict)} {_cell(_verdict(check, result.strict))} |"
        for check in ordered(result.checks, result.strict)
    ]
    return "\n".join(rows)


def _verdict(check: CheckOutcome, strict: bool) -> str:
    label = verdict_label(check, strict)
    if check.verdict is Verdict.SKIPPED and check.skip_reason:
        return f"{label}: {_text(check.skip_reason)}"
    partial = not_judged_summary(check)
    if partial:
        separator = ": " if check.verdict is Verdict.INCOMPLETE else "; "
        return f"{label}{separator}{partial}"
    return label


def _icon(check: CheckOutcome, strict: bool) -> str:
    return _ICONS[Verdict.FAIL] if counts_as_failure(check, strict) else _ICONS[check.verdict]


def _failure(check: CheckOutcome, strict: bool) -> str:
    claim = check.claim
    lines = [
        f"#### {_code(check.check_id)} {_text(check.title)}",
        "",
        f"> {_text(claim.text)}",
        "",
        f"Source: {_source(claim.source)}",
        "",
    ]
    findings = shown_findings(check, strict)
    lines += [f"- case {_code(f.case_id)}: {_text(f.message)}" for f in findings[:_MAX_MESSAGES]]
    if len(findings) > _MAX_MESSAGES:
        lines.append(f"- … and {len(findings) - _MAX_MESSAGES} more in the HTML and JSON reports")
    if not check.complete:
        lines.append(f"- also: {not_judged_summary(check)} (see Not judged)")
    if findings:
        lines += ["", _first_evidence(findings[0])]
    return "\n".join(lines)


def _not_judged(checks: list[CheckOutcome], strict: bool) -> str:
    """Each check that did not judge everything, then each reason once with its cases."""
    lines: list[str] = []
    for check in checks:
        label = _text(verdict_label(check, strict))
        lines.append(
            f"- {_code(check.check_id)} {_text(check.title)} ({label}): {not_judged_summary(check)}"
        )
        reasons = not_judged_lines(check, text=_text, code=_code, limit=_MAX_CASES)
        lines += [f"  - {reason}" for reason in reasons]
    return "\n".join(lines)


def _first_evidence(finding: Finding) -> str:
    parts: list[str] = []
    if finding.evidence:
        evidence = finding.evidence[-1]  # the exchange the verdict rests on comes last
        response = "no response arrived" if evidence.response is None else evidence.response
        parts += [
            f"<details><summary>Request and response (case {escape(finding.case_id)})</summary>",
            "",
            "Request:",
            "",
            _fence(pretty_json(evidence.request), "json"),
            "",
            "Response:",
            "",
            _fence(pretty_json(response), "json"),
            "",
            "</details>",
            "",
            "curl:",
            "",
            _fence(printable(evidence.curl), "sh"),
        ]
    for kind, command in finding.replay.items():
        parts += ["", f"Replay against {_text(kind)}:", "", _fence(printable(command), "sh")]
    return "\n".join(parts)


def _observations(checks: list[CheckOutcome]) -> str:
    lines: list[str] = []
    for check in checks:
        for finding in check.observations[:_MAX_MESSAGES]:
            lines.append(
                f"- {_code(check.check_id)} {_text(check.title)}: case "
                f"{_code(finding.case_id)}: {_text(finding.message)}"
            )
    return "\n".join(lines)


def _source(source: str) -> str:
    """A link when the source is a web address, else the document's name."""
    if not is_link(source):
        return _text(source)
    target = source.replace("<", "%3C").replace(">", "%3E").replace(" ", "%20")
    return f"[{_text(source)}](<{target}>)"


def _text(text: str) -> str:
    """Prose from the run on one line, with Markdown and HTML markup escaped."""
    flat = printable(text).replace("\r", " ").replace("\n", " ")
    return escape(_MARKDOWN.sub(r"\\\g<0>", flat), quote=False)


def _cell(text: str) -> str:
    """A table cell: a pipe would end the cell, so it is escaped."""
    return text.replace("|", "\\|")


def _code(text: str) -> str:
    """Inline code, delimited by more backticks than any run inside it."""
    flat = printable(text).replace("\r", " ").replace("\n", " ")
    ticks = "`" * (_longest_backtick_run(flat) + 1)
    pad = " " if flat.startswith("`") or flat.endswith("`") else ""
    return f"{ticks}{pad}{flat}{pad}{ticks}"


def _fence(text: str, language: str) -> str:
    ticks = "`" * max(3, _longest_backtick_run(text) + 1)
    return f"{ticks}{language}\n{text}\n{ticks}"


def _longest_backtick_run(text: str) -> int:
    return max((len(run) for run in re.findall("`+", text)), default=0)
