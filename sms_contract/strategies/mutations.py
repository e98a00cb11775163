"""One invalid-send generator per documented rule: each draws a valid body and breaks one thing.

:data:`GENERATORS` maps a rule id of :data:`sms_contract.rules.RULES` to its generator, which
takes a :class:`MutationContext` (what a valid send is made of). Live safety: the only ``to``
values drawn here that are not from the allow-list belong to the rules about ``to`` and cannot
be a mobile number (letters, empty, 20 or more digits, wrong JSON types).
"""

from __future__ import annotations

import json
import string
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Final

from hypothesis import strategies as st
from hypothesis.strategies import SearchStrategy

from sms_contract.exchange import JSON_MEDIA_TYPE
from sms_contract.spec.rules import MESSAGE_KEY_MAX_LENGTH, NO_SUBSCRIBER, RULES_BY_ID
from sms_contract.strategies.alphabets import PRINTABLE
from sms_contract.strategies.cases import InvalidSend, wire
from sms_contract.strategies.recipients import contact_keys, phone_numbers

__all__ = ["GENERATORS", "Generator", "MutationContext"]


@dataclass(frozen=True)
class MutationContext:
    """What the generators start from: valid messageKeys and bodies, the allow-list, and a
    definitionKey that names no definition."""

    keys: SearchStrategy[str]
    bodies: SearchStrategy[dict[str, Any]]
    allow_list: tuple[str, ...]
    unknown_definition_key: str


def _either(*strategies: SearchStrategy[Any]) -> SearchStrategy[Any]:
    """One of ``strategies``, each picked equally often (``one_of`` flattens nested unions)."""
    return st.sampled_from(strategies).flatmap(lambda chosen: chosen)


_WRAP: Final = object()  # stands for "the original value inside a one-item array"
_NOT_A_NUMBER = _either(
    st.sampled_from(("not-a-number", "1" * 40, "+", "N/A", "null", "телефон", "電話")),
    st.builds(
        str.__add__,
        st.sampled_from(string.ascii_letters),
        st.text(string.ascii_letters + "-_ .", max_size=19),
    ),
    st.text(string.digits, min_size=20, max_size=40),
)
_TO_WRONG_TYPES = _either(
    st.integers(0, 99),
    st.integers(10**20, 10**30),
    st.sampled_from((0.5, -1.5)),
    st.booleans(),
    st.none(),
    st.sampled_from(("{}", "[]", '["not-a-number"]', '{"number": "not-a-number"}')).map(json.loads),
)
_BY_TYPE: Final[dict[str, SearchStrategy[Any]]] = {
    "string": st.text(max_size=10),
    "number": st.one_of(st.integers(-1000, 1000), st.just(0.5)),
    "boolean": st.booleans(),
    "null": st.none(),
    "object": st.dictionaries(st.text(max_size=5), st.text(max_size=5), max_size=2),
    "array": st.lists(st.text(max_size=5), max_size=2),
}
_TYPED_FIELDS: Final = (
    (("recipient", "to"), "string"),
    (("recipient", "contactKey"), "string"),
    (("recipient", "attributes"), "object"),
    (("content",), "object"),
    (("content", "message"), "string"),
    (("subscriptions",), "object"),
    (("subscriptions", "resubscribe"), "boolean"),
)
_OTHER_MEDIA_TYPES: Final = (
    "text/plain",
    "text/plain; charset=utf-8",
    "application/x-www-form-urlencoded",
    "application/xml",
    "application/octet-stream",
)


def _wrong_types(expected: str) -> SearchStrategy[Any]:
    return _either(*(values for name, values in _BY_TYPE.items() if name != expected))


def _json_type(value: Any) -> str:
    if isinstance(value, bool):
        return "boolean"
    names = {str: "string", int: "number", float: "number", dict: "object", list: "array"}
    return "null" if value is None else names[type(value)]


def _invalid(
    rule_id: str, key: str, value: Any, description: str, path: str, **extra: Any
) -> InvalidSend:
    content_type = extra.pop("content_type", JSON_MEDIA_TYPE)
    return InvalidSend(
        RULES_BY_ID[rule_id], key, description, path, content_type, wire(value), value, **extra
    )


def _parent(body: dict[str, Any], path: tuple[str, ...]) -> dict[str, Any]:
    parent = body
    for name in path[:-1]:
        parent = parent.setdefault(name, {})
    return parent


@st.composite
def _missing(
    draw: st.DrawFn, ctx: MutationContext, rule_id: str, path: tuple[str, ...], allow_empty: bool
) -> InvalidSend:
    key, body = draw(ctx.keys), draw(ctx.bodies)
    dotted, parent = ".".join(path), _parent(body, path)
    if allow_empty and not draw(st.booleans()):
        parent[path[-1]] = ""
        return _invalid(rule_id, key, body, f"{dotted} set to the empty string", dotted)
    del parent[path[-1]]
    return _invalid(rule_id, key, body, f"{dotted} removed", dotted)


@st.composite
def _numberless(draw: st.DrawFn, ctx: MutationContext) -> InvalidSend:
    """``to`` removed or empty under the harness's own contactKey: a numberless recipient under
    a real subscriber's key could be delivered to the number on file."""
    case = draw(_missing(ctx, "to-missing", ("recipient", "to"), allow_empty=True))
    body = case.json_body
    body["recipient"]["contactKey"] = NO_SUBSCRIBER
    description = f"{case.description} (contactKey {NO_SUBSCRIBER!r})"
    return _invalid("to-missing", case.message_key, body, description, case.field_path)


@st.composite
def _replaced(
    draw: st.DrawFn,
    ctx: MutationContext,
    rule_id: str,
    path: tuple[str, ...],
    values: SearchStrategy[Any],
    what: str,
    note: str = "",
) -> InvalidSend:
    key, body, value = draw(ctx.keys), draw(ctx.bodies), draw(values)
    dotted, parent = ".".join(path), _parent(body, path)
    parent[path[-1]] = [parent[path[-1]]] if value is _WRAP else value
    described = what or f"a JSON {_json_type(parent[path[-1]])}"
    return _invalid(rule_id, key, body, f"{dotted} set to {described}{note}", dotted)


@st.composite
def _wrong_type(draw: st.DrawFn, ctx: MutationContext) -> InvalidSend:
    path, expected = draw(st.sampled_from(_TYPED_FIELDS))
    values = _TO_WRONG_TYPES if path == ("recipient", "to") else _wrong_types(expected)
    return draw(_replaced(ctx, "wrong-type", path, values, "", f" (documented: {expected})"))


def _cuts(whole: str, body: dict[str, Any]) -> list[int]:
    """Where ``whole`` (``body`` as JSON) may be cut: anywhere but inside the definitionKey or
    the recipient's number. Those are the run's own (a replay or drift against another tenant
    writes its own there, whole), and part of a number is no number a scrubber knows."""
    recipient = body.get("recipient")
    own = [body.get("definitionKey"), recipient.get("to") if isinstance(recipient, dict) else None]
    inside: set[int] = set()
    for value in own:
        if not isinstance(value, str):
            continue
        quoted = json.dumps(value, ensure_ascii=False)
        start = whole.find(quoted)
        while start != -1:
            inside.update(range(start + 1, start + len(quoted)))
            start = whole.find(quoted, start + 1)
    return [cut for cut in range(1, len(whole)) if cut not in inside]


@st.composite
def _malformed_json(draw: st.DrawFn, ctx: MutationContext) -> InvalidSend:
    key, body = draw(ctx.keys), draw(ctx.bodies)
    members = [
        f"{json.dumps(name, ensure_ascii=False)}: {json.dumps(value, ensure_ascii=False)}"
        for name, value in body.items()
    ]
    whole = "{" + ", ".join(members) + "}"
    kind = draw(
        st.sampled_from(
            ("truncated", "extra-brace", "bracket", "trailing-comma", "missing-comma", "empty")
        )
    )
    if kind == "truncated":
        cuts = _cuts(whole, body)
        cut = cuts[draw(st.integers(0, len(cuts) - 1))]
        text, description = whole[:cut], f"body truncated after {cut} of {len(whole)} characters"
    elif kind == "extra-brace":
        text, description = whole + "}", "an unbalanced '}' appended to the body"
    elif kind == "bracket":
        text, description = whole[:-1] + "]", "the closing '}' of the body replaced by ']'"
    elif kind == "trailing-comma":
        text, description = whole[:-1] + ",}", "a trailing comma before the closing '}'"
    elif kind == "missing-comma":
        gap = draw(st.integers(1, len(members) - 1))
        text = "{" + ", ".join(members[:gap]) + " " + ", ".join(members[gap:]) + "}"
        description = f"the comma before top-level member {gap + 1} removed"
    else:
        text, description = "", "an empty body"
    return InvalidSend(
        RULES_BY_ID["malformed-json"],
        key,
        description,
        "body",
        JSON_MEDIA_TYPE,
        text.encode(),
        None,
    )


@st.composite
def _body_not_object(draw: st.DrawFn, ctx: MutationContext) -> InvalidSend:
    key, body = draw(ctx.keys), draw(ctx.bodies)
    others = _either(
        st.just(_WRAP),
        _BY_TYPE["array"],
        _NOT_A_NUMBER,
        _BY_TYPE["number"],
        st.none(),
        st.booleans(),
    )
    value = draw(others)
    if value is _WRAP:
        return _invalid(
            "body-not-object",
            key,
            [body],
            "body is a JSON array: the valid object wrapped in a one-item array",
            "body",
        )
    return _invalid("body-not-object", key, value, f"body is a JSON {_json_type(value)}", "body")


@st.composite
def _unsupported_media_type(draw: st.DrawFn, ctx: MutationContext) -> InvalidSend:
    key, body, media_type = (
        draw(ctx.keys),
        draw(ctx.bodies),
        draw(st.sampled_from(_OTHER_MEDIA_TYPES)),
    )
    description = f"Content-Type {media_type} with a valid JSON body"
    return _invalid(
        "unsupported-media-type",
        key,
        body,
        description,
        "header:Content-Type",
        content_type=media_type,
    )


@st.composite
def _recipient_and_recipients(draw: st.DrawFn, ctx: MutationContext) -> InvalidSend:
    key, body = draw(ctx.keys), draw(ctx.bodies)
    item = st.fixed_dictionaries(
        {"contactKey": contact_keys(), "to": phone_numbers(ctx.allow_list)},
        optional={"messageKey": ctx.keys},
    )
    body["recipients"] = draw(st.lists(item, min_size=1, max_size=2))
    description = f"a recipients array of {len(body['recipients'])} added beside recipient"
    return _invalid("recipient-and-recipients", key, body, description, "recipients")


@st.composite
def _message_key_too_long(draw: st.DrawFn, ctx: MutationContext) -> InvalidSend:
    size = draw(
        st.one_of(st.just(MESSAGE_KEY_MAX_LENGTH + 1), st.integers(MESSAGE_KEY_MAX_LENGTH + 1, 300))
    )
    key = draw(st.text(PRINTABLE, min_size=size, max_size=size))
    description = f"messageKey of {size} characters (documented limit {MESSAGE_KEY_MAX_LENGTH})"
    return _invalid("message-key-too-long", key, draw(ctx.bodies), description, "path:messageKey")


@st.composite
def _message_key_reused(draw: st.DrawFn, ctx: MutationContext) -> InvalidSend:
    key, body = draw(ctx.keys), draw(ctx.bodies)
    description = "a valid send whose messageKey is sent a second time"
    return _invalid(
        "message-key-reused", key, body, description, "path:messageKey", requires_prior_send=True
    )


Generator = Callable[[MutationContext], SearchStrategy[InvalidSend]]
GENERATORS: Final[dict[str, Generator]] = {
    "malformed-json": _malformed_json,
    "body-not-object": _body_not_object,
    "unsupported-media-type": _unsupported_media_type,
    "definition-key-missing": lambda c: _missing(
        c, "definition-key-missing", ("definitionKey",), allow_empty=True
    ),
    "definition-key-wrong-type": lambda c: _replaced(
        c, "definition-key-wrong-type", ("definitionKey",), _wrong_types("string"), ""
    ),
    "definition-key-unknown": lambda c: _replaced(
        c,
        "definition-key-unknown",
        ("definitionKey",),
        st.just(c.unknown_definition_key),
        "a key naming no definition",
    ),
    "recipient-missing": lambda c: _missing(
        c, "recipient-missing", ("recipient",), allow_empty=False
    ),
    "recipient-not-object": lambda c: _replaced(
        c,
        "recipient-not-object",
        ("recipient",),
        _either(st.just(_WRAP), _NOT_A_NUMBER, st.integers(0, 99), st.none(), st.booleans()),
        "",
    ),
    "recipient-and-recipients": _recipient_and_recipients,
    "wrong-type": _wrong_type,
    "to-missing": lambda c: _numberless(c),
    "to-invalid": lambda c: _replaced(
        c, "to-invalid", ("recipient", "to"), _NOT_A_NUMBER, "a value that is not a mobile number"
    ),
    "contact-key-missing": lambda c: _missing(
        c, "contact-key-missing", ("recipient", "contactKey"), allow_empty=True
    ),
    "message-key-too-long": _message_key_too_long,
    "message-key-reused": _message_key_reused,
}
