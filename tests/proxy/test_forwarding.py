"""The proxy forwards byte for byte, never sends anything of its own, and answers 502 with a
JSON body when the upstream cannot be reached."""

from __future__ import annotations

import contextlib
import json
import socket
import ssl
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

import pytest

from sms_contract.exchange import HttpRequest, HttpResponse
from sms_contract.outcomes import Verdict
from sms_contract.proxy.forwarding import Forwarder
from sms_contract.transports.base import Timeouts
from sms_contract.transports.http import HttpTransport
from tests.proxy.conftest import client, payload, proxy, upstream
from tests.transports.conftest import make_certificate

pytestmark = pytest.mark.loopback

TIMEOUT = 10.0


def test_the_simulator_receives_what_the_client_sent_and_the_client_what_it_answered() -> None:
    """The reference client's requests reach the simulator unchanged (method, raw target,
    headers, body), and each answer reaches the client unchanged (status, headers, body)."""
    sent: list[HttpRequest] = []
    received: list[HttpResponse] = []

    class Recording(HttpTransport):
        def send(self, request: HttpRequest, timeouts: Timeouts) -> HttpResponse:
            sent.append(request)
            response = super().send(request, timeouts)
            received.append(response)
            return response

    with (
        upstream() as up,
        proxy(up.base_url) as proxied,
        client(proxied.base_url, up.credentials, Recording()) as app,
    ):
        app.send_to_one(payload(FirstName="Ada"), message_key="a/b %2E é")
        app.message_status("a/b %2E é")
    assert len(sent) == len(up.wire.seen) == 3
    for request, seen in zip(sent, up.wire.seen, strict=True):
        assert seen.method == request.method
        assert seen.target == request.url.removeprefix(proxied.base_url)
        assert seen.body == (request.body or b"")
        for name, value in request.headers.items():
            key = "CONTENT_TYPE" if name.lower() == "content-type" else f"HTTP_{name.upper()}"
            assert seen.headers[key.replace("-", "_")] == value
    for response, seen in zip(received, up.wire.seen, strict=True):
        assert f"{response.status} " == seen.status[: len(str(response.status)) + 1]
        assert response.body == seen.response_body
        for name, value in seen.response_headers:
            assert response.headers[name] == value


@dataclass
class RawUpstream:
    """A one-request-per-connection HTTP server on 127.0.0.1 that keeps the exact bytes it
    received and answers with fixed bytes."""

    answer: bytes
    received: list[bytes] = field(default_factory=list)
    port: int = 0


@contextmanager
def raw_upstream(
    answer: bytes, connections: int = 1, tls: ssl.SSLContext | None = None
) -> Iterator[RawUpstream]:
    server = socket.create_server(("127.0.0.1", 0))
    server.settimeout(TIMEOUT)
    state = RawUpstream(answer, port=server.getsockname()[1])

    def serve() -> None:
        for _ in range(connections):
            try:
                connection, _ = server.accept()
            except OSError:
                return
            if tls is not None:
                try:
                    connection = tls.wrap_socket(connection, server_side=True)
                except (ssl.SSLError, OSError):
                    connection.close()  # the proxy refused the certificate
                    continue
            with connection:
                connection.settimeout(TIMEOUT)
                data = b""
                while b"\r\n\r\n" not in data:
                    data += connection.recv(65536)
                head, _, rest = data.partition(b"\r\n\r\n")
                length = 0
                for line in head.split(b"\r\n")[1:]:
                    name, _, value = line.partition(b":")
                    if name.strip().lower() == b"content-length":
                        length = int(value)
                while len(rest) < length:
                    rest += connection.recv(65536)
                state.received.append(head + b"\r\n\r\n" + rest)
                connection.sendall(answer)

    thread = threading.Thread(target=serve, daemon=True)
    thread.start()
    try:
        yield state
    finally:
        server.close()
        thread.join(timeout=TIMEOUT)


def _exchange(port: int, request: bytes) -> bytes:
    """Send raw bytes to the proxy; everything it answered until it closed the connection."""
    with socket.create_connection(("127.0.0.1", port), timeout=TIMEOUT) as connection:
        connection.sendall(request)
        data = b""
        with contextlib.suppress(TimeoutError):
            while chunk := connection.recv(65536):
                data += chunk
        return data


ANSWER_BODY = (
    b'{"requestId": "r-1", "errorcode": 0, "responses": [{"messageKey": "k.1/\xc3\xa9"}]} '
)
ANSWER = (
    b"HTTP/1.1 202 Accepted\r\n"
    b"Content-Type: application/json; charset=utf-8\r\n"
    b"x-Odd-CASE: one\r\n"
    b"X-Repeated: 1\r\n"
    b"X-Repeated: 2\r\n"
    b"Keep-Alive: timeout=5\r\n"
    b"Connection: keep-alive, X-Hop\r\n"
    b"X-Hop: dropped\r\n"
    b"Content-Length: " + str(len(ANSWER_BODY)).encode() + b"\r\n"
    b"\r\n" + ANSWER_BODY
)


def test_forwarding_is_byte_for_byte_but_for_the_hop_by_hop_headers() -> None:
    """The request line, every end-to-end header in its order and spelling, and the body go
    on exactly, ``Host`` naming the upstream; the answer comes back exactly, repeated headers
    kept, the hop-by-hop ones (``Connection`` and the headers it names, ``Keep-Alive``) left
    out on both sides."""
    body = b'{"definitionKey": "account-reset", "recipient": {"to": "15555551234"}}'
    request = (
        b"POST /messaging/v1/sms/messages/k%2E1%2F%C3%A9?x=1&x=2 HTTP/1.1\r\n"
        b"Host: proxy.example\r\n"
        b"authorization: Bearer t0k3n\r\n"
        b"X-Odd-Case: Value  with  spaces\r\n"
        b"Connection: close, X-Drop-Me\r\n"
        b"X-Drop-Me: 1\r\n"
        b"Content-Type: application/json\r\n"
        b"Content-Length: " + str(len(body)).encode() + b"\r\n"
        b"\r\n" + body
    )
    with raw_upstream(ANSWER) as up, proxy(f"http://127.0.0.1:{up.port}") as proxied:
        answered = _exchange(proxied.handle.port, request)
    (forwarded,) = up.received
    head, _, forwarded_body = forwarded.partition(b"\r\n\r\n")
    lines = head.split(b"\r\n")
    assert lines[0] == b"POST /messaging/v1/sms/messages/k%2E1%2F%C3%A9?x=1&x=2 HTTP/1.1"
    assert lines[1:] == [
        f"Host: 127.0.0.1:{up.port}".encode(),
        b"authorization: Bearer t0k3n",
        b"X-Odd-Case: Value  with  spaces",
        b"Content-Type: application/json",
        b"Content-Length: " + str(len(body)).encode(),
    ]
    assert forwarded_body == body
    answer_head, _, answer_body = answered.partition(b"\r\n\r\n")
    assert answer_head.split(b"\r\n") == [
        b"HTTP/1.1 202 Accepted",
        b"Content-Type: application/json; charset=utf-8",
        b"x-Odd-CASE: one",
        b"X-Repeated: 1",
        b"X-Repeated: 2",
        b"Content-Length: " + str(len(ANSWER_BODY)).encode(),
        b"Connection: close",  # the client's hop asked for it
    ]
    assert answer_body == ANSWER_BODY


def test_a_chunked_request_goes_on_with_its_length_and_a_chunked_answer_comes_back_framed() -> None:
    """Transfer-Encoding belongs to one hop: the upstream gets the de-chunked body with its
    Content-Length, and the client a chunked answer's bytes with theirs."""
    answer = (
        b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nTransfer-Encoding: chunked\r\n\r\n"
        b'5\r\n{"a":\r\n3\r\n 1}\r\n0\r\n\r\n'
    )
    request = (
        b"POST /v2/token HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
        b"Transfer-Encoding: chunked\r\nConnection: close\r\n\r\n"
        b'4\r\n{"gr\r\n3\r\nant\r\n0\r\n\r\n'
    )
    with raw_upstream(answer) as up, proxy(f"http://127.0.0.1:{up.port}") as proxied:
        answered = _exchange(proxied.handle.port, request)
    head, _, body = up.received[0].partition(b"\r\n\r\n")
    assert body == b'{"grant'
    assert b"Content-Length: 7" in head.split(b"\r\n")
    assert b"transfer-encoding" not in head.lower()
    answer_head, _, answer_body = answered.partition(b"\r\n\r\n")
    assert answer_body == b'{"a": 1}'
    assert b"Content-Length: 8" in answer_head.split(b"\r\n")
    assert b"transfer-encoding" not in answer_head.lower()


def _closed_port() -> int:
    """A loopback port nothing listens on."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def test_an_unreachable_upstream_gets_the_client_a_502_with_a_json_body() -> None:
    """Nothing is sent anywhere: the client gets 502 with {message, errorcode, documentation},
    the line says so, nothing is recorded, and every claim on the route lists the exchange
    as not judged (exit 4)."""
    port = _closed_port()
    request = (
        b"POST /messaging/v1/sms/messages/k1 HTTP/1.1\r\nHost: x\r\nConnection: close\r\n"
        b"Content-Type: application/json\r\nContent-Length: 2\r\n\r\n{}"
    )
    with proxy(f"http://127.0.0.1:{port}") as proxied:
        answered = _exchange(proxied.handle.port, request)
        outcome = proxied.watch.outcome()
    head, _, body = answered.partition(b"\r\n\r\n")
    assert head.startswith(b"HTTP/1.1 502 Bad Gateway\r\n")
    assert b"Content-Type: application/json; charset=utf-8" in head.split(b"\r\n")
    error = json.loads(body)
    assert set(error) == {"message", "errorcode", "documentation"}
    assert "could not be reached (cannot connect" in error["message"]
    assert error["errorcode"] == 502
    assert "502 from the proxy: the upstream could not be reached" in proxied.lines[0]
    checks = {c.check_id: c for c in outcome.checks}
    for check_id in ("SEND-STATUS-CODES", "SEND-NO-5XX", "SEND-ECHO-KEY"):
        assert checks[check_id].verdict is Verdict.INCOMPLETE
        (reason,) = checks[check_id].not_judged
        assert reason.case_id == "PROXY#1"
        assert "the upstream could not be reached" in reason.reason
        assert "answered 502 by the proxy" in reason.reason
    assert checks["TOKEN-CONTRACT"].verdict is Verdict.SKIPPED
    assert outcome.spending.requests == 0  # nothing reached an upstream
    assert outcome.exit_code == 4


def test_connect_is_refused_since_the_proxy_is_no_forward_proxy() -> None:
    """An application configured with the proxy as its HTTPS_PROXY is told what to do
    instead; nothing is forwarded."""
    with raw_upstream(ANSWER, connections=0) as up, proxy(f"http://127.0.0.1:{up.port}") as p:
        answered = _exchange(p.handle.port, b"CONNECT example.com:443 HTTP/1.1\r\nHost: x\r\n\r\n")
    head, _, body = answered.partition(b"\r\n\r\n")
    assert head.startswith(b"HTTP/1.1 501 ")
    assert "base URLs" in json.loads(body)["message"]
    assert up.received == []
    assert p.lines == []


def test_an_https_upstream_is_verified_with_the_ca_bundle(tmp_path: Path) -> None:
    """TLS to the upstream is verified: with --ca-bundle naming its CA the answer comes back
    byte for byte; with only the default bundle the certificate is refused, nothing is sent,
    and the client gets the 502 naming the fix."""
    certificate = make_certificate(tmp_path)
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(certificate.cert, certificate.key)
    request = b"GET /messaging/v1/sms/messages/k HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n"
    with raw_upstream(ANSWER, tls=context) as up:
        url = f"https://127.0.0.1:{up.port}"
        trusted = Forwarder(timeout=TIMEOUT, ca_bundle=certificate.cert, environ={})
        with proxy(url, trusted) as proxied:
            answered = _exchange(proxied.handle.port, request)
    assert answered.endswith(ANSWER_BODY)
    assert up.received[0].startswith(b"GET /messaging/v1/sms/messages/k HTTP/1.1\r\n")
    with raw_upstream(ANSWER, tls=context) as up:
        url = f"https://127.0.0.1:{up.port}"
        with proxy(url, Forwarder(timeout=TIMEOUT, environ={})) as proxied:
            answered = _exchange(proxied.handle.port, request)
    assert answered.startswith(b"HTTP/1.1 502 Bad Gateway")
    message = json.loads(answered.partition(b"\r\n\r\n")[2])["message"]
    assert "could not be verified" in message
    assert "--ca-bundle" in message
    assert up.received == []
