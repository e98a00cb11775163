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
  Its body carries ``requestId`` and ``pageSize`` (the page size served) besides the documented
  ``lastEventID``, ``messages`` and ``count``: both generated SDKs' tests require them (facts §9,
  a [CONFLICT] with the vendor example, which shows neither).
- ``SimulatorConfig.to_optional``: a recipient with a contactKey and no ``to`` is accepted (the
  platform would use the subscriber's stored number); its status reads as any other's.
- ``SimulatorConfig.async_rules``: a send breaking only deferred rules is accepted, then reads
  back as SMSNotSent with a subscriber error code (``ASYNC_REASONS``).
- ``Faults.send_answer``: ``answer_any_send`` replaces both send handlers.

Deviations decided here: ACCEPT_INVALID, ECHO_ALTERED_KEY, SERVER_ERROR_ON_NON_ASCII_KEY,
SERVER_ERROR_ON_MALFORMED_JSON, REJECT_DOCUMENTED_EXAMPLE, ACCEPT_DUPLICATE_KEY,
ACCEPT_MISSING_DEFINITION_KEY, ACCEPT_LONG_MESSAGE_KEY, TRIM_MESSAGE_KEY, STATUS_NEVER_FOUND,
BATCH_ONE_RESPONSE, ACCEPT_BATCH_DUPLICATE_KEY, BATCH_ALL_OR_NOTHING, NOT_SENT_UNLISTED,
REJECT_LONG_CONTENT (IGNORE_SCOPES is the app's, with the bearer check).
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from dataclasses import replace
from itertools import islice
from typing import Any
from urllib.parse import quote, unquote

from sms_contract.simulator.config import Deviation
from sms_contract.simulator.context import Call, World
from sms_contract.simulator.routes import RouteName
from sms_contract.simulator.state import (
    MISSING_SUBSCRIBER_ID,
    PHONE_NUMBER_VALIDATION_FAILED,
    UNSPECIFIED_ERROR,
    Category,
    Message,
    NotSentEvent,
)
from sms_contract.simulator.validation import (
    Known,
    Policy,
    Rejection,
    check_batch,
    check_batch_item,
    check_single,
    deferred_failure,
)
from sms_contract.simulator.wire import (
    Reply,
    error,
    event_timestamp,
    generated_message_key,
    not_found,
    request_id,
    server_error,
)
from sms_contract.spec.rules import (
    MESSAGE_KEY_MAX_LENGTH,
    RESPONSES_HAS_ERRORS,
    RejectionForm,
    Scope,
)

_DIGITS = re.compile(r"[0-9]{1,12}")
DEFAULT_PAGE_SIZE = 50
NO_SUCH_MESSAGE = "MCMS_UTM_Runtime_ObjectNotFound: No message found for this messageKey"
EMPTY_KEY = "MCMS_UTM_Validation_MissingRequiredField_messageKey: messageKey is empty"

# The subscriber error (facts §2.3, transactional-send-subscriber.md) a send broken by a
# deferred rule (SimulatorConfig.async_rules) ends with. The documentation says invalid
# numbers "surface as 109121 (sync) or subscriber code 129 (async)"; for the other two it is
# silent, so the mapping is a choice: 8 MissingSubscriberID for a missing contactKey, and
# 15 UnspecifiedError for an unknown definitionKey (no subscriber code names definitions).
ASYNC_REASONS: dict[str, tuple[int, str]] = {
    "to-invalid": PHONE_NUMBER_VALIDATION_FAILED,
    "contact-key-missing": MISSING_SUBSCRIBER_ID,
    "definition-key-unknown": UNSPECIFIED_ERROR,
}


def send_one(call: Call, world: World) -> Reply:
    """POST /messaging/v1/sms/messages/{messageKey}."""
    key = call.route.key
    deviations = world.config.deviations
    if key is None:
        message = "MCMS_UTM_Validation_InvalidValue_messageKey: messageKey is not UTF-8"
        return error(400, 109108, message)
    if Deviation.SERVER_ERROR_ON_NON_ASCII_KEY in deviations and not key.isascii():
        return _unprocessed()
    if Deviation.TRIM_MESSAGE_KEY in deviations:
        key = key.strip()
        if not key:  # nothing left to store: the key is missing
            world.state.count("rejected_sends")
            return error(400, 109104, EMPTY_KEY)
    policy = _policy(world)
    verdict = check_single(
        call.content_type,
        call.body,
        key,
        definition_known=_definition_known(world),
        key_taken=_key_taken(world),
        window_text=world.config.window_text,
        policy=policy,
    )
    validated = not isinstance(verdict, Rejection)
    if isinstance(verdict, Rejection):
        if _server_error_on(verdict, world):
            return _unprocessed()
        if Deviation.ACCEPT_INVALID not in deviations:
            world.state.count("rejected_sends")
            return _reject_single(verdict, key, world.config.rejection_form)
        verdict = _whatever_object(call.body)
    if Deviation.REJECT_DOCUMENTED_EXAMPLE in deviations and "subscriptions" in verdict:
        world.state.count("rejected_sends")
        message = (
            "MCMS_UTM_Validation_UnknownFieldName: Unrecognized sms field name 'subscriptions'"
        )
        return error(400, 109122, message)
    given = verdict.get("recipient")
    recipient: dict[str, Any] = given if isinstance(given, dict) else {}
    failure = (
        deferred_failure(verdict, recipient, _definition_known(world), policy)
        if validated
        else None  # ACCEPT_INVALID took whatever was sent: nothing is checked later
    )
    _accept(recipient, key, verdict, world, failure)
    echoed = _altered(key) if Deviation.ECHO_ALTERED_KEY in deviations else key
    body = {"requestId": request_id(), "errorcode": 0, "responses": [{"messageKey": echoed}]}
    return Reply(202, body)


def send_batch(call: Call, world: World) -> Reply:
    """POST /messaging/v1/sms/messages/ (recipients[], messageKeys generated when absent)."""
    deviations = world.config.deviations
    if Deviation.SERVER_ERROR_ON_NON_ASCII_KEY in deviations and _non_ascii_item_key(call.body):
        return _unprocessed()
    policy = _policy(world)
    verdict = check_batch(
        call.content_type,
        call.body,
        definition_known=_definition_known(world),
        max_recipients=world.config.max_batch_recipients,
        policy=policy,
    )
    if isinstance(verdict, Rejection):
        if _server_error_on(verdict, world):
            return _unprocessed()
        if Deviation.ACCEPT_INVALID not in deviations:
            world.state.count("rejected_sends")
            return error(verdict.status, verdict.errorcode, verdict.message)
        verdict = _whatever_object(call.body)
        verdict["recipients"] = [r for r in verdict.get("recipients") or [] if isinstance(r, dict)]
        validated = False
    else:
        validated = True
    seen: set[str] = set()
    judged: list[tuple[dict[str, Any], str, Rejection | None]] = []
    for given in verdict["recipients"]:
        item = _trimmed(given) if Deviation.TRIM_MESSAGE_KEY in deviations else given
        key, rejection = check_batch_item(
            item, seen, _key_taken(world), world.config.window_text, policy
        )
        judged.append((item, key, rejection))
    refused = [rejection for _, _, rejection in judged if rejection is not None]
    if refused and Deviation.BATCH_ALL_OR_NOTHING in deviations:
        world.state.count("rejected_sends", len(judged))
        return error(refused[0].status, refused[0].errorcode, refused[0].message)
    responses: list[dict[str, Any]] = []
    for item, key, rejection in judged:
        if rejection is None:
            failure = (
                deferred_failure(verdict, item, _definition_known(world), policy)
                if validated
                else None  # ACCEPT_INVALID took whatever was sent: nothing is checked later
            )
            _accept(item, key, verdict, world, failure)
            responses.append({"messageKey": key})
        else:
            world.state.count("rejected_sends")
            responses.append(
                {"messageKey": key, "errorcode": rejection.errorcode, "message": rejection.message}
            )
    failed = len(refused)
    if Deviation.BATCH_ONE_RESPONSE in deviations:
        responses = responses[:1]
    if not failed:
        return Reply(202, {"requestId": request_id(), "errorcode": 0, "responses": responses})
    return Reply(202, _has_errors(failed, len(judged), responses))


def answer_any_send(call: Call, world: World, status_code: int) -> Reply:
    """Any send, when ``Faults.send_answer`` is set: accepted whatever its body, answered with
    ``status_code`` (see ``Faults.send_answer``: what is counted, stored and answered)."""
    payload = _whatever_object(call.body)
    items: list[tuple[str, dict[str, Any]]]
    if call.route.name is RouteName.MESSAGE:
        route_key = call.route.key
        key = (
            route_key if route_key is not None else call.route.key_bytes.decode("utf-8", "replace")
        )
        recipient = payload.get("recipient")
        items = [(key, recipient if isinstance(recipient, dict) else {})]
    else:
        recipients = payload.get("recipients")
        if isinstance(recipients, list):
            items = [
                (_usable_key(item), item if isinstance(item, dict) else {}) for item in recipients
            ]
        else:
            items = [(generated_message_key(), {})]
    for key, recipient in items:
        _accept(recipient, key, payload, world)
    if status_code < 200 or status_code in (204, 304):
        return Reply(status_code)
    if status_code < 300:
        responses = [{"messageKey": key} for key, _ in items]
        return Reply(
            status_code, {"requestId": request_id(), "errorcode": 0, "responses": responses}
        )
    return server_error(status_code)


def unknown_message() -> Reply:
    """What GET status answers for a key it does not know (404, 30003)."""
    return not_found(NO_SUCH_MESSAGE)


def status(call: Call, world: World) -> Reply:
    """GET /messaging/v1/sms/messages/{messageKey}: the latest status of that key."""
    key = call.route.key
    deviations = world.config.deviations
    non_ascii = key is not None and not key.isascii()
    if non_ascii and Deviation.SERVER_ERROR_ON_NON_ASCII_KEY in deviations:
        return _unprocessed()
    if key is not None and Deviation.TRIM_MESSAGE_KEY in deviations:
        key = key.strip()  # looked up as it was stored
    message = world.state.messages.get(key) if key is not None else None
    if message is None or Deviation.STATUS_NEVER_FOUND in deviations:
        return unknown_message()
    config = world.config
    expired = world.now >= message.accepted_at + config.status_retention
    if expired or world.now < message.accepted_at + config.status_visible_after:
        return unknown_message()
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
    if Deviation.NOT_SENT_UNLISTED in world.config.deviations:
        newer: Iterator[NotSentEvent] = iter(())
    else:
        newer = (event for event in world.state.not_sent if event.event_id > last)
    events = list(islice(newer, page_size))
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
    body = {
        "requestId": request_id(),
        "lastEventID": last_id,
        "messages": messages,
        "count": len(messages),
        "pageSize": page_size,
    }
    return Reply(200, body)


def integer_param(query: dict[str, str], name: str, default: int, *, minimum: int) -> int | Reply:
    """A non-negative integer query parameter, or the 400 (10005) that refuses it."""
    raw = query.get(name)
    if raw is None:
        return default
    if not _DIGITS.fullmatch(raw) or int(raw) < minimum:
        detail = f"{name} must be an integer of at least {minimum}"
        return error(400, 10005, f"MCMS_UTM_Validation_InvalidValue: {detail}")
    return int(raw)


def _accept(
    recipient: dict[str, Any],
    key: str,
    payload: dict[str, Any],
    world: World,
    failure: str | None = None,
) -> None:
    """Store and count one accepted recipient; ``failure``: the deferred rule it breaks."""
    definition_key = payload.get("definitionKey")
    definition_key = definition_key if isinstance(definition_key, str) else ""
    message = Message(
        key=key,
        definition_key=definition_key,
        contact_key=str(recipient.get("contactKey") or ""),
        to=str(recipient.get("to") or ""),
        accepted_at=world.now,
    )
    if failure is None:
        definition = world.state.definitions.get(definition_key)
        world.state.settle(message, definition, world.config, world.now)
    else:  # validated after accepting: it fails at once, before any queueing
        world.state.mark_not_sent(message, ASYNC_REASONS[failure], world.now)
    world.state.remember(message)
    world.state.count("accepted_sends")


def _policy(world: World) -> Policy:
    deviations = world.config.deviations
    return Policy(
        deferred=world.config.async_rules,
        definition_key_optional=Deviation.ACCEPT_MISSING_DEFINITION_KEY in deviations,
        max_key_length=(
            None if Deviation.ACCEPT_LONG_MESSAGE_KEY in deviations else MESSAGE_KEY_MAX_LENGTH
        ),
        to_optional=world.config.to_optional,
        unique_batch_keys=Deviation.ACCEPT_BATCH_DUPLICATE_KEY not in deviations,
        one_part_content=Deviation.REJECT_LONG_CONTENT in deviations,
    )


def _definition_known(world: World) -> Known:
    return lambda name: name in world.state.definitions


def _server_error_on(rejection: Rejection, world: World) -> bool:
    """SERVER_ERROR_ON_MALFORMED_JSON: a body that is not JSON gets 500 instead of 400."""
    deviation = Deviation.SERVER_ERROR_ON_MALFORMED_JSON in world.config.deviations
    return deviation and rejection.rule_id == "malformed-json"


def _unprocessed() -> Reply:
    """The 500 of a deviation that refuses a request before processing it (never dropped)."""
    return replace(server_error(500), processed=False)


def _non_ascii_item_key(body: bytes) -> bool:
    """Whether a batch body names a recipient messageKey holding a non-ASCII character."""
    recipients = _whatever_object(body).get("recipients")
    items = recipients if isinstance(recipients, list) else []
    return any(
        isinstance(item, dict)
        and isinstance(item.get("messageKey"), str)
        and not item["messageKey"].isascii()
        for item in items
    )


def _trimmed(item: dict[str, Any]) -> dict[str, Any]:
    """TRIM_MESSAGE_KEY: the recipient with white space stripped from its messageKey."""
    key = item.get("messageKey")
    return {**item, "messageKey": key.strip()} if isinstance(key, str) else item


def _usable_key(item: Any) -> str:
    """A batch item's messageKey when it is a non-empty string, else a generated one."""
    key = item.get("messageKey") if isinstance(item, dict) else None
    return key if isinstance(key, str) and key else generated_message_key()


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
