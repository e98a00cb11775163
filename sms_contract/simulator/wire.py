"""What the simulator puts on the wire: replies, error bodies, identifiers and timestamps."""

from __future__ import annotations

import json
import secrets
import uuid
from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta, timezone
from http import HTTPStatus
from typing import Any

from sms_contract.exchange import JSON_MEDIA_TYPE
from sms_contract.spec.rules import ERROR_HANDLING, Rule

JSON_CONTENT_TYPE = f"{JSON_MEDIA_TYPE}; charset=utf-8"  # as the vendor's 429 example shows
CENTRAL_STANDARD_TIME = timezone(timedelta(hours=-6), "CST")
"""Docs: "Time the event occured in Central Standard Time (no daylight savings)"."""


@dataclass(frozen=True)
class Reply:
    """One answer of the simulator, before it is encoded."""

    status: int
    body: dict[str, Any] | None = None
    headers: dict[str, str] = field(default_factory=dict)
    content_type: str = JSON_CONTENT_TYPE
    drop: bool = False
    """Processed, but the connection is to be dropped instead of answering."""
    processed: bool = True
    """``False`` when a send was refused before being processed (a deviation's 500): the
    drop schedules, which lose the answers of processed sends, leave it alone."""


def error(status: int, errorcode: int, message: str, documentation: str = "") -> Reply:
    """The generic Marketing Cloud REST error: ``{message, errorcode, documentation}``."""
    body = {"message": message, "errorcode": errorcode, "documentation": documentation}
    return Reply(status, body)


def server_error(status: int = 500) -> Reply:
    """A 5xx (or any status) with the generic error body, its phrase as the message."""
    try:
        phrase = HTTPStatus(status).phrase
    except ValueError:
        phrase = "Server Error" if status >= 500 else "Error"
    return error(status, 0, phrase)


def rule_message(rule: Rule, detail: str | None = None) -> str:
    return f"MCMS_UTM_{rule.error_name}: {detail}" if detail else rule.wire_message


REALM = "sms-contract-simulator"
"""The ``realm`` of ``WWW-Authenticate`` ([NOT DOCUMENTED]: any string; RFC 6750 §3)."""
TOKEN_MISSING = "The access token is missing"
TOKEN_INVALID = "The access token is invalid or expired"
INSUFFICIENT_PRIVILEGES = 20002


def bearer_challenge(error_code: str, description: str, scope: str | None = None) -> str:
    """A ``WWW-Authenticate: Bearer ...`` value (RFC 6750 §3), e.g. ``Bearer
    realm="sms-contract-simulator", error="invalid_token", error_description="..."``."""
    challenge = f'Bearer realm="{REALM}", error="{error_code}", error_description="{description}"'
    return f'{challenge}, scope="{scope}"' if scope else challenge


def not_authorized(description: str = TOKEN_INVALID) -> Reply:
    """401 as the error-handling page documents it (errorcode 0), with the RFC 6750 challenge
    ``error="invalid_token"``: FuelSDK-Node-REST refreshes its token only on a 401 that carries
    it (facts §9; [NOT DOCUMENTED] by the vendor). Sent for a missing token too, so that such a
    client also fetches one."""
    reply = error(401, 0, "Not Authorized", ERROR_HANDLING)
    challenge = bearer_challenge("invalid_token", description)
    return replace(reply, headers={"WWW-Authenticate": challenge})


def insufficient_scope(needed: frozenset[str]) -> Reply:
    """403 with errorcode 20002 Insufficient Privileges (error-handling page) for a token that
    lacks a scope the route needs, with the RFC 6750 ``insufficient_scope`` challenge."""
    scope = " ".join(sorted(needed))
    reply = error(
        403,
        INSUFFICIENT_PRIVILEGES,
        f"Insufficient Privileges: the token lacks a scope this request needs ({scope})",
        ERROR_HANDLING,
    )
    challenge = bearer_challenge("insufficient_scope", "The access token lacks a scope", scope)
    return replace(reply, headers={"WWW-Authenticate": challenge})


def not_found(message: str) -> Reply:
    """404 with the documented Object Not Found code, 30003."""
    return error(404, 30003, message)


def request_id() -> str:
    return str(uuid.uuid4())


def generated_message_key() -> str:
    """A 22-character key shaped like the documented ones (``nFL4ULgheUeaGbPIMzJJSw``)."""
    return secrets.token_urlsafe(16)[:22]


def composite_id() -> str:
    """Shaped like ``1F3631D4-5497-E811-80E4-1402EC6B9540.214435.228431.1.231481617``."""
    numbers = ".".join(str(secrets.randbelow(10**9)) for _ in range(2))
    return f"{str(uuid.uuid4()).upper()}.{numbers}.1.{secrets.randbelow(10**9)}"


def event_timestamp(epoch: float) -> str:
    """``2018-08-03T13:41:18.55``: CST, no zone designator, trailing zeros trimmed."""
    moment = datetime.fromtimestamp(epoch, CENTRAL_STANDARD_TIME)
    fraction = f"{moment.microsecond // 1000:03d}".rstrip("0") or "0"
    return f"{moment:%Y-%m-%dT%H:%M:%S}.{fraction}"


def definition_timestamp(epoch: float) -> str:
    """``2019-05-14T21:05:00``: CST to the second, as definitions show their dates."""
    return f"{datetime.fromtimestamp(epoch, CENTRAL_STANDARD_TIME):%Y-%m-%dT%H:%M:%S}"


def encode(reply: Reply) -> tuple[str, list[tuple[str, str]], bytes]:
    """The WSGI status line, headers and body bytes of a reply."""
    try:
        phrase = HTTPStatus(reply.status).phrase
    except ValueError:
        phrase = "Unknown"
    payload = b""
    headers = list(reply.headers.items())
    if reply.body is not None:
        payload = json.dumps(reply.body, ensure_ascii=False, separators=(",", ":")).encode()
        headers.append(("Content-Type", reply.content_type))
    headers.append(("Content-Length", str(len(payload))))
    return f"{reply.status} {phrase}", headers, payload
