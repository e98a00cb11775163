"""SMS text rules: the GSM 03.38 tables, message units and segment counting.

Help "SMS Limits and Guidelines": 160 GSM / 70 UCS-2 characters in one message, 153 / 67 per
part of a multi-part message. Pure: no I/O, no Hypothesis (the boundary-clustered texts are
``sms_contract.strategies.sms_messages``).
"""

from __future__ import annotations

from typing import Final

__all__ = [
    "GSM7_ALL",
    "GSM7_BASIC",
    "GSM7_EXTENSION",
    "is_gsm7",
    "message_units",
    "segment_count",
    "utf16_length",
]

# GSM 03.38 default alphabet without the escape (0x1B), and its extension table (each an escape
# plus one septet: two septets).
GSM7_BASIC: Final = (
    "@£$¥èéùìòÇ\nØø\rÅåΔ_ΦΓΛΩΠΨΣΘΞÆæßÉ !\"#¤%&'()*+,-./0123456789:;<=>?"
    "¡ABCDEFGHIJKLMNOPQRSTUVWXYZÄÖÑÜ§¿abcdefghijklmnopqrstuvwxyzäöñüà"
)
GSM7_EXTENSION: Final = "^{}\\[~]|€\f"
GSM7_ALL: Final = frozenset(GSM7_BASIC + GSM7_EXTENSION)
_GSM7_SINGLE, _GSM7_PART, _UCS2_SINGLE, _UCS2_PART = 160, 153, 70, 67


def is_gsm7(message: str) -> bool:
    """True if every character is in the GSM 03.38 basic or extension table."""
    return all(char in GSM7_ALL for char in message)


def utf16_length(text: str) -> int:
    """The number of UTF-16 code units of ``text`` (an astral character counts 2)."""
    return len(text.encode("utf-16-le", "surrogatepass")) // 2


def message_units(message: str) -> int:
    """Septets for a GSM-7 message (extension characters count 2), else UTF-16 code units."""
    if is_gsm7(message):
        return sum(2 if char in GSM7_EXTENSION else 1 for char in message)
    return utf16_length(message)


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
