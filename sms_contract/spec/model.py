"""What the OpenAPI spec says, as values: operations, documented examples and conflicts.

Built by :class:`sms_contract.spec.Spec` from the document; pure data, no I/O.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, NamedTuple
from urllib.parse import unquote, urlsplit

__all__ = ["Conflict", "Operation", "Reading", "SpecExample"]


@dataclass(frozen=True)
class Reading:
    """One documented reading of a disputed fact, with the source that states it."""

    reading: str
    source: str


@dataclass(frozen=True)
class Conflict:
    """An ``x-conflicts`` entry: sources disagree, and the spec says how it copes."""

    topic: str
    readings: tuple[Reading, ...]
    resolution: str
    location: str
    note: str | None = None


class SpecExample(NamedTuple):
    """A documented example: which operation, request or response, status, name, value."""

    operation_id: str
    kind: str
    status: int | None
    name: str
    value: Any
    repaired: bool


@dataclass(frozen=True)
class Operation:
    """What the spec says about one operation.

    ``method`` is upper case; ``path`` is the template; ``source_url`` is ``externalDocs.url``;
    ``statuses`` are the response keys as written ("202", and "default" or "4XX" if present);
    ``server_url`` is the effective server template; ``requires_auth`` is False only where
    ``security: []``; ``rules`` are ``x-sms-contract-rules`` ids (sms_contract.spec.rules);
    ``conflicts`` are the ``x-conflicts`` of the operation and of every component it uses.
    """

    operation_id: str
    method: str
    path: str
    summary: str
    description: str
    source_url: str
    statuses: tuple[str, ...]
    server_url: str
    requires_auth: bool
    required_scopes: tuple[str, ...]
    rules: tuple[str, ...]
    not_documented: tuple[str, ...]
    conflicts: tuple[Conflict, ...]

    @property
    def path_parameters(self) -> tuple[str, ...]:
        return tuple(s[1:-1] for s in self.path.split("/") if s.startswith("{"))

    def match(self, path: str) -> dict[str, str] | None:
        """The decoded path parameters if ``path`` (percent-encoded) fits the template."""
        template = self.path.split("/")
        concrete = urlsplit(path).path.split("/")
        if len(template) != len(concrete):
            return None
        found: dict[str, str] = {}
        for want, got in zip(template, concrete, strict=True):
            if want.startswith("{") and want.endswith("}"):
                if not got:
                    return None
                found[want[1:-1]] = unquote(got)
            elif want != got:
                return None
        return found
