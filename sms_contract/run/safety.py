"""Live-safety rails, enforced on every request before it is sent (architecture.md, "Live
safety"): recipients only from the allow-list, a hard budget of accepted sends and of requests,
and an account of what was spent. 429 answers are counted, never judged."""

from __future__ import annotations

import json
from collections.abc import Iterator, Sequence
from typing import Any

from sms_contract.errors import UnsafeTargetError
from sms_contract.exchange import Exchange, HttpRequest
from sms_contract.outcomes import Spending
from sms_contract.spec.endpoints import is_send, is_token_request
from sms_contract.spec.rules import looks_deliverable


class BudgetExhausted(UnsafeTargetError):
    """The run's budget of accepted sends or of requests is spent; nothing more is sent."""


def _recipients(body: Any) -> Iterator[Any]:
    if not isinstance(body, dict):
        return
    recipient = body.get("recipient")
    if isinstance(recipient, dict) and "to" in recipient:
        yield recipient["to"]
    recipients = body.get("recipients")
    if isinstance(recipients, list):
        for item in recipients:
            if isinstance(item, dict) and "to" in item:
                yield item["to"]


class SafetyGuard:
    """Counts what a run spends and refuses what it must not send.

    ``max_sends`` bounds accepted sends; a send whose response was lost counts as accepted, since
    it may have been. ``max_requests`` bounds every request, token requests included.
    """

    def __init__(
        self,
        allow_list: Sequence[str],
        *,
        max_sends: int | None,
        max_requests: int | None,
        enforce_allow_list: bool,
    ) -> None:
        self._allow = frozenset(str(number).strip() for number in allow_list)
        self.max_sends = max_sends
        self.max_requests = max_requests
        self._enforce = enforce_allow_list
        self.requests = 0
        self.token_requests = 0
        self.accepted_sends = 0
        self.throttled = 0

    @property
    def sends_left(self) -> int | None:
        return None if self.max_sends is None else self.max_sends - self.accepted_sends

    def before_send(self, request: HttpRequest) -> None:
        if self.max_requests is not None and self.requests >= self.max_requests:
            raise BudgetExhausted(f"the request budget ({self.max_requests}) is spent")
        if not is_send(request):
            return
        if self._enforce:
            try:
                body = json.loads(request.body or b"")
            except (ValueError, RecursionError):
                body = None
            for to in _recipients(body):
                if looks_deliverable(to) and str(to).strip() not in self._allow:
                    raise UnsafeTargetError(
                        "refused to send to a number that is not on the allow-list "
                        "(give every recipient with --to)"
                    )
        if self.sends_left is not None and self.sends_left <= 0:
            raise BudgetExhausted(f"the budget of {self.max_sends} accepted sends is spent")

    def after_exchange(self, exchange: Exchange) -> None:
        self.requests += 1
        request, response = exchange.request, exchange.response
        if is_token_request(request):
            self.token_requests += 1
            return
        if response is not None and response.status == 429:
            self.throttled += 1
        if is_send(request):
            self.accepted_sends += _accepted_count(response)

    def spending(self) -> Spending:
        return Spending(
            requests=self.requests,
            token_requests=self.token_requests,
            accepted_sends=self.accepted_sends,
            max_sends=self.max_sends,
            max_requests=self.max_requests,
            throttled=self.throttled,
        )


def _accepted_count(response: Any) -> int:
    if response is None:
        return 1  # lost: it may have been accepted
    if response.status != 202:
        return 0
    body = response.json_or_none()
    items = body.get("responses") if isinstance(body, dict) else None
    if not isinstance(items, list):
        return 1
    failed = sum(
        1
        for item in items
        if isinstance(item, dict)
        and item.get("errorcode", item.get("errorCode")) not in (None, 0, "0")
    )
    return max(len(items) - failed, 0)
