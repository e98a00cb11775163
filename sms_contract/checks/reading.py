"""Reading a target's answer the way the documentation describes it, once for every check.

The send endpoints reject in two documented forms (architecture.md, "Rejection is not only a
4xx"): HTTP 4xx with ``{message, errorcode, documentation}``, or 202 Accepted whose top-level
``errorcode`` is non-zero (109001) with the per-recipient ``errorcode`` and ``message`` in
``responses[]``. ``read_send`` names which one a response is, through the reference client's
own model (:mod:`sms_contract.client.results`), so that no judge treats every 202 as accepted,
every non-zero errorcode as success, or a 109110 DuplicateMessageKey answer to a retry whose
earlier attempt was lost as a rejection: the earlier attempt was accepted.

``off_form`` gives the one verdict for an answer that is neither what a step expects nor a
documented rejection (a 200 to a send, a 3xx, a 401 to the run's own token, a 403, an
undocumented 4xx): the case's own check and SEND-STATUS-CODES report it alike, and the other
cross-cutting checks leave it alone, so no answer gets two verdicts.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from enum import StrEnum
from typing import Any

from sms_contract.checks.model import Auth, Expect, Judgement, Step
from sms_contract.client.results import (
    Accepted,
    errorcode_of,
    parse_send_response,
    raw_errorcode,
)
from sms_contract.exchange import Exchange, HttpResponse
from sms_contract.outcomes import Verdict
from sms_contract.spec.endpoints import SEND_OPERATIONS
from sms_contract.spec.rules import RejectionForm

DUPLICATE_MESSAGE_KEY = 109110
_REJECTING_STATUSES = frozenset({400, 415})  # the documented 4xx of a send's content


class Answer(StrEnum):
    ACCEPTED = "accepted"  # 202 with errorcode 0 (or absent) and no per-recipient error
    ACCEPTED_EARLIER = "accepted on an earlier attempt (its response was lost)"
    REJECTED_HTTP = "rejected with HTTP 4xx"
    REJECTED_202 = "rejected inside 202 (non-zero errorcode)"
    UNAUTHORIZED = "401 Unauthorized"
    FORBIDDEN = "403 Forbidden"
    THROTTLED = "429 Too Many Requests"
    SERVER_ERROR = "5xx server error"
    REFUSED_UNDOCUMENTED = "refused with a 4xx the documentation does not list"
    UNDOCUMENTED = "an undocumented answer"  # 1xx, 3xx, 2xx other than 202
    LOST = "no response (the connection was lost)"


@dataclass(frozen=True)
class SendAnswer:
    answer: Answer
    status: int | None
    errorcode: int | str | None  # the top-level errorcode as sent (number or numeric string)
    recipient_errorcodes: tuple[int | str | None, ...]
    echoed_keys: tuple[str | None, ...]
    body: Any

    @property
    def rejected(self) -> bool:
        return self.answer in (Answer.REJECTED_HTTP, Answer.REJECTED_202)

    @property
    def accepted(self) -> bool:
        return self.answer in (Answer.ACCEPTED, Answer.ACCEPTED_EARLIER)

    def has_errorcode(self, code: int) -> bool:
        """True when the top-level or any per-recipient errorcode equals ``code``."""
        return any(as_int(c) == code for c in (self.errorcode, *self.recipient_errorcodes))

    def describe(self) -> str:
        if self.status is None:
            return self.answer.value
        code = "" if self.errorcode is None else f", errorcode {self.errorcode}"
        return f"HTTP {self.status} ({self.answer.value}{code})"


def as_int(value: Any) -> int | None:
    """An errorcode as a number: the docs show numbers, the Swagger says string ([CONFLICT])."""
    return errorcode_of(value)


def _items(body: Any) -> list[Mapping[str, Any]]:
    if isinstance(body, Mapping) and isinstance(body.get("responses"), list):
        return [item for item in body["responses"] if isinstance(item, Mapping)]
    return []


def read_send(exchange: Exchange, *, key_known: bool = False) -> SendAnswer:
    """What a send's final answer was. ``key_known``: the key had been sent before in this run
    (a deliberate reuse), so a 109110 after a lost attempt is the expected rejection and says
    nothing about that attempt."""
    response = exchange.response
    if response is None:
        return SendAnswer(Answer.LOST, None, None, (), (), None)
    body = response.json_or_none()
    items = _items(body)
    top = raw_errorcode(body) if isinstance(body, Mapping) else None
    item_codes = tuple(raw_errorcode(item) for item in items)
    keys = tuple(
        item.get("messageKey") if isinstance(item.get("messageKey"), str) else None
        for item in items
    )
    return SendAnswer(
        _answer(response, exchange.maybe_processed_earlier and not key_known),
        response.status,
        top,
        item_codes,
        keys,
        body,
    )


def _answer(response: HttpResponse, earlier: bool) -> Answer:
    status = response.status
    if status == 401:
        return Answer.UNAUTHORIZED
    if status == 403:
        return Answer.FORBIDDEN
    if status == 429:
        return Answer.THROTTLED
    if status >= 500:
        return Answer.SERVER_ERROR
    if 400 <= status < 500 and status not in _REJECTING_STATUSES:
        return Answer.REFUSED_UNDOCUMENTED
    if status < 400 and status != 202:
        return Answer.UNDOCUMENTED
    if status == 202 and not isinstance(response.json_or_none(), Mapping):
        return Answer.UNDOCUMENTED
    # The client's own model: the same reading of both forms, and of 109110 after a loss.
    result = parse_send_response(
        response, message_key="", attempts=1, maybe_processed_earlier=earlier
    )
    if isinstance(result, Accepted):
        return Answer.ACCEPTED_EARLIER if result.on_earlier_attempt else Answer.ACCEPTED
    if result.form is RejectionForm.ACCEPTED_WITH_ERRORS:
        return Answer.REJECTED_202
    return Answer.REJECTED_HTTP


def off_form(step: Step, exchange: Exchange) -> Judgement | None:
    """The one verdict for a send's answer that is neither what ``step`` expects nor a
    documented rejection (module doc); ``None`` for an answer each check judges by its claim
    (acceptance, a documented rejection, a 401 to a request without a valid token, 429, 5xx,
    a lost response)."""
    if step.operation_id not in SEND_OPERATIONS or exchange.response is None:
        return None
    read = read_send(exchange, key_known=step.key_known)
    status = read.status
    if read.answer is Answer.UNDOCUMENTED:
        return Judgement(
            Verdict.FAIL,
            f"HTTP {status} answered a send: neither the documented acceptance (202 with "
            "errorcode 0) nor a documented rejection (4xx with the error body, or 202 with a "
            "non-zero errorcode); counted as a possibly accepted send",
        )
    if read.answer is Answer.UNAUTHORIZED and step.auth is Auth.BEARER:
        return Judgement(
            Verdict.FAIL,
            "HTTP 401 to a request that carried a token the target issued (after one "
            "refresh): the target refused its own token",
        )
    if read.answer is Answer.FORBIDDEN:
        if step.expect is Expect.REJECT:
            return Judgement(
                Verdict.INCOMPLETE,
                "not judged: HTTP 403 Forbidden refused the request before its content was "
                "judged (the credentials may lack the sms_send scope)",
            )
        if step.expect is Expect.ACCEPT:
            return Judgement(
                Verdict.FAIL,
                "a valid send was refused with HTTP 403 Forbidden (the credentials may lack "
                "the sms_send scope)",
            )
        if step.expect is Expect.UNAUTHORIZED:
            return Judgement(
                Verdict.FAIL, "HTTP 403 where the documentation says 401 Not Authorized"
            )
    if read.answer is Answer.REFUSED_UNDOCUMENTED:
        if step.expect is Expect.REJECT:
            return Judgement(
                Verdict.OBSERVED,
                f"refused with HTTP {status}, a status the documentation does not list for "
                f"{step.operation_id} (documented rejections: 400 with the error body, 202 "
                "with a non-zero errorcode)",
            )
        if step.expect is Expect.ACCEPT:
            return Judgement(
                Verdict.FAIL,
                f"a valid send was refused with HTTP {status}, a status the documentation "
                f"does not list for {step.operation_id}",
            )
        if step.expect is Expect.UNAUTHORIZED:
            return Judgement(
                Verdict.FAIL, f"HTTP {status} where the documentation says 401 Not Authorized"
            )
    return None
