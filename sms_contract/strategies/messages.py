"""content.message strategies: GSM-7 and UCS-2 texts clustered around the segment boundaries.

The encoding rules themselves (tables, units, segments) are :mod:`sms_contract.spec.sms_text`.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Final

from hypothesis import strategies as st
from hypothesis.strategies import SearchStrategy

from sms_contract.spec.sms_text import GSM7_ALL, GSM7_BASIC, GSM7_EXTENSION, utf16_length

__all__ = ["sms_messages"]

_GSM7_LENGTHS: Final = (159, 160, 161, 305, 306, 307, 458, 459, 460)
_UCS2_LENGTHS: Final = (69, 70, 71, 133, 134, 135, 200, 201, 202)
_ENCODINGS: Final = ("gsm7", "ucs2")


def sms_messages(encoding: str | None = None, length: int | None = None) -> SearchStrategy[str]:
    """content.message texts, clustered around the segment boundaries.

    ``"gsm7"``: GSM 03.38 characters only, extension characters mixed in (2 septets each);
    lengths in septets are 159-161, 305-307, 458-460 or any of 1-480. ``"ucs2"``: at least one
    character outside GSM 03.38 (which forces UCS-2), emoji and other astral characters mixed in
    (2 units each); lengths in UTF-16 units are 69-71, 133-135, 200-202 or any of 1-210.
    ``None`` draws either. ``length`` fixes the exact
    :func:`~sms_contract.sms_text.message_units`.
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
        lambda char: char not in GSM7_ALL
    ),
)
_ASTRAL = st.one_of(st.sampled_from("🙂😀👍🎉🚀𝄞𠜎"), st.characters(min_codepoint=0x10000))


@st.composite
def _ucs2_message(draw: st.DrawFn, lengths: SearchStrategy[int]) -> str:
    units = draw(lengths)
    forced = draw(_NON_GSM_BMP if units < 2 else st.one_of(_NON_GSM_BMP, _ASTRAL))
    rest = units - utf16_length(forced)
    astral_count = draw(st.integers(0, min(rest // 2, 8)))
    bmp_count = rest - 2 * astral_count
    bmp_chars = st.characters(max_codepoint=0xFFFF, exclude_categories=["Cs"])
    bmp = draw(st.text(bmp_chars, min_size=bmp_count, max_size=bmp_count))
    astral = draw(st.lists(_ASTRAL, min_size=astral_count, max_size=astral_count))
    return _insert_all(draw, bmp, [*astral, forced])
