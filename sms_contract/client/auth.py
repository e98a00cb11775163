"""Where the bearer token comes from: OAuth 2.0 client credentials, or a static token.

The vendor throttles token requests ("Do not request a new access token for every API
call"; "1 request every 20 minutes per client machine"), so ``ClientCredentials`` keeps one
token for its lifetime: ``expires_in`` minus a margin of ``min(margin, expires_in / 4)``
(the docs advise refreshing 2 or 5 minutes early; a quarter keeps short-lived tokens useful),
measured from the moment the token was requested, whatever number of threads ask for it at
once (the first requests it, the others wait for it). A token response without a usable
``expires_in`` still gives a token: it is kept for ``UNKNOWN_LIFETIME`` (30) seconds, and no
new token is requested within that time, not even after a 401. The client invalidates a token
after a 401 and asks again once; a static token cannot be refreshed.

Providers do not send anything themselves: the client hands them a ``TokenSender`` that goes
through its transport, observer, counters and retries.
"""

from __future__ import annotations

import json
import logging
import re
import threading
import time
from collections.abc import Callable
from typing import Any, Protocol

from sms_contract.client.config import ClientConfig, normalise_instance_url
from sms_contract.errors import ApiError, AuthenticationError, UsageError
from sms_contract.exchange import HttpRequest, HttpResponse
from sms_contract.redaction import Scrubber

logger = logging.getLogger("sms_contract.client")

TokenSender = Callable[[HttpRequest], HttpResponse]
"""Sends a token request (with retries) and returns the final response."""

_REFUSED = frozenset({400, 401, 403})
UNKNOWN_LIFETIME = 30.0
"""Seconds a token is kept when its response gave no usable ``expires_in``; also the least
time between two token requests then."""
_FIELD = r'"{name}"\s*:\s*(?:"([^"]*)"|([^,\s}}]+))'


def token_request(
    token_url: str,
    *,
    client_id: str,
    client_secret: str,
    account_id: str | None = None,
    scope: str | None = None,
) -> HttpRequest:
    """The client-credentials token request as the vendor documents it (access-token-s2s):
    a JSON body with ``grant_type``, ``client_id``, ``client_secret`` and, when set,
    ``account_id`` and ``scope``. An unset optional field is left out, never sent as null."""
    payload: dict[str, str] = {
        "grant_type": "client_credentials",
        "client_id": client_id,
        "client_secret": client_secret,
    }
    if account_id is not None:
        payload["account_id"] = account_id
    if scope is not None:
        payload["scope"] = scope
    headers = {"Content-Type": "application/json", "Accept": "application/json"}
    return HttpRequest("POST", token_url, headers, json.dumps(payload).encode())


class TokenProvider(Protocol):
    """A source of bearer tokens for the client."""

    @property
    def refreshable(self) -> bool:
        """Whether ``invalidate`` followed by ``token`` can give a different token."""
        ...

    def token(self, send: TokenSender) -> str:
        """A token that is believed valid, requesting one through ``send`` if needed."""
        ...

    def invalidate(self, token: str) -> bool:
        """Forget ``token`` (the API refused it) so that it is never sent again; ``False``
        when no other token may be had now (a static token; or a token of unknown lifetime
        requested too recently to ask again)."""
        ...

    def instance_url(self, send: TokenSender) -> str | None:
        """The REST base URL the token endpoint named, requesting a token if none was yet."""
        ...


class StaticToken:
    """A bearer token given by the user: never requested, never refreshed."""

    refreshable = False

    def __init__(self, token: str) -> None:
        self._token = token

    def token(self, send: TokenSender) -> str:
        return self._token

    def invalidate(self, token: str) -> bool:
        return False

    def instance_url(self, send: TokenSender) -> str | None:
        return None

    def __repr__(self) -> str:
        return "<StaticToken <redacted>>"


class ClientCredentials:
    """OAuth 2.0 client credentials on ``POST {auth base}/v2/token``, one token per lifetime."""

    refreshable = True

    def __init__(
        self,
        *,
        token_url: str,
        client_id: str,
        client_secret: str,
        account_id: str | None = None,
        scope: str | None = None,
        margin: float = 60.0,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        if margin < 0:
            raise UsageError("the token margin must not be negative")
        self._token_url = token_url
        self._client_id = client_id
        self._client_secret = client_secret
        self._account_id = account_id
        self._scope = scope
        self._margin = margin
        self._clock = clock
        self._token: str | None = None
        self._expires_at = 0.0
        self._requested_at: float | None = None
        self._lifetime_known = True
        self._instance_url: str | None = None
        self._fetched = False
        self._lock = threading.RLock()  # one token request at a time: the others wait for it

    def token(self, send: TokenSender) -> str:
        with self._lock:
            if self._token is not None and self._clock() < self._expires_at:
                return self._token
            return self._fetch(send)

    def invalidate(self, token: str) -> bool:
        with self._lock:
            if token != self._token:
                return True  # already replaced: the current token may be tried
            if not self._lifetime_known and self._requested_recently():
                logger.debug("access token refused, but its lifetime is unknown: not asking again")
                return False
            logger.debug("access token invalidated")
            self._token = None
            self._expires_at = 0.0
            return True

    def _requested_recently(self) -> bool:
        return self._requested_at is not None and (
            self._clock() - self._requested_at < UNKNOWN_LIFETIME
        )

    def instance_url(self, send: TokenSender) -> str | None:
        with self._lock:
            if not self._fetched:
                self._fetch(send)
            return self._instance_url

    def _request(self) -> HttpRequest:
        return token_request(
            self._token_url,
            client_id=self._client_id,
            client_secret=self._client_secret,
            account_id=self._account_id,
            scope=self._scope,
        )

    def _fetch(self, send: TokenSender) -> str:
        logger.debug("requesting an access token")
        requested_at = self._clock()
        response = send(self._request())
        if response.status in _REFUSED:
            raise AuthenticationError(self._refusal(response))
        if not 200 <= response.status < 300:
            raise ApiError(
                f"the token endpoint answered HTTP {response.status}", status=response.status
            )
        body = response.json_or_none()
        body = body if isinstance(body, dict) else {}
        token = body.get("access_token")
        if not isinstance(token, str) or not token:
            raise ApiError("the token response lacks a string access_token", status=response.status)
        lifetime = _seconds(body.get("expires_in"))
        instance = body.get("rest_instance_url")
        self._instance_url = normalise_instance_url(instance) if isinstance(instance, str) else None
        self._token = token
        self._requested_at = requested_at
        self._lifetime_known = lifetime is not None and lifetime > 0
        if lifetime is not None and lifetime > 0:
            cached_for = lifetime - min(self._margin, lifetime / 4)
            logger.debug("access token cached for %g s (expires_in %g s)", cached_for, lifetime)
        else:
            cached_for = UNKNOWN_LIFETIME
            logger.debug("access token cached for %g s (no usable expires_in)", cached_for)
        self._expires_at = requested_at + cached_for
        self._fetched = True
        return token

    def _refusal(self, response: HttpResponse) -> str:
        """Which error the token endpoint gave, without a credential in the text."""
        scrubber = Scrubber(
            [self._client_secret, self._client_id, self._account_id], known_scopes=[self._scope]
        )
        code = _field(response, "error") or _field(response, "errorcode")
        detail = _field(response, "error_description") or _field(response, "message")
        if code:
            code = scrubber.text(code)[:100]
        if detail:
            detail = scrubber.text(detail)
        text = f"the token endpoint refused the credentials: HTTP {response.status}"
        text += f", error {code}" if code else ", no error code in the body"
        if detail:
            text += f" ({detail[:200]})"
        return text

    def __repr__(self) -> str:
        state = "token cached" if self._token is not None else "no token"
        return f"<ClientCredentials {self._token_url} {state}>"


def _seconds(value: Any) -> float | None:
    """A non-negative number of seconds from a number or numeric string, else ``None``."""
    if isinstance(value, bool):
        return None
    if isinstance(value, str):
        try:
            value = float(value)
        except ValueError:
            return None
    if isinstance(value, int | float) and value >= 0:
        return float(value)
    return None


def _field(response: HttpResponse, name: str) -> str | None:
    """A top-level field as text; tolerates the invalid JSON the vendor publishes as example."""
    body = response.json_or_none()
    if isinstance(body, dict):
        value = body.get(name)
        return None if value is None or isinstance(value, dict | list) else str(value)
    match = re.search(_FIELD.format(name=name), response.body.decode("utf-8", "replace"))
    if match is None:
        return None
    return (match.group(1) or match.group(2) or "").strip() or None


def token_provider(config: ClientConfig, *, clock: Callable[[], float]) -> TokenProvider:
    """The provider that ``config`` describes."""
    if config.access_token:
        return StaticToken(config.access_token)
    token_url = config.token_url
    if token_url is None or not config.client_id or not config.client_secret:
        raise UsageError("client credentials need a client id, a secret and an auth base URL")
    return ClientCredentials(
        token_url=token_url,
        client_id=config.client_id,
        client_secret=config.client_secret,
        account_id=config.account_id,
        scope=config.scope,
        margin=config.token_margin,
        clock=clock,
    )
