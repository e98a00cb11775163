"""Breaking changes between two versions of an OpenAPI spec (dicts in, ``Change`` list out).

Seen from an integrator whose code was written against the old spec. Breaking:

- an operation removed; a documented status removed; the success status changed;
- a response field removed, or no longer required; a response media type removed;
- a new required request field or parameter (path parameters are always required), an
  existing one becoming required, a request body becoming required, a request media type
  removed;
- a request constraint tightened: ``maxLength``/``maxItems``/``maxProperties``/``maximum``/
  ``exclusiveMaximum`` lowered or added, their ``min`` counterparts raised or added, an enum
  value removed (or an enum added), a ``pattern`` added or changed, fewer ``oneOf``/``anyOf``
  alternatives;
- a type changed: in a request unless the new type accepts every old value (``integer`` to
  ``number``, ``string`` to ``[string, "null"]``), in a response unless it only narrows.

Everything else is reported as non-breaking: additions, loosened request constraints, and
any constraint or enum change in a response (clients are expected to tolerate those).

Local ``$ref`` (``#/...``) are resolved, ``allOf`` parts are merged; path templates match
whatever their parameters are called (``/x/{id}`` is ``/x/{key}``).
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from enum import StrEnum
from typing import Any

from sms_contract.errors import SpecError

_METHODS = ("get", "put", "post", "delete", "options", "head", "patch", "trace", "query")
_UPPER = ("maxLength", "maxItems", "maxProperties", "maximum", "exclusiveMaximum")
_LOWER = ("minLength", "minItems", "minProperties", "minimum", "exclusiveMinimum")
_MAX_DEPTH = 24  # recursive schemas stop here


class ChangeKind(StrEnum):
    OPERATION_REMOVED = "operation-removed"
    OPERATION_ADDED = "operation-added"
    PARAMETER_REMOVED = "parameter-removed"
    PARAMETER_ADDED = "parameter-added"
    PARAMETER_BECAME_REQUIRED = "parameter-became-required"
    PARAMETER_BECAME_OPTIONAL = "parameter-became-optional"
    REQUEST_BODY_ADDED = "request-body-added"
    REQUEST_BODY_REMOVED = "request-body-removed"
    REQUEST_BODY_BECAME_REQUIRED = "request-body-became-required"
    REQUEST_BODY_BECAME_OPTIONAL = "request-body-became-optional"
    MEDIA_TYPE_REMOVED = "media-type-removed"
    MEDIA_TYPE_ADDED = "media-type-added"
    STATUS_REMOVED = "status-removed"
    STATUS_ADDED = "status-added"
    SUCCESS_STATUS_CHANGED = "success-status-changed"
    FIELD_REMOVED = "field-removed"
    FIELD_ADDED = "field-added"
    FIELD_BECAME_REQUIRED = "field-became-required"
    FIELD_BECAME_OPTIONAL = "field-became-optional"
    TYPE_CHANGED = "type-changed"
    CONSTRAINT_TIGHTENED = "constraint-tightened"
    CONSTRAINT_LOOSENED = "constraint-loosened"
    ENUM_VALUE_REMOVED = "enum-value-removed"
    ENUM_VALUE_ADDED = "enum-value-added"


@dataclass(frozen=True)
class Change:
    """One difference, e.g. ``POST /messages request $.recipient.to (maxLength)``: 15 -> 12."""

    kind: ChangeKind
    location: str
    old: Any
    new: Any
    breaking: bool

    def __str__(self) -> str:
        label = "BREAKING" if self.breaking else "ok      "
        return f"{label} {self.kind}: {self.location}: {self.old!r} -> {self.new!r}"


class _Document:
    """One spec with its local ``$ref`` resolved on demand."""

    def __init__(self, spec: Mapping[str, Any]) -> None:
        if not isinstance(spec, Mapping):
            raise SpecError("an OpenAPI document must be a mapping at the top level")
        self.spec = spec

    def resolve(self, node: Any) -> Any:
        seen: set[str] = set()
        while isinstance(node, Mapping) and "$ref" in node:
            ref = node["$ref"]
            if not isinstance(ref, str) or not ref.startswith("#/"):
                raise SpecError(f"$ref {ref!r}: only local references ('#/...') are supported")
            if ref in seen:
                raise SpecError(f"$ref {ref!r} refers to itself")
            seen.add(ref)
            target: Any = self.spec
            for part in ref[2:].split("/"):
                key = part.replace("~1", "/").replace("~0", "~")
                if not isinstance(target, Mapping) or key not in target:
                    raise SpecError(f"$ref {ref!r} does not resolve")
                target = target[key]
            siblings = {k: v for k, v in node.items() if k != "$ref"}
            node = {**target, **siblings} if siblings and isinstance(target, Mapping) else target
        return node

    def map(self, node: Any) -> Mapping[str, Any]:
        value = self.resolve(node)
        return value if isinstance(value, Mapping) else {}

    def schema(self, node: Any) -> Mapping[str, Any]:
        """The schema with its ``allOf`` parts merged into one."""
        schema = self.map(node)
        if "allOf" not in schema:
            return schema
        merged: dict[str, Any] = {k: v for k, v in schema.items() if k != "allOf"}
        for part in schema.get("allOf") or []:
            piece = self.schema(part)
            for key, value in piece.items():
                if key == "properties":
                    merged["properties"] = _merge_properties(
                        self.map(merged.get("properties")), self.map(value)
                    )
                elif key == "required":
                    merged["required"] = [*merged.get("required", []), *value]
                else:
                    merged.setdefault(key, value)
        return merged

    def operations(self) -> dict[tuple[str, str], tuple[str, Mapping[str, Any], list[Any]]]:
        """(METHOD, path with parameters blanked) -> (display name, operation, path params)."""
        found: dict[tuple[str, str], tuple[str, Mapping[str, Any], list[Any]]] = {}
        for path, item in self.map(self.spec.get("paths")).items():
            item = self.map(item)
            shared = list(item.get("parameters") or [])
            for method in _METHODS:
                if method in item:
                    key = (method.upper(), re.sub(r"\{[^}]*\}", "{}", str(path)))
                    found[key] = (f"{method.upper()} {path}", self.map(item[method]), shared)
        return found


def diff_specs(old: Mapping[str, Any], new: Mapping[str, Any]) -> list[Change]:
    """Every change from ``old`` to ``new``, each marked breaking or not."""
    differ = _Differ(_Document(old), _Document(new))
    before, after = differ.a.operations(), differ.b.operations()
    for key, (name, _, _) in before.items():
        if key not in after:
            differ.add(ChangeKind.OPERATION_REMOVED, name, name, None, breaking=True)
    for key, (name, _, _) in after.items():
        if key not in before:
            differ.add(ChangeKind.OPERATION_ADDED, name, None, name, breaking=False)
    for key, (_, old_op, old_shared) in before.items():
        if key in after:
            name, new_op, new_shared = after[key]
            differ.operation(name, old_op, old_shared, new_op, new_shared)
    return differ.changes


class _Differ:
    def __init__(self, a: _Document, b: _Document) -> None:
        self.a, self.b = a, b
        self.changes: list[Change] = []

    def add(self, kind: ChangeKind, where: str, old: Any, new: Any, *, breaking: bool) -> None:
        self.changes.append(Change(kind, where, old, new, breaking))

    def operation(
        self,
        name: str,
        old: Mapping[str, Any],
        old_shared: list[Any],
        new: Mapping[str, Any],
        new_shared: list[Any],
    ) -> None:
        self.parameters(
            name, self._params(self.a, old_shared, old), self._params(self.b, new_shared, new)
        )
        self.request_body(
            name, self.a.map(old.get("requestBody")), self.b.map(new.get("requestBody"))
        )
        self.responses(name, self.a.map(old.get("responses")), self.b.map(new.get("responses")))

    @staticmethod
    def _params(
        doc: _Document, shared: list[Any], own: Mapping[str, Any]
    ) -> dict[tuple[str, str], Mapping[str, Any]]:
        params: dict[tuple[str, str], Mapping[str, Any]] = {}
        for raw in [*shared, *(own.get("parameters") or [])]:
            param = doc.map(raw)
            params[(str(param.get("in")), str(param.get("name")))] = param
        return params

    def parameters(
        self,
        name: str,
        old: dict[tuple[str, str], Mapping[str, Any]],
        new: dict[tuple[str, str], Mapping[str, Any]],
    ) -> None:
        for key, param in old.items():
            where = f"{name} {key[0]} parameter {key[1]}"
            if key not in new:
                self.add(ChangeKind.PARAMETER_REMOVED, where, key[1], None, breaking=False)
                continue
            was, now = _required(param), _required(new[key])
            if was != now:
                kind = (
                    ChangeKind.PARAMETER_BECAME_REQUIRED
                    if now
                    else ChangeKind.PARAMETER_BECAME_OPTIONAL
                )
                self.add(kind, where, _presence(was), _presence(now), breaking=now)
            self.schema(where, "", param.get("schema"), new[key].get("schema"), request=True)
        for key, param in new.items():
            if key not in old:
                now = _required(param)
                where = f"{name} {key[0]} parameter {key[1]}"
                self.add(ChangeKind.PARAMETER_ADDED, where, None, _presence(now), breaking=now)

    def request_body(self, name: str, old: Mapping[str, Any], new: Mapping[str, Any]) -> None:
        where = f"{name} request"
        was, now = bool(old.get("required")), bool(new.get("required"))
        if not old and new:
            self.add(ChangeKind.REQUEST_BODY_ADDED, where, None, _presence(now), breaking=now)
        elif old and not new:
            self.add(ChangeKind.REQUEST_BODY_REMOVED, where, _presence(was), None, breaking=False)
        elif was != now:
            kind = (
                ChangeKind.REQUEST_BODY_BECAME_REQUIRED
                if now
                else ChangeKind.REQUEST_BODY_BECAME_OPTIONAL
            )
            self.add(kind, where, _presence(was), _presence(now), breaking=now)
        if old and new:
            self.content(
                where, self.a.map(old.get("content")), self.b.map(new.get("content")), request=True
            )

    def responses(self, name: str, old: Mapping[str, Any], new: Mapping[str, Any]) -> None:
        before, after = {str(k): v for k, v in old.items()}, {str(k): v for k, v in new.items()}
        removed = [s for s in before if s not in after]
        added = [s for s in after if s not in before]
        removed_ok = [s for s in removed if s.startswith("2")]
        added_ok = [s for s in added if s.startswith("2")]
        if removed_ok and added_ok:
            old_text, new_text = ", ".join(removed_ok), ", ".join(added_ok)
            self.add(
                ChangeKind.SUCCESS_STATUS_CHANGED,
                f"{name} response",
                old_text,
                new_text,
                breaking=True,
            )
            removed = [s for s in removed if s not in removed_ok]
            added = [s for s in added if s not in added_ok]
        for status in removed:
            self.add(ChangeKind.STATUS_REMOVED, f"{name} response", status, None, breaking=True)
        for status in added:
            self.add(ChangeKind.STATUS_ADDED, f"{name} response", None, status, breaking=False)
        for status in before:
            if status in after:
                self.content(
                    f"{name} response {status}",
                    self.a.map(self.a.map(before[status]).get("content")),
                    self.b.map(self.b.map(after[status]).get("content")),
                    request=False,
                )

    def content(
        self, where: str, old: Mapping[str, Any], new: Mapping[str, Any], *, request: bool
    ) -> None:
        for media in old:
            if media not in new:
                self.add(ChangeKind.MEDIA_TYPE_REMOVED, where, media, None, breaking=True)
        for media in new:
            if media not in old:
                self.add(ChangeKind.MEDIA_TYPE_ADDED, where, None, media, breaking=False)
        for media in old:
            if media in new:
                label = where if media == "application/json" else f"{where} {media}"
                old_schema = self.a.map(old[media]).get("schema")
                new_schema = self.b.map(new[media]).get("schema")
                self.schema(label, "$", old_schema, new_schema, request=request)

    def schema(
        self, where: str, path: str, old: Any, new: Any, *, request: bool, depth: int = 0
    ) -> None:
        if old is None or new is None or depth > _MAX_DEPTH:
            return
        o, n = self.a.schema(old), self.b.schema(new)
        at = f"{where} {path}".rstrip()
        self.types(at, o, n, request=request)
        self.constraints(at, o, n, request=request)
        self.properties(where, path, o, n, request=request, depth=depth)
        if "items" in o and "items" in n:
            items = f"{path or '$'}[*]"
            self.schema(where, items, o["items"], n["items"], request=request, depth=depth + 1)
        for keyword in ("oneOf", "anyOf"):
            left, right = o.get(keyword) or [], n.get(keyword) or []
            if left and right and len(left) == len(right):
                for i, (x, y) in enumerate(zip(left, right, strict=True)):
                    alternative = f"{where} ({keyword}[{i}])"
                    self.schema(alternative, path, x, y, request=request, depth=depth + 1)

    def types(self, at: str, o: Mapping[str, Any], n: Mapping[str, Any], *, request: bool) -> None:
        was, now = _types(o), _types(n)
        if was == now:
            return
        # A request type may only widen (the old values stay valid); a response one only narrow.
        breaking = not _accepts(now, was) if request else not _accepts(was, now)
        self.add(ChangeKind.TYPE_CHANGED, at, _show_types(was), _show_types(now), breaking=breaking)

    def constraints(
        self, at: str, o: Mapping[str, Any], n: Mapping[str, Any], *, request: bool
    ) -> None:
        for keyword in (*_UPPER, *_LOWER, "pattern"):
            was, now = _number_or_text(o.get(keyword)), _number_or_text(n.get(keyword))
            if was == now:
                continue
            if keyword == "pattern":
                tighter = now is not None
            elif keyword in _UPPER:
                tighter = now is not None and (was is None or now < was)
            else:
                tighter = now is not None and (was is None or now > was)
            kind = ChangeKind.CONSTRAINT_TIGHTENED if tighter else ChangeKind.CONSTRAINT_LOOSENED
            self.add(kind, f"{at} ({keyword})", was, now, breaking=request and tighter)
        self.enum(at, _enum(o), _enum(n), request=request)
        for keyword in ("oneOf", "anyOf"):
            was_n, now_n = len(o.get(keyword) or []), len(n.get(keyword) or [])
            if was_n and now_n and was_n != now_n:
                tighter = now_n < was_n
                kind = (
                    ChangeKind.CONSTRAINT_TIGHTENED if tighter else ChangeKind.CONSTRAINT_LOOSENED
                )
                self.add(kind, f"{at} ({keyword})", was_n, now_n, breaking=request and tighter)

    def enum(self, at: str, was: list[Any] | None, now: list[Any] | None, *, request: bool) -> None:
        where = f"{at} (enum)"
        if was is None and now is not None:
            self.add(ChangeKind.CONSTRAINT_TIGHTENED, where, None, now, breaking=request)
        elif was is not None and now is None:
            self.add(ChangeKind.CONSTRAINT_LOOSENED, where, was, None, breaking=False)
        elif was is not None and now is not None:
            for value in was:
                if value not in now:
                    self.add(ChangeKind.ENUM_VALUE_REMOVED, where, value, None, breaking=request)
            for value in now:
                if value not in was:
                    self.add(ChangeKind.ENUM_VALUE_ADDED, where, None, value, breaking=False)

    def properties(
        self,
        where: str,
        path: str,
        o: Mapping[str, Any],
        n: Mapping[str, Any],
        *,
        request: bool,
        depth: int,
    ) -> None:
        old_props, new_props = self.a.map(o.get("properties")), self.b.map(n.get("properties"))
        old_req, new_req = set(o.get("required") or []), set(n.get("required") or [])
        names = [*old_props, *(k for k in new_props if k not in old_props)]
        names += sorted((old_req | new_req) - set(names))
        base = path or "$"
        for prop in names:
            at = f"{where} {base}.{prop}"
            in_old, in_new = (
                prop in old_props or prop in old_req,
                prop in new_props or prop in new_req,
            )
            was, now = prop in old_req, prop in new_req
            if in_old and not in_new:
                self.add(ChangeKind.FIELD_REMOVED, at, _presence(was), None, breaking=not request)
            elif in_new and not in_old:
                self.add(ChangeKind.FIELD_ADDED, at, None, _presence(now), breaking=request and now)
            else:
                if was != now:
                    kind = (
                        ChangeKind.FIELD_BECAME_REQUIRED
                        if now
                        else ChangeKind.FIELD_BECAME_OPTIONAL
                    )
                    breaking = now if request else was
                    self.add(kind, at, _presence(was), _presence(now), breaking=breaking)
                self.schema(
                    where,
                    f"{base}.{prop}",
                    old_props.get(prop),
                    new_props.get(prop),
                    request=request,
                    depth=depth + 1,
                )


def _merge_properties(first: Mapping[str, Any], second: Mapping[str, Any]) -> dict[str, Any]:
    """Properties of two ``allOf`` parts; one named in both must satisfy both schemas."""
    merged = dict(first)
    for name, schema in second.items():
        merged[name] = {"allOf": [merged[name], schema]} if name in merged else schema
    return merged


def _required(param: Mapping[str, Any]) -> bool:
    return param.get("in") == "path" or bool(param.get("required"))


def _presence(required: bool) -> str:
    return "required" if required else "optional"


def _types(schema: Mapping[str, Any]) -> frozenset[str] | None:
    declared = schema.get("type")
    if declared is None:
        return None
    types = {declared} if isinstance(declared, str) else {str(t) for t in declared}
    if schema.get("nullable") is True:
        types.add("null")
    return frozenset(types)


def _accepts(wider: frozenset[str] | None, narrower: frozenset[str] | None) -> bool:
    """Whether every value of type ``narrower`` is also of type ``wider`` (``None``: any)."""
    if wider is None:
        return True
    if narrower is None:
        return False
    expanded = wider | ({"integer"} if "number" in wider else set())
    return narrower <= expanded


def _show_types(types: frozenset[str] | None) -> str | list[str] | None:
    if types is None or len(types) != 1:
        return None if types is None else sorted(types)
    return next(iter(types))


def _number_or_text(value: Any) -> Any:
    return None if isinstance(value, bool) else value  # OpenAPI 3.0 exclusiveMaximum: true


def _enum(schema: Mapping[str, Any]) -> list[Any] | None:
    if "enum" in schema and isinstance(schema["enum"], list):
        return list(schema["enum"])
    return [schema["const"]] if "const" in schema else None
