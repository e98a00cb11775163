"""The one seam every request crosses: a ``Transport`` turns an ``HttpRequest`` into an
``HttpResponse``. ``HttpTransport`` (:mod:`sms_contract.transports.http`) speaks HTTP through
``requests``; ``WsgiTransport`` (:mod:`sms_contract.transports.wsgi`) calls a WSGI application
in-process. The client never sees which one it has.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol, runtime_checkable

from sms_contract.exchange import HttpRequest, HttpResponse


@dataclass(frozen=True)
class Timeouts:
    """Seconds to wait for a connection, and for the response once connected."""

    connect: float = 5.0
    read: float = 30.0


@runtime_checkable
class Transport(Protocol):
    """Anything that can send an ``HttpRequest`` and return the ``HttpResponse``.

    Raises ``TransportError`` when nothing was sent (connection refused, DNS, TLS, connect
    timeout) and ``ResponseLost`` when the request may have been processed but no response
    arrived (read timeout, connection dropped mid-response).
    """

    def send(self, request: HttpRequest, timeouts: Timeouts) -> HttpResponse: ...

    def close(self) -> None: ...
