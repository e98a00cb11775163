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
from typing import Any

from sms_contract.exchange import JSON_MEDIA_TYPE
from sms_contract.spec.rules import RULES_BY_ID
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
    "to-missing": lambda body, unknown: _missing_or_empty("to-missing", body, "recipient", "to"),
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
