"""Recipient strategies: allow-listed phone numbers, contactKeys and personalisation attributes.

Live safety: a number that looks deliverable only ever comes from the caller's allow-list;
this module never generates one.
"""

from __future__ import annotations

import string
from collections.abc import Sequence

from hypothesis import strategies as st
from hypothesis.strategies import SearchStrategy

from sms_contract.spec.rules import looks_deliverable
from sms_contract.strategies.alphabets import PRINTABLE, SCALARS

__all__ = ["attributes", "checked_allow_list", "contact_keys", "phone_numbers"]


def checked_allow_list(allow_list: Sequence[str]) -> tuple[str, ...]:
    """``allow_list`` as a tuple, after checking that every entry looks deliverable."""
    if isinstance(allow_list, str | bytes) or not isinstance(allow_list, Sequence):
        raise TypeError("allow_list must be a sequence of phone-number strings, not one string")
    numbers = tuple(allow_list)
    if not numbers:
        raise ValueError("allow_list is empty: recipient numbers come only from the allow-list")
    for index, number in enumerate(numbers):
        if not isinstance(number, str) or not looks_deliverable(number):
            raise ValueError(f"allow_list[{index}] is not 8-15 digits with an optional leading +")
    return numbers


def phone_numbers(allow_list: Sequence[str]) -> SearchStrategy[str]:
    """Recipient numbers, drawn only from ``allow_list`` (never generated). Every entry must
    look deliverable (:func:`looks_deliverable`). Shrinks towards the first entry."""
    return st.sampled_from(checked_allow_list(allow_list))


def contact_keys() -> SearchStrategy[str]:
    """contactKeys: 1-64 characters, either ASCII subscriber-key style (letters, digits,
    ``- _ . @ +``) or printable Unicode; never empty or whitespace only (that is the rule
    ``contact-key-missing``). The maximum length is not documented; 64 stays well inside any
    plausible limit. Shrinks towards ``"0"``."""
    ascii_keys = st.text(string.ascii_letters + string.digits + "-_.@+", min_size=1, max_size=64)
    unicode_keys = st.text(PRINTABLE, min_size=1, max_size=64)
    return st.one_of(ascii_keys, unicode_keys).filter(lambda key: key.strip() != "")


def attributes() -> SearchStrategy[dict[str, str]]:
    """recipient.attributes: up to 5 personalisation pairs, keys 1-30 printable Unicode
    characters, values 0-100 characters of any Unicode scalar. Shrinks towards ``{}``."""
    keys = st.text(PRINTABLE, min_size=1, max_size=30)
    return st.dictionaries(keys, st.text(SCALARS, max_size=100), max_size=5)
