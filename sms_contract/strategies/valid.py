"""Valid send payloads: every documented shape of a single-recipient send."""

from __future__ import annotations

from collections.abc import Sequence
from functools import cache
from typing import Any

from hypothesis import strategies as st
from hypothesis.strategies import SearchStrategy

from sms_contract.strategies.cases import SendCase, wire
from sms_contract.strategies.keys import checked_keys
from sms_contract.strategies.messages import sms_messages
from sms_contract.strategies.recipients import (
    attributes,
    checked_allow_list,
    contact_keys,
    phone_numbers,
)

__all__ = ["checked_key", "valid_bodies", "valid_send_payloads"]


def checked_key(name: str, value: str) -> str:
    """``value`` if it is a non-empty str; else ``ValueError`` naming the argument ``name``."""
    if not isinstance(value, str) or not value:
        raise ValueError(f"{name} must be a non-empty str")
    return value


@cache  # a strategy is a value: built (and validated when drawn from) once per arguments
def valid_bodies(
    definition_key: str, allow_list: tuple[str, ...]
) -> SearchStrategy[dict[str, Any]]:
    """Valid JSON bodies (as dicts) for ``definition_key`` with ``to`` from ``allow_list``."""
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
    messageKey from ``keys`` (default :func:`~sms_contract.strategies.message_keys`).
    contactKey is always present (the docs conflict; the stricter reading wins). Keys are not
    unique across draws: a caller that sends them must make them unique (pass ``keys``).
    Shrinks by dropping optional members."""
    bodies = valid_bodies(
        checked_key("definition_key", definition_key), checked_allow_list(allow_list)
    )
    return st.builds(lambda key, body: SendCase(key, body, wire(body)), checked_keys(keys), bodies)
