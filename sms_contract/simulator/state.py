"""The simulator's memory: tokens, send definitions, messages, not-sent events, counters.

Plain data. The ``Simulator`` holds one lock around every request, so nothing here locks
on its own; read ``Counters`` through ``Simulator.counters`` (a snapshot taken under the lock).
"""

from __future__ import annotations

import secrets
import uuid
from collections import deque
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any

from sms_contract.simulator.config import DefinitionSeed, SimulatorConfig
from sms_contract.simulator.wire import composite_id, definition_timestamp


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


@dataclass
class Message:
    """One accepted send and its latest status."""

    key: str
    definition_key: str
    contact_key: str
    to: str
    accepted_at: float
    category: Category = Category.SENT
    event_at: float = 0.0
    composite_id: str = field(default_factory=composite_id)
    status_code: int | None = None
    status_message: str | None = None


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


@dataclass
class State:
    """Everything the simulator remembers between requests."""

    tokens: dict[str, float] = field(default_factory=dict)
    definitions: dict[str, Definition] = field(default_factory=dict)
    archived: list[Definition] = field(default_factory=list)
    messages: dict[str, Message] = field(default_factory=dict)
    not_sent: list[NotSentEvent] = field(default_factory=list)
    counts: dict[str, int] = field(default_factory=lambda: dict.fromkeys(COUNTER_NAMES, 0))
    _arrivals: deque[tuple[float, str]] = field(default_factory=deque)

    def count(self, name: str, amount: int = 1) -> None:
        self.counts[name] += amount

    def counters(self) -> Counters:
        return Counters(**self.counts)

    def issue_token(self, now: float, lifetime: float) -> str:
        self.tokens = {token: end for token, end in self.tokens.items() if end > now}
        token = secrets.token_urlsafe(48)
        self.tokens[token] = now + lifetime
        return token

    def token_valid(self, token: str, now: float) -> bool:
        expires = self.tokens.get(token)
        return expires is not None and now < expires

    def key_taken(self, key: str, now: float, window: float) -> bool:
        message = self.messages.get(key)
        return message is not None and now < message.accepted_at + window

    def remember(self, message: Message, horizon: float) -> None:
        """Store an accepted send; forget sends older than ``horizon`` seconds."""
        self.messages[message.key] = message
        self._arrivals.append((message.accepted_at, message.key))
        cutoff = message.accepted_at - horizon
        while self._arrivals and self._arrivals[0][0] < cutoff:
            at, key = self._arrivals.popleft()
            stored = self.messages.get(key)
            if stored is not None and stored.accepted_at == at:
                del self.messages[key]

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
        event_id = len(self.not_sent) + 1
        self.not_sent.append(NotSentEvent(event_id, message, reason[0], reason[1], now))

    def queued(self, definition_key: str) -> list[Message]:
        return [
            m
            for m in self.messages.values()
            if m.definition_key == definition_key and m.category is Category.QUEUED
        ]
