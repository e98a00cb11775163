"""Reading a target's answer the way the documentation describes it.

The send endpoints reject in two documented forms (architecture.md, "Rejection is not only a
4xx"): HTTP 4xx with ``{message, errorcode, documentation}``, or 202 Accepted whose top-level
``errorcode`` is non-zero (109001) with the per-recipient ``errorcode`` and ``message`` in
``responses[]``. ``read_send`` names which one a response is, so that no judge treats every
202 as accepted or every non-zero errorcode as success.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from enum import StrEnum
from typing import Any

from sms_contract.exchange import HttpResponse


class Answer(StrEnum):
    ACCEPTED = "accepted"  # 202 with errorcode 0 (or absent) and no per-recipient error
    REJECTED_HTTP = "rejected with HTTP 4xx"
    REJECTED_202 = "rejected inside 202 (non-zero errorcode)"
    UNAUTHORIZED = "401 Unauthorized"
    THROTTLED = "429 Too Many Requests"
    SERVER_ERROR = "5xx server error"
    UNEXPECTED = "an undocumented answer"


@dataclass(frozen=True)
class SendAnswer:
    answer: Answer
    status: int
    errorcode: int | str | None  # the top-level errorcode as sent (number or numeric string)
    recipient_errorcodes: tuple[int | str | None, ...]
    echoed_keys: tuple[str | None, ...]
    body: Any

    @property
    def rejected(self) -> bool:
        return self.answer in (Answer.REJECTED_HTTP, Answer.REJECTED_202)

    @property
    def accepted(self) -> bool:
        return self.answer is Answer.ACCEPTED

    def has_errorcode(self, code: int) -> bool:
        """True when the top-level or any per-recipient errorcode equals ``code``."""
        return any(as_int(c) == code for c in (self.errorcode, *self.recipient_errorcodes))


def as_int(value: Any) -> int | None:
    """An errorcode as a number: the docs show numbers, the Swagger says string ([CONFLICT])."""
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return value
    if isinstance(value, str) and value.strip().lstrip("-").isdigit():
        return int(value)
    return None


def _items(body: Any) -> list[Mapping[str, Any]]:
    if isinstance(body, Mapping) and isinstance(body.get("responses"), list):
        return [item for item in body["responses"] if isinstance(item, Mapping)]
    return []


def _item_code(item: Mapping[str, Any]) -> Any:
    # SDKOAS spells it errorCode, every example errorcode ([CONFLICT]): read both.
    return item.get("errorcode", item.get("errorCode"))


def read_send(response: HttpResponse) -> SendAnswer:
    body = response.json_or_none()
    items = _items(body)
    top = body.get("errorcode") if isinstance(body, Mapping) else None
    item_codes = tuple(_item_code(item) for item in items)
    keys = tuple(
        item.get("messageKey") if isinstance(item.get("messageKey"), str) else None
        for item in items
    )
    status = response.status
    if status == 401:
        answer = Answer.UNAUTHORIZED
    elif status == 429:
        answer = Answer.THROTTLED
    elif status >= 500:
        answer = Answer.SERVER_ERROR
    elif 400 <= status < 500:
        answer = Answer.REJECTED_HTTP
    elif status == 202 and isinstance(body, Mapping):
        codes = (top, *item_codes)
        rejected = any(as_int(code) not in (None, 0) for code in codes)
        answer = Answer.REJECTED_202 if rejected else Answer.ACCEPTED
    else:
        answer = Answer.UNEXPECTED
    return SendAnswer(answer, status, top, item_codes, keys, body)
