"""The transport seam: errors translated in one place, with reasons a person can act on."""

import socket

import pytest

from sms_contract.errors import ResponseLost, TransportError, UnsafeTargetError
from sms_contract.exchange import HttpRequest
from sms_contract.simulator.app import Simulator
from sms_contract.simulator.inprocess import simulate
from sms_contract.transports.base import Timeouts
from sms_contract.transports.http import HttpTransport
from sms_contract.transports.wsgi import DropConnection, WsgiTransport


def _closed_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def test_refused_connection_is_a_transport_error_saying_so():
    """Nothing listening: TransportError (nothing was sent), reason 'connection refused'."""
    url = f"http://127.0.0.1:{_closed_port()}/v2/token"
    with pytest.raises(TransportError, match=r"cannot connect \(connection refused\)") as caught:
        HttpTransport().send(HttpRequest("POST", url, {}, b"{}"), Timeouts(connect=2, read=2))
    assert not isinstance(caught.value, ResponseLost)


def test_hermetic_mock_refusal_passes_through_unchanged():
    """A request to a host the mock does not serve is the mock's refusal, not a transport
    failure: nothing was sent, and the message says the mock is hermetic."""
    with simulate(Simulator()), pytest.raises(UnsafeTargetError) as caught:
        HttpTransport().send(HttpRequest("GET", "https://example.com/x"), Timeouts())
    assert "mock target is hermetic: https://example.com is not a host of the mock" in str(
        caught.value
    )


def test_wsgi_transport_passes_raw_path_and_headers():
    """The in-process transport hands the app the raw path, body and headers."""
    seen = {}

    def app(environ, start_response):
        seen.update(
            raw=environ["RAW_URI"],
            body=environ["wsgi.input"].read(),
            content_type=environ["CONTENT_TYPE"],
            auth=environ["HTTP_AUTHORIZATION"],
        )
        start_response("202 Accepted", [("Content-Type", "application/json")])
        return [b'{"ok": true}']

    request = HttpRequest(
        "POST",
        "https://x.invalid/messaging/v1/sms/messages/a%2Fb%25c?x=1",
        {"Content-Type": "application/json", "Authorization": "Bearer t"},
        b"{}",
    )
    response = WsgiTransport(app).send(request, Timeouts())
    assert (response.status, response.json()) == (202, {"ok": True})
    assert seen == {
        "raw": "/messaging/v1/sms/messages/a%2Fb%25c?x=1",
        "body": b"{}",
        "content_type": "application/json",
        "auth": "Bearer t",
    }


def test_wsgi_app_dropping_the_connection_is_a_lost_response():
    """DropConnection from the app means processed, then no response: ResponseLost."""

    def app(environ, start_response):
        raise DropConnection

    with pytest.raises(ResponseLost, match="connection dropped"):
        WsgiTransport(app).send(HttpRequest("POST", "https://x.invalid/p", {}, b""), Timeouts())


def test_tls_and_name_resolution_failures_are_permanent_transport_errors():
    """A certificate problem or a host name that does not resolve cannot pass by itself:
    the TransportError says so (permanent), so that nothing retries it; a refused connection
    is not permanent."""
    import requests
    import responses
    import urllib3.exceptions

    unresolved = urllib3.exceptions.NameResolutionError("h.invalid", None, OSError("no host"))
    answers = {
        "https://tls.example/x": requests.exceptions.SSLError("certificate verify failed"),
        "https://dns.example/x": requests.exceptions.ConnectionError(unresolved),
        "https://refused.example/x": requests.exceptions.ConnectionError(
            urllib3.exceptions.NewConnectionError(None, "refused")  # type: ignore[arg-type]
        ),
    }
    found = {}
    with responses.RequestsMock() as mock:
        for url, error in answers.items():
            mock.add(responses.GET, url, body=error)
        transport = HttpTransport(requests.Session())
        for url in answers:
            with pytest.raises(TransportError) as caught:
                transport.send(HttpRequest("GET", url), Timeouts())
            found[url] = (caught.value.permanent, isinstance(caught.value, ResponseLost))
    assert found == {
        "https://tls.example/x": (True, False),
        "https://dns.example/x": (True, False),
        "https://refused.example/x": (False, False),
    }
