"""A Markdown summary for a CI job page (GitHub's ``$GITHUB_STEP_SUMMARY``).

A headline with the result, a table of checks (failing first), each failure with its claim,
source and the evidence of its first finding (request and response folded in ``<details>``),
the observations, and what the run spent. Text from the run is escaped so it cannot break the
table or inject markup; code goes in fences longer than any run of backticks inside it.
"""

from __future__ import annotations

import re
from html import escape

from sms_contract.outcomes import CheckOutcome, Finding, RunOutcome, Verdict
from sms_contract.reporting.presentation import (
    counts_as_failure,
    is_link,
    ordered,
    pretty_json,
    printable,
    shown_findings,
    spending_line,
    verdict_label,
)

_ICONS = {Verdict.PASS: "✅", Verdict.FAIL: "❌", Verdict.OBSERVED: "🔎", Verdict.SKIPPED: "⏭️"}
_MARKDOWN = re.compile(r"[\\`*_\[\]~]")  # characters that would format prose
_MAX_MESSAGES = 5  # per failing check; the HTML and JSON reports carry every finding


def render(result: RunOutcome) -> str:
    """The run as GitHub-flavoured Markdown."""
    blocks = [_headline(result), _facts(result), _table(result)]
    failing = [check for check in ordered(result.checks) if counts_as_failure(check, result.strict)]
    if failing:
        blocks.append("### Failures")
        blocks += [_failure(check, result.strict) for check in failing]
    observed = [
        check
        for check in ordered(result.checks)
        if check.observations and not counts_as_failure(check, result.strict)
    ]
    if observed:
        blocks.append("### Observations")
        blocks.append(_observations(observed))
    blocks.append(f"**Spent:** {_text(spending_line(result.spending))}")
    return "\n\n".join(blocks) + "\n"


def _headline(result: RunOutcome) -> str:
    failing = sum(1 for check in result.checks if counts_as_failure(check, result.strict))
    if failing:
        return (
            f"## ❌ sms-contract: FAILED: {failing} of {len(result.checks)} documented "
            "claims did not hold"
        )
    return f"## ✅ sms-contract: PASSED: every claim that ran held ({len(result.checks)} checks)"


def _facts(result: RunOutcome) -> str:
    counts = " · ".join(f"{result.count(v)} {v.value}" for v in Verdict)
    strict = " · strict: observations count as failures" if result.strict else ""
    return (
        f"Target **{_text(result.target)}** {_code(result.base_url)} · seed "
        f"{_code(str(result.seed))} · {_text(result.started_at)} · sms-contract "
        f"{_text(result.tool_version)} · spec {_code(result.spec_sha256[:12])}{strict}\n\n"
        f"**Verdicts:** {counts} · exit code {result.exit_code}"
    )


def _table(result: RunOutcome) -> str:
    rows = ["| Check | Title | Verdict |", "| --- | --- | --- |"]
    rows += [
        f"| {_cell(_code(check.check_id))} | {_cell(_text(check.title))} | "
        f"{_icon(check, result.strict)} {_cell(_verdict(check, result.strict))} |"
        for check in ordered(result.checks)
    ]
    return "\n".join(rows)


def _verdict(check: CheckOutcome, strict: bool) -> str:
    label = verdict_label(check, strict)
    if check.verdict is Verdict.SKIPPED and check.skip_reason:
        return f"{label}: {_text(check.skip_reason)}"
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
    if findings:
        lines += ["", _first_evidence(findings[0])]
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
