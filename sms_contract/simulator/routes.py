"""Which route a request is for, with its path parameter decoded exactly.

A messageKey arrives percent-encoded as one path segment ("there are no restricted
characters"). It is decoded from the raw request target (``RAW_URI`` or ``REQUEST_URI``) so that
an encoded ``/`` stays inside the key: the segment's bytes are percent-decoded, then read as
UTF-8. Without a raw target, ``PATH_INFO`` has already been percent-decoded (as latin-1, per
PEP 3333); the messages route then takes everything after ``/messages/`` as the key, which is
exact for every key, and a definitionKey holding ``/`` cannot be told apart from a sub-route.

A run of slashes at the start of the path is read as one: ``//messaging/v1/...`` is
``/messaging/v1/...``. Real clients join paths onto ``rest_instance_url``, which ends with ``/``
(facts §9); one that adds a slash of its own sends ``//messaging/...``, which the real service
is taken to tolerate ([NOT DOCUMENTED]; ``http.server`` on loopback collapses it the same way).
Slashes elsewhere in the path are kept: an empty segment is no route.

``REQUIRED_SCOPES`` are the OAuth scopes each route needs (DOCGUIDE
``rest-permissions-and-scopes.md``, facts "Required OAuth scopes").
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from enum import StrEnum
from typing import Any
from urllib.parse import unquote_to_bytes, urlsplit

from sms_contract.spec.endpoints import MESSAGES_PATH


class RouteName(StrEnum):
    TOKEN = "token"
    MESSAGES = "messages"
    MESSAGE = "message"
    DEFINITIONS = "definitions"
    DEFINITION = "definition"
    QUEUE = "queue"


ALLOWED: Mapping[RouteName, tuple[str, ...]] = {
    RouteName.TOKEN: ("POST",),
    RouteName.MESSAGES: ("GET", "POST"),
    RouteName.MESSAGE: ("GET", "POST"),
    RouteName.DEFINITIONS: ("GET", "POST"),
    RouteName.DEFINITION: ("GET", "PATCH", "DELETE"),
    RouteName.QUEUE: ("GET", "DELETE"),
}

SMS_SEND = "sms_send"
SMS_READ = "sms_read"
SMS_WRITE = "sms_write"
TRACKING_EVENTS_READ = "tracking_events_read"
REQUIRED_SCOPES: Mapping[tuple[RouteName, str], frozenset[str]] = {
    (RouteName.MESSAGE, "POST"): frozenset({SMS_SEND}),
    (RouteName.MESSAGES, "POST"): frozenset({SMS_SEND}),
    (RouteName.MESSAGE, "GET"): frozenset({TRACKING_EVENTS_READ, SMS_READ}),
    (RouteName.MESSAGES, "GET"): frozenset({TRACKING_EVENTS_READ, SMS_READ}),
    (RouteName.DEFINITIONS, "GET"): frozenset({SMS_READ}),
    (RouteName.DEFINITION, "GET"): frozenset({SMS_READ}),
    (RouteName.QUEUE, "GET"): frozenset({SMS_READ}),
    (RouteName.DEFINITIONS, "POST"): frozenset({SMS_WRITE}),
    (RouteName.DEFINITION, "PATCH"): frozenset({SMS_WRITE}),
    (RouteName.DEFINITION, "DELETE"): frozenset({SMS_WRITE}),
    (RouteName.QUEUE, "DELETE"): frozenset({SMS_WRITE}),
}
"""Every scope listed for a route is needed (status and notSent need both of theirs)."""

_SMS = ("messaging", "v1", "sms")
_MESSAGES_PREFIX = MESSAGES_PATH.encode()


@dataclass(frozen=True)
class Route:
    """A matched route and its decoded path parameter.

    ``key`` is ``None`` when the route has no parameter, or when the parameter's bytes are
    not UTF-8 (then ``key_bytes`` still holds them).
    """

    name: RouteName
    key: str | None = None
    key_bytes: bytes = b""

    @property
    def allowed(self) -> tuple[str, ...]:
        return ALLOWED[self.name]


def resolve(environ: Mapping[str, Any]) -> Route | None:
    """The route of a WSGI request, or ``None`` when no route matches."""
    raw = environ.get("RAW_URI") or environ.get("REQUEST_URI")
    if isinstance(raw, str) and raw:
        path = _one_leading_slash(_raw_path(raw))
        return _match([unquote_to_bytes(part) for part in path.split(b"/")])
    path = _one_leading_slash(_to_bytes(str(environ.get("PATH_INFO") or "/")))
    if path.startswith(_MESSAGES_PREFIX) and len(path) > len(_MESSAGES_PREFIX):
        return _keyed(RouteName.MESSAGE, path[len(_MESSAGES_PREFIX) :])
    return _match(path.split(b"/"))


def _raw_path(raw: str) -> bytes:
    """The path of a raw request target (origin form or absolute form), still encoded."""
    if not raw.startswith("/"):
        raw = urlsplit(raw).path or "/"
    return _to_bytes(raw.split("?", 1)[0].split("#", 1)[0])


def _one_leading_slash(path: bytes) -> bytes:
    """``//messaging/...`` as ``/messaging/...`` (a run of leading slashes read as one)."""
    return b"/" + path.lstrip(b"/") if path.startswith(b"//") else path


def _to_bytes(text: str) -> bytes:
    """The bytes behind a WSGI string: latin-1 per PEP 3333, UTF-8 if it holds more."""
    try:
        return text.encode("latin-1")
    except UnicodeEncodeError:
        return text.encode("utf-8", "surrogateescape")


def _keyed(name: RouteName, key_bytes: bytes) -> Route:
    try:
        key: str | None = key_bytes.decode("utf-8")
    except UnicodeDecodeError:
        key = None
    return Route(name, key, key_bytes)


def _match(parts: list[bytes]) -> Route | None:
    """Match decoded segments; the first is the empty one before the leading slash."""
    if not parts or parts[0] != b"":
        return None
    names = [_text(part) for part in parts[1:]]
    if names == ["v2", "token"]:
        return Route(RouteName.TOKEN)
    if len(names) < 4 or tuple(names[:3]) != _SMS:
        return None
    resource, rest = names[3], names[4:]
    if resource == "messages":
        if rest in ([], [""]):
            return Route(RouteName.MESSAGES)
        if len(rest) == 1:
            return _keyed(RouteName.MESSAGE, parts[5])
    if resource == "definitions":
        if rest in ([], [""]):
            return Route(RouteName.DEFINITIONS)
        if len(rest) == 1:
            return _keyed(RouteName.DEFINITION, parts[5])
        if len(rest) == 2 and rest[1] == "queue":
            return _keyed(RouteName.QUEUE, parts[5])
    return None


def _text(part: bytes) -> str | None:
    try:
        return part.decode("utf-8")
    except UnicodeDecodeError:
        return None
