"""What the payload strategies generate: a valid send (:class:`SendCase`) or a send that breaks
one documented rule (:class:`InvalidSend`), and the wire form of a JSON body."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any

from sms_contract.exchange import JSON_MEDIA_TYPE
from sms_contract.spec.rules import Rule

__all__ = ["InvalidSend", "SendCase", "wire"]


@dataclass(frozen=True)
class SendCase:
    """A valid send: the messageKey for the path and the JSON body (``body`` is its wire form,
    UTF-8 without ASCII escaping). The repr omits the body (phone number, attributes)."""

    message_key: str
    json_body: dict[str, Any] = field(repr=False)
    body: bytes = field(repr=False)
    content_type: str = JSON_MEDIA_TYPE


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


def wire(value: Any) -> bytes:
    """``value`` as JSON bytes on the wire: UTF-8, without ASCII escaping."""
    return json.dumps(value, ensure_ascii=False).encode("utf-8")
