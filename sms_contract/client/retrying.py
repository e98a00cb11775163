"""The exchange loop: one request through the transport, retried as the vendor documents.

Bounded retries on 429 (honouring Retry-After up to the policy's cap), 5xx and connection
errors, with the policy's backoff (2, 4, 8 seconds); a 401 is offered to a callback that may
refresh the token and ask for one resend. Every attempt passes the observer's hooks and is
counted. Whether a request may be repeated is the caller's call (:class:`Retry`): a send whose
earlier attempt may have been processed is flagged as such in the :class:`Outcome`.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from dataclasses import dataclass
from enum import Enum

from sms_contract.client.config import ClientConfig, retry_after
from sms_contract.errors import ApiError, ResponseLost, TransportError
from sms_contract.exchange import Exchange, HttpRequest, HttpResponse
from sms_contract.transports.base import Transport

__all__ = ["ExchangeLoop", "ExchangeObserver", "Outcome", "Retry", "check_final"]

logger = logging.getLogger("sms_contract.client")  # one logger for everything the client does


class Retry(Enum):
    """When a 429, 5xx or connection error may be answered by sending the request again."""

    NEVER = "never"
    UNPROCESSED = "unprocessed"  # only when the target cannot have acted: not sent, or 429
    ALWAYS = "always"


@dataclass(frozen=True)
class ExchangeObserver:
    """Hooks for the harness. ``before_send`` may raise to stop a request from being sent."""

    before_send: Callable[[HttpRequest], None] | None = None
    after_exchange: Callable[[Exchange], None] | None = None


@dataclass(frozen=True)
class Outcome:
    """The final response of a loop, the attempts it took, and whether an earlier attempt
    may have been processed (a lost response or a 5xx before the final answer)."""

    response: HttpResponse
    attempts: int
    maybe_processed_earlier: bool
    gave_up: str | None = None  # why a 429 or 5xx was not retried further


def check_final(outcome: Outcome, prefix: str) -> Outcome:
    """``outcome``, unless it ended on a 429 or 5xx: then ``ApiError`` with the message
    ``"<prefix> <status> after <n> attempt(s) (<why no more retries>)"``."""
    status = outcome.response.status
    if status == 429 or status >= 500:
        reason = outcome.gave_up or "retries exhausted"
        raise ApiError(
            f"{prefix} {status} after {outcome.attempts} attempt(s) ({reason})", status=status
        )
    return outcome


class ExchangeLoop:
    """Sends requests with ``config.retry`` and ``config.timeouts``. Each call keeps its own
    state and the counters are locked, so threads may share a loop over a transport that is
    safe to share (``HttpTransport``).

    ``requests_sent`` counts every request handed to the transport; ``token_requests`` counts
    those made with ``token=True``.
    """

    def __init__(
        self,
        config: ClientConfig,
        transport: Transport,
        observer: ExchangeObserver,
        sleep: Callable[[float], None],
    ) -> None:
        self._config = config
        self._transport = transport
        self._observer = observer
        self._sleep = sleep
        self.requests_sent = 0
        self.token_requests = 0
        self._counting = threading.Lock()  # the counters stay exact with several threads

    def run(
        self,
        build: Callable[[], HttpRequest],
        *,
        retry: Retry,
        on_unauthorised: Callable[[HttpResponse], bool] | None = None,
        token: bool = False,
    ) -> Outcome:
        """Send ``build()`` until a final answer: any status but 429 and 5xx, a 429 or 5xx
        that may not (or need not) be retried, or a 401 that ``on_unauthorised`` declines.
        A connection error that may not be retried any more is raised."""
        policy = self._config.retry
        attempt = retries = server_retries = 0
        maybe_processed = False
        while True:
            attempt += 1
            request = build()
            try:
                response = self._transmit(request, attempt, token=token)
            except TransportError as exc:
                lost = isinstance(exc, ResponseLost)
                allowed = retry is Retry.ALWAYS or (retry is Retry.UNPROCESSED and not lost)
                if exc.permanent or not allowed or retries + 1 >= policy.max_attempts:
                    raise
                retries += 1
                maybe_processed = maybe_processed or lost
                self._wait(request, policy.backoff(retries), type(exc).__name__)
                continue
            status = response.status
            if status == 401 and on_unauthorised is not None and on_unauthorised(response):
                continue
            if status != 429 and status < 500:
                return Outcome(response, attempt, maybe_processed)
            allowed = retry is Retry.ALWAYS or (retry is Retry.UNPROCESSED and status == 429)
            if not allowed or retries + 1 >= policy.max_attempts:
                return Outcome(response, attempt, maybe_processed)
            if status >= 500 and server_retries + 1 >= policy.server_error_attempts:
                return Outcome(response, attempt, maybe_processed)
            delay = retry_after(response)
            if delay is not None and delay > policy.max_retry_after:
                reason = f"Retry-After {delay:g} s exceeds the cap of {policy.max_retry_after:g} s"
                return Outcome(response, attempt, maybe_processed, gave_up=reason)
            retries += 1
            if status >= 500:
                server_retries += 1
                maybe_processed = True
                wait = policy.server_error_delay(server_retries) if delay is None else delay
            else:
                wait = policy.backoff(retries) if delay is None else delay
            self._wait(request, wait, f"HTTP {status}")

    def _wait(self, request: HttpRequest, delay: float, reason: str) -> None:
        logger.debug("retrying %s %s in %g s after %s", request.method, request.path, delay, reason)
        self._sleep(delay)

    def _transmit(self, request: HttpRequest, attempt: int, *, token: bool) -> HttpResponse:
        if self._observer.before_send is not None:
            self._observer.before_send(request)
        with self._counting:
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
