"""Which recorded interaction answers a replayed request, and why none does.

A matcher is a small pure function ``(recorded, actual) -> str | None``: ``None`` when the
two requests agree on one aspect, otherwise a reason naming the field and both values (one
line per differing field).
``find_match`` runs every matcher over every interaction; on a miss, ``CassetteMiss`` names
the request, the nearest interaction (fewest failing matchers, then smallest body diff) and
each difference with both values.

Both sides are scrubbed. The cassette holds placeholders (``<phone-1>``) where the sent
request held a phone number, so the replayed request must go through
``sms_contract.cassettes.scrub_request`` with a ``Scrubber`` built like the recording one
(same known secrets) before it is matched; messages then only ever show scrubbed values.

Placeholders are numbered in order of first appearance within one ``Scrubber``, so the same
number can be ``<phone-1>`` at record time and ``<phone-3>`` at replay time (cases run in a
different order, or only some of them). Matching therefore treats two placeholders of the
same kind as equal when they correspond one-to-one within the compared field: ``[<phone-1>,
<phone-1>]`` matches ``[<phone-4>, <phone-4>]`` but not ``[<phone-4>, <phone-5>]``.

Scrubbing also erases distinctions: two cases that differ only in a phone number's format
(``+15555551234`` and ``15555551234``) look the same in a cassette. ``find_match`` takes
``prefer=(check_id, case_id)`` so the runner can say which case it is replaying.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Final
from urllib.parse import quote, unquote

from sms_contract.errors import CassetteMiss
from sms_contract.recordings.cassettes import Interaction, RecordedRequest

Matcher = Callable[[RecordedRequest, RecordedRequest], str | None]

_PLACEHOLDER = re.compile(r"<([a-z]+)-(\d+)>")
_ESCAPE = re.compile(r"%[0-9A-Fa-f]{2}")
_UNRESERVED = frozenset("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-._~")
_SHOWN_DIFFERENCES = 5
_MAX_SHOWN = 60


class _Absent:
    def __repr__(self) -> str:
        return "(absent)"


ABSENT: Final = _Absent()


@dataclass(frozen=True)
class Difference:
    """One place where two JSON values differ, e.g. ``$.recipient.to``."""

    where: str
    recorded: Any
    sent: Any

    def __str__(self) -> str:
        return f"{self.where}: recorded {_show(self.recorded)}, sent {_show(self.sent)}"


def _show(value: Any) -> str:
    text = repr(value)
    return text if len(text) <= _MAX_SHOWN else text[: _MAX_SHOWN - 3] + "..."


class _Renaming:
    """A one-to-one correspondence between the placeholders of two scrubbed values."""

    def __init__(self) -> None:
        self._forward: dict[str, str] = {}
        self._backward: dict[str, str] = {}

    def same_text(self, recorded: str, sent: str) -> bool:
        if recorded == sent:
            return True
        left, right = _PLACEHOLDER.split(recorded), _PLACEHOLDER.split(sent)
        if len(left) != len(right):
            return False
        # split() gives [text, kind, number, text, kind, number, ..., text]
        for i in range(0, len(left), 3):
            if left[i] != right[i]:
                return False
        for i in range(1, len(left), 3):
            a, b = f"<{left[i]}-{left[i + 1]}>", f"<{right[i]}-{right[i + 1]}>"
            if left[i] != right[i] or not self._bind(a, b):
                return False
        return True

    def _bind(self, a: str, b: str) -> bool:
        if self._forward.get(a, b) != b or self._backward.get(b, a) != a:
            return False
        self._forward[a], self._backward[b] = b, a
        return True


def json_differences(recorded: Any, sent: Any) -> list[Difference]:
    """Every leaf where two JSON values differ; key order is ignored, placeholders renamed."""
    found: list[Difference] = []
    _diff(recorded, sent, "$", _Renaming(), found)
    return found


def _diff(recorded: Any, sent: Any, where: str, names: _Renaming, out: list[Difference]) -> None:
    if isinstance(recorded, dict) and isinstance(sent, dict):
        for key in sorted(set(recorded) | set(sent), key=str):
            here = f"{where}.{key}" if re.fullmatch(r"\w+", str(key)) else f"{where}[{key!r}]"
            _diff(recorded.get(key, ABSENT), sent.get(key, ABSENT), here, names, out)
    elif isinstance(recorded, list) and isinstance(sent, list):
        for i in range(max(len(recorded), len(sent))):
            left = recorded[i] if i < len(recorded) else ABSENT
            right = sent[i] if i < len(sent) else ABSENT
            _diff(left, right, f"{where}[{i}]", names, out)
    elif not _same_scalar(recorded, sent, names):
        out.append(Difference(where, recorded, sent))


def _same_scalar(recorded: Any, sent: Any, names: _Renaming) -> bool:
    if isinstance(recorded, str) and isinstance(sent, str):
        return names.same_text(recorded, sent)
    if isinstance(recorded, bool) or isinstance(sent, bool):
        return type(recorded) is type(sent) and recorded == sent
    if isinstance(recorded, dict | list) or isinstance(sent, dict | list):
        return False  # a container against anything else (both containers were handled)
    if isinstance(recorded, int | float) and isinstance(sent, int | float):
        return recorded == sent  # 1 and 1.0 are the same JSON number
    return type(recorded) is type(sent) and recorded == sent


# --- the matchers -----------------------------------------------------------------------------


def method(recorded: RecordedRequest, actual: RecordedRequest) -> str | None:
    if recorded.method.upper() == actual.method.upper():
        return None
    return f"method: recorded {recorded.method!r}, sent {actual.method!r}"


def path(recorded: RecordedRequest, actual: RecordedRequest) -> str | None:
    """Paths compared after RFC 3986 normalisation (``%7e`` is ``~``, ``%2f`` is ``%2F``)."""
    if _Renaming().same_text(_normal_path(recorded.path), _normal_path(actual.path)):
        return None
    return f"path: recorded {recorded.path!r}, sent {actual.path!r}"


def _normal_path(value: str) -> str:
    def normal(match: re.Match[str]) -> str:
        char = unquote(match.group(0))
        return char if char in _UNRESERVED else quote(char, safe="").upper()

    return _ESCAPE.sub(normal, value)


def query(recorded: RecordedRequest, actual: RecordedRequest) -> str | None:
    """Query parameters compared by name, in any order; repeated values as a sorted list."""
    names, reasons = _Renaming(), []
    for name in sorted(set(recorded.query) | set(actual.query)):
        left = sorted(recorded.query[name]) if name in recorded.query else ABSENT
        right = sorted(actual.query[name]) if name in actual.query else ABSENT
        found: list[Difference] = []
        _diff(left, right, name, names, found)
        if found:
            reasons.append(f"query {Difference(name, left, right)}")
    return "\n".join(reasons) or None


def body(recorded: RecordedRequest, actual: RecordedRequest) -> str | None:
    """JSON bodies compared structurally (key order ignored); other bodies as text."""
    if recorded.json is not None and actual.json is not None:
        differences = json_differences(recorded.json, actual.json)
        if not differences:
            return None
        shown = [f"body {d}" for d in differences[:_SHOWN_DIFFERENCES]]
        if len(differences) > _SHOWN_DIFFERENCES:
            shown.append(f"and {len(differences) - _SHOWN_DIFFERENCES} more body differences")
        return "\n".join(shown)
    left, right = _body_value(recorded), _body_value(actual)
    if isinstance(left, str) and isinstance(right, str):
        if _Renaming().same_text(left, right):
            return None
    elif left is right:  # both absent
        return None
    return f"body: recorded {_show(left)}, sent {_show(right)}"


def _body_value(request: RecordedRequest) -> Any:
    if request.json is not None:
        return request.json
    return ABSENT if request.body is None else request.body


MATCHERS: Mapping[str, Matcher] = {"method": method, "path": path, "query": query, "body": body}
"""The default matchers, by name: method, path, query and body."""


# --- choosing an interaction ------------------------------------------------------------------


def find_match(
    interactions: Sequence[Interaction],
    actual: RecordedRequest,
    *,
    matchers: Mapping[str, Matcher] = MATCHERS,
    prefer: tuple[str, str] | None = None,
) -> Interaction:
    """The interaction that answers ``actual`` (repeats allowed: nothing is consumed).

    Among several matches, the first one of the ``prefer``-red (check_id, case_id) wins, then
    the first of the same check, then the first. Raises ``CassetteMiss`` when none matches.
    """
    failures = [_failures(i, actual, matchers) for i in interactions]
    matching = [i for i, failed in zip(interactions, failures, strict=True) if not failed]
    if matching:
        return _preferred(matching, prefer)
    raise CassetteMiss(_miss_message(interactions, failures, actual))


def _preferred(matching: Sequence[Interaction], prefer: tuple[str, str] | None) -> Interaction:
    if prefer is not None:
        same_case = [i for i in matching if (i.check_id, i.case_id) == prefer]
        same_check = [i for i in matching if i.check_id == prefer[0]]
        return (same_case or same_check or matching)[0]
    return matching[0]


def _failures(
    interaction: Interaction, actual: RecordedRequest, matchers: Mapping[str, Matcher]
) -> list[str]:
    reasons = (matcher(interaction.request, actual) for matcher in matchers.values())
    return [reason for reason in reasons if reason is not None]


def _body_distance(recorded: RecordedRequest, actual: RecordedRequest) -> int:
    if recorded.json is not None and actual.json is not None:
        return len(json_differences(recorded.json, actual.json))
    return 0 if body(recorded, actual) is None else 1


def _miss_message(
    interactions: Sequence[Interaction], failures: Sequence[list[str]], actual: RecordedRequest
) -> str:
    request = f"{actual.method} {actual.path}"
    if not interactions:
        return f"no recorded interaction matches {request}: the cassettes hold no interactions"
    ranked = sorted(
        range(len(interactions)),
        key=lambda n: (len(failures[n]), _body_distance(interactions[n].request, actual), n),
    )
    nearest = interactions[ranked[0]]
    lines = [
        f"no recorded interaction matches {request} (searched {len(interactions)} interactions)",
        f"nearest: check {nearest.check_id!r} case {nearest.case_id!r} "
        f"({nearest.request.method} {nearest.request.path}), which differs in:",
    ]
    for reason in failures[ranked[0]]:
        lines.extend(f"  {part}" for part in reason.splitlines())
    return "\n".join(lines)
