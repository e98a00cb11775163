"""Strict mode: a send is checked against the spec before it leaves the client.

The spec is passed in (the client loads ``sms_contract.spec.loading`` lazily), so this module
does not import the oracle. The error lists every issue by location; any string or number of the
payload (or the messageKey) that an issue message repeats is replaced by its placeholder
(``<value-N>``, :mod:`sms_contract.redaction`).
"""

from __future__ import annotations

from typing import Any, Protocol

from sms_contract.errors import UsageError
from sms_contract.redaction import Scrubber

__all__ = ["check_send"]


class _Issue(Protocol):
    json_path: str
    message: str


def check_send(spec: Any, operation_id: str, payload: Any, message_key: str | None) -> None:
    """Raise ``UsageError`` if the messageKey (when given) or the payload breaks the spec."""
    issues: list[tuple[str, _Issue]] = []
    if message_key is not None:
        found = spec.validate_path_parameter(operation_id, "messageKey", message_key)
        issues += [("path parameter messageKey", issue) for issue in found]
    found = spec.validate_request_body(operation_id, payload)
    issues += [(issue.json_path, issue) for issue in found]
    if issues:
        values = _leaf_values(payload) | ({message_key} if message_key else set())
        scrubber = Scrubber(known_values=sorted(values))
        listed = "; ".join(f"{where}: {scrubber.text(i.message)}" for where, i in issues)
        raise UsageError(f"strict mode: the {operation_id} request breaks the spec: {listed}")


def _leaf_values(value: Any) -> set[str]:
    """Every string and number in ``value``, as text."""
    if isinstance(value, dict):
        return set().union(*(_leaf_values(v) for v in value.values())) if value else set()
    if isinstance(value, list):
        return set().union(*(_leaf_values(v) for v in value)) if value else set()
    if isinstance(value, str | int | float) and not isinstance(value, bool):
        return {str(value)}
    return set()
