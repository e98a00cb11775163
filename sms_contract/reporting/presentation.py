"""What every report shows the same way: the order of checks, what counts as a failure,
how a verdict is labelled, and how evidence is turned into readable text.

Pure functions of ``sms_contract.outcomes``; no I/O. Evidence arrives already scrubbed.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable
from typing import Any

from sms_contract.outcomes import Category, CheckOutcome, Finding, Spending, Verdict

# Failing claims first, then what the documentation does not settle, then the rest.
_RANK = {Verdict.FAIL: 0, Verdict.OBSERVED: 1, Verdict.PASS: 2, Verdict.SKIPPED: 3}

# C0 controls (except tab, newline, carriage return), DEL, C1 controls, lone surrogates and the
# two non-characters: none is allowed in XML 1.0, and none reads well anywhere else.
_UNPRINTABLE = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\ud800-\udfff\ufffe\uffff]")


def ordered(checks: Iterable[CheckOutcome]) -> list[CheckOutcome]:
    """Checks with failures first, then observations, passes and skips; stable within each."""
    return sorted(checks, key=lambda check: _RANK[check.verdict])


def counts_as_failure(check: CheckOutcome, strict: bool) -> bool:
    """A failed claim always counts; an observation counts only under ``--strict``."""
    return check.verdict is Verdict.FAIL or (strict and check.verdict is Verdict.OBSERVED)


def shown_findings(check: CheckOutcome, strict: bool) -> tuple[Finding, ...]:
    """The findings a failure report carries: violations, or observations promoted by strict."""
    if check.verdict is Verdict.FAIL:
        return check.failures
    if strict and check.verdict is Verdict.OBSERVED:
        return check.observations
    return ()


def verdict_label(check: CheckOutcome, strict: bool) -> str:
    """The verdict in words, noting when ``--strict`` turns an observation into a failure."""
    if strict and check.verdict is Verdict.OBSERVED:
        return "observed (a failure under --strict)"
    return check.verdict.value


def category_slug(category: Category) -> str:
    """``"request and message identity"`` -> ``"request_and_message_identity"``."""
    return re.sub(r"[^a-z0-9]+", "_", category.value.lower()).strip("_")


def is_link(source: str) -> bool:
    """Whether a claim's source is a web address (else it names a document)."""
    return source.startswith(("https://", "http://"))


def printable(text: str) -> str:
    """``text`` with every control character and lone surrogate written as ``\\uXXXX``."""
    return _UNPRINTABLE.sub(lambda m: f"\\u{ord(m.group(0)):04x}", text)


def pretty_json(value: Any) -> str:
    """A JSON value indented for reading, non-ASCII kept readable, control characters escaped."""
    if isinstance(value, str):
        return printable(value)  # a body that was not JSON is shown as the text it was
    return printable(json.dumps(value, indent=2, ensure_ascii=False, default=str))


def budget(spent: int, limit: int | None) -> str:
    """``"3 of 5"``, or ``"3 (no limit)"`` when the run had none."""
    return f"{spent} (no limit)" if limit is None else f"{spent} of {limit}"


def requests_spent(spending: Spending) -> str:
    """``"12 of 100, 2 of them for tokens; 0 throttled (429, honoured)"``."""
    return (
        f"{budget(spending.requests, spending.max_requests)}, "
        f"{spending.token_requests} of them for tokens; "
        f"{spending.throttled} throttled (429, honoured)"
    )


def spending_line(spending: Spending) -> str:
    """One sentence: what the run spent against its budget."""
    return (
        f"accepted sends {budget(spending.accepted_sends, spending.max_sends)}; "
        f"requests {requests_spent(spending)}"
    )


def plural(count: int, noun: str) -> str:
    """``"1 case"``, ``"3 cases"``."""
    return f"{count} {noun}" if count == 1 else f"{count} {noun}s"


def claim_text(check: CheckOutcome) -> str:
    """The claim, its source and its quote as plain text."""
    lines = [
        f"Claim: {check.claim.text}",
        f"Source: {check.claim.source}",
        f'Quote: "{check.claim.quote}"',
    ]
    if not check.claim.documented:
        lines.append("The documentation is silent or conflicts here; the target's behaviour is")
        lines.append("recorded as an observation.")
    return printable("\n".join(lines))


def finding_text(finding: Finding, number: int, total: int) -> str:
    """One finding as plain text: message, each scrubbed exchange, curl, replay commands."""
    lines = [f"[{number}/{total}] {finding.verdict.value} on case {finding.case_id}:"]
    lines.append(f"  {finding.message}")
    for index, evidence in enumerate(finding.evidence, start=1):
        suffix = f" {index}" if len(finding.evidence) > 1 else ""
        lines.append(f"  Request{suffix}:")
        lines.append(_indent(pretty_json(evidence.request), "    "))
        lines.append(f"  Response{suffix}:")
        if evidence.response is None:
            lines.append("    (no response arrived)")
        else:
            lines.append(_indent(pretty_json(evidence.response), "    "))
        lines.append(f"  curl{suffix}: {evidence.curl}")
    for kind, command in finding.replay.items():
        lines.append(f"  Replay against {kind}: {command}")
    return printable("\n".join(lines))


def _indent(text: str, prefix: str) -> str:
    return "\n".join(prefix + line for line in text.splitlines())
