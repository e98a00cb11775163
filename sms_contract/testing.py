"""Public helpers for tests of code that uses ``SmsClient``: no sockets, no sleeping.

``FakeTransport(handler)`` answers each request with ``handler(request)`` and records what it
saw; the handler may raise ``TransportError`` or ``ResponseLost`` to simulate a connection
that failed before or after the request was sent. ``FakeClock`` stands in for both the
``clock`` and the ``sleep`` of the client.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable, Mapping
from typing import Any

from sms_contract.exchange import HttpRequest, HttpResponse
from sms_contract.spec.endpoints import TOKEN_PATH
from sms_contract.transports.base import Timeouts

Handler = Callable[[HttpRequest], HttpResponse]
"""Answers one request; may raise ``TransportError`` or ``ResponseLost``."""


class FakeTransport:
    """A ``Transport`` that calls a function instead of a server."""

    def __init__(self, handler: Handler) -> None:
        self.handler = handler
        self.requests: list[HttpRequest] = []
        self.timeouts: list[Timeouts] = []
        self.closed = False

    def send(self, request: HttpRequest, timeouts: Timeouts) -> HttpResponse:
        self.requests.append(request)
        self.timeouts.append(timeouts)
        return self.handler(request)

    def close(self) -> None:
        self.closed = True

    def paths(self) -> list[str]:
        """The method and still-encoded path of every request, in order."""
        return [f"{r.method} {r.path}" for r in self.requests]


class FakeClock:
    """A monotonic clock that only moves when told to, or when something sleeps on it."""

    def __init__(self, start: float = 1000.0) -> None:
        self.now = start
        self.sleeps: list[float] = []

    def __call__(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        self.sleeps.append(seconds)
        self.now += seconds

    def advance(self, seconds: float) -> None:
        self.now += seconds


def json_response(
    status: int, body: Any, *, headers: Mapping[str, str] | None = None
) -> HttpResponse:
    """A response whose body is ``body`` as JSON."""
    return HttpResponse(
        status=status,
        headers={"Content-Type": "application/json; charset=utf-8", **(headers or {})},
        body=json.dumps(body).encode("utf-8"),
    )


def token_response(
    access_token: str = "fake-access-token",
    *,
    expires_in: float | None = 1080,
    rest_instance_url: str | None = None,
) -> HttpResponse:
    """A successful ``/v2/token`` response in the documented shape (``expires_in=None``
    leaves the field out)."""
    body: dict[str, Any] = {
        "access_token": access_token,
        "expires_in": expires_in,
        "token_type": "Bearer",
        "scope": "sms_read sms_write sms_send",
    }
    if expires_in is None:
        del body["expires_in"]
    if rest_instance_url is not None:
        body["rest_instance_url"] = rest_instance_url
    return json_response(200, body)


def accepted_response(message_key: str, *, request_id: str = "req-1") -> HttpResponse:
    """The documented 202 of a single-recipient send."""
    return json_response(
        202, {"requestId": request_id, "errorcode": 0, "responses": [{"messageKey": message_key}]}
    )


class TokenTap:
    """A WSGI wrapper that remembers every ``access_token`` the wrapped app hands out, so a test
    can scan its reports and recordings for each one (a token must never appear there)."""

    def __init__(self, app: Callable[[dict[str, Any], Callable[..., Any]], Iterable[bytes]]):
        self.app = app
        self.tokens: list[str] = []

    def __call__(self, environ: dict[str, Any], start_response: Callable[..., Any]) -> list[bytes]:
        chunks = list(self.app(environ, start_response))
        if str(environ.get("PATH_INFO", "")).endswith(TOKEN_PATH):
            try:
                body = json.loads(b"".join(chunks) or b"null")
            except ValueError:
                body = None
            if isinstance(body, dict) and isinstance(body.get("access_token"), str):
                self.tokens.append(body["access_token"])
        return chunks
