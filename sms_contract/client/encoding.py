"""How the client's arguments become request parts: a path segment, a query string, a JSON
body, the default headers under the caller's own, and the messageKeys of a batch send
(filled in so that the send can be retried safely)."""

from __future__ import annotations

import json
import uuid
from collections.abc import Mapping, Sequence
from typing import Any
from urllib.parse import quote

from sms_contract.errors import UsageError
from sms_contract.exchange import HttpRequest

__all__ = [
    "batch_message_keys",
    "build_request",
    "encode_json",
    "query_string",
    "with_message_keys",
]


def query_string(params: Sequence[tuple[str, object]]) -> str:
    """``?name=value&...`` of the ``params`` whose value is not ``None`` (values
    percent-encoded, names as given); the empty string when there are none."""
    query = [f"{name}={quote(str(value), safe='')}" for name, value in params if value is not None]
    return f"?{'&'.join(query)}" if query else ""


def build_request(
    method: str,
    url: str,
    body: bytes | None,
    headers: Mapping[str, str],
    authorization: str | None,
) -> HttpRequest:
    """The request with the default headers (``Accept``, ``Content-Type`` when there is a body,
    ``Authorization`` when given) under ``headers``, which win whatever their case."""
    merged = {"Accept": "application/json"}
    if body is not None:
        merged["Content-Type"] = "application/json"
    if authorization is not None:
        merged["Authorization"] = authorization
    overridden = {name.lower() for name in headers}
    merged = {k: v for k, v in merged.items() if k.lower() not in overridden}
    return HttpRequest(method, url, {**merged, **headers}, body)


def encode_json(payload: Any) -> bytes:
    """``payload`` as UTF-8 JSON; ``UsageError`` (naming the type of failure only) otherwise."""
    try:
        return json.dumps(payload, ensure_ascii=False, allow_nan=False).encode("utf-8")
    except (TypeError, ValueError) as exc:
        raise UsageError(f"the payload is not JSON-serialisable ({type(exc).__name__})") from None


def with_message_keys(payload: Any) -> Any:
    """A copy of a batch payload where every recipient object has a ``messageKey``."""
    if not isinstance(payload, dict) or not isinstance(payload.get("recipients"), list):
        return payload
    recipients = [
        {**item, "messageKey": str(uuid.uuid4())}
        if isinstance(item, dict) and "messageKey" not in item
        else item
        for item in payload["recipients"]
    ]
    return {**payload, "recipients": recipients}


def batch_message_keys(payload: Any) -> Sequence[str] | None:
    """The keys of a batch payload, or ``None`` unless every recipient has a non-empty key."""
    recipients = payload.get("recipients") if isinstance(payload, dict) else None
    if not isinstance(recipients, list) or not recipients:
        return None
    keys = [item.get("messageKey") if isinstance(item, dict) else None for item in recipients]
    if all(isinstance(key, str) and key for key in keys):
        return [str(key) for key in keys]
    return None
