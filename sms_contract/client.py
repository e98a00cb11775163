"""The reference client: what a careful integrator's code does, over one transport seam.

The same code runs against the simulator (``WsgiTransport``), a fake (``FakeTransport``) and
a real tenant (``HttpTransport``). It sends what it is given, because the harness must be
able to send invalid payloads; ``strict=True`` validates sends against the spec first.

Resilience, as the vendor documents it: one token per lifetime, invalidated and requested
once more after a 401 (the stale header is never re-sent); bounded retries on 429 (honouring
Retry-After), 5xx and connection errors, with backoff 2, 4, 8 seconds. A retried send reuses
its messageKey, so it cannot deliver twice, and a 109110 DuplicateMessageKey answer to a
retry whose earlier attempt may have been processed is reported as accepted.
"""

from __future__ import annotations

import importlib
import json
import logging
import time
import uuid
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from enum import Enum, StrEnum
from types import TracebackType
from typing import Any, Final, Protocol
from urllib.parse import quote

from sms_contract.auth import TokenProvider, token_provider
from sms_contract.config import ClientConfig, retry_after
from sms_contract.errors import ApiError, ResponseLost, TransportError, UsageError
from sms_contract.exchange import Exchange, HttpRequest, HttpResponse
from sms_contract.results import (
    BatchResult,
    SendResult,
    parse_batch_response,
    parse_send_response,
)
from sms_contract.transport import HttpTransport, Transport

logger = logging.getLogger("sms_contract.client")

MESSAGES_PATH = "/messaging/v1/sms/messages/"
DEFINITIONS_PATH = "/messaging/v1/sms/definitions"
SINGLE_SEND_OPERATION = "sendSmsToSingleRecipient"
BATCH_SEND_OPERATION = "sendSmsToMultipleRecipients"
INVALID_TOKEN = "sms-contract-invalid-token"


class AuthMode(StrEnum):
    """What the ``Authorization`` header of a request carries."""

    BEARER = "bearer"  # the current token, refreshed once after a 401
    NONE = "none"  # no Authorization header at all
    INVALID = "invalid"  # a plausible but wrong bearer token


class _Missing(Enum):
    MISSING = "MISSING"


_MISSING: Final = _Missing.MISSING


class _Retry(Enum):
    NEVER = "never"
    UNPROCESSED = "unprocessed"  # only when the target cannot have acted: not sent, or 429
    ALWAYS = "always"


@dataclass(frozen=True)
class ExchangeObserver:
    """Hooks for the harness. ``before_send`` may raise to stop a request from being sent."""

    before_send: Callable[[HttpRequest], None] | None = None
    after_exchange: Callable[[Exchange], None] | None = None


@dataclass(frozen=True)
class _Outcome:
    response: HttpResponse
    attempts: int
    maybe_processed_earlier: bool
    gave_up: str | None = None  # why a 429 or 5xx was not retried further


class _Issue(Protocol):
    json_path: str
    message: str


def encode_path_segment(value: str) -> str:
    """``value`` percent-encoded as exactly one path segment (``/``, ``%``, ``?`` included).

    A key of ``.`` or ``..`` is encoded as ``%2E`` / ``%2E%2E``, but note that ``requests``
    un-escapes ``%2E`` again, and RFC 3986 normalisation treats both as dot-segments.
    """
    encoded = quote(value, safe="")
    return encoded.replace(".", "%2E") if encoded in (".", "..") else encoded


def _encode_json(payload: Any) -> bytes:
    try:
        return json.dumps(payload, ensure_ascii=False, allow_nan=False).encode("utf-8")
    except (TypeError, ValueError) as exc:
        raise UsageError(f"the payload is not JSON-serialisable ({type(exc).__name__})") from None


class SmsClient:
    """Sends SMS through the Transactional Messaging API; see the module docstring.

    ``requests_sent`` counts every request handed to the transport (token requests, retries
    and refreshes included); ``token_requests`` counts those to ``/v2/token``. Not thread-safe.
    """

    def __init__(
        self,
        config: ClientConfig,
        transport: Transport | None = None,
        *,
        strict: bool = False,
        observer: ExchangeObserver | None = None,
        sleep: Callable[[float], None] = time.sleep,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._config = config
        self._transport = transport if transport is not None else HttpTransport()
        self._strict = strict
        self._observer = observer or ExchangeObserver()
        self._sleep = sleep
        self._auth: TokenProvider = token_provider(config, clock=clock)
        self._spec: Any = None
        self.requests_sent = 0
        self.token_requests = 0

    # -- operations ---------------------------------------------------------------------

    def send_to_one(self, payload: Any, *, message_key: str | None = None) -> SendResult:
        """POST a single-recipient send; a fresh uuid4 messageKey when none is given."""
        key = str(uuid.uuid4()) if message_key is None else message_key
        if not key:
            raise UsageError("message_key must not be empty (it is the last path segment)")
        if self._strict:
            self._validate(SINGLE_SEND_OPERATION, payload, key)
        path = MESSAGES_PATH + encode_path_segment(key)
        outcome = self._call("POST", path, _encode_json(payload), retry=_Retry.ALWAYS)
        return parse_send_response(
            outcome.response,
            message_key=key,
            attempts=outcome.attempts,
            maybe_processed_earlier=outcome.maybe_processed_earlier,
        )

    def send_batch(self, payload: Any, *, fill_message_keys: bool = True) -> BatchResult:
        """POST a multi-recipient send.

        With ``fill_message_keys`` every recipient object without a ``messageKey`` gets a fresh
        uuid4 (on a copy), so that the send can be retried safely. If any recipient still has
        no key, the send is retried only when the target cannot have acted on it.
        """
        if fill_message_keys:
            payload = _with_message_keys(payload)
        if self._strict:
            self._validate(BATCH_SEND_OPERATION, payload, None)
        keys = _message_keys(payload)
        retry = _Retry.ALWAYS if keys is not None else _Retry.UNPROCESSED
        outcome = self._call("POST", MESSAGES_PATH, _encode_json(payload), retry=retry)
        return parse_batch_response(
            outcome.response,
            message_keys=keys or (),
            attempts=outcome.attempts,
            maybe_processed_earlier=outcome.maybe_processed_earlier,
        )

    def message_status(self, message_key: str) -> HttpResponse:
        """GET the send status of ``message_key`` (the raw response, 4xx included)."""
        if not message_key:
            raise UsageError("message_key must not be empty (it is the last path segment)")
        return self._call("GET", MESSAGES_PATH + encode_path_segment(message_key)).response

    def list_definitions(
        self,
        *,
        page_size: int | None = None,
        page: int | None = None,
        filter: str | None = None,
        order_by: str | None = None,
    ) -> HttpResponse:
        """GET the send definitions, with ``$pageSize``, ``$page``, ``$filter``, ``$orderBy``."""
        query = [
            f"{name}={quote(str(value), safe='')}"
            for name, value in (
                ("$filter", filter),
                ("$pageSize", page_size),
                ("$page", page),
                ("$orderBy", order_by),
            )
            if value is not None
        ]
        path = DEFINITIONS_PATH + (f"?{'&'.join(query)}" if query else "")
        return self._call("GET", path).response

    def get_definition(self, definition_key: str) -> HttpResponse:
        """GET one send definition (the raw response, 404 included)."""
        if not definition_key:
            raise UsageError("definition_key must not be empty")
        return self._call(
            "GET", f"{DEFINITIONS_PATH}/{encode_path_segment(definition_key)}"
        ).response

    def request(
        self,
        method: str,
        path: str,
        *,
        json: Any = _MISSING,
        body: bytes | None = None,
        headers: Mapping[str, str] | None = None,
        auth: AuthMode = AuthMode.BEARER,
        retry: bool = True,
    ) -> HttpResponse:
        """Send anything to the REST base URL and return the final raw response.

        ``path`` starts with ``/`` and is sent as given (percent-encode it yourself). ``json``
        is serialised; ``body`` is sent byte for byte; ``headers`` override the defaults,
        including ``Content-Type`` and ``Authorization``. Never raises for an HTTP status;
        with ``retry`` a 429, 5xx or connection error is retried like any other call (even
        for a POST: pass ``retry=False`` when a repeat could deliver twice). With
        ``AuthMode.BEARER`` a 401 is still answered by one refresh and one resend.
        """
        if json is not _MISSING and body is not None:
            raise UsageError("pass either json or body, not both")
        if not path.startswith("/"):
            raise UsageError("path must start with '/' (it is relative to the REST base URL)")
        data = body if json is _MISSING else _encode_json(json)
        outcome = self._exchange(
            method.upper(),
            path,
            data,
            headers=headers or {},
            auth=auth,
            retry=_Retry.ALWAYS if retry else _Retry.NEVER,
        )
        return outcome.response

    def close(self) -> None:
        self._transport.close()

    def __enter__(self) -> SmsClient:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()

    def __repr__(self) -> str:
        kind = "static token" if self._config.uses_static_token else "client credentials"
        rest = self._config.rest_base_url or self._config.subdomain_rest_url or "token response"
        return f"<SmsClient {kind} rest={rest} strict={self._strict}>"

    # -- the exchange loop --------------------------------------------------------------

    def _call(
        self, method: str, path: str, body: bytes | None = None, *, retry: _Retry = _Retry.ALWAYS
    ) -> _Outcome:
        """An operation's exchange; a final 429 or 5xx raises ``ApiError``."""
        outcome = self._exchange(method, path, body, headers={}, auth=AuthMode.BEARER, retry=retry)
        status = outcome.response.status
        if status == 429 or status >= 500:
            reason = outcome.gave_up or "retries exhausted"
            raise ApiError(
                f"{method} {path.split('?', 1)[0]}: HTTP {status} after "
                f"{outcome.attempts} attempt(s) ({reason})",
                status=status,
            )
        return outcome

    def _exchange(
        self,
        method: str,
        path: str,
        body: bytes | None,
        *,
        headers: Mapping[str, str],
        auth: AuthMode,
        retry: _Retry,
    ) -> _Outcome:
        custom_auth = any(name.lower() == "authorization" for name in headers)
        bearer = auth is AuthMode.BEARER and not custom_auth
        token = self._auth.token(self._send_token) if bearer else None
        url = self._rest_base() + path

        def build() -> HttpRequest:
            merged = {"Accept": "application/json"}
            if body is not None:
                merged["Content-Type"] = "application/json"
            if bearer:
                merged["Authorization"] = f"Bearer {token}"
            elif auth is AuthMode.INVALID and not custom_auth:
                merged["Authorization"] = f"Bearer {INVALID_TOKEN}"
            overridden = {name.lower() for name in headers}
            merged = {k: v for k, v in merged.items() if k.lower() not in overridden}
            return HttpRequest(method, url, {**merged, **headers}, body)

        refreshed = False

        def on_unauthorised(response: HttpResponse) -> bool:
            nonlocal token, refreshed
            if not (bearer and self._auth.refreshable and not refreshed and token is not None):
                return False
            refreshed = True
            logger.debug("%s %s got HTTP 401: refreshing the token once", method, path)
            self._auth.invalidate(token)
            token = self._auth.token(self._send_token)
            return True

        return self._loop(build, retry=retry, on_unauthorised=on_unauthorised)

    def _send_token(self, request: HttpRequest) -> HttpResponse:
        outcome = self._loop(lambda: request, retry=_Retry.ALWAYS, token=True)
        status = outcome.response.status
        if status == 429 or status >= 500:
            reason = outcome.gave_up or "retries exhausted"
            raise ApiError(
                f"the token endpoint answered HTTP {status} after {outcome.attempts} "
                f"attempt(s) ({reason})",
                status=status,
            )
        return outcome.response

    def _loop(
        self,
        build: Callable[[], HttpRequest],
        *,
        retry: _Retry,
        on_unauthorised: Callable[[HttpResponse], bool] | None = None,
        token: bool = False,
    ) -> _Outcome:
        policy = self._config.retry
        attempt = retries = 0
        maybe_processed = False
        while True:
            attempt += 1
            request = build()
            try:
                response = self._transmit(request, attempt, token=token)
            except TransportError as exc:
                lost = isinstance(exc, ResponseLost)
                allowed = retry is _Retry.ALWAYS or (retry is _Retry.UNPROCESSED and not lost)
                if not allowed or retries + 1 >= policy.max_attempts:
                    raise
                retries += 1
                maybe_processed = maybe_processed or lost
                self._wait(request, policy.backoff(retries), type(exc).__name__)
                continue
            status = response.status
            if status == 401 and on_unauthorised is not None and on_unauthorised(response):
                continue
            if status != 429 and status < 500:
                return _Outcome(response, attempt, maybe_processed)
            allowed = retry is _Retry.ALWAYS or (retry is _Retry.UNPROCESSED and status == 429)
            if not allowed or retries + 1 >= policy.max_attempts:
                return _Outcome(response, attempt, maybe_processed)
            delay = retry_after(response)
            if delay is not None and delay > policy.max_retry_after:
                reason = f"Retry-After {delay:g} s exceeds the cap of {policy.max_retry_after:g} s"
                return _Outcome(response, attempt, maybe_processed, gave_up=reason)
            retries += 1
            maybe_processed = maybe_processed or status >= 500
            self._wait(
                request, policy.backoff(retries) if delay is None else delay, f"HTTP {status}"
            )

    def _wait(self, request: HttpRequest, delay: float, reason: str) -> None:
        logger.debug("retrying %s %s in %g s after %s", request.method, request.path, delay, reason)
        self._sleep(delay)

    def _transmit(self, request: HttpRequest, attempt: int, *, token: bool) -> HttpResponse:
        if self._observer.before_send is not None:
            self._observer.before_send(request)
        self.requests_sent += 1
        if token:
            self.token_requests += 1
        try:
            response = self._transport.send(request, self._config.timeouts)
        except TransportError:
            self._notify(Exchange(request, None, attempt))
            raise
        self._notify(Exchange(request, response, attempt))
        return response

    def _notify(self, exchange: Exchange) -> None:
        if self._observer.after_exchange is not None:
            self._observer.after_exchange(exchange)

    def _rest_base(self) -> str:
        if self._config.rest_base_url is not None:
            return self._config.rest_base_url
        instance = self._auth.instance_url(self._send_token)
        base = instance or self._config.subdomain_rest_url
        if base is None:
            raise UsageError(
                "no REST base URL: the token response has no rest_instance_url; "
                "set SFMC_SUBDOMAIN or rest_base_url"
            )
        return base

    # -- strict mode --------------------------------------------------------------------

    def _validate(self, operation_id: str, payload: Any, message_key: str | None) -> None:
        if self._spec is None:
            self._spec = importlib.import_module("sms_contract.spec").load_spec()
        issues: list[tuple[str, _Issue]] = []
        if message_key is not None:
            found = self._spec.validate_path_parameter(operation_id, "messageKey", message_key)
            issues += [("path parameter messageKey", issue) for issue in found]
        found = self._spec.validate_request_body(operation_id, payload)
        issues += [(issue.json_path, issue) for issue in found]
        if issues:
            values = _leaf_values(payload) | ({message_key} if message_key else set())
            listed = "; ".join(f"{where}: {_scrub(i.message, values)}" for where, i in issues)
            raise UsageError(f"strict mode: the {operation_id} request breaks the spec: {listed}")


def _with_message_keys(payload: Any) -> Any:
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


def _message_keys(payload: Any) -> Sequence[str] | None:
    """The keys of a batch payload, or ``None`` unless every recipient has a non-empty key."""
    recipients = payload.get("recipients") if isinstance(payload, dict) else None
    if not isinstance(recipients, list) or not recipients:
        return None
    keys = [item.get("messageKey") if isinstance(item, dict) else None for item in recipients]
    if all(isinstance(key, str) and key for key in keys):
        return [str(key) for key in keys]
    return None


def _leaf_values(value: Any) -> set[str]:
    """Every string and number in ``value`` that is long enough to be personal data."""
    if isinstance(value, dict):
        return set().union(*(_leaf_values(v) for v in value.values())) if value else set()
    if isinstance(value, list):
        return set().union(*(_leaf_values(v) for v in value)) if value else set()
    if isinstance(value, str | int | float) and not isinstance(value, bool):
        text = str(value)
        return {text} if len(text) >= 3 else set()
    return set()


def _scrub(text: str, values: set[str]) -> str:
    for value in sorted(values, key=len, reverse=True):
        text = text.replace(value, "<value>")
    return text
