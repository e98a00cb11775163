"""JUnit XML: one ``<testcase>`` per check, for CI systems that chart test results.

Each case is named ``"<CHECK-ID> <title>"`` with classname ``sms_contract.<category>``, so no
two cases look alike. A failed claim is a ``<failure type="ContractViolation">`` carrying the
claim, its source and every violation with its scrubbed evidence and replay commands. An
observation passes, with what the target did in ``<system-out>``; under ``--strict`` it is a
``<failure type="StrictObservation">``. A check that cannot run on this target is
``<skipped>`` with the capability it lacks.

A check that ran but could not judge everything it planned (the send budget, throttling, the
deadline, the transport) is neither a pass nor a skip: it is an ``<error type="incomplete">``
whose text gives each reason once with the cases it applies to, and the suite's ``errors``
counts it. A failure that also left cases unjudged stays a ``<failure>``, and its text says
what was not judged.
"""

from __future__ import annotations

import xml.etree.ElementTree as ET

from sms_contract.outcomes import CheckOutcome, Finding, RunOutcome, Verdict
from sms_contract.reporting.presentation import (
    cases_judged,
    category_slug,
    claim_text,
    counts_as_failure,
    counts_as_incomplete,
    finding_text,
    not_judged_lines,
    not_judged_summary,
    not_judged_text,
    plural,
    printable,
    shown_findings,
)

SUITE_NAME = "sms-contract"
_MESSAGE_CASES = 3  # case ids named in an error's one-line message; its text names them all


def render(result: RunOutcome) -> str:
    """The run as a JUnit XML document (one suite, one case per check)."""
    failures = sum(1 for check in result.checks if counts_as_failure(check, result.strict))
    errors = sum(1 for check in result.checks if counts_as_incomplete(check, result.strict))
    counts = {
        "name": SUITE_NAME,
        "tests": str(len(result.checks)),
        "failures": str(failures),
        "errors": str(errors),
        "skipped": str(result.count(Verdict.SKIPPED)),
        "time": f"{result.duration:.3f}",
    }
    root = ET.Element("testsuites", counts)
    suite = ET.SubElement(root, "testsuite", {**counts, "timestamp": printable(result.started_at)})
    properties = ET.SubElement(suite, "properties")
    for name, value in _properties(result):
        ET.SubElement(properties, "property", {"name": name, "value": printable(value)})
    for check in result.checks:
        _testcase(suite, check, result.strict)
    ET.indent(root)
    return '<?xml version="1.0" encoding="UTF-8"?>\n' + ET.tostring(root, encoding="unicode") + "\n"


def _properties(result: RunOutcome) -> list[tuple[str, str]]:
    spent = result.spending
    properties = [
        ("seed", str(result.seed)),
        ("target", result.target),
        ("base_url", result.base_url),
        ("spec_sha256", result.spec_sha256),
        ("tool_version", result.tool_version),
        ("started_at", result.started_at),
        ("strict", str(result.strict).lower()),
        ("allow_incomplete", str(result.allow_incomplete).lower()),
        ("accepted_sends", str(spent.accepted_sends)),
        ("possibly_accepted", str(spent.possibly_accepted)),
        ("max_sends", "unbounded" if spent.max_sends is None else str(spent.max_sends)),
        ("requests", str(spent.requests)),
        ("max_requests", "unbounded" if spent.max_requests is None else str(spent.max_requests)),
        ("token_requests", str(spent.token_requests)),
        ("throttled", str(spent.throttled)),
        ("result", result.result.value),
        ("exit_code", str(result.exit_code)),
    ]
    if result.stopped is not None:
        properties.append(("stopped", result.stopped))
    return properties


def _testcase(suite: ET.Element, check: CheckOutcome, strict: bool) -> None:
    case = ET.SubElement(
        suite,
        "testcase",
        {
            "name": printable(f"{check.check_id} {check.title}"),
            "classname": f"sms_contract.{category_slug(check.category)}",
            "time": f"{check.duration:.3f}",
        },
    )
    if check.verdict is Verdict.SKIPPED:
        reason = check.skip_reason or "not run against this target"
        ET.SubElement(case, "skipped", {"message": printable(reason)})
        return
    shown = shown_findings(check, strict)
    if counts_as_failure(check, strict):
        kind = "ContractViolation" if check.verdict is Verdict.FAIL else "StrictObservation"
        failure = ET.SubElement(case, "failure", {"message": _message(check, shown), "type": kind})
        failure.text = _details(check, shown)
    elif counts_as_incomplete(check, strict):
        message = {"message": _incomplete_message(check), "type": "incomplete"}
        ET.SubElement(case, "error", message).text = _details(check, ())
    rest = [f for f in check.findings if not any(f is s for s in shown)]
    if rest:
        # Whatever was not judged is already in the failure or the error above.
        out = _details(check, tuple(rest), not_judged=False)
        ET.SubElement(case, "system-out").text = out


def _message(check: CheckOutcome, shown: tuple[Finding, ...]) -> str:
    """One plain-language line: the first finding, and how many more there are."""
    if not shown:
        return printable(f"{check.verdict.value}: {check.claim.text}")
    more = f" (and {len(shown) - 1} more)" if len(shown) > 1 else ""
    return printable(f"{shown[0].message}{more}")


def _incomplete_message(check: CheckOutcome) -> str:
    """``"2 of 5 cases not judged: budget: ... (cases c-4 and c-5)"``, and how many other
    reasons the text gives (it gives every case; the message names the first few)."""
    lines = not_judged_lines(check, limit=_MESSAGE_CASES)
    more = f"; and {plural(len(lines) - 1, 'more reason')}" if len(lines) > 1 else ""
    return printable(f"{not_judged_summary(check)}: {lines[0]}{more}")


def _details(check: CheckOutcome, findings: tuple[Finding, ...], *, not_judged: bool = True) -> str:
    """The claim, how many cases were judged, what was not judged and why (unless told not
    to repeat it), then the findings."""
    blocks = [claim_text(check), cases_judged(check)]
    if not_judged and not check.complete:
        blocks.append(not_judged_text(check))
    blocks += [finding_text(f, n, len(findings)) for n, f in enumerate(findings, start=1)]
    return "\n\n".join(blocks) + "\n"
