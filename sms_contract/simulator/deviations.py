"""The deviations that change a finished reply, one small switch each.

Deviations that change a decision (ACCEPT_INVALID, IGNORE_AUTH, ACCEPT_BAD_SECRET,
ACCEPT_DUPLICATE_KEY, REJECT_DOCUMENTED_EXAMPLE, SERVER_ERROR_ON_NON_ASCII_KEY,
SERVER_ERROR_ON_MALFORMED_JSON, ECHO_ALTERED_KEY, ACCEPT_MISSING_DEFINITION_KEY,
ACCEPT_LONG_MESSAGE_KEY, TRIM_MESSAGE_KEY, STATUS_NEVER_FOUND) live where that decision is
made; grep for ``Deviation.<NAME>``.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable
from dataclasses import replace

from sms_contract.simulator.config import Deviation
from sms_contract.simulator.routes import RouteName
from sms_contract.simulator.wire import Reply

Switch = Callable[[RouteName, str, Reply], Reply]


def _accepted_send(route: RouteName, method: str, reply: Reply) -> bool:
    sending = method == "POST" and route in (RouteName.MESSAGE, RouteName.MESSAGES)
    return sending and reply.status == 202 and reply.body is not None


def _without(reply: Reply, *names: str) -> Reply:
    if reply.body is None:
        return reply
    return replace(reply, body={k: v for k, v in reply.body.items() if k not in names})


def _wrong_content_type(route: RouteName, method: str, reply: Reply) -> Reply:
    return replace(reply, content_type="text/plain; charset=utf-8")


def _missing_request_id(route: RouteName, method: str, reply: Reply) -> Reply:
    return _without(reply, "requestId")


def _errorcode_missing(route: RouteName, method: str, reply: Reply) -> Reply:
    accepted = _accepted_send(route, method, reply) and (reply.body or {}).get("errorcode") == 0
    return _without(reply, "errorcode") if accepted else reply


def _malformed_error_body(route: RouteName, method: str, reply: Reply) -> Reply:
    return _without(reply, "errorcode") if reply.status >= 400 else reply


def _extra_field(route: RouteName, method: str, reply: Reply) -> Reply:
    if not _accepted_send(route, method, reply):
        return reply
    return replace(reply, body={**(reply.body or {}), "trackingId": str(uuid.uuid4())})


def _status_changed(route: RouteName, method: str, reply: Reply) -> Reply:
    return replace(reply, status=200) if _accepted_send(route, method, reply) else reply


def _retry_after_missing(route: RouteName, method: str, reply: Reply) -> Reply:
    if reply.status != 429:
        return reply
    headers = {k: v for k, v in reply.headers.items() if k.lower() != "retry-after"}
    return replace(reply, headers=headers)


def _unknown_event_category(route: RouteName, method: str, reply: Reply) -> Reply:
    if route is not RouteName.MESSAGE or method != "GET" or reply.status != 200:
        return reply
    body = {**(reply.body or {}), "eventCategoryType": "TransactionalSendEvents.SMSDelivered"}
    return replace(reply, body=body)


def _token_missing_fields(route: RouteName, method: str, reply: Reply) -> Reply:
    if route is not RouteName.TOKEN or reply.status != 200:
        return reply
    return _without(reply, "rest_instance_url", "expires_in")


def _token_without_expires_in(route: RouteName, method: str, reply: Reply) -> Reply:
    if route is not RouteName.TOKEN or reply.status != 200:
        return reply
    return _without(reply, "expires_in")


WRONG_KEY_SUFFIX = "-other"
"""What STATUS_WRONG_KEY appends to ``info.messageKey``."""


def _status_wrong_key(route: RouteName, method: str, reply: Reply) -> Reply:
    """A status that has ``info`` (SMSSent, SMSNotSent; SMSQueued has none) names another key."""
    if route is not RouteName.MESSAGE or method != "GET" or reply.status != 200:
        return reply
    info = (reply.body or {}).get("info")
    if not isinstance(info, dict) or not isinstance(info.get("messageKey"), str):
        return reply
    wrong = {**info, "messageKey": info["messageKey"] + WRONG_KEY_SUFFIX}
    return replace(reply, body={**(reply.body or {}), "info": wrong})


SWITCHES: dict[Deviation, Switch] = {
    Deviation.WRONG_CONTENT_TYPE: _wrong_content_type,
    Deviation.MISSING_REQUEST_ID: _missing_request_id,
    Deviation.ERRORCODE_MISSING: _errorcode_missing,
    Deviation.MALFORMED_ERROR_BODY: _malformed_error_body,
    Deviation.EXTRA_FIELD: _extra_field,
    Deviation.STATUS_CHANGED: _status_changed,
    Deviation.RETRY_AFTER_MISSING: _retry_after_missing,
    Deviation.UNKNOWN_EVENT_CATEGORY: _unknown_event_category,
    Deviation.TOKEN_MISSING_FIELDS: _token_missing_fields,
    Deviation.STATUS_WRONG_KEY: _status_wrong_key,
    Deviation.TOKEN_WITHOUT_EXPIRES_IN: _token_without_expires_in,
}


def apply(deviations: frozenset[Deviation], route: RouteName, method: str, reply: Reply) -> Reply:
    """The reply as the configured deviations change it (in declaration order)."""
    for deviation in Deviation:
        switch = SWITCHES.get(deviation)
        if switch is not None and deviation in deviations:
            reply = switch(route, method, reply)
    return reply
