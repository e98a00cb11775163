"""Drift: what changed between recorded interactions and a fresh run of the same cases.

Pure: it compares two lists of scrubbed interactions (the cassettes, and a fresh run recorded
the same way) and, optionally, the fresh responses with the spec. Nothing here sends a request.

Pairing. The fresh run plans the same cases (same seed, examples and definition key), so
interactions are paired case by case, in order. Two kinds of interaction are left out first,
on both sides: token requests the client made on its own (in a case that sends with the
client's token, they follow the token's lifetime, not the case) and superseded attempts (an
answer of 401, 429, 5xx or none that the next request of the case repeats: a retry or a token
refresh). A pair whose requests differ (beyond the messageKey nonce, which a live run must
renew) is reported as such, not compared: the recordings no longer match the plan.

What is compared, per pair: the aspects of ``sms_contract.drift.response_diff`` (status,
errorcode, body shape by JSON path, Content-Type). With a spec, every fresh response is also
validated against it (``Spec.validate_response``).

Observed traffic (an application's own exchanges, recorded by ``sms-contract proxy``) has no
plan to run again: ``observed_against_spec`` validates its recorded answers against the spec.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, replace
from enum import StrEnum
from typing import Any

from sms_contract.drift.response_diff import DRIFT_ASPECTS, Aspect, content_type, response_changes
from sms_contract.recordings.cassettes import (
    OBSERVED_TRAFFIC,
    Interaction,
    RecordedRequest,
    RecordedResponse,
    RunValues,
)
from sms_contract.recordings.matching import MATCHERS
from sms_contract.spec.endpoints import is_token_request, message_key_segment
from sms_contract.spec.issues import SchemaIssue
from sms_contract.spec.loading import Spec

_NONCE = "{nonce}"
_DEFINITION = "{definition}"

IssueFilter = Callable[[str, str, SchemaIssue], bool]
"""(check id, operation id, issue) -> is it an observation rather than a break?"""


class Kind(StrEnum):
    CHANGED = "changed"  # the same request got a different answer
    SPEC = "spec"  # the fresh answer breaks the spec
    REQUEST_CHANGED = "request-changed"  # the plan no longer sends what was recorded
    NOT_MADE = "not-made"  # a recorded request the fresh run did not make
    NEW = "new"  # a fresh request with no recording


@dataclass(frozen=True)
class Item:
    """One difference, named by check, case and request (``POST /path``)."""

    kind: Kind
    check_id: str
    case_id: str
    request: str
    details: tuple[str, ...]


@dataclass(frozen=True)
class NotCompared:
    check_id: str
    case_id: str | None
    reason: str


@dataclass(frozen=True)
class DriftReport:
    """``items`` break (exit 1); ``observations`` are spec issues of checks whose claim the
    documentation does not make (their verdict is "observed"), reported, never failing."""

    items: tuple[Item, ...]
    not_compared: tuple[NotCompared, ...]
    compared: int
    observations: tuple[Item, ...] = ()

    @property
    def breaking(self) -> bool:
        return bool(self.items)

    @property
    def drifted_checks(self) -> tuple[str, ...]:
        """The checks with a difference (``items``), each once, in the order first found."""
        return tuple(dict.fromkeys(item.check_id for item in self.items))

    def lines(self) -> list[str]:
        """The report as terminal lines: a summary, each difference, what was not compared."""
        lines = [
            f"{self.compared} recorded interactions compared, {len(self.items)} differences, "
            f"{len(self.not_compared)} not compared"
        ]
        for label, items in (("", self.items), ("OBSERVED ", self.observations)):
            for item in items:
                lines.append(f"{label}{item.kind.value.upper()} {item.case_id}: {item.request}")
                lines.extend(f"  {detail}" for detail in item.details)
        for skipped in self.not_compared:
            lines.append(f"not compared: {skipped.case_id or skipped.check_id}: {skipped.reason}")
        return lines

    def to_dict(self) -> dict[str, Any]:
        return {
            "compared": self.compared,
            "breaking": self.breaking,
            "differences": [_item_dict(item) for item in self.items],
            "observations": [_item_dict(item) for item in self.observations],
            "not_compared": [
                {"check_id": n.check_id, "case_id": n.case_id, "reason": n.reason}
                for n in self.not_compared
            ],
        }


def checks_line(what: str, check_ids: Sequence[str]) -> str:
    """``"drifted: 2 checks: SEND-EXAMPLE, SEND-ECHO-KEY"``."""
    noun = "check" if len(check_ids) == 1 else "checks"
    return f"{what}: {len(check_ids)} {noun}: {', '.join(check_ids)}"


def _item_dict(item: Item) -> dict[str, Any]:
    return {
        "kind": item.kind.value,
        "check_id": item.check_id,
        "case_id": item.case_id,
        "request": item.request,
        "details": list(item.details),
    }


# --- pairing and comparing two runs -----------------------------------------------------------


def compare_runs(
    recorded: Sequence[Interaction],
    fresh: Sequence[Interaction],
    *,
    aspects: Iterable[Aspect] = DRIFT_ASPECTS,
    token_cases: frozenset[str] = frozenset(),
    sides: tuple[RunValues, RunValues] | None = None,
    not_run: Mapping[str, str] | None = None,
    budget_spent: bool = False,
    stopped: str | None = None,
    spec: Spec | None = None,
    observe: IssueFilter | None = None,
) -> DriftReport:
    """Pair ``fresh`` with ``recorded`` case by case (module doc) and list every difference.

    ``token_cases``: the cases whose token requests are steps (compared), not the client's
    own. ``sides``: the recorded and the fresh run's values. ``not_run``: why a check did
    not run fresh, by check id. ``budget_spent``: the fresh run stopped at its send budget.
    ``stopped``: why the fresh run stopped sending early (a signal, its deadline, throttling):
    what it did not send is not compared, never drift.
    ``spec``: validate every fresh answer; an issue ``observe`` accepts is an observation.
    """
    wanted = frozenset(aspects)
    skipped = not_run or {}
    cut_short = stopped if not budget_spent else None
    recorded_cases, fresh_cases = _by_case(recorded), _by_case(fresh)
    items: list[Item] = []
    not_compared: list[NotCompared] = []
    compared = 0
    for key, interactions in recorded_cases.items():
        check_id, case_id = key
        if key not in fresh_cases and (check_id in skipped or budget_spent or cut_short):
            reason = (
                skipped.get(check_id)
                or cut_short
                or "the send budget was spent before this case ran"
            )
            not_compared.append(NotCompared(check_id, case_id, reason))
            continue
        tokens = case_id in token_cases
        before = _sequence(interactions, tokens, sides, 0)
        after = _sequence(fresh_cases.get(key, []), tokens, sides, 1)
        for old, new in zip(before, after, strict=False):
            line = _request_line(new.request)
            if not _same_request(old.request, new.request, sides):
                details = _request_differences(old.request, new.request)
                items.append(Item(Kind.REQUEST_CHANGED, check_id, case_id, line, details))
                continue
            if _throttled(old) or _throttled(new):
                not_compared.append(NotCompared(check_id, case_id, f"{line}: throttled (429)"))
                continue
            compared += 1
            changes = response_changes(old.response, new.response, wanted)
            if changes:
                items.append(Item(Kind.CHANGED, check_id, case_id, line, tuple(changes)))
        for old in before[len(after) :]:
            if budget_spent or cut_short:
                why = cut_short or "the send budget was spent"
                reason = f"{_request_line(old.request)}: {why}"
                not_compared.append(NotCompared(check_id, case_id, reason))
            else:
                detail = ("the fresh run did not make this recorded request",)
                line = _request_line(old.request)
                items.append(Item(Kind.NOT_MADE, check_id, case_id, line, detail))
        items += _new_items(after[len(before) :])
    recorded_checks = {check_id for check_id, _ in recorded_cases}
    for key, interactions in fresh_cases.items():
        if key[0] in recorded_checks and key not in recorded_cases:
            items += _new_items(_sequence(interactions, key[1] in token_cases, sides, 1))
    observed: list[Item] = []
    if spec is not None:
        breaking, observed = _spec_items(spec, fresh, observe or (lambda *_: False))
        items += breaking
    return DriftReport(tuple(items), tuple(not_compared), compared, tuple(observed))


def _new_items(interactions: Sequence[Interaction]) -> list[Item]:
    detail = ("no recorded interaction for this request",)
    return [
        Item(Kind.NEW, i.check_id, i.case_id, _request_line(i.request), detail)
        for i in interactions
    ]


def _by_case(interactions: Sequence[Interaction]) -> dict[tuple[str, str], list[Interaction]]:
    cases: dict[tuple[str, str], list[Interaction]] = {}
    for interaction in interactions:
        cases.setdefault((interaction.check_id, interaction.case_id), []).append(interaction)
    return cases


def _sequence(
    interactions: Sequence[Interaction],
    tokens: bool,
    sides: tuple[RunValues, RunValues] | None,
    side: int,
) -> list[Interaction]:
    """The case's compared interactions (their nonce written ``{nonce}``): no own token
    requests, no superseded attempts."""
    kept = [
        replace(i, request=_normal(i.request, sides, side))
        for i in interactions
        if tokens or not is_token_request(i.request)
    ]
    final = []
    for n, interaction in enumerate(kept):
        later = [i for i in kept[n + 1 :] if not is_token_request(i.request)]
        retried = bool(later) and _same_request(later[0].request, interaction.request, None)
        if retried and _retryable(interaction.response):
            continue
        final.append(interaction)
    return final


def _retryable(response: RecordedResponse | None) -> bool:
    return response is None or response.status in (401, 429) or response.status >= 500


def _throttled(interaction: Interaction) -> bool:
    return interaction.response is not None and interaction.response.status == 429


def _normal(
    request: RecordedRequest, sides: tuple[RunValues, RunValues] | None, side: int
) -> RecordedRequest:
    """The request with this side's nonce and definition key written as marks."""
    if sides is None:
        return request
    values = sides[side]
    mark = f"-{values.nonce}"
    path = request.path.replace(mark, f"-{_NONCE}") if values.nonce else request.path
    body = request.body
    if body is not None:  # a body that is not JSON (malformed on purpose): by substring
        body = body.replace(mark, f"-{_NONCE}") if values.nonce else body
        body = body.replace(values.definition_key, _DEFINITION) if values.definition_key else body
    return replace(request, path=path, json=_marked(request.json, mark, values), body=body)


def _marked(value: Any, mark: str, values: RunValues) -> Any:
    if isinstance(value, str):
        if value == values.definition_key:
            return _DEFINITION
        return value.replace(mark, f"-{_NONCE}") if values.nonce else value
    if isinstance(value, dict):
        return {k: _marked(v, mark, values) for k, v in value.items()}
    if isinstance(value, list):
        return [_marked(v, mark, values) for v in value]
    return value


def _same_request(
    recorded: RecordedRequest, fresh: RecordedRequest, sides: tuple[RunValues, RunValues] | None
) -> bool:
    if not _request_differences(recorded, fresh):
        return True
    # Renewing the nonce can change a messageKey beyond the nonce itself (a key of maximum
    # length keeps fewer characters of its base): the key's segment is then not compared.
    if sides is None or sides[0].nonce == sides[1].nonce:
        return False
    keyed = message_key_segment(recorded.path) and message_key_segment(fresh.path)
    return bool(keyed) and not _request_differences(replace(recorded, path=fresh.path), fresh)


def _request_differences(recorded: RecordedRequest, fresh: RecordedRequest) -> tuple[str, ...]:
    reasons = (matcher(recorded, fresh) for matcher in MATCHERS.values())
    return tuple(line for reason in reasons if reason for line in reason.splitlines())


def _request_line(request: RecordedRequest) -> str:
    return f"{request.method} {request.path}"


def _spec_items(
    spec: Spec, fresh: Sequence[Interaction], observe: IssueFilter
) -> tuple[list[Item], list[Item]]:
    """Spec issues of every fresh answer: those that break, and those ``observe`` accepts."""
    breaking: list[Item] = []
    observed: list[Item] = []
    for interaction in fresh:
        request, response = interaction.request, interaction.response
        operation = spec.find_operation(request.method, request.path)
        if response is None or operation is None or response.status == 429:
            continue  # a 429 is honoured, never judged
        media = (content_type(response) or "").split(";")[0] or None
        body = response.json if response.json is not None else response.body
        op = operation.operation_id
        for issue in spec.validate_response(op, response.status, body, media):
            found = observed if observe(interaction.check_id, op, issue) else breaking
            item = Item(
                Kind.SPEC,
                interaction.check_id,
                interaction.case_id,
                _request_line(request),
                (f"{op}: {issue}",),
            )
            found.append(item)
    return breaking, observed


# --- observed traffic -------------------------------------------------------------------------


def observed_against_spec(
    interactions: Iterable[Interaction], spec: Spec, *, observe: IssueFilter | None = None
) -> DriftReport:
    """Observed traffic (``OBSERVED_TRAFFIC``: an application's own exchanges, recorded by
    ``sms-contract proxy``) against ``spec``. No run planned those requests, so no fresh run
    can make them again: each recorded answer is validated against the spec as it is now (the
    second axis of drift), which says whether the answers the application got still hold
    (after a spec change, say). A 4xx the spec does not list for its route is observed, not
    drift: the documentation is silent on that answer (as SEND-STATUS-CODES reads it; an
    application asks for keys a run never would). A lost answer and a 429 are listed as not
    compared."""
    accepts = observe or (lambda *_: False)
    breaking: list[Item] = []
    observed: list[Item] = []
    not_compared: list[NotCompared] = []
    compared = 0
    for interaction in interactions:
        if interaction.check_id != OBSERVED_TRAFFIC:
            continue
        request, response = interaction.request, interaction.response
        line = _request_line(request)
        reason = None
        if response is None:
            reason = f"{line}: no answer was recorded (the connection was lost)"
        elif response.status == 429:
            reason = f"{line}: throttled (429)"
        elif spec.find_operation(request.method, request.path) is None:
            reason = f"{line}: no operation of the spec"
        if reason is not None:
            not_compared.append(NotCompared(interaction.check_id, interaction.case_id, reason))
            continue
        status = response.status if response is not None else 0
        found, seen = _spec_items(spec, [interaction], _silent_on(status, accepts))
        breaking += found
        observed += seen
        compared += 1
    return DriftReport(tuple(breaking), tuple(not_compared), compared, tuple(observed))


def _silent_on(status: int, observe: IssueFilter) -> IssueFilter:
    """``observe``, and for a 4xx answer its status missing from the spec too."""

    def accepts(check_id: str, operation_id: str, issue: SchemaIssue) -> bool:
        undocumented_4xx = 400 <= status < 500 and issue.keyword == "status"
        return undocumented_4xx or observe(check_id, operation_id, issue)

    return accepts


def combined(first: DriftReport, second: DriftReport) -> DriftReport:
    """Both reports' differences, observations and counts, as one."""
    return DriftReport(
        first.items + second.items,
        first.not_compared + second.not_compared,
        first.compared + second.compared,
        first.observations + second.observations,
    )
