"""What every report shows the same way: the order of checks, what counts as a failure,
how a verdict is labelled, what a run could not judge and why, the run's result in words, and
how evidence is turned into readable text.

Pure functions of ``sms_contract.outcomes``; no I/O. Evidence arrives already scrubbed.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any

from sms_contract.outcomes import (
    Category,
    CheckOutcome,
    Finding,
    Result,
    RunOutcome,
    Spending,
    Verdict,
)

# Failing claims first, then what could not be judged, then what the documentation does not
# settle, then the rest. Reports list verdicts (counts, badges) in this order too.
VERDICT_ORDER: tuple[Verdict, ...] = (
    Verdict.FAIL,
    Verdict.INCOMPLETE,
    Verdict.OBSERVED,
    Verdict.PASS,
    Verdict.SKIPPED,
)
_RANK = {verdict: rank for rank, verdict in enumerate(VERDICT_ORDER)}

# The run's result as the headline word of every report.
RESULT_WORDS = {Result.OK: "OK", Result.FAILED: "FAILED", Result.INCOMPLETE: "INCOMPLETE"}

# C0 controls (except tab, newline, carriage return), DEL, C1 controls, lone surrogates and the
# two non-characters: none is allowed in XML 1.0, and none reads well anywhere else.
_UNPRINTABLE = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\ud800-\udfff\ufffe\uffff]")


def ordered(checks: Iterable[CheckOutcome], strict: bool = False) -> list[CheckOutcome]:
    """Checks with failures first, then incomplete checks, observations, passes and skips;
    stable within each. Under ``--strict`` an observation counts as a failure and goes first."""

    def rank(check: CheckOutcome) -> int:
        return 0 if counts_as_failure(check, strict) else _RANK[check.verdict]

    return sorted(checks, key=rank)


def counts_as_failure(check: CheckOutcome, strict: bool) -> bool:
    """A failed claim always counts; an observation counts only under ``--strict``."""
    return check.verdict is Verdict.FAIL or (strict and check.verdict is Verdict.OBSERVED)


def counts_as_incomplete(check: CheckOutcome, strict: bool) -> bool:
    """A check that ran, did not judge everything it planned, and is not a failure: neither a
    pass nor a skip. (A failure with cases not judged stays a failure, and says what is
    missing.)"""
    return (
        check.verdict is not Verdict.SKIPPED
        and not check.complete
        and not counts_as_failure(check, strict)
    )


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


@dataclass(frozen=True)
class NotJudgedReason:
    """One reason a check could not judge part of its plan, and the cases it applies to."""

    reason: str
    case_ids: tuple[str, ...]


NO_REASON = "not judged: the run gave no reason"


def not_judged_reasons(check: CheckOutcome) -> tuple[NotJudgedReason, ...]:
    """What a check could not judge, grouped: each reason once, in the order it first came
    up, with the cases it applies to (each case once). A check that ran and is not complete
    but names no case gets one reason saying so; a complete or skipped check gets none."""
    grouped: dict[str, list[str]] = {}
    for item in check.not_judged:
        cases = grouped.setdefault(item.reason, [])
        if item.case_id not in cases:
            cases.append(item.case_id)
    if not grouped and check.verdict is not Verdict.SKIPPED and not check.complete:
        return (NotJudgedReason(NO_REASON, ()),)
    return tuple(NotJudgedReason(reason, tuple(cases)) for reason, cases in grouped.items())


def planned_cases(check: CheckOutcome) -> int:
    """How many cases the check planned: as the runner said, never fewer than it accounts
    for (the judged ones plus the ones not judged)."""
    return max(check.planned, check.cases + _named_not_judged(check))


def _named_not_judged(check: CheckOutcome) -> int:
    return len({item.case_id for item in check.not_judged})


def not_judged_count(check: CheckOutcome) -> int:
    """How many of the planned cases were not judged."""
    if check.not_judged:
        return _named_not_judged(check)
    if check.verdict is Verdict.SKIPPED or check.complete:
        return 0
    return max(planned_cases(check) - check.cases, 0)


def not_judged_summary(check: CheckOutcome) -> str:
    """``"2 of 5 cases not judged"``; ``"not every case was judged"`` when the counts are
    unknown; ``""`` for a check that judged everything it planned (or was skipped)."""
    missing = not_judged_count(check)
    if missing:
        return f"{missing} of {plural(max(planned_cases(check), missing), 'case')} not judged"
    if check.verdict is not Verdict.SKIPPED and not check.complete:
        return "not every case was judged"
    return ""


def cases_judged(check: CheckOutcome) -> str:
    """``"3 cases judged"``, or ``"3 of 5 cases judged"`` when some were not."""
    if check.verdict is Verdict.SKIPPED or check.complete:
        return f"{plural(check.cases, 'case')} judged"
    return f"{check.cases} of {plural(planned_cases(check), 'case')} judged"


def case_list(
    case_ids: tuple[str, ...], code: Callable[[str], str] = str, limit: int | None = None
) -> str:
    """``"case c-1"``, ``"cases c-1, c-2 and c-3"``; past ``limit`` ids, ``"… and 7 more"``.
    ``code`` renders one id (each format escapes it its own way)."""
    if not case_ids:
        return ""
    noun = "case" if len(case_ids) == 1 else "cases"
    shown = [code(case_id) for case_id in case_ids[:limit]]
    hidden = len(case_ids) - len(shown)
    if hidden:
        return f"{noun} {', '.join(shown)} and {hidden} more"
    if len(shown) == 1:
        return f"{noun} {shown[0]}"
    return f"{noun} {', '.join(shown[:-1])} and {shown[-1]}"


def not_judged_lines(
    check: CheckOutcome,
    text: Callable[[str], str] = str,
    code: Callable[[str], str] = str,
    limit: int | None = None,
) -> list[str]:
    """One line per reason: ``"budget: the budget of 10 accepted sends is spent (cases c-4
    and c-5)"``. ``text`` renders the reason and ``code`` each case id, so every format says
    the same words, escaped its own way."""
    lines = []
    for group in not_judged_reasons(check):
        cases = case_list(group.case_ids, code, limit)
        lines.append(f"{text(group.reason)} ({cases})" if cases else text(group.reason))
    return lines


def not_judged_text(check: CheckOutcome) -> str:
    """The not-judged part of a check as plain text: the count, then each reason."""
    lines = [f"{not_judged_summary(check)}:"]
    lines += [f"- {line}" for line in not_judged_lines(check)]
    return printable("\n".join(lines))


def result_word(result: RunOutcome) -> str:
    """``"OK"``, ``"FAILED"`` or ``"INCOMPLETE"``."""
    return RESULT_WORDS[result.result]


def exit_phrase(result: RunOutcome) -> str:
    """``"exit code 4"``, saying when ``--allow-incomplete`` made (or could not make) it 0."""
    phrase = f"exit code {result.exit_code}"
    if result.result is Result.INCOMPLETE and result.allow_incomplete:
        if result.judged_nothing:
            return f"{phrase}: nothing was judged, which --allow-incomplete does not excuse"
        return f"{phrase} under --allow-incomplete"
    return phrase


def outcome_sentence(result: RunOutcome) -> str:
    """The run's result in one sentence (no final full stop), the same in every report."""
    total = len(result.checks)
    failing = sum(1 for check in result.checks if counts_as_failure(check, result.strict))
    partial = len(result.incomplete)
    if result.result is Result.FAILED:
        sentence = f"{failing} of {total} documented claims did not hold"
        if partial:
            sentence += f"; {plural(partial, 'check')} could not judge every case"
        return sentence
    if result.result is Result.INCOMPLETE:
        if not result.checks:
            return "nothing was judged: no check was selected"
        if result.judged_nothing and all(c.verdict is Verdict.SKIPPED for c in result.checks):
            return "nothing was judged: every check was skipped on this target"
        if result.judged_nothing:
            return "nothing was judged: no check could judge a single case"
        return (
            f"{partial} of {total} checks could not judge every case; "
            "every claim that was judged held"
        )
    return f"every claim that ran was judged and held ({plural(total, 'check')})"


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


def sends_spent(spending: Spending) -> str:
    """``"3 of 5, 1 of them possibly accepted (a 5xx, a lost response or an undocumented
    2xx)"``: every possibly accepted send counts against the budget."""
    return (
        f"{budget(spending.accepted_sends, spending.max_sends)}, "
        f"{spending.possibly_accepted} of them possibly accepted "
        "(a 5xx, a lost response or an undocumented 2xx)"
    )


def requests_spent(spending: Spending) -> str:
    """``"12 of 100, 2 of them for tokens; 0 throttled (429, honoured)"``."""
    return (
        f"{budget(spending.requests, spending.max_requests)}, "
        f"{spending.token_requests} of them for tokens; "
        f"{spending.throttled} throttled (429, honoured)"
    )


def spending_line(spending: Spending) -> str:
    """One sentence: what the run spent against its budget."""
    return f"accepted sends {sends_spent(spending)}; requests {requests_spent(spending)}"


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
