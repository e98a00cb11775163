"""The reference client: what a careful integrator's code does, over one transport seam.

The same code runs against the simulator (``WsgiTransport``), a fake (``FakeTransport``) and
a real tenant (``HttpTransport``). It sends what it is given, because the harness must be
able to send invalid payloads; ``strict=True`` validates sends against the spec first
(:mod:`sms_contract.client.strict`).

Resilience, as the vendor documents it: one token per lifetime, invalidated and requested
once more after a 401 (the stale header is never re-sent); bounded retries on 429 (honouring
Retry-After), 5xx and connection errors, with backoff 2, 4, 8 seconds
(:mod:`sms_contract.client.retrying`). A retried send reuses its messageKey, so it cannot deliver
twice, and a 109110 DuplicateMessageKey answer to a retry whose earlier attempt may have been
processed is reported as accepted.
"""

from __future__ import annotations

import importlib
import logging
import time
import uuid
from collections.abc import Callable, Mapping
from enum import Enum, StrEnum
from types import TracebackType
from typing import Any, Final

from sms_contract.client.auth import TokenProvider, token_provider, token_request
from sms_contract.client.config import ClientConfig
from sms_contract.client.encoding import (
    batch_message_keys,
    build_request,
    encode_json,
    query_string,
    with_message_keys,
)
from sms_contract.client.results import (
    BatchResult,
    SendResult,
    parse_batch_response,
    parse_send_response,
)
from sms_contract.client.retrying import ExchangeLoop, ExchangeObserver, Outcome, Retry, check_final
from sms_contract.client.strict import check_send
from sms_contract.errors import UsageError
from sms_contract.exchange import HttpRequest, HttpResponse
from sms_contract.spec.endpoints import (
    DEFINITIONS_PATH,
    MESSAGES_PATH,
    SEND_BATCH,
    SEND_TO_ONE,
    definition_path,
    message_path,
)
from sms_contract.transports.base import Transport
from sms_contract.transports.http import HttpTransport

logger = logging.getLogger("sms_contract.client")

INVALID_TOKEN = "sms-contract-invalid-token"


class AuthMode(StrEnum):
    """What the ``Authorization`` header of a request carries."""

    BEARER = "bearer"  # the current token, refreshed once after a 401
    NONE = "none"  # no Authorization header at all
    INVALID = "invalid"  # a plausible but wrong bearer token


class _Missing(Enum):
    MISSING = "MISSING"


_MISSING: Final = _Missing.MISSING


class SmsClient:
    """Sends SMS through the Transactional Messaging API; see the module docstring.

    ``requests_sent`` counts every request handed to the transport (token requests, retries
    and refreshes included); ``token_requests`` counts those to ``/v2/token``. Threads may share
    a client over ``HttpTransport`` (the runner's workers do): they share one token, requested
    once. The in-process transports (``WsgiTransport``, the mock) are for one thread.
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
        self._exchanges = ExchangeLoop(config, self._transport, self._observer, sleep)
        self._auth: TokenProvider = token_provider(config, clock=clock)
        self._spec: Any = None

    @property
    def requests_sent(self) -> int:
        """Every request handed to the transport so far."""
        return self._exchanges.requests_sent

    @property
    def token_requests(self) -> int:
        """The requests to ``/v2/token`` so far."""
        return self._exchanges.token_requests

    # -- operations ---------------------------------------------------------------------

    def send_to_one(self, payload: Any, *, message_key: str | None = None) -> SendResult:
        """POST a single-recipient send; a fresh uuid4 messageKey when none is given."""
        key = str(uuid.uuid4()) if message_key is None else message_key
        if not key:
            raise UsageError("message_key must not be empty (it is the last path segment)")
        if self._strict:
            self._validate(SEND_TO_ONE, payload, key)
        path = message_path(key)
        outcome = self._call("POST", path, encode_json(payload), retry=Retry.ALWAYS)
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
            payload = with_message_keys(payload)
        if self._strict:
            self._validate(SEND_BATCH, payload, None)
        keys = batch_message_keys(payload)
        retry = Retry.ALWAYS if keys is not None else Retry.UNPROCESSED
        outcome = self._call("POST", MESSAGES_PATH, encode_json(payload), retry=retry)
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
        return self._call("GET", message_path(message_key)).response

    def messages_not_sent(
        self, *, page_size: int | None = None, last_event_id: int | None = None
    ) -> HttpResponse:
        """GET one page of the messages that were not sent, oldest first (``type=notSent``,
        ``$pageSize``, ``lastEventId``: pass the previous page's ``lastEventID`` for the next)."""
        query = query_string(
            (("type", "notSent"), ("$pageSize", page_size), ("lastEventId", last_event_id))
        )
        return self._call("GET", MESSAGES_PATH + query).response

    def list_definitions(
        self,
        *,
        page_size: int | None = None,
        page: int | None = None,
        filter: str | None = None,
        order_by: str | None = None,
    ) -> HttpResponse:
        """GET the send definitions, with ``$pageSize``, ``$page``, ``$filter``, ``$orderBy``."""
        query = query_string(
            (("$filter", filter), ("$pageSize", page_size), ("$page", page), ("$orderBy", order_by))
        )
        return self._call("GET", DEFINITIONS_PATH + query).response

    def get_definition(self, definition_key: str) -> HttpResponse:
        """GET one send definition (the raw response, 404 included)."""
        if not definition_key:
            raise UsageError("definition_key must not be empty")
        return self._call("GET", definition_path(definition_key)).response

    def request(
        self,
        method: str,
        path: str,
        *,
        json: Any = _MISSING,
        body: bytes | None = None,
        headers: Mapping[str, str] | None = None,
        auth: AuthMode = AuthMode.BEARER,
        retry: bool | Retry = True,
    ) -> HttpResponse:
        """Send anything to the REST base URL and return the final raw response.

        ``path`` starts with ``/`` and is sent as given (percent-encode it yourself). ``json``
        is serialised; ``body`` is sent byte for byte; ``headers`` override the defaults,
        including ``Content-Type`` and ``Authorization``. Never raises for an HTTP status;
        with ``retry`` a 429, 5xx or connection error is retried like any other call (even
        for a POST: pass ``retry=False`` when a repeat could deliver twice). With
        ``AuthMode.BEARER`` a 401 is still answered by one refresh and one resend.
        ``Retry.UNPROCESSED`` retries only what the target cannot have acted on (a request
        that was not sent, or a 429): for a request a repeat could deliver twice.
        """
        if json is not _MISSING and body is not None:
            raise UsageError("pass either json or body, not both")
        if not path.startswith("/"):
            raise UsageError("path must start with '/' (it is relative to the REST base URL)")
        data = body if json is _MISSING else encode_json(json)
        outcome = self._exchange(
            method.upper(),
            path,
            data,
            headers=headers or {},
            auth=auth,
            retry=retry if isinstance(retry, Retry) else Retry.ALWAYS if retry else Retry.NEVER,
        )
        return outcome.response

    def authenticate(self) -> None:
        """Have a token (requesting one only when none is cached), as any call would."""
        if not self._config.uses_static_token:
            self._auth.token(self._send_token)

    def token_exchange(
        self, *, client_secret: str | None = None, scope: str | None = None
    ) -> HttpResponse:
        """POST the configured client-credentials token request (``client_secret`` replaces
        the configured secret, to probe a refusal; ``scope`` the configured scope, to ask for
        fewer permissions) and return the raw response. It goes through the same observer,
        counters and retries as every request, but it does not touch the client's own token:
        use it to judge the token endpoint, not to authenticate.
        """
        config = self._config
        if config.client_id is None or config.client_secret is None or config.token_url is None:
            raise UsageError(
                "a token request needs client credentials (SFMC_CLIENT_ID and "
                "SFMC_CLIENT_SECRET) and an auth base URL"
            )
        request = token_request(
            config.token_url,
            client_id=config.client_id,
            client_secret=config.client_secret if client_secret is None else client_secret,
            account_id=config.account_id,
            scope=config.scope if scope is None else scope,
        )
        return self._exchanges.run(lambda: request, retry=Retry.ALWAYS, token=True).response

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

    # -- exchanges with a token ---------------------------------------------------------

    def _call(
        self, method: str, path: str, body: bytes | None = None, *, retry: Retry = Retry.ALWAYS
    ) -> Outcome:
        """An operation's exchange; a final 429 or 5xx raises ``ApiError``."""
        outcome = self._exchange(method, path, body, headers={}, auth=AuthMode.BEARER, retry=retry)
        return check_final(outcome, f"{method} {path.split('?', 1)[0]}: HTTP")

    def _exchange(
        self,
        method: str,
        path: str,
        body: bytes | None,
        *,
        headers: Mapping[str, str],
        auth: AuthMode,
        retry: Retry,
    ) -> Outcome:
        custom_auth = any(name.lower() == "authorization" for name in headers)
        bearer = auth is AuthMode.BEARER and not custom_auth
        token = self._auth.token(self._send_token) if bearer else None
        url = self._rest_base() + path

        def build() -> HttpRequest:
            authorization = None
            if bearer:
                authorization = f"Bearer {token}"
            elif auth is AuthMode.INVALID and not custom_auth:
                authorization = f"Bearer {INVALID_TOKEN}"
            return build_request(method, url, body, headers, authorization)

        refreshed = False

        def on_unauthorised(response: HttpResponse) -> bool:
            nonlocal token, refreshed
            if not (bearer and self._auth.refreshable and not refreshed and token is not None):
                return False
            refreshed = True
            logger.debug("%s %s got HTTP 401: refreshing the token once", method, path)
            if not self._auth.invalidate(token):
                return False
            token = self._auth.token(self._send_token)
            return True

        return self._exchanges.run(build, retry=retry, on_unauthorised=on_unauthorised)

    def _send_token(self, request: HttpRequest) -> HttpResponse:
        outcome = self._exchanges.run(lambda: request, retry=Retry.ALWAYS, token=True)
        return check_final(outcome, "the token endpoint answered HTTP").response

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
            self._spec = importlib.import_module("sms_contract.spec.loading").load_spec()
        check_send(self._spec, operation_id, payload, message_key)
