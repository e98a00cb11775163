"""Hypothesis strategies for ``POST /messaging/v1/sms/messages/{messageKey}``.

Valid payloads cover the whole documented space; invalid payloads each break exactly one rule
of :data:`sms_contract.rules.RULES` and carry it as their label. Pure: no I/O, and no import of
the spec oracle (``sms_contract.spec``): generator and judge are different code.

Live safety: a ``to`` that looks deliverable only ever comes from the caller's allow-list. The
only generated ``to`` values belong to the rules about ``to`` and cannot be a mobile number
(letters, empty, 20 or more digits). Descriptions never contain a phone number or an attribute
value; the ``repr`` of a case omits the body.
"""

from __future__ import annotations

import hashlib
import json
import re
import string
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any, Final

from hypothesis import strategies as st
from hypothesis.strategies import SearchStrategy

from sms_contract.rules import MESSAGE_KEY_MAX_LENGTH, RULES, RULES_BY_ID, Rule

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

# GSM 03.38 default alphabet without the escape (0x1B), and its extension table (each an escape
# plus one septet: two septets). Help "SMS Limits and Guidelines": 160 GSM / 70 UCS-2 characters
# in one message, 153 / 67 per part of a multi-part message.
GSM7_BASIC: Final = (
    "@£$¥èéùìòÇ\nØø\rÅåΔ_ΦΓΛΩΠΨΣΘΞÆæßÉ !\"#¤%&'()*+,-./0123456789:;<=>?"
    "¡ABCDEFGHIJKLMNOPQRSTUVWXYZÄÖÑÜ§¿abcdefghijklmnopqrstuvwxyzäöñüà"
)
GSM7_EXTENSION: Final = "^{}\\[~]|€\f"
_GSM7_ALL: Final = frozenset(GSM7_BASIC + GSM7_EXTENSION)
_GSM7_SINGLE, _GSM7_PART, _UCS2_SINGLE, _UCS2_PART = 160, 153, 70, 67
_GSM7_LENGTHS: Final = (159, 160, 161, 305, 306, 307, 458, 459, 460)
_UCS2_LENGTHS: Final = (69, 70, 71, 133, 134, 135, 200, 201, 202)
_ENCODINGS: Final = ("gsm7", "ucs2")

JSON_CONTENT_TYPE: Final = "application/json"
_DELIVERABLE = re.compile(r"\+?[0-9]{8,15}")
_TOKEN = re.compile(r"[A-Za-z0-9_-]{1,40}")

_SCALARS = st.characters(exclude_categories=["Cs"])  # every Unicode scalar value
_PRINTABLE = st.characters(exclude_categories=["Cs", "Cc"])  # ... except control characters
_KEY_SPECIALS: Final = (
    *"/%?#+ ",
    *("🙂", "%2F", "%25", "%00", "&", "=", ";", "\\", ".", "..", "~", "'", '"', "<", ">", ":"),
    *("@", "é", "中", "👩\u200d💻", "\u00a0", "\u200b", "\ufeff"),
)
_CONTROL_SPECIALS: Final = ("\x00", "\t", "\n", "\r", "\x1b", "\x7f", "\x85")


def looks_deliverable(value: object) -> bool:
    """True if ``value`` could be taken for a mobile number: 8 to 15 ASCII digits, optional
    leading ``+``. A JSON number (``int``, not ``bool``) is judged by its decimal text."""
    if isinstance(value, int) and not isinstance(value, bool):
        value = str(value)
    return isinstance(value, str) and _DELIVERABLE.fullmatch(value) is not None


def is_gsm7(message: str) -> bool:
    """True if every character is in the GSM 03.38 basic or extension table."""
    return all(char in _GSM7_ALL for char in message)


def message_units(message: str) -> int:
    """Septets for a GSM-7 message (extension characters count 2), else UTF-16 code units."""
    if is_gsm7(message):
        return sum(2 if char in GSM7_EXTENSION else 1 for char in message)
    return _utf16_length(message)


def segment_count(message: str) -> int:
    """Number of SMS parts by the documented rules: one part holds 160 GSM-7 septets or 70 UCS-2
    units; a multi-part message holds 153 / 67 per part. Any non-GSM character makes the whole
    message UCS-2. An empty message is one part. Real encoders never split an escape pair or a
    surrogate pair across parts, which can add a part; the documentation does not say so, and
    this function follows the documentation."""
    if not isinstance(message, str):
        raise TypeError(f"message must be a str, not {type(message).__name__}")
    units = message_units(message)
    single, per_part = (
        (_GSM7_SINGLE, _GSM7_PART) if is_gsm7(message) else (_UCS2_SINGLE, _UCS2_PART)
    )
    return 1 if units <= single else -(-units // per_part)


def _utf16_length(text: str) -> int:
    return len(text.encode("utf-16-le", "surrogatepass")) // 2


def _fit_key(key: str) -> str:
    key = key[:MESSAGE_KEY_MAX_LENGTH]
    while _utf16_length(key) > MESSAGE_KEY_MAX_LENGTH:
        key = key[:-1]
    return key


def message_keys(include_control: bool = False) -> SearchStrategy[str]:
    """messageKeys the docs allow: 1 to 100 characters, "no restricted characters".

    Half the keys mix deliberate specials into arbitrary characters (``/ % ? # +``, space,
    ``%2F`` and ``%25`` to catch double decoding, ``.`` and ``..`` to catch dot-segment removal,
    emoji, zero-width and non-breaking spaces); half are arbitrary text from all of Unicode.
    Never a surrogate: a key must be sendable in a URL path as UTF-8. Keys are capped at 100
    UTF-16 code units as well as 100 code points, because the docs do not say what a
    "character" is. Control characters (NUL, tab, newline, DEL, ...) are allowed by the docs but
    often refused by HTTP stacks, so they appear only with ``include_control=True``. The whole
    keys ``.`` and ``..`` are never drawn: as a path segment they are dot segments, removed by
    URL normalisation even when sent as ``%2E`` (RFC 3986 sections 5.2.4 and 6.2.2.2).
    Shrinks towards the one-character key ``"0"``.
    """
    if not isinstance(include_control, bool):
        raise TypeError(f"include_control must be a bool, not {type(include_control).__name__}")
    chars = _SCALARS if include_control else _PRINTABLE
    specials = _KEY_SPECIALS + (_CONTROL_SPECIALS if include_control else ())
    piece = st.one_of(st.sampled_from(specials), chars)
    mixed = st.lists(piece, min_size=1, max_size=MESSAGE_KEY_MAX_LENGTH).map("".join)
    arbitrary = st.text(chars, min_size=1, max_size=MESSAGE_KEY_MAX_LENGTH)
    return st.one_of(mixed, arbitrary).map(_fit_key).filter(lambda key: key not in {".", ".."})


def message_key_classes(token: str = "") -> dict[str, str]:
    """One representative messageKey per character class, for the echo check.

    Classes: ``ascii``, ``reserved`` (``/ % ? # +`` and a literal ``%2F``), ``space``,
    ``latin-1``, ``cjk``, ``emoji``, ``max-length`` (exactly 100 code points and 100 UTF-16 units)
    and ``one-char``. ``token`` (1-40 of ``A-Z a-z 0-9 _ -``) is appended to every key so runs
    against a live tenant do not reuse keys within the 2-day / 72-hour window; the one-char key
    cannot hold it and becomes one CJK ideograph chosen by the token's SHA-256 (20,992 choices).
    """
    if not isinstance(token, str) or (token and not _TOKEN.fullmatch(token)):
        raise ValueError("token must be 1-40 characters of A-Z a-z 0-9 _ - (or empty)")
    tail = f"-{token}" if token else ""
    prefix = f"sms-contract-max{tail}-"
    one_char = "k"
    if token:
        one_char = chr(0x4E00 + int(hashlib.sha256(token.encode()).hexdigest(), 16) % 20992)
    return {
        "ascii": f"sms-contract-ascii{tail}",
        "reserved": f"a/b%c?d#e+f%2Fg{tail}",
        "space": f"key with spaces{tail}",
        "latin-1": f"clé-ñ-ü{tail}",
        "cjk": f"消息键{tail}",
        "emoji": f"key-🙂{tail}",
        "max-length": prefix + "k" * (MESSAGE_KEY_MAX_LENGTH - len(prefix)),
        "one-char": one_char,
    }


def contact_keys() -> SearchStrategy[str]:
    """contactKeys: 1-64 characters, either ASCII subscriber-key style (letters, digits,
    ``- _ . @ +``) or printable Unicode; never empty or whitespace only (that is the rule
    ``contact-key-missing``). The maximum length is not documented; 64 stays well inside any
    plausible limit. Shrinks towards ``"0"``."""
    ascii_keys = st.text(string.ascii_letters + string.digits + "-_.@+", min_size=1, max_size=64)
    unicode_keys = st.text(_PRINTABLE, min_size=1, max_size=64)
    return st.one_of(ascii_keys, unicode_keys).filter(lambda key: key.strip() != "")


def attributes() -> SearchStrategy[dict[str, str]]:
    """recipient.attributes: up to 5 personalisation pairs, keys 1-30 printable Unicode
    characters, values 0-100 characters of any Unicode scalar. Shrinks towards ``{}``."""
    keys = st.text(_PRINTABLE, min_size=1, max_size=30)
    return st.dictionaries(keys, st.text(_SCALARS, max_size=100), max_size=5)


def phone_numbers(allow_list: Sequence[str]) -> SearchStrategy[str]:
    """Recipient numbers, drawn only from ``allow_list`` (never generated). Every entry must
    look deliverable (:func:`looks_deliverable`). Shrinks towards the first entry."""
    return st.sampled_from(_checked_allow_list(allow_list))


def sms_messages(encoding: str | None = None, length: int | None = None) -> SearchStrategy[str]:
    """content.message texts, clustered around the segment boundaries.

    ``"gsm7"``: GSM 03.38 characters only, extension characters mixed in (2 septets each);
    lengths in septets are 159-161, 305-307, 458-460 or any of 1-480. ``"ucs2"``: at least one
    character outside GSM 03.38 (which forces UCS-2), emoji and other astral characters mixed in
    (2 units each); lengths in UTF-16 units are 69-71, 133-135, 200-202 or any of 1-210.
    ``None`` draws either. ``length`` fixes the exact :func:`message_units`.
    Shrinks towards ``"0"`` repeated to the first boundary (GSM-7) or one character (UCS-2).
    """
    if encoding is not None and encoding not in _ENCODINGS:
        raise ValueError(
            f"encoding must be one of {', '.join(_ENCODINGS)} or None, not {encoding!r}"
        )
    if length is not None and (
        isinstance(length, bool) or not isinstance(length, int) or length < 1
    ):
        raise ValueError(f"length must be a positive int or None, not {length!r}")
    gsm7 = _gsm7_message(_lengths(_GSM7_LENGTHS, 480) if length is None else st.just(length))
    ucs2 = _ucs2_message(_lengths(_UCS2_LENGTHS, 210) if length is None else st.just(length))
    return {"gsm7": gsm7, "ucs2": ucs2, None: st.one_of(gsm7, ucs2)}[encoding]


def _lengths(boundaries: tuple[int, ...], maximum: int) -> SearchStrategy[int]:
    return st.one_of(st.sampled_from(boundaries), st.integers(1, maximum))


def _insert_all(draw: st.DrawFn, text: str, extras: Sequence[str]) -> str:
    chars = list(text)
    for extra in extras:
        chars.insert(draw(st.integers(0, len(chars))), extra)
    return "".join(chars)


@st.composite
def _gsm7_message(draw: st.DrawFn, lengths: SearchStrategy[int]) -> str:
    septets = draw(lengths)
    extension_count = draw(st.integers(0, min(septets // 2, 8)))
    basic_count = septets - 2 * extension_count
    basic = draw(st.text(GSM7_BASIC, min_size=basic_count, max_size=basic_count))
    extension = draw(
        st.lists(
            st.sampled_from(GSM7_EXTENSION), min_size=extension_count, max_size=extension_count
        )
    )
    return _insert_all(draw, basic, extension)


_NON_GSM_BMP = st.one_of(
    st.sampled_from("çĆЖ中あ한ا’“”…–•™"),
    st.characters(min_codepoint=0x100, max_codepoint=0xFFFF, exclude_categories=["Cs"]).filter(
        lambda char: char not in _GSM7_ALL
    ),
)
_ASTRAL = st.one_of(st.sampled_from("🙂😀👍🎉🚀𝄞𠜎"), st.characters(min_codepoint=0x10000))


@st.composite
def _ucs2_message(draw: st.DrawFn, lengths: SearchStrategy[int]) -> str:
    units = draw(lengths)
    forced = draw(_NON_GSM_BMP if units < 2 else st.one_of(_NON_GSM_BMP, _ASTRAL))
    rest = units - _utf16_length(forced)
    astral_count = draw(st.integers(0, min(rest // 2, 8)))
    bmp_count = rest - 2 * astral_count
    bmp_chars = st.characters(max_codepoint=0xFFFF, exclude_categories=["Cs"])
    bmp = draw(st.text(bmp_chars, min_size=bmp_count, max_size=bmp_count))
    astral = draw(st.lists(_ASTRAL, min_size=astral_count, max_size=astral_count))
    return _insert_all(draw, bmp, [*astral, forced])


@dataclass(frozen=True)
class SendCase:
    """A valid send: the messageKey for the path and the JSON body (``body`` is its wire form,
    UTF-8 without ASCII escaping). The repr omits the body (phone number, attributes)."""

    message_key: str
    json_body: dict[str, Any] = field(repr=False)
    body: bytes = field(repr=False)
    content_type: str = JSON_CONTENT_TYPE


@dataclass(frozen=True)
class InvalidSend:
    """A send that breaks exactly ``rule`` (whose ``quote`` and ``source`` give the documentation
    sentence). ``body`` is the wire bytes; ``json_body`` is their parsed value, ``None`` when
    the bytes are not JSON (see :attr:`is_json`). ``field_path`` is ``body``,
    ``header:Content-Type``, ``path:messageKey`` or a dotted JSON path such as ``recipient.to``.
    ``description`` says what was changed, never with a phone number or attribute value.
    ``requires_prior_send``: send the same case once before; the second send is the test."""

    rule: Rule
    message_key: str
    description: str
    field_path: str
    content_type: str
    body: bytes = field(repr=False)
    json_body: Any = field(repr=False)
    requires_prior_send: bool = False

    @property
    def is_json(self) -> bool:
        """True if ``body`` is valid UTF-8 JSON (``json_body`` then holds its value)."""
        try:
            json.loads(self.body.decode("utf-8"))
        except ValueError:  # UnicodeDecodeError and JSONDecodeError are both ValueErrors
            return False
        return True


def _wire(value: Any) -> bytes:
    return json.dumps(value, ensure_ascii=False).encode("utf-8")


def _checked_allow_list(allow_list: Sequence[str]) -> tuple[str, ...]:
    if isinstance(allow_list, str | bytes) or not isinstance(allow_list, Sequence):
        raise TypeError("allow_list must be a sequence of phone-number strings, not one string")
    numbers = tuple(allow_list)
    if not numbers:
        raise ValueError("allow_list is empty: recipient numbers come only from the allow-list")
    for index, number in enumerate(numbers):
        if not isinstance(number, str) or not looks_deliverable(number):
            raise ValueError(f"allow_list[{index}] is not 8-15 digits with an optional leading +")
    return numbers


def _checked_key(name: str, value: str) -> str:
    if not isinstance(value, str) or not value:
        raise ValueError(f"{name} must be a non-empty str")
    return value


def _checked_keys(keys: SearchStrategy[str] | None) -> SearchStrategy[str]:
    if keys is None:
        return message_keys()
    if not isinstance(keys, SearchStrategy):
        raise TypeError(f"keys must be a SearchStrategy of str or None, not {type(keys).__name__}")
    return keys


def _valid_bodies(
    definition_key: str, allow_list: tuple[str, ...]
) -> SearchStrategy[dict[str, Any]]:
    recipient = st.fixed_dictionaries(
        {"contactKey": contact_keys(), "to": phone_numbers(allow_list)},
        optional={"attributes": attributes()},
    )
    return st.fixed_dictionaries(
        {"definitionKey": st.just(definition_key), "recipient": recipient},
        optional={
            "content": st.fixed_dictionaries({"message": sms_messages()}),
            "subscriptions": st.fixed_dictionaries({"resubscribe": st.booleans()}),
        },
    )


def valid_send_payloads(
    definition_key: str, allow_list: Sequence[str], *, keys: SearchStrategy[str] | None = None
) -> SearchStrategy[SendCase]:
    """Valid single-recipient sends: ``{definitionKey, recipient{contactKey, to, attributes?},
    content?{message}, subscriptions?{resubscribe}}`` with ``to`` from ``allow_list`` and the
    messageKey from ``keys`` (default :func:`message_keys`). contactKey is always present (the
    docs conflict; the stricter reading wins). Keys are not unique across draws: a caller that
    sends them must make them unique (pass ``keys``). Shrinks by dropping optional members."""
    bodies = _valid_bodies(
        _checked_key("definition_key", definition_key), _checked_allow_list(allow_list)
    )
    return st.builds(
        lambda key, body: SendCase(key, body, _wire(body)), _checked_keys(keys), bodies
    )


# ---- invalid payloads: one generator per rule ---------------------------------------------


@dataclass(frozen=True)
class _Context:
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
    content_type = extra.pop("content_type", JSON_CONTENT_TYPE)
    return InvalidSend(
        RULES_BY_ID[rule_id], key, description, path, content_type, _wire(value), value, **extra
    )


def _parent(body: dict[str, Any], path: tuple[str, ...]) -> dict[str, Any]:
    parent = body
    for name in path[:-1]:
        parent = parent.setdefault(name, {})
    return parent


@st.composite
def _missing(
    draw: st.DrawFn, ctx: _Context, rule_id: str, path: tuple[str, ...], allow_empty: bool
) -> InvalidSend:
    key, body = draw(ctx.keys), draw(ctx.bodies)
    dotted, parent = ".".join(path), _parent(body, path)
    if allow_empty and not draw(st.booleans()):
        parent[path[-1]] = ""
        return _invalid(rule_id, key, body, f"{dotted} set to the empty string", dotted)
    del parent[path[-1]]
    return _invalid(rule_id, key, body, f"{dotted} removed", dotted)


@st.composite
def _replaced(
    draw: st.DrawFn,
    ctx: _Context,
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
def _wrong_type(draw: st.DrawFn, ctx: _Context) -> InvalidSend:
    path, expected = draw(st.sampled_from(_TYPED_FIELDS))
    values = _TO_WRONG_TYPES if path == ("recipient", "to") else _wrong_types(expected)
    return draw(_replaced(ctx, "wrong-type", path, values, "", f" (documented: {expected})"))


@st.composite
def _malformed_json(draw: st.DrawFn, ctx: _Context) -> InvalidSend:
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
        cut = draw(st.integers(1, len(whole) - 1))
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
        JSON_CONTENT_TYPE,
        text.encode(),
        None,
    )


@st.composite
def _body_not_object(draw: st.DrawFn, ctx: _Context) -> InvalidSend:
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
def _unsupported_media_type(draw: st.DrawFn, ctx: _Context) -> InvalidSend:
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
def _recipient_and_recipients(draw: st.DrawFn, ctx: _Context) -> InvalidSend:
    key, body = draw(ctx.keys), draw(ctx.bodies)
    item = st.fixed_dictionaries(
        {"contactKey": contact_keys(), "to": phone_numbers(ctx.allow_list)},
        optional={"messageKey": ctx.keys},
    )
    body["recipients"] = draw(st.lists(item, min_size=1, max_size=2))
    description = f"a recipients array of {len(body['recipients'])} added beside recipient"
    return _invalid("recipient-and-recipients", key, body, description, "recipients")


@st.composite
def _message_key_too_long(draw: st.DrawFn, ctx: _Context) -> InvalidSend:
    size = draw(
        st.one_of(st.just(MESSAGE_KEY_MAX_LENGTH + 1), st.integers(MESSAGE_KEY_MAX_LENGTH + 1, 300))
    )
    key = draw(st.text(_PRINTABLE, min_size=size, max_size=size))
    description = f"messageKey of {size} characters (documented limit {MESSAGE_KEY_MAX_LENGTH})"
    return _invalid("message-key-too-long", key, draw(ctx.bodies), description, "path:messageKey")


@st.composite
def _message_key_reused(draw: st.DrawFn, ctx: _Context) -> InvalidSend:
    key, body = draw(ctx.keys), draw(ctx.bodies)
    description = "a valid send whose messageKey is sent a second time"
    return _invalid(
        "message-key-reused", key, body, description, "path:messageKey", requires_prior_send=True
    )


_Generator = Callable[[_Context], SearchStrategy[InvalidSend]]
_GENERATORS: Final[dict[str, _Generator]] = {
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
    "to-missing": lambda c: _missing(c, "to-missing", ("recipient", "to"), allow_empty=True),
    "to-invalid": lambda c: _replaced(
        c, "to-invalid", ("recipient", "to"), _NOT_A_NUMBER, "a value that is not a mobile number"
    ),
    "contact-key-missing": lambda c: _missing(
        c, "contact-key-missing", ("recipient", "contactKey"), allow_empty=True
    ),
    "message-key-too-long": _message_key_too_long,
    "message-key-reused": _message_key_reused,
}


def _selected_rules(rules: Sequence[Rule | str] | None) -> tuple[Rule, ...]:
    if rules is None:
        selected = RULES
    elif isinstance(rules, str) or not rules:
        raise ValueError("rules must be None or a non-empty sequence of rules or rule ids")
    else:
        wanted = [item.id if isinstance(item, Rule) else item for item in rules]
        unknown = [rule_id for rule_id in wanted if rule_id not in RULES_BY_ID]
        if unknown:
            raise ValueError(f"unknown rule ids {unknown}; known: {', '.join(sorted(RULES_BY_ID))}")
        selected = tuple(RULES_BY_ID[rule_id] for rule_id in dict.fromkeys(wanted))
    missing = [rule.id for rule in selected if rule.id not in _GENERATORS]
    if missing:
        raise ValueError(f"no generator for rules {missing}")
    return selected


def invalid_send_payloads(
    definition_key: str,
    allow_list: Sequence[str],
    unknown_definition_key: str = "sms-contract-unknown-definition",
    rules: Sequence[Rule | str] | None = None,
    *,
    keys: SearchStrategy[str] | None = None,
) -> SearchStrategy[InvalidSend]:
    """Sends that break exactly one documented rule each, labelled with it.

    One generator per rule of ``rules`` (default: all of :data:`~sms_contract.rules.RULES`), each
    starting from a valid body and changing one thing: bytes that are not JSON (truncated,
    unbalanced, trailing or missing comma, empty); a body that is an array, string, number,
    boolean or null; another Content-Type; definitionKey absent, empty, of another type or
    ``unknown_definition_key``; recipient absent, not an object, or beside ``recipients``; a
    documented field of the wrong JSON type; ``to`` absent, empty or not a number; contactKey
    absent or empty; a messageKey of 101-300 characters; a valid send marked for reuse.
    ``to`` comes from ``allow_list`` except in the rules about ``to``, where it cannot be a
    deliverable number. Shrinks towards the minimal valid body with its simplest mutation.
    """
    definition_key = _checked_key("definition_key", definition_key)
    unknown = _checked_key("unknown_definition_key", unknown_definition_key)
    if unknown == definition_key:
        raise ValueError("unknown_definition_key must differ from definition_key")
    numbers = _checked_allow_list(allow_list)
    selected = _selected_rules(rules)
    ctx = _Context(_checked_keys(keys), _valid_bodies(definition_key, numbers), numbers, unknown)
    return st.one_of([_GENERATORS[rule.id](ctx) for rule in selected])
