"""messageKey strategies: arbitrary keys the docs allow, and one key per character class."""

from __future__ import annotations

import re
from functools import cache
from typing import Final

from hypothesis import strategies as st
from hypothesis.strategies import SearchStrategy

from sms_contract.spec.rules import MESSAGE_KEY_MAX_LENGTH
from sms_contract.spec.sms_text import utf16_length
from sms_contract.strategies.alphabets import PRINTABLE, SCALARS

__all__ = ["checked_keys", "message_key_classes", "message_keys"]

_TOKEN = re.compile(r"[A-Za-z0-9_-]{1,40}")
_KEY_SPECIALS: Final = (
    *"/%?#+ ",
    *("🙂", "%2F", "%25", "%00", "&", "=", ";", "\\", ".", "..", "~", "'", '"', "<", ">", ":"),
    *("@", "é", "中", "👩\u200d💻", "\u00a0", "\u200b", "\ufeff"),
)
_CONTROL_SPECIALS: Final = ("\x00", "\t", "\n", "\r", "\x1b", "\x7f", "\x85")


def _fit_key(key: str) -> str:
    key = key[:MESSAGE_KEY_MAX_LENGTH]
    while utf16_length(key) > MESSAGE_KEY_MAX_LENGTH:
        key = key[:-1]
    return key


@cache  # a strategy is a value: built (and validated when drawn from) once
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
    chars = SCALARS if include_control else PRINTABLE
    specials = _KEY_SPECIALS + (_CONTROL_SPECIALS if include_control else ())
    piece = st.one_of(st.sampled_from(specials), chars)
    mixed = st.lists(piece, min_size=1, max_size=MESSAGE_KEY_MAX_LENGTH).map("".join)
    arbitrary = st.text(chars, min_size=1, max_size=MESSAGE_KEY_MAX_LENGTH)
    return st.one_of(mixed, arbitrary).map(_fit_key).filter(lambda key: key not in {".", ".."})


def message_key_classes(token: str = "") -> dict[str, str]:
    """The messageKeys the echo check always sends, one per class of what "no restricted
    characters" and "up to 100 characters" must allow.

    Classes: ``reserved`` (``/ % ? # +``, a space and a literal ``%2F``), ``dot`` and
    ``dot-dot`` (the whole keys ``.`` and ``..``, dot segments if a server normalises the URL),
    ``edges-non-ascii`` (leading and trailing spaces around Latin-1, CJK and the astral emoji
    U+1F642) and ``max-length`` (exactly 100 code points and 100 UTF-16 units). Five keys, since
    each is an accepted send of a live run's small budget.
    ``token`` (1-40 of ``A-Z a-z 0-9 _ -``) is put into every key that can hold it, so that
    runs against a live tenant do not reuse keys within the 2-day / 72-hour window; ``.`` and
    ``..`` cannot hold it (:data:`FIXED_KEYS`), so they can be sent once per window.
    """
    if not isinstance(token, str) or (token and not _TOKEN.fullmatch(token)):
        raise ValueError("token must be 1-40 characters of A-Z a-z 0-9 _ - (or empty)")
    tail = f"-{token}" if token else ""
    prefix = f"sms-contract-max{tail}-"
    return {
        "reserved": f"a/b%c?d#e+f %2Fg{tail}",
        "dot": ".",
        "dot-dot": "..",
        "edges-non-ascii": f" clé-消息-🙂{tail} ",
        "max-length": prefix + "k" * (MESSAGE_KEY_MAX_LENGTH - len(prefix)),
    }


FIXED_KEYS: Final = frozenset({".", ".."})
"""Echo keys that cannot carry a run's token: the same key in every run."""


def checked_keys(keys: SearchStrategy[str] | None) -> SearchStrategy[str]:
    """``keys``, or :func:`message_keys` when ``None``; ``TypeError`` for anything else."""
    if keys is None:
        return message_keys()
    if not isinstance(keys, SearchStrategy):
        raise TypeError(f"keys must be a SearchStrategy of str or None, not {type(keys).__name__}")
    return keys
