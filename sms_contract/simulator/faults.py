"""When to inject a fault: every Nth request, every Nth send, the next K sends."""

from __future__ import annotations

from sms_contract.simulator.config import Faults
from sms_contract.simulator.wire import Reply, error
from sms_contract.spec.rules import ERROR_HANDLING, RATE_LIMITED


class FaultSchedule:
    """Counts eligible requests and sends since the faults were set; not thread-safe alone."""

    def __init__(self, faults: Faults) -> None:
        self.faults = faults
        self._requests = 0
        self._sends = 0
        self._drops_left = faults.drop_next_sends

    def before(self) -> Reply | None:
        """The 429 or 500 this request gets instead of being processed, if any (429 wins)."""
        self._requests += 1
        faults = self.faults
        if faults.rate_limit_every and self._requests % faults.rate_limit_every == 0:
            return rate_limited(faults.retry_after)
        if faults.error_every and self._requests % faults.error_every == 0:
            return error(500, 0, "Internal Server Error")
        return None

    def drop_this_send(self) -> bool:
        """Whether this (processed) send loses its response."""
        self._sends += 1
        if self._drops_left:
            self._drops_left -= 1
            return True
        every = self.faults.drop_response_every
        return bool(every) and self._sends % every == 0


def rate_limited(retry_after: int) -> Reply:
    """429 as the rate-limiting page documents it, with Retry-After."""
    body = {
        "message": "Rate limit exceeded",
        "errorcode": RATE_LIMITED,
        "retryAfter": retry_after,
        "documentation": ERROR_HANDLING,
    }
    return Reply(429, body, {"Retry-After": str(retry_after)})
