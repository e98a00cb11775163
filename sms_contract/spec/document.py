"""Reading the raw OpenAPI document: JSON pointers, ``$ref``, operations, conflicts, media.

Plain functions over the parsed YAML (``raw``), used by :class:`sms_contract.spec.Spec`.
Pointers are URI fragments such as ``#/paths/~1messaging~1v1/post``; the document is never
mutated.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import Any

from sms_contract.errors import SpecError
from sms_contract.spec.model import Conflict, Operation, Reading

__all__ = [
    "HTTP_METHODS",
    "check_refs",
    "collect_conflicts",
    "deref",
    "describe_operation",
    "escape",
    "media_examples",
    "media_pointer",
    "resolve",
    "walk_operations",
]

HTTP_METHODS = ("get", "put", "post", "delete", "options", "head", "patch", "trace")


def escape(segment: str) -> str:
    """``segment`` escaped for a JSON pointer (``~`` as ``~0``, ``/`` as ``~1``)."""
    return segment.replace("~", "~0").replace("/", "~1")


def resolve(raw: Any, pointer: str) -> Any:
    """The node at ``pointer``; ``KeyError``, ``IndexError`` or ``ValueError`` if none."""
    node: Any = raw
    for segment in pointer.lstrip("#").split("/")[1:]:
        segment = segment.replace("~1", "/").replace("~0", "~")
        node = node[int(segment)] if isinstance(node, list) else node[segment]
    return node


def deref(raw: Any, node: Any, pointer: str) -> tuple[Any, str]:
    """``node`` with its ``$ref`` chain followed, and the pointer of the node reached."""
    while isinstance(node, dict) and isinstance(node.get("$ref"), str):
        pointer = node["$ref"]
        node = resolve(raw, pointer)
    return node, pointer


def check_refs(raw: Any, node: Any, pointer: str) -> None:
    """Raise ``SpecError`` for the first ``$ref`` under ``node`` that points nowhere."""
    if isinstance(node, dict):
        ref = node.get("$ref")
        if isinstance(ref, str):
            try:
                resolve(raw, ref)
            except (KeyError, IndexError, ValueError, TypeError):
                raise SpecError(f"{pointer}: $ref {ref!r} points nowhere") from None
        for key, value in node.items():
            check_refs(raw, value, f"{pointer}/{escape(str(key))}")
    elif isinstance(node, list):
        for index, value in enumerate(node):
            check_refs(raw, value, f"{pointer}/{index}")


def collect_conflicts(node: Any, pointer: str) -> Iterator[Conflict]:
    """Every ``x-conflicts`` entry under ``node`` in document order, each with its pointer."""
    if isinstance(node, dict):
        for entry in node.get("x-conflicts", []):
            try:
                readings = tuple(Reading(r["reading"], r["source"]) for r in entry["readings"])
                topic, resolution = entry["topic"], entry["resolution"]
            except (KeyError, TypeError):
                raise SpecError(
                    f"{pointer}: an x-conflicts entry needs topic, readings[{{reading, "
                    "source}] and resolution"
                ) from None
            yield Conflict(topic, readings, resolution, pointer, entry.get("note"))
        for key, value in node.items():
            if key != "x-conflicts":
                yield from collect_conflicts(value, f"{pointer}/{escape(str(key))}")
    elif isinstance(node, list):
        for index, value in enumerate(node):
            yield from collect_conflicts(value, f"{pointer}/{index}")


def walk_operations(raw: Any) -> Iterator[tuple[str, dict[str, Any], str, str]]:
    """``(pointer, operation node, method, path template)`` of every operation."""
    for template, path_item in raw["paths"].items():
        for method in HTTP_METHODS:
            if isinstance(path_item.get(method), dict):
                pointer = f"#/paths/{escape(template)}/{method}"
                yield pointer, path_item[method], method, template


def describe_operation(
    raw: Any,
    conflicts: tuple[Conflict, ...],
    pointer: str,
    node: dict[str, Any],
    method: str,
    path: str,
) -> Operation:
    """The :class:`Operation` at ``pointer``, with the ``conflicts`` that concern it."""
    if not node.get("operationId"):
        raise SpecError(f"{method.upper()} {path} has no operationId")
    responses = [str(key) for key in node.get("responses", {})]
    servers = node.get("servers") or raw.get("servers") or [{"url": "/"}]
    security = node.get("security", raw.get("security", []))
    reachable = _reachable(raw, node)
    return Operation(
        operation_id=node["operationId"],
        method=method.upper(),
        path=path,
        summary=node.get("summary", ""),
        description=node.get("description", ""),
        source_url=node.get("externalDocs", {}).get("url", ""),
        statuses=tuple(responses),
        server_url=servers[0]["url"],
        requires_auth=any(requirement for requirement in security),
        required_scopes=tuple(node.get("x-required-scopes", ())),
        rules=tuple(node.get("x-sms-contract-rules", ())),
        not_documented=tuple(node.get("x-not-documented", ())),
        conflicts=tuple(
            c
            for c in conflicts
            if any(c.location == p or c.location.startswith(p + "/") for p in reachable)
            or c.location == pointer
            or c.location.startswith(pointer + "/")
        ),
    )


def _reachable(raw: Any, node: Any) -> set[str]:
    """Pointers of every component the node refers to, directly or transitively."""
    seen: set[str] = set()
    pending = [node]
    while pending:
        current = pending.pop()
        if isinstance(current, dict):
            ref = current.get("$ref")
            if isinstance(ref, str) and ref not in seen:
                seen.add(ref)
                pending.append(resolve(raw, ref))
            pending.extend(current.values())
        elif isinstance(current, list):
            pending.extend(current)
    return seen


def media_examples(raw: Any, owner: Mapping[str, Any]) -> Iterator[tuple[str, tuple[Any, bool]]]:
    """``(name, (value, repaired))`` of every example of a request body or response."""
    for media in (owner.get("content") or {}).values():
        if "example" in media:
            yield "example", (media["example"], False)
        for name, example in (media.get("examples") or {}).items():
            example, _ = deref(raw, example, "")
            yield name, (example.get("value"), "x-repaired" in example)


def media_pointer(owner: Mapping[str, Any], pointer: str, media_type: str | None) -> str | None:
    """The pointer of the ``content`` entry for ``media_type`` (JSON first when ``None``),
    trying the exact essence, then ``type/*``, then ``*/*``; ``None`` if undocumented."""
    content = owner.get("content") or {}
    if media_type is None:
        wanted = ["application/json", *content]
    else:
        essence = media_type.split(";")[0].strip().lower()
        wanted = [essence, essence.split("/")[0] + "/*", "*/*"]
    for candidate in wanted:
        if candidate in content:
            return f"{pointer}/content/{escape(candidate)}"
    return None
