"""A self-contained HTML report: the executable documentation of the API.

One file, inline CSS, no scripts and no external resources. A header says what was run
against what; a summary lists the checks, failing first; then each claim with its quote and
source, its verdict (a colour *and* a word) and the scrubbed evidence behind it. Every value
from the run goes through ``html.escape``.
"""

from __future__ import annotations

from html import escape

from sms_contract.outcomes import CheckOutcome, Evidence, Finding, RunOutcome, Verdict
from sms_contract.reporting.presentation import (
    budget,
    counts_as_failure,
    is_link,
    ordered,
    plural,
    pretty_json,
    printable,
    requests_spent,
    verdict_label,
)


def render(result: RunOutcome) -> str:
    """The run as one HTML5 document."""
    outcome = "FAILED" if result.violated else "PASSED"
    parts = [
        "<!DOCTYPE html>",
        '<html lang="en">',
        "<head>",
        '<meta charset="utf-8">',
        '<meta name="viewport" content="width=device-width, initial-scale=1">',
        f"<title>sms-contract {outcome}: {_e(result.target)} {_e(result.base_url)}</title>",
        f"<style>{STYLE}</style>",
        "</head>",
        "<body>",
        _header(result, outcome),
        "<main>",
        _summary(result),
        '<section id="claims">',
        "<h2>Claims</h2>",
        *(_claim(check, result.strict) for check in ordered(result.checks)),
        "</section>",
        "</main>",
        "</body>",
        "</html>",
    ]
    return "\n".join(parts) + "\n"


def _e(text: object) -> str:
    return escape(printable(str(text)), quote=True)


def _header(result: RunOutcome, outcome: str) -> str:
    spent = result.spending
    facts = [
        ("Target", f"{_e(result.target)} <code>{_e(result.base_url)}</code>"),
        ("Seed", f"<code>{_e(result.seed)}</code>"),
        ("Started", _e(result.started_at)),
        ("Duration", f"{result.duration:.2f} s"),
        ("Tool version", f"sms-contract {_e(result.tool_version)}"),
        ("Spec SHA-256", f"<code>{_e(result.spec_sha256)}</code>"),
        ("Accepted sends", _e(budget(spent.accepted_sends, spent.max_sends))),
        ("Requests", _e(requests_spent(spent))),
        ("Strict", "yes: observations count as failures" if result.strict else "no"),
    ]
    rows = "\n".join(f"<dt>{name}</dt><dd>{value}</dd>" for name, value in facts)
    css = "fail" if result.violated else "pass"
    return (
        "<header>\n"
        "<h1>sms-contract conformance report</h1>\n"
        f'<p class="outcome {css}"><strong>{outcome}</strong> (exit code {result.exit_code})'
        f" {_e(_outcome_sentence(result))}</p>\n"
        f'<dl class="facts">\n{rows}\n</dl>\n'
        "</header>"
    )


def _outcome_sentence(result: RunOutcome) -> str:
    failing = sum(1 for check in result.checks if counts_as_failure(check, result.strict))
    if failing:
        return f"{failing} of {len(result.checks)} documented claims did not hold."
    return f"every claim that ran held ({len(result.checks)} checks)."


def _summary(result: RunOutcome) -> str:
    counts = " ".join(
        f'<span class="badge {verdict.value if result.count(verdict) else "none"}">'
        f"{result.count(verdict)} {verdict.value}</span>"
        for verdict in Verdict
    )
    rows = "\n".join(
        "<tr>"
        f'<td><a href="#{_e(check.check_id)}"><code>{_e(check.check_id)}</code></a></td>'
        f"<td>{_e(check.title)}</td>"
        f"<td>{_e(check.category.value)}</td>"
        f"<td>{_badge(check, result.strict)}</td>"
        "</tr>"
        for check in ordered(result.checks)
    )
    return (
        '<section id="summary">\n<h2>Summary</h2>\n'
        f'<p class="counts">{counts}</p>\n'
        "<table>\n<thead><tr><th>Check</th><th>Title</th><th>Category</th><th>Verdict</th>"
        f"</tr></thead>\n<tbody>\n{rows}\n</tbody>\n</table>\n</section>"
    )


def _badge(check: CheckOutcome, strict: bool) -> str:
    css = "fail" if counts_as_failure(check, strict) else check.verdict.value
    return f'<span class="badge {css}">{_e(verdict_label(check, strict))}</span>'


def _claim(check: CheckOutcome, strict: bool) -> str:
    claim = check.claim
    source = (
        f'<a href="{_e(claim.source)}">{_e(claim.source)}</a>'
        if is_link(claim.source)
        else _e(claim.source)
    )
    cite = f' cite="{_e(claim.source)}"' if is_link(claim.source) else ""
    parts = [
        f'<article class="claim" id="{_e(check.check_id)}">',
        f"<h3><code>{_e(check.check_id)}</code> {_e(check.title)} {_badge(check, strict)}</h3>",
        f'<p class="meta">{_e(check.category.value)} · {plural(check.cases, "case")} · '
        f"{check.duration:.2f} s</p>",
        f'<p class="claim-text">{_e(claim.text)}</p>',
        f"<blockquote{cite}>{_e(claim.quote)}</blockquote>",
        f'<p class="source">Source: {source}</p>',
    ]
    if not claim.documented:
        parts.append(
            '<p class="note">The documentation is silent or contradicts itself here, so the '
            "report records what the target did.</p>"
        )
    if check.verdict is Verdict.SKIPPED:
        reason = check.skip_reason or "not run against this target"
        parts.append(f'<p class="note">Skipped: {_e(reason)}</p>')
    parts += [_finding(finding) for finding in check.findings]
    parts.append("</article>")
    return "\n".join(parts)


def _finding(finding: Finding) -> str:
    verdict = finding.verdict.value
    parts = [
        f'<div class="finding {verdict}">',
        f'<p><span class="badge {verdict}">{_e(verdict)}</span> case '
        f"<code>{_e(finding.case_id)}</code>: {_e(finding.message)}</p>",
    ]
    for index, evidence in enumerate(finding.evidence, start=1):
        label = f"Exchange {index} of {len(finding.evidence)}" if len(finding.evidence) > 1 else ""
        parts.append(_evidence(evidence, label))
    if finding.replay:
        commands = "\n".join(
            f"<dt>Replay against {_e(kind)}</dt><dd><pre>{_e(command)}</pre></dd>"
            for kind, command in finding.replay.items()
        )
        parts.append(f'<dl class="replay">\n{commands}\n</dl>')
    parts.append("</div>")
    return "\n".join(parts)


def _evidence(evidence: Evidence, label: str) -> str:
    response = (
        "<p>No response arrived.</p>"
        if evidence.response is None
        else f"<pre>{_e(pretty_json(evidence.response))}</pre>"
    )
    heading = f"<h4>{label}</h4>\n" if label else ""
    return (
        f'<div class="evidence">\n{heading}'
        '<div class="exchange">\n'
        f"<div><h5>Request</h5>\n<pre>{_e(pretty_json(evidence.request))}</pre></div>\n"
        f"<div><h5>Response</h5>\n{response}</div>\n"
        "</div>\n"
        f"<h5>curl</h5>\n<pre>{_e(evidence.curl)}</pre>\n"
        "</div>"
    )


STYLE = """
:root { color-scheme: light; --fail: #b42318; --pass: #067647; --observed: #8a5a00;
  --skipped: #475467; --line: #d0d5dd; --soft: #f6f7f9; }
* { box-sizing: border-box; }
body { margin: 0; font: 15px/1.5 system-ui, -apple-system, "Segoe UI", Roboto, sans-serif;
  color: #1d2939; background: #fff; }
header, main { max-width: 1100px; margin: 0 auto; padding: 0 24px; }
header { padding-top: 16px; border-bottom: 1px solid var(--line); }
h1 { font-size: 24px; margin: 8px 0; }
h2 { font-size: 20px; margin: 28px 0 12px; border-bottom: 1px solid var(--line); }
h3 { font-size: 17px; margin: 0 0 4px; }
h4 { font-size: 14px; margin: 12px 0 4px; }
h5 { font-size: 12px; margin: 8px 0 2px; text-transform: uppercase; letter-spacing: .04em;
  color: #475467; }
code, pre { font: 13px/1.45 ui-monospace, SFMono-Regular, Menlo, Consolas, monospace; }
pre { background: var(--soft); border: 1px solid var(--line); border-radius: 6px;
  padding: 8px 10px; margin: 0; overflow-x: auto; white-space: pre-wrap;
  overflow-wrap: anywhere; }
a { color: #175cd3; overflow-wrap: anywhere; }
.outcome { font-size: 17px; margin: 4px 0 12px; }
.outcome.fail strong { color: var(--fail); }
.outcome.pass strong { color: var(--pass); }
.facts { display: grid; grid-template-columns: max-content 1fr; gap: 2px 16px; margin: 0 0 16px; }
.facts dt { font-weight: 600; color: #475467; }
.facts dd { margin: 0; overflow-wrap: anywhere; }
.badge { display: inline-block; padding: 1px 8px; border-radius: 10px; font-size: 12px;
  font-weight: 700; text-transform: uppercase; color: #fff; vertical-align: middle; }
.badge.fail { background: var(--fail); }
.badge.pass { background: var(--pass); }
.badge.observed { background: var(--observed); }
.badge.skipped { background: var(--skipped); }
.badge.none { background: #fff; color: #667085; border: 1px solid var(--line); }
.counts .badge { font-size: 14px; margin-right: 6px; }
table { border-collapse: collapse; width: 100%; }
th, td { text-align: left; padding: 4px 8px; border-bottom: 1px solid var(--line);
  vertical-align: top; }
th { background: var(--soft); }
td:first-child { white-space: nowrap; }
h3 code { font-size: 15px; }
.claim { border: 1px solid var(--line); border-radius: 8px; padding: 12px 16px;
  margin: 0 0 16px; }
.meta { color: #475467; font-size: 13px; margin: 0 0 8px; }
.claim-text { font-weight: 600; margin: 4px 0; }
blockquote { margin: 6px 0; padding: 4px 12px; border-left: 4px solid var(--line);
  color: #344054; font-style: italic; }
.source { font-size: 13px; margin: 4px 0; }
.note { background: var(--soft); padding: 4px 10px; border-radius: 6px; }
.finding { border-left: 4px solid var(--line); padding: 4px 0 4px 12px; margin: 12px 0; }
.finding.fail { border-left-color: var(--fail); }
.finding.observed { border-left-color: var(--observed); }
.exchange { display: grid; grid-template-columns: 1fr 1fr; gap: 12px; }
.replay dt { font-size: 12px; font-weight: 600; color: #475467; margin-top: 6px; }
.replay dd { margin: 0; }
@media (max-width: 800px) { .exchange { grid-template-columns: 1fr; } }
"""
