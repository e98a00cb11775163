"""The simulator in-process, behind ``requests``, through the ``responses`` library.

``simulate(simulator)`` patches ``requests`` (as ``responses`` does) so that every request to
the simulator's two base URLs is answered by the WSGI app, whatever its method (``QUERY`` and
``TRACE`` too). Every other host is refused by the **hermetic guard**: an
``UnsafeTargetError`` saying ``mock target is hermetic: <origin> is not a host of the mock``,
raised before anything is sent. The mock with recordings (:mod:`sms_contract.recordings.replay`)
uses the same guard, so a refusal reads and exits the same with or without ``--cassette-dir``.

A response dropped by a fault is raised as the ``ConnectionError`` a real dropped connection
gives (``ProtocolError`` from ``RemoteDisconnected``), which ``HttpTransport`` maps to
``ResponseLost``. The default base URLs use the reserved ``.invalid`` top-level domain, so they
can never resolve, even if the patch were not in place.

``responses`` dispatches on the exact method and URL, and its default registry *consumes* the
first of two registrations that both match a request; so each set of hosts is one entry that
answers every method and path (``add_hosts``), and the guard is one more entry for every other
host (``add_hermetic_guard``), added last.
"""

from __future__ import annotations

import http.client
import re
from collections.abc import Callable, Iterable, Iterator, Mapping
from contextlib import contextmanager
from typing import Any
from urllib.parse import urlsplit

import requests
import responses
import urllib3.exceptions

from sms_contract.errors import ResponseLost, UnsafeTargetError, UsageError
from sms_contract.exchange import HttpRequest
from sms_contract.simulator.app import Simulator
from sms_contract.transports.base import Timeouts
from sms_contract.transports.wsgi import WsgiTransport

DEFAULT_REST_BASE_URL = "https://sim.rest.sms-contract.invalid"
DEFAULT_AUTH_BASE_URL = "https://sim.auth.sms-contract.invalid"
_DEFAULT_PORTS = {"http": 80, "https": 443}

Reply = tuple[int, Mapping[str, str], bytes | str]
"""What a ``responses`` callback returns: status, headers, body."""

Answer = Callable[[requests.PreparedRequest], Reply]
"""A ``responses`` callback: answers one request."""


def origin(url: str) -> str:
    """``scheme://host[:port]`` of a URL, lower-cased, with the default port left out."""
    parts = urlsplit(url)
    if parts.scheme not in _DEFAULT_PORTS or not parts.hostname:
        raise UsageError("a mock base URL must be an absolute http(s) URL with a host")
    try:
        port = parts.port
    except ValueError:
        port = None
    shown = f":{port}" if port is not None and port != _DEFAULT_PORTS[parts.scheme] else ""
    return f"{parts.scheme}://{parts.hostname.lower()}{shown}"


def to_http_request(prepared: requests.PreparedRequest) -> HttpRequest:
    """The ``requests`` request as our own ``HttpRequest`` value."""
    return HttpRequest(
        method=(prepared.method or "GET").upper(),
        url=prepared.url or "",
        headers=dict(prepared.headers),
        body=_body_bytes(prepared.body),
    )


class _Hosts(responses.CallbackResponse):
    """A ``responses`` entry for every method and path on a set of origins (or, with
    ``inverted``, on every origin but those)."""

    def __init__(
        self, origins: Iterable[str], callback: Callable[[Any], Any], *, inverted: bool = False
    ) -> None:
        super().__init__("ANY", re.compile(".*"), callback, content_type=None)
        self.origins = frozenset(origins)
        self.inverted = inverted

    def matches(self, request: requests.PreparedRequest) -> tuple[bool, str]:
        try:
            inside = origin(str(request.url)) in self.origins
        except UsageError:
            inside = False
        if inside != self.inverted:
            return True, ""
        return False, "another host"


def add_hosts(mock: responses.RequestsMock, answer: Answer, base_urls: Iterable[str]) -> None:
    """Route every method and path on the hosts of ``base_urls`` to ``answer``.

    Register nothing else in ``mock`` for these hosts: ``responses`` would consume one of two
    overlapping entries.
    """
    mock.add(_Hosts({origin(url) for url in base_urls}, answer))


def add_hermetic_guard(mock: responses.RequestsMock, base_urls: Iterable[str]) -> None:
    """Refuse, with ``UnsafeTargetError``, every request to a host outside ``base_urls``.

    Add it once, after every other entry, with the base URLs of all of them. The mock must
    not assert that all entries fired (``assert_all_requests_are_fired=False``).
    """
    allowed = frozenset(origin(url) for url in base_urls)

    def refuse(request: requests.PreparedRequest) -> Reply:
        try:
            where = origin(str(request.url))
        except UsageError:
            where = "a URL without an http(s) host"
        raise UnsafeTargetError(
            f"mock target is hermetic: {where} is not a host of the mock "
            f"(hosts: {', '.join(sorted(allowed)) or 'none'}); nothing was sent"
        )

    mock.add(_Hosts(allowed, refuse, inverted=True))


def simulator_callback(simulator: Simulator) -> Answer:
    """The ``responses`` callback that answers every request with ``simulator`` (the caller
    routes only the simulator's hosts to it). It does not ``advertise``."""
    transport = WsgiTransport(simulator)

    def answer(request: requests.PreparedRequest) -> Reply:
        outgoing = to_http_request(request)
        try:
            response = transport.send(outgoing, Timeouts())
        except ResponseLost as exc:
            raise lost_connection(request) from exc
        body_out = b"" if outgoing.method == "HEAD" else response.body  # as on the wire
        return response.status, dict(response.headers), body_out

    return answer


def lost_connection(request: requests.PreparedRequest) -> requests.exceptions.ConnectionError:
    """The error ``requests`` raises when the connection closes before the response."""
    disconnected = http.client.RemoteDisconnected("Remote end closed connection without response")
    lost = urllib3.exceptions.ProtocolError("Connection aborted.", disconnected)
    return requests.exceptions.ConnectionError(lost, request=request)


def _body_bytes(body: Any) -> bytes | None:
    if body is None or isinstance(body, bytes):
        return body
    if isinstance(body, str):
        return body.encode("utf-8")
    return b"".join(bytes(chunk) for chunk in body)  # a streamed (chunked) body


@contextmanager
def simulate(
    simulator: Simulator,
    *,
    rest_base_url: str = DEFAULT_REST_BASE_URL,
    auth_base_url: str = DEFAULT_AUTH_BASE_URL,
) -> Iterator[responses.RequestsMock]:
    """Serve ``simulator`` to every ``requests`` call made inside the block; any other host is
    refused (``UnsafeTargetError``).

    Yields the ``responses.RequestsMock`` (its ``calls`` list records every request). Token
    responses advertise ``rest_base_url`` with a trailing ``/`` as ``rest_instance_url`` while
    the block runs.
    """
    bases = [rest_base_url, auth_base_url]
    with responses.RequestsMock(assert_all_requests_are_fired=False) as mock:
        add_hosts(mock, simulator_callback(simulator), bases)
        add_hermetic_guard(mock, bases)
        simulator.advertise(rest_base_url)
        try:
            yield mock
        finally:
            simulator.advertise(None)
