"""The machine-readable report: everything in a ``RunOutcome``, in the stable structure that
``docs/report-format.md`` documents (``format_version`` 1).

Keys come in a fixed, documented order; the output is pure ASCII (anything else is a JSON
``\\u`` escape), so the same run always gives the same bytes and any JSON parser reads it.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

from sms_contract.outcomes import (
    CheckOutcome,
    Evidence,
    Finding,
    NotJudged,
    RunOutcome,
    Spending,
    Verdict,
)
from sms_contract.reporting.presentation import (
    counts_as_failure,
    not_judged_lines,
    not_judged_summary,
    planned_cases,
)

FORMAT_VERSION = 1


def render(result: RunOutcome) -> str:
    """The run as an indented JSON document ending with a newline."""
    return json.dumps(as_document(result), indent=2, ensure_ascii=True) + "\n"


def as_document(result: RunOutcome) -> dict[str, Any]:
    """The report as plain JSON values, before serialisation."""
    return {
        "format_version": FORMAT_VERSION,
        "tool_version": result.tool_version,
        "spec_sha256": result.spec_sha256,
        "target": result.target,
        "base_url": result.base_url,
        "seed": result.seed,
        "started_at": result.started_at,
        "duration": result.duration,
        "strict": result.strict,
        "allow_incomplete": result.allow_incomplete,
        "violated": result.violated,
        "result": result.result.value,
        "exit_code": result.exit_code,
        "stopped": result.stopped,
        "interrupted": result.interrupted,
        "summary": _summary(result),
        "spending": _spending(result.spending),
        "checks": [_check(check, result.strict) for check in result.checks],
    }


def _summary(result: RunOutcome) -> dict[str, int]:
    counts = {"total": len(result.checks)}
    counts.update((verdict.value, result.count(verdict)) for verdict in Verdict)
    counts["counted_as_failures"] = sum(
        1 for check in result.checks if counts_as_failure(check, result.strict)
    )
    return counts


def _spending(spending: Spending) -> dict[str, int | None]:
    return {
        "accepted_sends": spending.accepted_sends,
        "possibly_accepted": spending.possibly_accepted,
        "max_sends": spending.max_sends,
        "requests": spending.requests,
        "max_requests": spending.max_requests,
        "token_requests": spending.token_requests,
        "throttled": spending.throttled,
    }


def _check(check: CheckOutcome, strict: bool) -> dict[str, Any]:
    return {
        "id": check.check_id,
        "title": check.title,
        "category": check.category.value,
        "claim": {
            "text": check.claim.text,
            "source": check.claim.source,
            "quote": check.claim.quote,
            "documented": check.claim.documented,
        },
        "verdict": check.verdict.value,
        "counts_as_failure": counts_as_failure(check, strict),
        "planned": planned_cases(check),
        "cases": check.cases,
        "not_judged": [_not_judged(item) for item in check.not_judged],
        # The same words as every other report: "3 of 4 cases not judged", then each reason
        # once with the cases it applies to.
        "not_judged_summary": not_judged_summary(check) or None,
        "not_judged_reasons": not_judged_lines(check),
        "duration": check.duration,
        # Only a skip has a skip reason: what a check that ran could not judge is in not_judged.
        "skip_reason": check.skip_reason if check.verdict is Verdict.SKIPPED else None,
        "findings": [_finding(finding) for finding in check.findings],
        # Only a pass has an example: failures and observations carry their own evidence.
        "example": _example(check),
    }


def _example(check: CheckOutcome) -> dict[str, Any] | None:
    if check.verdict is not Verdict.PASS or check.example is None:
        return None
    return _evidence(check.example)


def _not_judged(item: NotJudged) -> dict[str, str]:
    return {"case_id": item.case_id, "reason": item.reason}


def _finding(finding: Finding) -> dict[str, Any]:
    return {
        "verdict": finding.verdict.value,
        "message": finding.message,
        "case_id": finding.case_id,
        "evidence": [_evidence(evidence) for evidence in finding.evidence],
        "replay": dict(finding.replay),
    }


def _evidence(evidence: Evidence) -> dict[str, Any]:
    return {
        "request": _plain(evidence.request),
        "response": None if evidence.response is None else _plain(evidence.response),
        "curl": evidence.curl,
    }


def _plain(value: Any) -> Any:
    """Mappings as dicts and sequences as lists, so that ``json`` serialises any of them."""
    if isinstance(value, Mapping):
        return {str(key): _plain(item) for key, item in value.items()}
    if isinstance(value, list | tuple):
        return [_plain(item) for item in value]
    if value is None or isinstance(value, str | int | float | bool):
        return value
    return str(value)
