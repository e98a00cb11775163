"""What changed between two answers to the same request: status, errorcode, body shape and
Content-Type, one line per difference.

The body's shape is every JSON path with the JSON types found there (``[]``: any element of an
array); values are ignored, except ``errorcode`` (at any depth) and a top-level OAuth
``error``. So a field added, removed or retyped is named exactly: ``$.trackingId added
(string)``, ``$.errorcode removed (number)``, ``$.count retyped number -> string``.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from enum import StrEnum
from typing import Any

from sms_contract.recordings.cassettes import RecordedResponse


class Aspect(StrEnum):
    STATUS = "status"
    ERRORCODE = "errorcode"
    SHAPE = "shape"
    CONTENT_TYPE = "content-type"


FIDELITY_ASPECTS = frozenset({Aspect.STATUS, Aspect.ERRORCODE, Aspect.SHAPE})
DRIFT_ASPECTS = frozenset(Aspect)


def response_changes(
    recorded: RecordedResponse | None,
    fresh: RecordedResponse | None,
    aspects: Iterable[Aspect] = DRIFT_ASPECTS,
) -> list[str]:
    """Every difference between two answers to the same request, one line each."""
    wanted = frozenset(aspects)
    if recorded is None or fresh is None:
        if recorded is fresh:
            return []
        shown = ["(response lost)" if r is None else str(r.status) for r in (recorded, fresh)]
        return [f"status {shown[0]} -> {shown[1]}"]
    changes: list[str] = []
    if Aspect.STATUS in wanted and recorded.status != fresh.status:
        changes.append(f"status {recorded.status} -> {fresh.status}")
    if Aspect.ERRORCODE in wanted:
        changes += errorcode_changes(recorded.json, fresh.json)
    if Aspect.SHAPE in wanted:
        changes += shape_changes(_body(recorded), _body(fresh))
    if Aspect.CONTENT_TYPE in wanted:
        before, after = content_type(recorded), content_type(fresh)
        if before != after:
            changes.append(f"Content-Type {before or '(absent)'!r} -> {after or '(absent)'!r}")
    return changes


def _body(response: RecordedResponse) -> Any:
    if response.json is not None:
        return response.json
    return _TEXT if response.body else _EMPTY


class _Marker(str):
    """A body that is not JSON: its kind is its shape."""


_TEXT, _EMPTY = _Marker("text"), _Marker("empty")


def content_type(response: RecordedResponse) -> str | None:
    """The Content-Type, lower-cased, without spaces around its parameters."""
    for name, value in response.headers.items():
        if name.lower() == "content-type":
            return "; ".join(part.strip() for part in value.lower().split(";"))
    return None


def errorcode_changes(recorded: Any, fresh: Any) -> list[str]:
    """Changed ``errorcode`` values (at any depth) and a changed top-level OAuth ``error``."""
    before, after = _errorcodes(recorded, "$"), _errorcodes(fresh, "$")
    changes = []
    for path in sorted(set(before) & set(after)):
        if before[path] != after[path]:
            where = "" if path == "$.errorcode" else f" at {path}"
            changes.append(f"errorcode{where} {_values(before[path])} -> {_values(after[path])}")
    if isinstance(recorded, dict) and isinstance(fresh, dict):
        old, new = recorded.get("error"), fresh.get("error")
        if isinstance(old, str) and isinstance(new, str) and old != new:
            changes.append(f"error {old!r} -> {new!r}")
    return changes


def _values(values: list[Any]) -> str:
    return str(values[0]) if len(values) == 1 else str(values)


def _errorcodes(value: Any, path: str) -> dict[str, list[Any]]:
    found: dict[str, list[Any]] = {}
    if isinstance(value, dict):
        for key, item in value.items():
            child = _child(path, str(key))
            if key == "errorcode":
                found.setdefault(child, []).append(item)
            for deeper, values in _errorcodes(item, child).items():
                found.setdefault(deeper, []).extend(values)
    elif isinstance(value, list):
        for item in value:
            for deeper, values in _errorcodes(item, f"{path}[]").items():
                found.setdefault(deeper, []).extend(values)
    return found


def shape_changes(recorded: Any, fresh: Any) -> list[str]:
    """Fields added, removed or retyped, by JSON path (``[]``: any element of an array)."""
    before, after = shape(recorded), shape(fresh)
    changes: list[tuple[str, str]] = []
    covered: list[str] = []  # paths already reported: their children are not repeated
    for path in sorted(set(before) | set(after), key=_path_order):
        if any(_under(path, parent) for parent in covered):
            continue
        if path not in after:
            if not _in_empty_array(path, after):
                changes.append((path, f"{path} removed ({_types(before[path])})"))
                covered.append(path)
        elif path not in before:
            if not _in_empty_array(path, before):
                changes.append((path, f"{path} added ({_types(after[path])})"))
                covered.append(path)
        elif before[path] != after[path]:
            changes.append(
                (path, f"{path} retyped {_types(before[path])} -> {_types(after[path])}")
            )
            covered.append(path)
    return [text for _, text in changes]


def shape(value: Any, path: str = "$") -> dict[str, frozenset[str]]:
    """Every JSON path of ``value`` with the JSON types found there."""
    found: dict[str, set[str]] = {}
    _shape(value, path, found)
    return {key: frozenset(types) for key, types in found.items()}


def _shape(value: Any, path: str, found: dict[str, set[str]]) -> None:
    found.setdefault(path, set()).add(_json_type(value))
    if isinstance(value, dict):
        for key, item in value.items():
            _shape(item, _child(path, str(key)), found)
    elif isinstance(value, list):
        for item in value:
            _shape(item, f"{path}[]", found)


def _json_type(value: Any) -> str:
    if isinstance(value, _Marker):
        return str(value)
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "boolean"
    if isinstance(value, int | float):
        return "number"
    if isinstance(value, str):
        return "string"
    return "object" if isinstance(value, dict) else "array"


def _types(types: frozenset[str]) -> str:
    return "|".join(sorted(types))


def _child(path: str, key: str) -> str:
    return f"{path}.{key}" if re.fullmatch(r"\w+", key) else f"{path}[{key!r}]"


def _path_order(path: str) -> tuple[int, str]:
    return (path.count(".") + path.count("["), path)


def _under(path: str, parent: str) -> bool:
    return path.startswith(parent) and path[len(parent) : len(parent) + 1] in (".", "[")


def _in_empty_array(path: str, other: Mapping[str, frozenset[str]]) -> bool:
    """Inside an array that is present but empty on the other side (nothing to compare)."""
    for match in re.finditer(r"\[\]", path):
        array = path[: match.start()]
        if array in other and f"{array}[]" not in other:
            return True
    return False
