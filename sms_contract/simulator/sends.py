"""The message routes: single send, batch send, send status, and the not-sent list.

Choices where the documentation is silent:

- An unknown (or older than 3 days) messageKey on GET status is 404 with errorcode 30003
  (Runtime_ObjectNotFound), the documented "Object Not Found" pair.
- A messageKey whose percent-decoded bytes are not UTF-8 is 400 with 109108
  (InvalidValue_messageKey).
- The configured rejection form applies to RECIPIENT-scope failures of a *single* send; a batch
  always reports per-recipient failures inside a 202 with top-level errorcode 109001 (the
  documented batch form), even when every recipient fails.
- ``type`` on the not-sent list: missing is 400/10002, any value but ``notSent`` is 400/10005.
"""

from __future__ import annotations

import json
import re
from typing import Any
from urllib.parse import quote, unquote

from sms_contract.simulator.config import Deviation
from sms_contract.simulator.context import Call, World
from sms_contract.simulator.state import Category, Message
from sms_contract.simulator.validation import (
    Known,
    Rejection,
    check_batch,
    check_batch_item,
    check_single,
)
from sms_contract.simulator.wire import (
    Reply,
    error,
    event_timestamp,
    not_found,
    request_id,
)
from sms_contract.spec.rules import RESPONSES_HAS_ERRORS, RejectionForm, Scope

_DIGITS = re.compile(r"[0-9]{1,12}")
DEFAULT_PAGE_SIZE = 50


def send_one(call: Call, world: World) -> Reply:
    """POST /messaging/v1/sms/messages/{messageKey}."""
    key = call.route.key
    deviations = world.config.deviations
    if key is None:
        message = "MCMS_UTM_Validation_InvalidValue_messageKey: messageKey is not UTF-8"
        return error(400, 109108, message)
    if Deviation.SERVER_ERROR_ON_NON_ASCII_KEY in deviations and not key.isascii():
        return error(500, 0, "Internal Server Error")
    verdict = check_single(
        call.content_type,
        call.body,
        key,
        definition_known=lambda name: name in world.state.definitions,
        key_taken=_key_taken(world),
        window_text=world.config.window_text,
    )
    if isinstance(verdict, Rejection):
        if Deviation.ACCEPT_INVALID not in deviations:
            world.state.count("rejected_sends")
            return _reject_single(verdict, key, world.config.rejection_form)
        verdict = _whatever_object(call.body)
    if Deviation.REJECT_DOCUMENTED_EXAMPLE in deviations and "subscriptions" in verdict:
        message = (
            "MCMS_UTM_Validation_UnknownFieldName: Unrecognized sms field name 'subscriptions'"
        )
        return error(400, 109122, message)
    recipient = verdict.get("recipient")
    _accept(recipient if isinstance(recipient, dict) else {}, key, verdict, world)
    echoed = _altered(key) if Deviation.ECHO_ALTERED_KEY in deviations else key
    body = {"requestId": request_id(), "errorcode": 0, "responses": [{"messageKey": echoed}]}
    return Reply(202, body)


def send_batch(call: Call, world: World) -> Reply:
    """POST /messaging/v1/sms/messages/ (recipients[], messageKeys generated when absent)."""
    verdict = check_batch(
        call.content_type,
        call.body,
        definition_known=lambda name: name in world.state.definitions,
        max_recipients=world.config.max_batch_recipients,
    )
    if isinstance(verdict, Rejection):
        world.state.count("rejected_sends")
        return error(verdict.status, verdict.errorcode, verdict.message)
    seen: set[str] = set()
    responses: list[dict[str, Any]] = []
    for item in verdict["recipients"]:
        key, rejection = check_batch_item(item, seen, _key_taken(world), world.config.window_text)
        if rejection is None:
            _accept(item, key, verdict, world)
            responses.append({"messageKey": key})
        else:
            world.state.count("rejected_sends")
            responses.append(
                {"messageKey": key, "errorcode": rejection.errorcode, "message": rejection.message}
            )
    failed = sum(1 for answer in responses if "errorcode" in answer)
    if not failed:
        return Reply(202, {"requestId": request_id(), "errorcode": 0, "responses": responses})
    return Reply(202, _has_errors(failed, len(responses), responses))


def status(call: Call, world: World) -> Reply:
    """GET /messaging/v1/sms/messages/{messageKey}: the latest status of that key."""
    key = call.route.key
    non_ascii = key is not None and not key.isascii()
    if non_ascii and Deviation.SERVER_ERROR_ON_NON_ASCII_KEY in world.config.deviations:
        return error(500, 0, "Internal Server Error")
    message = world.state.messages.get(key) if key is not None else None
    if message is None or world.now >= message.accepted_at + world.config.status_retention:
        return not_found("MCMS_UTM_Runtime_ObjectNotFound: No message found for this messageKey")
    body: dict[str, Any] = {
        "requestId": request_id(),
        "eventCategoryType": message.category.value,
        "timestamp": event_timestamp(message.event_at),
    }
    if message.category is Category.QUEUED:
        return Reply(200, body)
    body["compositeId"] = message.composite_id
    info: dict[str, Any] = {"messageKey": message.key, "contactKey": message.contact_key}
    if message.category is Category.NOT_SENT:
        info["statusCode"] = message.status_code
        info["statusMessage"] = message.status_message
    body["info"] = info
    return Reply(200, body)


def not_sent(call: Call, world: World) -> Reply:
    """GET /messaging/v1/sms/messages/?type=notSent&$pageSize=N&lastEventId=ID."""
    kind = call.query.get("type")
    if kind is None:
        return error(400, 10002, "MCMS_UTM_Validation_MissingRequiredField: type is required")
    if kind != "notSent":
        return error(400, 10005, "MCMS_UTM_Validation_InvalidValue: only type=notSent is supported")
    page_size = integer_param(call.query, "$pagesize", DEFAULT_PAGE_SIZE, minimum=1)
    last = integer_param(call.query, "lasteventid", 0, minimum=0)
    if isinstance(page_size, Reply):
        return page_size
    if isinstance(last, Reply):
        return last
    events = [event for event in world.state.not_sent if event.event_id > last][:page_size]
    messages = [
        {
            "statusCode": event.status_code,
            "statusMessage": event.status_message,
            "eventCategoryType": Category.NOT_SENT.value,
            "timestamp": event_timestamp(event.at),
            "definitionKey": event.message.definition_key,
            "eventID": event.event_id,
            "info": {"messageKey": event.message.key, "contactKey": event.message.contact_key},
        }
        for event in events
    ]
    last_id = events[-1].event_id if events else last
    return Reply(200, {"lastEventID": last_id, "messages": messages, "count": len(messages)})


def integer_param(query: dict[str, str], name: str, default: int, *, minimum: int) -> int | Reply:
    """A non-negative integer query parameter, or the 400 (10005) that refuses it."""
    raw = query.get(name)
    if raw is None:
        return default
    if not _DIGITS.fullmatch(raw) or int(raw) < minimum:
        detail = f"{name} must be an integer of at least {minimum}"
        return error(400, 10005, f"MCMS_UTM_Validation_InvalidValue: {detail}")
    return int(raw)


def _accept(recipient: dict[str, Any], key: str, payload: dict[str, Any], world: World) -> None:
    definition_key = payload.get("definitionKey")
    definition_key = definition_key if isinstance(definition_key, str) else ""
    message = Message(
        key=key,
        definition_key=definition_key,
        contact_key=str(recipient.get("contactKey") or ""),
        to=str(recipient.get("to") or ""),
        accepted_at=world.now,
    )
    definition = world.state.definitions.get(definition_key)
    world.state.settle(message, definition, world.config, world.now)
    horizon = max(world.config.message_key_window, world.config.status_retention)
    world.state.remember(message, horizon)
    world.state.count("accepted_sends")


def _key_taken(world: World) -> Known:
    if Deviation.ACCEPT_DUPLICATE_KEY in world.config.deviations:
        return lambda key: False
    window = world.config.message_key_window
    return lambda key: world.state.key_taken(key, world.now, window)


def _reject_single(rejection: Rejection, key: str, form: RejectionForm) -> Reply:
    if rejection.scope is Scope.REQUEST or form is RejectionForm.HTTP_ERROR:
        return error(rejection.status, rejection.errorcode, rejection.message)
    item = {"messageKey": key, "errorcode": rejection.errorcode, "message": rejection.message}
    return Reply(202, _has_errors(1, 1, [item]))


def _has_errors(failed: int, total: int, responses: list[dict[str, Any]]) -> dict[str, Any]:
    message = f"MCMS_UTM_ResponsesHasErrors: {failed} subscribers failed to queue out of {total}"
    return {
        "requestId": request_id(),
        "errorcode": RESPONSES_HAS_ERRORS,
        "message": message,
        "responses": responses,
    }


def _altered(key: str) -> str:
    """The key decoded once more, or still encoded when a second decoding changes nothing."""
    twice = unquote(key)
    return twice if twice != key else quote(key, safe="")


def _whatever_object(body: bytes) -> dict[str, Any]:
    """ACCEPT_INVALID: whatever object the body holds, or an empty one."""
    try:
        payload = json.loads(body.decode("utf-8"))
    except (ValueError, RecursionError):
        return {}
    return payload if isinstance(payload, dict) else {}
