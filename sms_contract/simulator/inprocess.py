"""The simulator in-process, behind ``requests``, through the ``responses`` library.

``simulate(simulator)`` patches ``requests`` (as ``responses`` does) so that every request to
the simulator's two base URLs is answered by the WSGI app, whatever its method: responses
only dispatches to a registered method, so one registration matches every method itself.
Every other host is refused with ``mock target is hermetic: <host> is not the simulator``,
raised as a ``requests`` ``ConnectionError`` whose cause is a connection that was never made
(``HttpTransport`` maps it to ``TransportError``). A response dropped by a fault is raised as
the ``ConnectionError`` a real dropped connection gives (``ProtocolError`` from
``RemoteDisconnected``), which ``HttpTransport`` maps to ``ResponseLost``.

The default base URLs use the reserved ``.invalid`` top-level domain, so they can never
resolve, even if the patch were not in place.

``simulator_callback`` is the ``responses`` callback ``simulate`` registers, for callers that
own the ``RequestsMock`` themselves (for instance as a cassette replayer's ``fallback``).
"""

from __future__ import annotations

import http.client
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any
from urllib.parse import urlsplit

import requests
import responses
import urllib3.exceptions

from sms_contract.errors import ResponseLost
from sms_contract.exchange import HttpRequest
from sms_contract.simulator.app import Simulator
from sms_contract.transport import Timeouts, WsgiTransport

DEFAULT_REST_BASE_URL = "https://sim.rest.sms-contract.invalid"
DEFAULT_AUTH_BASE_URL = "https://sim.auth.sms-contract.invalid"
_ANY_URL = "https://sms-contract.invalid/"  # never compared: _EveryMethod matches everything


class HermeticRefusal(urllib3.exceptions.NewConnectionError):
    """A request to a host that is not the simulator; no connection was attempted."""

    def __init__(self, host: str) -> None:
        self.host = host
        message = f"mock target is hermetic: {host} is not the simulator"
        Exception.__init__(self, message)
        self._message = message

    def __str__(self) -> str:
        return self._message


class _EveryMethod(responses.CallbackResponse):
    """A callback registration that matches every method and every URL."""

    def matches(self, request: requests.PreparedRequest) -> tuple[bool, str]:
        return True, ""


def _callback(
    simulator: Simulator, hosts: frozenset[str]
) -> Callable[[requests.PreparedRequest], tuple[int, dict[str, str], bytes]]:
    transport = WsgiTransport(simulator)

    def answer(request: requests.PreparedRequest) -> tuple[int, dict[str, str], bytes]:
        url = str(request.url)
        host = _authority(url)
        if host not in hosts:
            raise requests.exceptions.ConnectionError(HermeticRefusal(host), request=request)
        outgoing = HttpRequest(
            method=str(request.method),
            url=url,
            headers=dict(request.headers),
            body=_body_bytes(request.body),
        )
        try:
            response = transport.send(outgoing, Timeouts())
        except ResponseLost as exc:
            disconnected = http.client.RemoteDisconnected(
                "Remote end closed connection without response"
            )
            lost = urllib3.exceptions.ProtocolError("Connection aborted.", disconnected)
            raise requests.exceptions.ConnectionError(lost, request=request) from exc
        body_out = b"" if outgoing.method == "HEAD" else response.body  # as on the wire
        return response.status, dict(response.headers), body_out

    return answer


def simulator_callback(
    simulator: Simulator,
    *,
    rest_base_url: str = DEFAULT_REST_BASE_URL,
    auth_base_url: str = DEFAULT_AUTH_BASE_URL,
) -> Callable[[requests.PreparedRequest], tuple[int, dict[str, str], bytes]]:
    """The ``responses`` callback that answers with ``simulator`` for the two base URLs'
    hosts and refuses every other host as ``simulate`` does. It does not ``advertise``."""
    hosts = frozenset(_authority(url) for url in (rest_base_url, auth_base_url))
    return _callback(simulator, hosts)


def _authority(url: str) -> str:
    """``host[:port]`` of a URL, lower-cased, without the scheme's default port."""
    parts = urlsplit(url)
    host = (parts.hostname or "").lower()
    try:
        port = parts.port
    except ValueError:
        return host
    default = {"https": 443, "http": 80}.get(parts.scheme)
    return f"{host}:{port}" if port is not None and port != default else host


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
    """Serve ``simulator`` to every ``requests`` call made inside the block.

    Yields the ``responses.RequestsMock`` (its ``calls`` list records every request). Token
    responses advertise ``rest_base_url`` as ``rest_instance_url`` while the block runs.
    """
    callback = simulator_callback(
        simulator, rest_base_url=rest_base_url, auth_base_url=auth_base_url
    )
    with responses.RequestsMock(assert_all_requests_are_fired=False) as mock:
        mock.add(_EveryMethod("*", _ANY_URL, callback, content_type=None))
        simulator.advertise(rest_base_url)
        try:
            yield mock
        finally:
            simulator.advertise(None)
