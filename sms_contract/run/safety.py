"""Live-safety rails, enforced on every request before it is sent (architecture.md, "Live
safety"): recipients only from the allow-list (a recipient without a number only under a
contactKey the harness made up), a hard budget of accepted sends and of requests,
a deadline, and an account of what was spent. 429 answers are counted, never judged.

A budget no answer can break: every answer to a send that is not a documented rejection is
counted as (possibly) accepted, one per recipient: a 202 (less the recipients it rejects),
any other 2xx, a 1xx or 3xx, any 5xx, and a lost response. A possible acceptance is given back
only when a retry of the very same request is then refused with a documented rejection other
than 109110 (the identical request was refused, so the earlier try was too); 401, 403 and 429
give nothing back, since they say nothing about the earlier try.

Exact under concurrency: ``before_send`` reserves, under one lock, a request of the request
budget and every recipient of a send in the send budget, and ``after_exchange`` turns the
reservation into what the answer cost. A send that finds the budget held by sends in flight
waits for their answers (a refusal gives its reservation back) and is refused only when no
answer in flight could make room: what a run in strict order would have done. A retry that may
give a possible acceptance back goes before the sends that are not retries, as it would in
strict order (where it follows its lost answer at once): the runner says which retries to
expect (``expect_retry``), and until they come the other sends leave them room.
"""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Callable, Iterator, Mapping, Sequence
from typing import Any

from sms_contract.client.results import errorcode_in
from sms_contract.errors import SmsContractError, UnsafeTargetError
from sms_contract.exchange import Exchange, HttpRequest, HttpResponse
from sms_contract.outcomes import Spending
from sms_contract.spec.endpoints import is_send, is_token_request
from sms_contract.spec.rules import (
    HARNESS_CONTACT_KEY_PREFIX,
    looks_deliverable,
    may_name_a_subscriber,
)

DUPLICATE_MESSAGE_KEY = 109110
WAIT_SLICE = 0.1  # seconds between two looks at the deadline while a send waits for room
_NO_ANSWER = frozenset({401, 403, 429})  # refused before the content was looked at


class BudgetExhausted(UnsafeTargetError):
    """The run's budget of accepted sends or of requests is spent; nothing more is sent."""


class DeadlineReached(SmsContractError):
    """The run's deadline (--max-time) has passed, or waiting would pass it: nothing more is
    sent."""


def _recipients(body: Any) -> Iterator[Any]:
    """Every recipient object of a send body: ``recipient`` and each ``recipients`` item."""
    if not isinstance(body, dict):
        return
    recipient = body.get("recipient")
    if isinstance(recipient, dict):
        yield recipient
    recipients = body.get("recipients")
    if isinstance(recipients, list):
        yield from (item for item in recipients if isinstance(item, dict))


def _body(request: HttpRequest) -> Any:
    try:
        return json.loads(request.body or b"")
    except (ValueError, RecursionError):
        return None


def _identity(request: HttpRequest) -> tuple[str, str, bytes]:
    """What makes a retry "the very same request" (module doc)."""
    return (request.method, request.url, request.body or b"")


def recipient_count(request: HttpRequest) -> int:
    """How many messages a send could deliver: one per ``recipients`` item of a batch and one
    for a ``recipient`` beside them (at least one)."""
    body = _body(request)
    if not isinstance(body, dict):
        return 1
    items = body.get("recipients")
    count = len(items) if isinstance(items, list) else 0
    return max(count + (1 if "recipient" in body else 0), 1)


def charge(request: HttpRequest, response: HttpResponse | None) -> tuple[int, bool]:
    """(messages the target may have accepted, whether the answer is a documented rejection
    of the content that is not 109110) for one answer to a send."""
    if response is None:
        return recipient_count(request), False
    status = response.status
    if 400 <= status < 500:
        body = response.json_or_none()
        code = errorcode_in(body) if isinstance(body, Mapping) else None
        return 0, status not in _NO_ANSWER and code != DUPLICATE_MESSAGE_KEY
    if status != 202:
        return recipient_count(request), False
    body = response.json_or_none()
    if not isinstance(body, Mapping):
        return recipient_count(request), False
    items = body.get("responses")
    top = errorcode_in(body)
    if not isinstance(items, list) or not items:
        rejected = top not in (None, 0)
        return (0, top != DUPLICATE_MESSAGE_KEY) if rejected else (recipient_count(request), False)
    codes = [errorcode_in(item) if isinstance(item, Mapping) else None for item in items]
    accepted = sum(1 for code in codes if code in (None, 0))
    definitive = accepted == 0 and DUPLICATE_MESSAGE_KEY not in codes
    return accepted, definitive


class SafetyGuard:
    """Counts what a run spends and refuses what it must not send (module doc).

    ``max_sends`` bounds the messages the target may have accepted; a send is refused unless
    the budget has room for every recipient it names. ``subscribers``: the target may hold
    subscribers with numbers on file (a tenant, not the simulator), so a recipient without a
    number must carry the harness's own contactKey. ``max_requests`` bounds every request,
    token requests included. ``deadline`` (a ``clock`` reading) ends the sending.
    """

    def __init__(
        self,
        allow_list: Sequence[str],
        *,
        max_sends: int | None,
        max_requests: int | None,
        enforce_allow_list: bool,
        subscribers: bool = True,
        deadline: float | None = None,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._allow = frozenset(str(number).strip() for number in allow_list)
        self.max_sends = max_sends
        self.max_requests = max_requests
        self._enforce = enforce_allow_list
        self._subscribers = subscribers
        self.deadline = deadline
        self._clock = clock
        self.requests = 0
        self.token_requests = 0
        self.accepted_sends = 0
        self.possibly_accepted = 0
        self.throttled = 0
        self._uncertain: dict[tuple[str, str, bytes], int] = {}
        self._room = threading.Condition()  # guards every counter; notified as answers come
        self._held: dict[int, int] = {}  # request (by id) in flight: recipients it reserved
        self.reserved_sends = 0  # recipients of the sends in flight
        self._retries: dict[tuple[str, str, bytes], int] = {}  # expected: their recipients
        self._expected = 0  # recipients of the retries expected (``expect_retry``)

    @property
    def sends_left(self) -> int | None:
        """Sends the budget still allows, not counting those in flight."""
        return None if self.max_sends is None else self.max_sends - self.accepted_sends

    @property
    def in_flight(self) -> int:
        """Requests let through and not answered yet."""
        with self._room:
            return len(self._held)

    def time_left(self) -> float | None:
        return None if self.deadline is None else self.deadline - self._clock()

    def check_deadline(self, wait: float = 0.0) -> None:
        """``DeadlineReached`` when the deadline has passed, or would pass after ``wait``."""
        left = self.time_left()
        if left is not None and left - wait <= 0:
            if wait:
                raise DeadlineReached(
                    f"waiting {wait:g} s (Retry-After or backoff) would pass the deadline"
                )
            raise DeadlineReached("the run's deadline (--max-time) has passed")

    def before_send(self, request: HttpRequest) -> None:
        """Let ``request`` through, holding its share of the budgets until ``after_exchange``
        (or ``release``); refuse it otherwise (module doc)."""
        self.check_deadline()
        send = is_send(request)
        if send and self._enforce:
            self._check_recipients(request)
        needed = recipient_count(request) if send else 0
        with self._room:
            identity = _identity(request)
            retry = send and identity in self._uncertain
            try:
                self._wait_for_room(needed, retry)
            finally:
                self._withdraw(identity)  # an expected retry has come (or was refused)
            self._held[id(request)] = needed
            self.reserved_sends += needed

    def _wait_for_room(self, needed: int, retry: bool) -> None:
        """Return once the budgets have room for a request of ``needed`` sends (the lock is
        held); ``BudgetExhausted`` once nothing could make room.

        A retry of a send that may have been accepted (``retry``) waits only for the sends in
        flight. Any other send also leaves room for the retries expected (``expect_retry``),
        which may give their possible acceptances back, and waits for them too."""
        while True:
            requests = self.requests + len(self._held)
            if self.max_requests is not None and requests >= self.max_requests:
                raise BudgetExhausted(f"the request budget ({self.max_requests}) is spent")
            left = self.sends_left
            if left is None or not needed:  # not a send (a token, a status read): no room
                return
            expected = 0 if retry else self._expected
            if left - self.reserved_sends - expected >= needed:
                return
            if left + expected < needed or not (self.reserved_sends or expected):
                raise BudgetExhausted(f"the budget of {self.max_sends} accepted sends is spent")
            # Sends in flight hold the room this one needs, or expected retries come first:
            # their answers decide.
            self._room.wait(WAIT_SLICE)
            self.check_deadline()

    def expect_retry(self, request: HttpRequest) -> bool:
        """``request`` was answered in a way that counts as possibly accepted and may be
        retried: until its retry is let through (or ``no_retry``), the sends that are not
        retries leave it room, as a run in strict order would, where the retry follows at
        once. Without this, against a server that loses answers, new sends would take the room
        while the retries wait out their backoff, and the losses would spend the budget that
        the retries' rejections give back. True when a retry is now expected."""
        if not is_send(request):
            return False
        identity = _identity(request)
        with self._room:
            if identity not in self._uncertain or identity in self._retries:
                return identity in self._retries
            needed = recipient_count(request)
            self._retries[identity] = needed
            self._expected += needed
            return True

    def expects(self, request: HttpRequest) -> bool:
        """Is ``request`` a retry that ``expect_retry`` announced?"""
        with self._room:
            return _identity(request) in self._retries

    def no_retry(self, request: HttpRequest) -> None:
        """The retry ``expect_retry`` announced will not be sent."""
        with self._room:
            self._withdraw(_identity(request))

    def _withdraw(self, identity: tuple[str, str, bytes]) -> None:
        needed = self._retries.pop(identity, 0)
        if needed:
            self._expected -= needed
            self._room.notify_all()

    def release(self, request: HttpRequest) -> None:
        """Give back what ``before_send`` reserved for a request that was not sent after all."""
        with self._room:
            self.reserved_sends -= self._held.pop(id(request), 0)
            self._room.notify_all()

    def _check_recipients(self, request: HttpRequest) -> None:
        for recipient in _recipients(_body(request)):
            to = recipient.get("to")
            if looks_deliverable(to) and str(to).strip() not in self._allow:
                raise UnsafeTargetError(
                    "refused to send to a number that is not on the allow-list "
                    "(give every recipient with --to)"
                )
            if self._subscribers and may_name_a_subscriber(recipient):
                raise UnsafeTargetError(
                    "refused a recipient without a number whose contactKey may name a "
                    "subscriber: the platform could deliver to the number on file, which is "
                    "not on the allow-list (give 'to', or a contactKey starting "
                    f"{HARNESS_CONTACT_KEY_PREFIX!r})"
                )

    def after_exchange(self, exchange: Exchange) -> int:
        """Count the answer (or its loss); returns the sends it counts as (possibly) accepted,
        less what it gave back."""
        with self._room:
            self.reserved_sends -= self._held.pop(id(exchange.request), 0)
            before = self.accepted_sends
            self._count(exchange)
            self._room.notify_all()
            return self.accepted_sends - before

    def _count(self, exchange: Exchange) -> None:
        self.requests += 1
        request, response = exchange.request, exchange.response
        if is_token_request(request):
            self.token_requests += 1
            return
        if response is not None and response.status == 429:
            self.throttled += 1
        if not is_send(request):
            return
        identity = _identity(request)
        if exchange.attempt == 1:
            self._uncertain.pop(identity, None)
        spent, definitive = charge(request, response)
        possibly = spent if response is None or response.status != 202 else 0
        if definitive:
            refund = self._uncertain.pop(identity, 0)
            self.accepted_sends -= refund
            self.possibly_accepted -= refund
        elif possibly:
            self._uncertain[identity] = self._uncertain.get(identity, 0) + possibly
        self.accepted_sends += spent
        self.possibly_accepted += possibly

    def spending(self) -> Spending:
        with self._room:
            return self._spending()

    def _spending(self) -> Spending:
        return Spending(
            requests=self.requests,
            token_requests=self.token_requests,
            accepted_sends=self.accepted_sends,
            max_sends=self.max_sends,
            max_requests=self.max_requests,
            throttled=self.throttled,
            possibly_accepted=self.possibly_accepted,
        )
