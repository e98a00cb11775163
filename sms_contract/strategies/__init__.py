"""Hypothesis strategies for ``POST /messaging/v1/sms/messages/{messageKey}``.

Valid payloads cover the whole documented space; invalid payloads each break exactly one rule
of :data:`sms_contract.rules.RULES` and carry it as their label. Pure: no I/O, and no import of
the spec oracle (``sms_contract.spec``): generator and judge are different code.

Live safety: a ``to`` that looks deliverable only ever comes from the caller's allow-list. The
only generated ``to`` values belong to the rules about ``to`` and cannot be a mobile number
(letters, empty, 20 or more digits). Descriptions never contain a phone number or an attribute
value; the ``repr`` of a case omits the body.

This package re-exports its public names; the code lives in ``cases`` (:class:`SendCase`,
:class:`InvalidSend`), ``keys`` (messageKeys), ``recipients`` (numbers, contactKeys,
attributes), ``messages`` (content.message texts), ``valid`` and ``invalid`` (whole sends),
``mutations`` (one invalid-send generator per rule) and ``alphabets``. The SMS text rules
(GSM 03.38 tables, segment counting) are :mod:`sms_contract.sms_text`, re-exported here.
"""

from __future__ import annotations

from sms_contract.sms_text import (
    GSM7_BASIC,
    GSM7_EXTENSION,
    is_gsm7,
    message_units,
    segment_count,
)
from sms_contract.strategies.cases import JSON_CONTENT_TYPE as JSON_CONTENT_TYPE
from sms_contract.strategies.cases import InvalidSend, SendCase
from sms_contract.strategies.invalid import invalid_send_payloads
from sms_contract.strategies.keys import message_key_classes, message_keys
from sms_contract.strategies.messages import sms_messages
from sms_contract.strategies.recipients import (
    attributes,
    contact_keys,
    looks_deliverable,
    phone_numbers,
)
from sms_contract.strategies.valid import valid_send_payloads

__all__ = [
    "GSM7_BASIC",
    "GSM7_EXTENSION",
    "InvalidSend",
    "SendCase",
    "attributes",
    "contact_keys",
    "invalid_send_payloads",
    "is_gsm7",
    "looks_deliverable",
    "message_key_classes",
    "message_keys",
    "message_units",
    "phone_numbers",
    "segment_count",
    "sms_messages",
    "valid_send_payloads",
]
