"""A self-contained HTML report: the executable documentation of the API.

One file, inline CSS, no scripts and no external resources. A header says the result (OK,
FAILED or INCOMPLETE, with the exit code), why the run stopped sending early if it did, and
what was run against what at what cost; a summary lists the checks, failing first; a section
lists what could not be judged and why; then each claim with its quote and source, its verdict
(a colour *and* a word) and the scrubbed evidence behind it: the exchanges behind each
finding, and for a claim that held one example exchange (request and response, scrubbed), so
the report reads as the API's executable documentation. Long values (a 100-character
messageKey, a URL) wrap inside their card. Every value from the run goes through
``html.escape``.
"""

from __future__ import annotations

from html import escape

from sms_contract.outcomes import CheckOutcome, Evidence, Finding, Result, RunOutcome, Verdict
from sms_contract.reporting.presentation import (
    VERDICT_ORDER,
    cases_judged,
    counts_as_failure,
    exit_phrase,
    is_link,
    not_judged_lines,
    not_judged_summary,
    ordered,
    outcome_sentence,
    pretty_json,
    printable,
    requests_spent,
    result_word,
    sends_spent,
    verdict_label,
)

_RESULT_CSS = {Result.OK: "pass", Result.FAILED: "fail", Result.INCOMPLETE: "incomplete"}


def render(result: RunOutcome) -> str:
    """The run as one HTML5 document."""
    outcome = result_word(result)
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
        *_not_judged_section(result),
        '<section id="claims">',
        "<h2>Claims</h2>",
        *(_claim(check, result.strict) for check in ordered(result.checks, result.strict)),
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
        ("Accepted sends", _e(sends_spent(spent))),
        ("Requests", _e(requests_spent(spent))),
        ("Strict", "yes: observations count as failures" if result.strict else "no"),
        (
            "Allow incomplete",
            "yes: a run that judged something but not everything exits 0"
            if result.allow_incomplete
            else "no",
        ),
    ]
    rows = "\n".join(f"<dt>{name}</dt><dd>{value}</dd>" for name, value in facts)
    css = _RESULT_CSS[result.result]
    stopped = (
        f'<p class="note stopped">The run stopped sending early: {_e(result.stopped)}</p>\n'
        if result.stopped is not None
        else ""
    )
    return (
        "<header>\n"
        "<h1>sms-contract conformance report</h1>\n"
        f'<p class="outcome {css}"><strong>{outcome}</strong> ({_e(exit_phrase(result))})'
        f" {_e(outcome_sentence(result))}.</p>\n"
        f"{stopped}"
        f'<dl class="facts">\n{rows}\n</dl>\n'
        "</header>"
    )


def _summary(result: RunOutcome) -> str:
    counts = " ".join(
        f'<span class="badge {verdict.value if result.count(verdict) else "none"}">'
        f"{result.count(verdict)} {verdict.value}</span>"
        for verdict in VERDICT_ORDER
    )
    rows = "\n".join(
        "<tr>"
        f'<td><a href="#{_e(check.check_id)}"><code>{_e(check.check_id)}</code></a></td>'
        f"<td>{_e(check.title)}</td>"
        f"<td>{_e(check.category.value)}</td>"
        f"<td>{_badge(check, result.strict)}{_partial(check)}</td>"
        "</tr>"
        for check in ordered(result.checks, result.strict)
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


def _partial(check: CheckOutcome) -> str:
    """After a verdict badge: how much of the check was not judged, when anything was not."""
    summary = not_judged_summary(check)
    return f' <span class="partial">{_e(summary)}</span>' if summary else ""


def _not_judged_section(result: RunOutcome) -> list[str]:
    """Every check that ran but could not judge all it planned, with each reason once."""
    checks = ordered(result.incomplete, result.strict)
    if not checks:
        return []
    items = "\n".join(
        f'<li><a href="#{_e(check.check_id)}"><code>{_e(check.check_id)}</code></a> '
        f"{_e(check.title)} {_badge(check, result.strict)} {_e(not_judged_summary(check))}"
        f"\n{_reasons(check)}</li>"
        for check in checks
    )
    return [
        '<section id="not-judged">',
        "<h2>Not judged</h2>",
        "<p>These checks ran but could not judge everything they planned. What was not judged "
        "is neither a pass nor a failure; a failure found in what was judged still stands.</p>",
        f"<ul>\n{items}\n</ul>",
        "</section>",
    ]


def _reasons(check: CheckOutcome) -> str:
    lines = not_judged_lines(check, text=_e, code=lambda case_id: f"<code>{_e(case_id)}</code>")
    items = "\n".join(f"<li>{line}</li>" for line in lines)
    return f'<ul class="reasons">\n{items}\n</ul>'


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
        f'<p class="meta">{_e(check.category.value)} · {_e(cases_judged(check))} · '
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
    elif not check.complete:
        parts.append(
            f'<div class="not-judged">\n<p><strong>{_e(not_judged_summary(check))}</strong>'
            f"</p>\n{_reasons(check)}\n</div>"
        )
    parts += [_finding(finding) for finding in check.findings]
    if check.verdict is Verdict.PASS and check.example is not None:
        parts.append(_example(check.example))
    parts.append("</article>")
    return "\n".join(parts)


def _example(evidence: Evidence) -> str:
    """A passing claim's example: one exchange it was judged on, scrubbed like all evidence."""
    return (
        '<div class="example">\n'
        "<p><strong>Example</strong>: an exchange this claim was judged on, as the target "
        "answered it (secrets and personal data replaced by placeholders).</p>\n"
        f"{_evidence(evidence, '')}\n"
        "</div>"
    )


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
  --skipped: #475467; --incomplete: #6941c6; --line: #d0d5dd; --soft: #f6f7f9; }
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
code { overflow-wrap: anywhere; word-break: break-word; }
pre { background: var(--soft); border: 1px solid var(--line); border-radius: 6px;
  padding: 8px 10px; margin: 0; overflow-x: auto; white-space: pre-wrap;
  overflow-wrap: anywhere; word-break: break-word; }
a { color: #175cd3; overflow-wrap: anywhere; }
.outcome { font-size: 17px; margin: 4px 0 12px; }
.outcome.fail strong { color: var(--fail); }
.outcome.pass strong { color: var(--pass); }
.outcome.incomplete strong { color: var(--incomplete); }
.facts { display: grid; grid-template-columns: max-content 1fr; gap: 2px 16px; margin: 0 0 16px; }
.facts dt { font-weight: 600; color: #475467; }
.facts dd { margin: 0; overflow-wrap: anywhere; }
.badge { display: inline-block; padding: 1px 8px; border-radius: 10px; font-size: 12px;
  font-weight: 700; text-transform: uppercase; color: #fff; vertical-align: middle; }
.badge.fail { background: var(--fail); }
.badge.pass { background: var(--pass); }
.badge.observed { background: var(--observed); }
.badge.skipped { background: var(--skipped); }
.badge.incomplete { background: var(--incomplete); }
.badge.none { background: #fff; color: #667085; border: 1px solid var(--line); }
.counts .badge { font-size: 14px; margin-right: 6px; }
table { border-collapse: collapse; width: 100%; }
th, td { text-align: left; padding: 4px 8px; border-bottom: 1px solid var(--line);
  vertical-align: top; }
th { background: var(--soft); }
td:first-child { white-space: nowrap; }
h3 code { font-size: 15px; }
.claim { border: 1px solid var(--line); border-radius: 8px; padding: 12px 16px;
  margin: 0 0 16px; min-width: 0; }
.claim, .finding, .evidence, .example, .not-judged, .reasons, .replay, td {
  overflow-wrap: anywhere; word-break: break-word; }
.meta { color: #475467; font-size: 13px; margin: 0 0 8px; }
.claim-text { font-weight: 600; margin: 4px 0; }
blockquote { margin: 6px 0; padding: 4px 12px; border-left: 4px solid var(--line);
  color: #344054; font-style: italic; }
.source { font-size: 13px; margin: 4px 0; }
.note { background: var(--soft); padding: 4px 10px; border-radius: 6px; }
.partial { font-size: 13px; color: var(--incomplete); }
.not-judged { border-left: 4px solid var(--incomplete); padding: 4px 0 4px 12px; margin: 12px 0; }
.not-judged p { margin: 0; }
.reasons { margin: 4px 0; padding-left: 20px; }
.finding { border-left: 4px solid var(--line); padding: 4px 0 4px 12px; margin: 12px 0; }
.finding.fail { border-left-color: var(--fail); }
.finding.observed { border-left-color: var(--observed); }
.exchange { display: grid; grid-template-columns: minmax(0, 1fr) minmax(0, 1fr); gap: 12px; }
.exchange > div { min-width: 0; }
.example { border-left: 4px solid var(--pass); padding: 4px 0 4px 12px; margin: 12px 0; }
.example p { margin: 0 0 4px; }
.replay dt { font-size: 12px; font-weight: 600; color: #475467; margin-top: 6px; }
.replay dd { margin: 0; }
@media (max-width: 800px) { .exchange { grid-template-columns: minmax(0, 1fr); } }
"""
