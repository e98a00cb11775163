"""The API's endpoints, named once: paths, operation ids (as the spec names them) and how a key
becomes a path segment. Everything that builds or recognises a request of the API (the client,
the checks, the safety rails, replay, drift) reads these; a test holds them to the spec.
"""

from __future__ import annotations

import re
from typing import Protocol
from urllib.parse import quote

TOKEN_PATH = "/v2/token"  # on the auth host
MESSAGES_PATH = "/messaging/v1/sms/messages/"  # batch send and notSent; + key: send, status
DEFINITIONS_PATH = "/messaging/v1/sms/definitions"

REQUEST_TOKEN = "requestToken"
SEND_TO_ONE = "sendSmsToSingleRecipient"
SEND_BATCH = "sendSmsToMultipleRecipients"
SEND_STATUS = "getSmsSendStatusForRecipient"
NOT_SENT = "getSMSsNotSentToRecipients"
CREATE_DEFINITION = "createSmsDefinition"
LIST_DEFINITIONS = "getSmsDefinitions"
GET_DEFINITION = "getSmsDefinition"
UPDATE_DEFINITION = "partiallyUpdateSmsDefinition"
DELETE_DEFINITION = "deleteSmsDefinition"
QUEUE_METRICS = "getQueueMetricsForSmsDefinition"
PURGE_QUEUE = "deleteQueuedMessagesForSmsDefinition"

SEND_OPERATIONS = frozenset({SEND_TO_ONE, SEND_BATCH})
REST_OPERATIONS = frozenset(
    {
        SEND_TO_ONE,
        SEND_BATCH,
        SEND_STATUS,
        NOT_SENT,
        CREATE_DEFINITION,
        LIST_DEFINITIONS,
        GET_DEFINITION,
        UPDATE_DEFINITION,
        DELETE_DEFINITION,
        QUEUE_METRICS,
        PURGE_QUEUE,
    }
)
ALL_OPERATIONS = REST_OPERATIONS | {REQUEST_TOKEN}

_SEND_PATH = re.compile(r"^/messaging/v1/sms/messages/(?P<key>[^/?]*)$")


def encode_path_segment(value: str) -> str:
    """``value`` percent-encoded as exactly one path segment (``/``, ``%``, ``?`` included).

    A key of ``.`` or ``..`` is encoded as ``%2E`` / ``%2E%2E`` (``HttpTransport`` sends it so,
    where ``requests`` alone would un-escape it); a server that normalises URLs per RFC 3986
    may still treat them as dot segments.
    """
    encoded = quote(value, safe="")
    return encoded.replace(".", "%2E") if encoded in (".", "..") else encoded


def message_path(message_key: str) -> str:
    """The path of one message: its single send (POST) and its status (GET)."""
    return MESSAGES_PATH + encode_path_segment(message_key)


def definition_path(definition_key: str) -> str:
    return f"{DEFINITIONS_PATH}/{encode_path_segment(definition_key)}"


def queue_path(definition_key: str) -> str:
    return f"{definition_path(definition_key)}/queue"


class Request(Protocol):
    """A request as sent or as recorded: its method and its still-encoded path."""

    @property
    def method(self) -> str: ...

    @property
    def path(self) -> str: ...


def is_token_request(request: Request) -> bool:
    return request.method == "POST" and request.path.endswith(TOKEN_PATH)


def is_send(request: Request) -> bool:
    """A POST that can queue an SMS: single send (with a key) or batch send (without)."""
    return request.method == "POST" and _SEND_PATH.match(request.path) is not None


def message_key_segment(path: str) -> str | None:
    """The (still-encoded) messageKey of a message path: its single send or its status;
    ``None`` for any other path, the batch and notSent path included."""
    match = _SEND_PATH.match(path)
    return match.group("key") or None if match else None
