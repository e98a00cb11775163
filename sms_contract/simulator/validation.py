"""The documented validation of a send, applied in a fixed order from ``rules.RULES``.

Order (the first broken rule wins): Content-Type, JSON syntax, body is an object, JSON types
of documented fields, definitionKey (missing, then unknown), recipient (missing, then both
``recipient`` and ``recipients``), recipient fields (``to`` missing, ``to`` invalid, contactKey
missing), messageKey length, messageKey reuse.

Choices where the documentation is silent, recorded here once:

- ``null`` on a required field counts as missing (``recipient.to: null`` is ``to-missing``);
  ``null`` on an optional field (``attributes``, ``content``, ``subscriptions`` and their
  members) is a wrong type. An empty string is missing; whitespace is not.
- A valid ``to`` is 8 to 15 ASCII digits, with an optional leading ``+`` ([NOT DOCUMENTED];
  every documented example is digits with the country code).
- messageKey length counts Unicode code points.
- Unknown fields are ignored (the documented example itself sends ``subscriptions``), except a
  stray ``recipient``/``recipients``, which is 109122 as observed in the wild.

A ``Policy`` relaxes the order above for a configured simulator: rules it ``defers`` are
skipped here (the first *other* broken rule still wins) and reported by ``deferred_failure``
once the send is accepted; two deviations make definitionKey optional or lift the messageKey
length limit; ``to_optional`` (``SimulatorConfig.to_optional``) admits a recipient with a
contactKey and no ``to`` member (a ``null`` or ``""`` one is still refused), the reading of
Salesforce's own SDK tests (facts §9). The default ``Policy()`` is the documented behaviour.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from sms_contract.simulator.wire import generated_message_key, rule_message
from sms_contract.spec.rules import MESSAGE_KEY_MAX_LENGTH, MOBILE_NUMBER, Scope, rule
from sms_contract.spec.sms_text import is_gsm7, message_units

Known = Callable[[str], bool]


@dataclass(frozen=True)
class Policy:
    """What a configured simulator relaxes; the defaults are the documented validation."""

    deferred: frozenset[str] = frozenset()
    """Rule ids applied after accepting (``SimulatorConfig.async_rules``), not here."""
    definition_key_optional: bool = False
    """A body without a ``definitionKey`` member passes (ACCEPT_MISSING_DEFINITION_KEY);
    ``null`` and ``""`` are still missing."""
    max_key_length: int | None = MESSAGE_KEY_MAX_LENGTH
    """The longest messageKey; ``None``: no limit (ACCEPT_LONG_MESSAGE_KEY)."""
    to_optional: bool = False
    """A recipient with a contactKey needs no ``to`` (``SimulatorConfig.to_optional``)."""
    unique_batch_keys: bool = True
    """A messageKey used twice in one batch is refused (off: ACCEPT_BATCH_DUPLICATE_KEY)."""
    one_part_content: bool = False
    """content.message must fit one part: 160 GSM-7 septets or 70 UCS-2 units
    (REJECT_LONG_CONTENT)."""


DOCUMENTED = Policy()


@dataclass(frozen=True)
class Rejection:
    """Why a send (or one recipient of it) is refused."""

    errorcode: int
    message: str
    status: int = 400
    scope: Scope = Scope.REQUEST
    rule_id: str | None = None

    @classmethod
    def of(cls, rule_id: str, detail: str | None = None) -> Rejection:
        found = rule(rule_id)
        message = rule_message(found, detail)
        return cls(found.errorcode, message, found.status, found.scope, found.id)


def parse_object(content_type: str | None, body: bytes) -> dict[str, Any] | Rejection:
    """The body as a JSON object, or the first of the three syntax rules it breaks."""
    media_type = (content_type or "").split(";", 1)[0].strip().lower()
    if media_type != "application/json":
        return Rejection.of("unsupported-media-type")
    try:
        payload = json.loads(body.decode("utf-8"), parse_constant=_no_constants)
    except (ValueError, RecursionError):
        return Rejection.of("malformed-json")
    if not isinstance(payload, dict):
        return Rejection.of("body-not-object")
    return payload


def _no_constants(name: str) -> Any:
    raise ValueError(f"{name} is not JSON")


def check_single(
    content_type: str | None,
    body: bytes,
    message_key: str,
    *,
    definition_known: Known,
    key_taken: Known,
    window_text: str,
    policy: Policy = DOCUMENTED,
) -> dict[str, Any] | Rejection:
    """The payload of a valid single send, or the rule it breaks."""
    payload = parse_object(content_type, body)
    if isinstance(payload, Rejection):
        return payload
    recipient = payload.get("recipient")
    found = (
        _single_types(payload)
        or _first(_definition(payload, definition_known, policy), policy)
        or _recipient(payload)
        or recipient_fields(recipient if isinstance(recipient, dict) else {}, policy)
        or message_key_rules(message_key, key_taken, window_text, policy)
        or _content_length(payload, policy)
    )
    return found or payload


def _content_length(payload: dict[str, Any], policy: Policy) -> Rejection | None:
    """REJECT_LONG_CONTENT: content.message over one part is refused with 10005."""
    content = payload.get("content")
    message = content.get("message") if isinstance(content, dict) else None
    if not policy.one_part_content or not isinstance(message, str):
        return None
    units, most = message_units(message), (160 if is_gsm7(message) else 70)
    if units <= most:
        return None
    detail = f"content.message is {units} units, at most {most}"
    return Rejection(10005, f"MCMS_UTM_Validation_InvalidValue_content: {detail}")


def check_batch(
    content_type: str | None,
    body: bytes,
    *,
    definition_known: Known,
    max_recipients: int,
    policy: Policy = DOCUMENTED,
) -> dict[str, Any] | Rejection:
    """The payload of a batch send whose request-level rules hold, or the rule it breaks."""
    payload = parse_object(content_type, body)
    if isinstance(payload, Rejection):
        return payload
    found = _batch_types(payload) or _first(_definition(payload, definition_known, policy), policy)
    if found:
        return found
    if "recipient" in payload:
        return Rejection.of("recipient-and-recipients", "Unrecognized sms field name 'recipient'")
    recipients = payload.get("recipients")
    if not recipients:
        return Rejection.of("recipient-missing", "recipients is missing or empty")
    if len(recipients) > max_recipients:
        detail = f"{len(recipients)} recipients, at most {max_recipients} per request"
        return Rejection(109101, f"MCMS_UTM_Validation_TooManySubscribers: {detail}")
    return _content_length(payload, policy) or payload


def recipient_fields(recipient: dict[str, Any], policy: Policy = DOCUMENTED) -> Rejection | None:
    """The RECIPIENT-scope field rules: ``to`` missing or invalid, contactKey missing."""
    return _first(_recipient_problems(recipient, policy), policy)


def deferred_failure(
    payload: dict[str, Any], recipient: dict[str, Any], definition_known: Known, policy: Policy
) -> str | None:
    """The first rule of ``policy.deferred`` that an accepted send (or batch recipient) breaks.

    Call it only on a payload that passed ``check_single``/``check_batch`` with the same policy
    (the field types are then known to be right).
    """
    problems = [
        *_definition(payload, definition_known, policy),
        *_recipient_problems(recipient, policy),
    ]
    return next((p.rule_id for p in problems if p.rule_id in policy.deferred), None)


def _first(problems: list[Rejection], policy: Policy) -> Rejection | None:
    """The first problem whose rule is not deferred."""
    return next((p for p in problems if p.rule_id not in policy.deferred), None)


def _recipient_problems(recipient: dict[str, Any], policy: Policy) -> list[Rejection]:
    """Every recipient field rule broken, in order (a missing ``to`` is not also invalid)."""
    problems: list[Rejection] = []
    to = recipient.get("to")
    contact_key = recipient.get("contactKey")
    has_contact_key = contact_key is not None and contact_key != ""
    if to is None or to == "":
        # The SDKs' reading leaves ``to`` out; an empty or null one is refused under both.
        if not (policy.to_optional and has_contact_key and "to" not in recipient):
            problems.append(Rejection.of("to-missing", "Invalid subscriber"))
    elif not isinstance(to, str) or not MOBILE_NUMBER.fullmatch(to):
        problems.append(Rejection.of("to-invalid"))
    if not has_contact_key:
        problems.append(Rejection.of("contact-key-missing"))
    return problems


def message_key_rules(
    key: str, key_taken: Known, window_text: str, policy: Policy = DOCUMENTED
) -> Rejection | None:
    if _too_long(key, policy):
        return Rejection.of("message-key-too-long")
    if key_taken(key):
        return Rejection.of(
            "message-key-reused", f"messageKey reused within the past {window_text}"
        )
    return None


def _too_long(key: str, policy: Policy) -> bool:
    return policy.max_key_length is not None and len(key) > policy.max_key_length


def _definition(payload: dict[str, Any], known: Known, policy: Policy) -> list[Rejection]:
    """The definitionKey rule broken, if any (as a list of at most one)."""
    if policy.definition_key_optional and "definitionKey" not in payload:
        return []
    key = payload.get("definitionKey")
    if key is None or key == "":
        return [Rejection.of("definition-key-missing")]
    if not known(key):
        return [Rejection.of("definition-key-unknown")]
    return []


def _recipient(payload: dict[str, Any]) -> Rejection | None:
    if payload.get("recipient") is None:
        return Rejection.of("recipient-missing")
    if "recipients" in payload:
        return Rejection.of("recipient-and-recipients")
    return None


def _single_types(payload: dict[str, Any]) -> Rejection | None:
    if not _optional(payload, "definitionKey", str):
        return Rejection.of("definition-key-wrong-type")
    recipient = payload.get("recipient")
    if recipient is not None and not isinstance(recipient, dict):
        return Rejection.of("recipient-not-object")
    if isinstance(recipient, dict):
        found = _recipient_types(recipient, "recipient")
        if found:
            return found
    return _common_types(payload)


def _batch_types(payload: dict[str, Any]) -> Rejection | None:
    if not _optional(payload, "definitionKey", str):
        return Rejection.of("definition-key-wrong-type")
    recipients = payload.get("recipients")
    if recipients is not None and not isinstance(recipients, list):
        return _wrong_type("recipients", "an array")
    for index, item in enumerate(recipients or []):
        where = f"recipients[{index}]"
        if not isinstance(item, dict):
            return _wrong_type(where, "an object")
        found = _recipient_types(item, where)
        if found:
            return found
        if not _optional(item, "messageKey", str):
            return _wrong_type(f"{where}.messageKey", "a string")
    return _common_types(payload)


def _recipient_types(recipient: dict[str, Any], where: str) -> Rejection | None:
    for name in ("to", "contactKey"):
        if not _optional(recipient, name, str):
            return _wrong_type(f"{where}.{name}", "a string")
    if "attributes" in recipient and not isinstance(recipient["attributes"], dict):
        return _wrong_type(f"{where}.attributes", "an object")
    return None


def _common_types(payload: dict[str, Any]) -> Rejection | None:
    """``attributes``, ``content.message`` and ``subscriptions.resubscribe``."""
    for name in ("attributes", "content", "subscriptions"):
        if name in payload and not isinstance(payload[name], dict):
            return _wrong_type(name, "an object")
    content = payload.get("content") or {}
    if "message" in content and not isinstance(content["message"], str):
        return _wrong_type("content.message", "a string")
    subscriptions = payload.get("subscriptions") or {}
    if "resubscribe" in subscriptions and not isinstance(subscriptions["resubscribe"], bool):
        return _wrong_type("subscriptions.resubscribe", "a boolean")
    return None


def _optional(container: dict[str, Any], name: str, kind: type) -> bool:
    """Absent, ``null`` or of the right type (``null`` on a required field is "missing")."""
    value = container.get(name)
    return value is None or isinstance(value, kind)


def _wrong_type(where: str, expected: str) -> Rejection:
    return Rejection.of("wrong-type", f"{where} must be {expected}")


def check_batch_item(
    item: dict[str, Any],
    seen: set[str],
    key_taken: Known,
    window_text: str,
    policy: Policy = DOCUMENTED,
) -> tuple[str, Rejection | None]:
    """One recipient of a batch: its messageKey (generated when absent) and its rejection.

    A key already used earlier in the same request is rejected with 109110 ("If you use a
    duplicate messageKey in the same send request, the message is rejected"); the first use
    stands. An empty key is 109104 (MissingRequiredField_messageKey).
    """
    key = item.get("messageKey")
    if key is None:
        key = generated_message_key()
    if key == "":
        message = "MCMS_UTM_Validation_MissingRequiredField_messageKey: messageKey is empty"
        return key, Rejection(109104, message, scope=Scope.RECIPIENT)
    found = recipient_fields(item, policy)
    if found is None and _too_long(key, policy):
        found = Rejection.of("message-key-too-long")
    if found is None and key in seen and policy.unique_batch_keys:
        detail = "messageKey used more than once in the same send request"
        found = Rejection.of("message-key-reused", detail)
    seen.add(key)
    return key, found or message_key_rules(key, key_taken, window_text, policy)
