"""What a send came to: accepted, or rejected in one of the two documented forms.

The send endpoints reject either with an HTTP 4xx whose body is
``{message, errorcode, documentation}`` (``RejectionForm.HTTP_ERROR``), or with **202** whose
top-level ``errorcode`` is non-zero (109001) and whose ``responses[]`` items carry each
recipient's ``errorcode`` and ``message`` (``RejectionForm.ACCEPTED_WITH_ERRORS``). The
documentation conflicts on the wire types, so an ``errorcode`` may be a number or a numeric
string, and an item's key may be ``errorcode`` or ``errorCode`` (SDK spec).

A ``DuplicateMessageKey`` (109110) answer to a retry whose earlier attempt may have been
processed (its response was lost, or was a 5xx) means the earlier attempt was accepted: the
parsers report it as accepted ``on_earlier_attempt``. On a first attempt it is a rejection.

Server ``message`` texts are kept out of ``repr``: a target may echo a recipient's number.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from sms_contract.errors import ApiError
from sms_contract.exchange import HttpResponse
from sms_contract.spec.rules import RejectionForm

DUPLICATE_MESSAGE_KEY = 109110


@dataclass(frozen=True)
class RecipientError:
    """One recipient's error inside a 202 ``responses[]``."""

    message_key: str | None
    errorcode: int | None
    message: str | None = field(default=None, repr=False)


@dataclass(frozen=True)
class Accepted:
    """The API accepted the send (which is not delivery: sends are asynchronous)."""

    message_key: str
    request_id: str | None
    attempts: int
    on_earlier_attempt: bool
    response: HttpResponse


@dataclass(frozen=True)
class Rejected:
    """The API refused the send, in one of the two documented forms."""

    message_key: str
    form: RejectionForm
    status: int
    errorcode: int | None
    request_id: str | None
    recipient_errors: tuple[RecipientError, ...]
    attempts: int
    response: HttpResponse
    message: str | None = field(default=None, repr=False)

    @property
    def errorcodes(self) -> tuple[int, ...]:
        """Every non-zero code: the top-level one, then each recipient's."""
        codes = (self.errorcode, *(e.errorcode for e in self.recipient_errors))
        return tuple(code for code in codes if code)

    def has_errorcode(self, code: int) -> bool:
        return code in self.errorcodes


SendResult = Accepted | Rejected


@dataclass(frozen=True)
class BatchResult:
    """The outcome of a batch send, recipient by recipient.

    ``form`` is ``None`` when every recipient was accepted. With ``HTTP_ERROR`` the whole
    request was refused: ``errors`` is empty and ``errorcode`` says why.
    """

    status: int
    request_id: str | None
    errorcode: int | None
    form: RejectionForm | None
    accepted_keys: tuple[str, ...]
    errors: tuple[RecipientError, ...]
    attempts: int
    on_earlier_attempt: bool
    response: HttpResponse
    message: str | None = field(default=None, repr=False)

    @property
    def all_accepted(self) -> bool:
        return self.form is None


def errorcode_of(value: Any) -> int | None:
    """An errorcode sent as a number or a numeric string; ``None`` for anything else."""
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return value
    if isinstance(value, float) and value.is_integer():
        return int(value)
    if isinstance(value, str) and value.strip().lstrip("-").isdigit():
        try:
            return int(value.strip())
        except ValueError:  # a digit int() does not read ("²"), or past its 4300 digits
            return None
    return None


def raw_errorcode(value: Mapping[str, Any]) -> Any:
    """The errorcode member as sent: ``errorcode`` (every Salesforce example) or ``errorCode``
    (the SDK's spec) [CONFLICT]: both are read, wherever an errorcode is."""
    return value["errorcode"] if "errorcode" in value else value.get("errorCode")


def errorcode_in(value: Mapping[str, Any]) -> int | None:
    """The errorcode of a body or item, as a number (``None`` when absent or not numeric)."""
    return errorcode_of(raw_errorcode(value))


def _text(item: Mapping[str, Any], name: str) -> str | None:
    value = item.get(name)
    return value if isinstance(value, str) else None


def _body(response: HttpResponse) -> dict[str, Any]:
    body = response.json_or_none()
    return body if isinstance(body, dict) else {}


def _items(body: Mapping[str, Any]) -> list[Mapping[str, Any]]:
    items = body.get("responses")
    return [item for item in items if isinstance(item, dict)] if isinstance(items, list) else []


def _recipient_errors(items: Sequence[Mapping[str, Any]]) -> tuple[RecipientError, ...]:
    return tuple(
        RecipientError(_text(item, "messageKey"), errorcode_in(item), _text(item, "message"))
        for item in items
        if errorcode_in(item)
    )


def _check_status(response: HttpResponse) -> None:
    if response.status // 100 not in (2, 4):
        raise ApiError(
            f"the send was answered with HTTP {response.status}, outside the documented forms",
            status=response.status,
        )


def parse_send_response(
    response: HttpResponse, *, message_key: str, attempts: int, maybe_processed_earlier: bool
) -> SendResult:
    """The result of a single-recipient send. Raises ``ApiError`` for a 1xx, 3xx or 5xx."""
    _check_status(response)
    body = _body(response)
    top = errorcode_in(body)
    request_id = _text(body, "requestId")
    errors = _recipient_errors(_items(body)) if response.status < 300 else ()
    if response.status < 300 and not top and not errors:
        return Accepted(message_key, request_id, attempts, False, response)
    form = RejectionForm.ACCEPTED_WITH_ERRORS if response.status < 300 else RejectionForm.HTTP_ERROR
    rejected = Rejected(
        message_key=message_key,
        form=form,
        status=response.status,
        errorcode=top,
        request_id=request_id,
        recipient_errors=errors,
        attempts=attempts,
        response=response,
        message=_text(body, "message"),
    )
    if maybe_processed_earlier and rejected.has_errorcode(DUPLICATE_MESSAGE_KEY):
        return Accepted(message_key, None, attempts, True, response)
    return rejected


def parse_batch_response(
    response: HttpResponse,
    *,
    message_keys: Sequence[str],
    attempts: int,
    maybe_processed_earlier: bool,
) -> BatchResult:
    """The result of a batch send; ``message_keys`` are the keys the request carried.

    Raises ``ApiError`` for a 1xx, 3xx or 5xx.
    """
    _check_status(response)
    body = _body(response)
    top = errorcode_in(body)
    common: dict[str, Any] = {
        "status": response.status,
        "request_id": _text(body, "requestId"),
        "errorcode": top,
        "attempts": attempts,
        "response": response,
        "message": _text(body, "message"),
    }
    if response.status >= 300:
        if maybe_processed_earlier and top == DUPLICATE_MESSAGE_KEY:
            return BatchResult(
                form=None,
                accepted_keys=tuple(message_keys),
                errors=(),
                on_earlier_attempt=True,
                **common,
            )
        return BatchResult(
            form=RejectionForm.HTTP_ERROR,
            accepted_keys=(),
            errors=(),
            on_earlier_attempt=False,
            **common,
        )
    items = _items(body)
    errors = _recipient_errors(items)
    earlier: tuple[RecipientError, ...] = ()
    if maybe_processed_earlier:
        earlier = tuple(e for e in errors if e.errorcode == DUPLICATE_MESSAGE_KEY)
        errors = tuple(e for e in errors if e.errorcode != DUPLICATE_MESSAGE_KEY)
    accepted = tuple(
        key
        for item in items
        if (key := _text(item, "messageKey")) is not None
        and (not errorcode_in(item) or any(e.message_key == key for e in earlier))
    )
    failed = bool(errors) or (bool(top) and not earlier)
    return BatchResult(
        form=RejectionForm.ACCEPTED_WITH_ERRORS if failed else None,
        accepted_keys=accepted,
        errors=errors,
        on_earlier_attempt=bool(earlier),
        **common,
    )
