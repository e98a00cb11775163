"""The simulator's memory: tokens, send definitions, messages, not-sent events, counters.

Plain data. The ``Simulator`` holds one lock around every request, so nothing here locks
on its own; read ``Counters`` through ``Simulator.counters`` and ``Sizes`` through
``Simulator.sizes`` (snapshots taken under the lock).

Memory is bounded by what must be remembered, and what need not be is evicted, amortised, when
something new is stored (nothing runs in the background):

- a token is forgotten once expired: issuing one drops the expired tokens at the head of a deque
  kept in expiry order (O(1) per token, not O(tokens alive));
- a send (its messageKey and its status) is forgotten once past both its uniqueness window and
  the 3 days its status is readable (``horizon``): storing one drops the sends older than that
  from the head of a deque in arrival order;
- a not-sent event is forgotten ``retention`` after it happened (the not-sent list is taken to
  keep what the status route keeps, 3 days: [NOT DOCUMENTED]); event ids keep counting.

Deleted definitions (listed with ``status: "Deleted"``) are kept: they only grow by deletes.
"""

from __future__ import annotations

import secrets
import uuid
from collections import deque
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any

from sms_contract.simulator.config import DefinitionSeed, SimulatorConfig
from sms_contract.simulator.wire import composite_id as new_composite_id
from sms_contract.simulator.wire import definition_timestamp


class Category(StrEnum):
    """The documented ``eventCategoryType`` values of a send status."""

    SENT = "TransactionalSendEvents.SMSSent"
    QUEUED = "TransactionalSendEvents.SMSQueued"
    NOT_SENT = "TransactionalSendEvents.SMSNotSent"


UNSUBSCRIBED = (1, "Unsubscribed")
MISSING_SUBSCRIBER_ID = (8, "MissingSubscriberID")
UNSPECIFIED_ERROR = (15, "UnspecifiedError")
PHONE_NUMBER_VALIDATION_FAILED = (129, "PhoneNumberValidationFailed")
QUEUED_TRANSACTION_DELETED = (37, "QueuedTransactionDeleted")


@dataclass
class Definition:
    """A send definition as the definitions routes show it."""

    key: str
    name: str
    active: bool
    created: float
    modified: float
    content: dict[str, Any]
    subscriptions: dict[str, Any]
    description: str | None = None
    options: dict[str, Any] | None = None
    deleted: bool = False
    definition_id: str = field(default_factory=lambda: str(uuid.uuid4()))

    @classmethod
    def from_seed(cls, seed: DefinitionSeed, now: float) -> Definition:
        subscriptions = {
            "shortCode": seed.short_code,
            "countryCode": seed.country_code,
            "autoAddSubscriber": True,
            "keyword": seed.keyword,
        }
        return cls(
            key=seed.definition_key,
            name=seed.name,
            active=seed.active,
            created=now,
            modified=now,
            content={"message": seed.message},
            subscriptions=subscriptions,
            description=seed.description or None,
        )

    @property
    def status(self) -> str:
        if self.deleted:
            return "Deleted"
        return "Active" if self.active else "Inactive"

    def to_wire(self) -> dict[str, Any]:
        body: dict[str, Any] = {"name": self.name, "definitionKey": self.key}
        body["definitionId"] = self.definition_id
        if self.description is not None:
            body["description"] = self.description
        body["status"] = self.status
        body["createdDate"] = definition_timestamp(self.created)
        body["modifiedDate"] = definition_timestamp(self.modified)
        body["content"] = dict(self.content)
        body["subscriptions"] = dict(self.subscriptions)
        if self.options is not None:
            body["options"] = self.options
        return body

    def summary(self) -> dict[str, Any]:
        """The fields a definitions list shows for one definition."""
        return {
            "definitionKey": self.key,
            "status": self.status,
            "name": self.name,
            "createdDate": definition_timestamp(self.created),
            "modifiedDate": definition_timestamp(self.modified),
        }


@dataclass(slots=True)
class Message:
    """One accepted send and its latest status."""

    key: str
    definition_key: str
    contact_key: str
    to: str
    accepted_at: float
    category: Category = Category.SENT
    event_at: float = 0.0
    status_code: int | None = None
    status_message: str | None = None
    _composite_id: str | None = field(default=None, repr=False)

    @property
    def composite_id(self) -> str:
        """Made when first read (most sends are never read back), then kept."""
        if self._composite_id is None:
            self._composite_id = new_composite_id()
        return self._composite_id


@dataclass(frozen=True)
class NotSentEvent:
    event_id: int
    message: Message
    status_code: int
    status_message: str
    at: float


@dataclass(frozen=True)
class Counters:
    """What the simulator has seen; a snapshot."""

    requests: int = 0
    token_requests: int = 0
    accepted_sends: int = 0
    """Billable: every recipient accepted for sending (SMSSent, SMSQueued or SMSNotSent),
    whatever it was answered: the sends the server may have delivered. It includes sends whose
    response was then dropped (``Faults.drop_response_every``, ``drop_next_sends``), sends
    taken by ``Faults.send_answer`` (even when answered 5xx), and sends accepted with a rule
    deferred by ``SimulatorConfig.async_rules``."""
    rejected_sends: int = 0
    """Sends refused: one per refused single send or whole batch, one per recipient refused
    inside a 202 batch answer."""
    rate_limited: int = 0
    """429s injected by ``Faults.rate_limit_every`` (the request was not processed)."""
    server_errors: int = 0
    """500s injected by ``Faults.error_every`` (the request was not processed); a deviation's
    500 and ``Faults.send_answer`` are not counted here."""
    dropped_responses: int = 0
    """Processed sends whose connection was dropped instead of answered."""


COUNTER_NAMES: tuple[str, ...] = tuple(Counters.__dataclass_fields__)


@dataclass(frozen=True)
class Sizes:
    """How much the simulator holds; a snapshot (``Simulator.sizes``)."""

    tokens: int = 0
    """Tokens issued and not yet evicted (an expired token is evicted by the next issue)."""
    messages: int = 0
    """Sends remembered: their messageKeys (taken while in the window) and their statuses."""
    not_sent_events: int = 0
    """Events of the not-sent list."""
    definitions: int = 0
    """Definitions, the deleted ones included."""


@dataclass(frozen=True, slots=True)
class Token:
    """An issued access token: when it stops working, and the scopes it was granted."""

    expires: float
    scopes: frozenset[str]


@dataclass
class State:
    """Everything the simulator remembers between requests.

    ``horizon``: seconds a send is remembered (its messageKey window and its status retention,
    whichever is longer); ``retention``: seconds a not-sent event is listed.
    """

    horizon: float = 3 * 86_400.0
    retention: float = 3 * 86_400.0
    tokens: dict[str, Token] = field(default_factory=dict)
    definitions: dict[str, Definition] = field(default_factory=dict)
    archived: list[Definition] = field(default_factory=list)
    messages: dict[str, Message] = field(default_factory=dict)
    not_sent: deque[NotSentEvent] = field(default_factory=deque)
    counts: dict[str, int] = field(default_factory=lambda: dict.fromkeys(COUNTER_NAMES, 0))
    _arrivals: deque[Message] = field(default_factory=deque)
    _expiries: deque[tuple[float, str]] = field(default_factory=deque)
    _last_event_id: int = 0

    @classmethod
    def for_config(cls, config: SimulatorConfig) -> State:
        horizon = max(config.message_key_window, config.status_retention)
        return cls(horizon=horizon, retention=config.status_retention)

    def count(self, name: str, amount: int = 1) -> None:
        self.counts[name] += amount

    def counters(self) -> Counters:
        return Counters(**self.counts)

    def sizes(self) -> Sizes:
        return Sizes(
            tokens=len(self.tokens),
            messages=len(self.messages),
            not_sent_events=len(self.not_sent),
            definitions=len(self.definitions) + len(self.archived),
        )

    def issue_token(self, now: float, lifetime: float, scopes: frozenset[str]) -> str:
        """A new token valid for ``lifetime`` seconds; the expired ones are evicted first."""
        expiries = self._expiries
        while expiries and expiries[0][0] <= now:
            _, expired = expiries.popleft()
            self.tokens.pop(expired, None)
        token = secrets.token_urlsafe(48)
        self.tokens[token] = Token(now + lifetime, scopes)
        expiries.append((now + lifetime, token))
        return token

    def token_scopes(self, token: str, now: float) -> frozenset[str] | None:
        """The scopes of a token that is valid at ``now``; ``None`` if unknown or expired."""
        found = self.tokens.get(token)
        return found.scopes if found is not None and now < found.expires else None

    def key_taken(self, key: str, now: float, window: float) -> bool:
        message = self.messages.get(key)
        return message is not None and now < message.accepted_at + window

    def remember(self, message: Message) -> None:
        """Store an accepted send; forget sends older than ``horizon`` seconds."""
        self.messages[message.key] = message
        arrivals = self._arrivals
        arrivals.append(message)
        cutoff = message.accepted_at - self.horizon
        while arrivals and arrivals[0].accepted_at < cutoff:
            old = arrivals.popleft()
            if self.messages.get(old.key) is old:  # not since replaced by a reuse of its key
                del self.messages[old.key]

    def settle(
        self, message: Message, definition: Definition | None, config: SimulatorConfig, now: float
    ) -> None:
        """Decide a send's status at ``now``: queued while its definition is inactive."""
        message.event_at = now
        if definition is not None and not definition.active:
            message.category = Category.QUEUED
        elif message.to in config.unsubscribed_numbers:
            self.mark_not_sent(message, UNSUBSCRIBED, now)
        elif message.to in config.undeliverable_numbers:
            self.mark_not_sent(message, PHONE_NUMBER_VALIDATION_FAILED, now)
        else:
            message.category = Category.SENT

    def mark_not_sent(self, message: Message, reason: tuple[int, str], now: float) -> None:
        message.category = Category.NOT_SENT
        message.event_at = now
        message.status_code, message.status_message = reason
        self._last_event_id += 1
        self.not_sent.append(NotSentEvent(self._last_event_id, message, *reason, now))
        cutoff = now - self.retention
        while self.not_sent and self.not_sent[0].at < cutoff:
            self.not_sent.popleft()

    def queued(self, definition_key: str) -> list[Message]:
        return [
            m
            for m in self.messages.values()
            if m.definition_key == definition_key and m.category is Category.QUEUED
        ]
