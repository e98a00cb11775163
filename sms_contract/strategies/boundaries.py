"""The named boundary variants of every documented rule: fixed, so that every run sends them,
whatever its seed and however many recipients it has (the generated variants of
:mod:`sms_contract.strategies.invalid` come on top).

Each variant starts from one valid body and breaks its rule in one named way: definitionKey
missing *and* empty, ``to`` missing *and* empty, recipient as an array, a string, a number and
null, and so on. Pure and without Hypothesis. The messageKey rules (a key of 101 characters, a
reused key) are keys, not bodies: the checks build them, since the key carries the run's
nonce. Live safety: no variant puts a deliverable number anywhere but where the valid body had
one (``to`` values made up here are letters, 20 digits, or a two-digit JSON number).
"""

from __future__ import annotations

import copy
import json
from collections.abc import Callable
from dataclasses import dataclass, replace
from typing import Any

from sms_contract.exchange import JSON_MEDIA_TYPE
from sms_contract.spec.rules import NO_SUBSCRIBER, RULES_BY_ID
from sms_contract.spec.sms_text import message_units
from sms_contract.strategies.cases import InvalidSend, wire

KEY_RULES = frozenset({"message-key-too-long", "message-key-reused"})
"""Rules broken by the messageKey, not by the body: the checks plan their variants."""


def _send(rule_id: str, description: str, field_path: str, value: Any) -> InvalidSend:
    return InvalidSend(
        RULES_BY_ID[rule_id], "", description, field_path, JSON_MEDIA_TYPE, wire(value), value
    )


def _raw(rule_id: str, description: str, text: bytes, content_type: str) -> InvalidSend:
    return InvalidSend(RULES_BY_ID[rule_id], "", description, "body", content_type, text, None)


def _without(body: dict[str, Any], *path: str) -> dict[str, Any]:
    changed = copy.deepcopy(body)
    parent = changed
    for name in path[:-1]:
        parent = parent[name]
    del parent[path[-1]]
    return changed


def _with(body: dict[str, Any], value: Any, *path: str) -> dict[str, Any]:
    changed = copy.deepcopy(body)
    parent = changed
    for name in path[:-1]:
        parent = parent.setdefault(name, {})
    parent[path[-1]] = value
    return changed


def _malformed(body: dict[str, Any]) -> list[InvalidSend]:
    text = json.dumps(body, ensure_ascii=False)
    return [
        _raw(
            "malformed-json",
            "the closing '}' of the body left out",
            text[:-1].encode(),
            JSON_MEDIA_TYPE,
        ),
        _raw(
            "malformed-json",
            "a trailing comma before the closing '}'",
            (text[:-1] + ",}").encode(),
            JSON_MEDIA_TYPE,
        ),
    ]


def _media_types(body: dict[str, Any]) -> list[InvalidSend]:
    return [
        _raw(
            "unsupported-media-type",
            f"Content-Type {media} with a valid JSON body",
            wire(body),
            media,
        )
        for media in ("text/plain", "application/x-www-form-urlencoded")
    ]


def _not_objects(rule_id: str, body: dict[str, Any], *path: str) -> list[InvalidSend]:
    """The object at ``path`` (the body itself when there is none) as an array holding it, a
    string, a number and null."""
    current: Any = body
    for name in path:
        current = current[name]
    where = ".".join(path) or "body"
    shapes = (
        ("a JSON array", [copy.deepcopy(current)]),
        ("a JSON string", "not-an-object"),
        ("a JSON number", 42),
        ("null", None),
    )
    return [
        _send(rule_id, f"{where} is {what}", where, _with(body, shape, *path) if path else shape)
        for what, shape in shapes
    ]


def _missing_or_empty(rule_id: str, body: dict[str, Any], *path: str) -> list[InvalidSend]:
    where = ".".join(path)
    return [
        _send(rule_id, f"{where} removed", where, _without(body, *path)),
        _send(rule_id, f"{where} set to the empty string", where, _with(body, "", *path)),
    ]


def _wrong_types(body: dict[str, Any]) -> list[InvalidSend]:
    changes = (
        (("recipient", "to"), 42, "a JSON number (documented: string)"),
        (("recipient", "contactKey"), 42, "a JSON number (documented: string)"),
        (("content", "message"), ["text"], "a JSON array (documented: string)"),
    )  # not subscriptions.resubscribe: whether a single send has subscriptions at all conflicts
    return [
        _send(
            "wrong-type",
            f"{'.'.join(path)} set to {what}",
            ".".join(path),
            _with(body, value, *path),
        )
        for path, value, what in changes
    ]


def _numberless(body: dict[str, Any]) -> list[InvalidSend]:
    """``to`` removed, and set to the empty string, under the harness's own contactKey: a
    numberless recipient with a real subscriber's key could be delivered to the number on file."""
    anonymous = _with(body, NO_SUBSCRIBER, "recipient", "contactKey")
    return [
        replace(variant, description=f"{variant.description} (contactKey {NO_SUBSCRIBER!r})")
        for variant in _missing_or_empty("to-missing", anonymous, "recipient", "to")
    ]


_VARIANTS: dict[str, Callable[[dict[str, Any], str], list[InvalidSend]]] = {
    "malformed-json": lambda body, unknown: _malformed(body),
    "body-not-object": lambda body, unknown: _not_objects("body-not-object", body),
    "unsupported-media-type": lambda body, unknown: _media_types(body),
    "definition-key-missing": lambda body, unknown: _missing_or_empty(
        "definition-key-missing", body, "definitionKey"
    ),
    "definition-key-wrong-type": lambda body, unknown: [
        _send(
            "definition-key-wrong-type",
            f"definitionKey set to {what} (documented: string)",
            "definitionKey",
            _with(body, value, "definitionKey"),
        )
        for what, value in (("a JSON number", 42), ("null", None), ("a JSON object", {"k": "v"}))
    ],
    "definition-key-unknown": lambda body, unknown: [
        _send(
            "definition-key-unknown",
            "definitionKey set to a key naming no definition",
            "definitionKey",
            _with(body, unknown, "definitionKey"),
        )
    ],
    "recipient-missing": lambda body, unknown: [
        _send("recipient-missing", "recipient removed", "recipient", _without(body, "recipient"))
    ],
    "recipient-not-object": lambda body, unknown: _not_objects(
        "recipient-not-object", body, "recipient"
    ),
    "recipient-and-recipients": lambda body, unknown: [
        _send(
            "recipient-and-recipients",
            "a recipients array of 1 added beside recipient",
            "recipients",
            _with(body, [copy.deepcopy(body["recipient"])], "recipients"),
        )
    ],
    "wrong-type": lambda body, unknown: _wrong_types(body),
    "to-missing": lambda body, unknown: _numberless(body),
    "to-invalid": lambda body, unknown: [
        _send(
            "to-invalid",
            f"recipient.to set to {what}",
            "recipient.to",
            _with(body, value, "recipient", "to"),
        )
        for what, value in (("letters", "not-a-number"),)
    ],
    # One named variant each for the rules a conformant target may accept (and reject later):
    # each accepted one is a send of a live run's budget. The generator adds the others.
    "contact-key-missing": lambda body, unknown: _missing_or_empty(
        "contact-key-missing", body, "recipient", "contactKey"
    )[:1],
}


def named_variants(
    rule_id: str, body: dict[str, Any], *, unknown_definition_key: str
) -> list[InvalidSend]:
    """The named variants of ``rule_id`` made from the valid ``body`` (its ``to`` from the
    allow-list), each with an empty messageKey for the caller to fill in; ``[]`` for the
    messageKey rules (:data:`KEY_RULES`)."""
    if rule_id in KEY_RULES:
        return []
    if rule_id not in _VARIANTS:
        raise ValueError(f"no named variants for rule {rule_id!r}")
    return _VARIANTS[rule_id](body, unknown_definition_key)


# --- valid content at the documented segment boundaries ----------------------------------------


@dataclass(frozen=True)
class ContentVariant:
    """A valid send's content override (and personalisation attributes) at a documented
    boundary: what a send carries, and the text a report shows for it."""

    name: str
    description: str
    message: str
    attributes: dict[str, str] | None = None

    def applied_to(self, body: dict[str, Any]) -> dict[str, Any]:
        """``body`` (a valid send) with this content and, if any, these attributes."""
        changed = _with(body, self.message, "content", "message")
        if self.attributes is not None:
            changed = _with(changed, dict(self.attributes), "recipient", "attributes")
        return changed


def _padded(head: str, pad: str, units: int) -> str:
    """``head`` filled up with ``pad`` to exactly ``units`` message units."""
    text = head
    while message_units(text + pad) <= units:
        text += pad
    if message_units(text) != units:  # pragma: no cover - the pads are one unit each
        raise AssertionError(f"cannot pad {head!r} to {units} units")
    return text


UNICODE_ATTRIBUTES: dict[str, str] = {
    "Prénom": "Zoë",
    "名前": "太郎",
    "Emoji": "🙂👍🏽",
    "Ελληνικά": "Ωμέγα",
}
"""recipient.attributes with non-ASCII keys and values (accents, CJK, Greek, astral emoji with a
skin-tone modifier): "key:value personalization", no character restriction documented."""

_GSM7_HEAD = "sms-contract GSM-7 €[]{}~^|\\ "  # the extension characters count 2 septets each
_UCS2_HEAD = "sms-contract UCS-2 消息 🙂 "  # a CJK character forces UCS-2; the emoji counts 2

CONTENT_VARIANTS: tuple[ContentVariant, ...] = (
    ContentVariant(
        "gsm7-one-part",
        "content.message of exactly 160 GSM-7 septets (one part; extension characters count "
        "2) and recipient.attributes with non-ASCII keys and values",
        _padded(_GSM7_HEAD, "a", 160),
        UNICODE_ATTRIBUTES,
    ),
    ContentVariant(
        "ucs2-one-part",
        "content.message of exactly 70 UCS-2 units (one part; an astral emoji counts 2)",
        _padded(_UCS2_HEAD, "ж", 70),
    ),
    ContentVariant(
        "gsm7-two-parts",
        "content.message of 161 GSM-7 septets (two parts of at most 153)",
        _padded(_GSM7_HEAD, "a", 161),
    ),
    ContentVariant(
        "ucs2-two-parts",
        "content.message of 71 UCS-2 units (two parts of at most 67)",
        _padded(_UCS2_HEAD, "ж", 71),
    ),
)
"""The content a send may carry at each documented boundary (help "SMS Limits and
Guidelines": 160 GSM-7 / 70 UCS-2 characters in one message, 153 / 67 per part)."""
