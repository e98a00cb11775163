"""Servers on 127.0.0.1 for the TLS and proxy tests: the simulator behind TLS with a
self-signed certificate made for the test, and a plain-HTTP proxy that records what it is
asked. Nothing here resolves a name or leaves the machine: ``no_dns`` makes sure of it."""

from __future__ import annotations

import datetime
import importlib.util
import ipaddress
import shutil
import socket
import ssl
import subprocess
import threading
from collections.abc import Iterator
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, HTTPServer
from pathlib import Path
from typing import Any

import pytest

from sms_contract.exchange import HttpRequest, is_loopback_host
from sms_contract.simulator.app import Simulator
from sms_contract.transports.base import Timeouts
from sms_contract.transports.wsgi import WsgiTransport

NETWORK_VARIABLES = (
    "REQUESTS_CA_BUNDLE",
    "CURL_CA_BUNDLE",
    "SSL_CERT_FILE",
    *(f"{name}_proxy" for name in ("http", "https", "all", "no")),
    *(f"{name}_PROXY" for name in ("HTTP", "HTTPS", "ALL", "NO")),
)


@pytest.fixture
def network_environment(monkeypatch: pytest.MonkeyPatch) -> pytest.MonkeyPatch:
    """No CA bundle or proxy variable of the machine leaks in (this one sets
    REQUESTS_CA_BUNDLE to the system bundle): each test sets what it is about."""
    for name in NETWORK_VARIABLES:
        monkeypatch.delenv(name, raising=False)
    return monkeypatch


@pytest.fixture(autouse=True)
def no_dns(monkeypatch: pytest.MonkeyPatch) -> None:
    """A name lookup of anything but loopback fails here, so that a proxy that was not used
    shows up as an error instead of a query to the machine's resolver."""
    real = socket.getaddrinfo

    def loopback_only(host: Any, *args: Any, **kwargs: Any) -> Any:
        name = host.decode() if isinstance(host, bytes) else str(host)
        if not is_loopback_host(name):
            raise socket.gaierror(socket.EAI_NONAME, f"no DNS in these tests: {name}")
        return real(host, *args, **kwargs)

    monkeypatch.setattr(socket, "getaddrinfo", loopback_only)


@dataclass(frozen=True)
class Certificate:
    cert: Path  # the self-signed certificate: also the CA bundle that trusts it
    key: Path


def _with_cryptography(directory: Path) -> Certificate:
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import NameOID

    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "sms-contract test 127.0.0.1")])
    now = datetime.datetime.now(datetime.UTC)
    public = key.public_key()
    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(public)
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(hours=1))
        .not_valid_after(now + datetime.timedelta(days=1))
        .add_extension(
            x509.SubjectAlternativeName([x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]),
            critical=False,
        )
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .add_extension(
            x509.KeyUsage(
                digital_signature=True,
                content_commitment=False,
                key_encipherment=False,
                data_encipherment=False,
                key_agreement=False,
                key_cert_sign=True,
                crl_sign=False,
                encipher_only=False,
                decipher_only=False,
            ),
            critical=True,
        )
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(public), critical=False)
        .add_extension(x509.AuthorityKeyIdentifier.from_issuer_public_key(public), critical=False)
        .sign(key, hashes.SHA256())
    )
    found = Certificate(directory / "cert.pem", directory / "key.pem")
    found.cert.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    found.key.write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
    )
    return found


def _with_openssl(directory: Path, openssl: str) -> Certificate:
    found = Certificate(directory / "cert.pem", directory / "key.pem")
    subprocess.run(
        [
            openssl,
            *("req", "-x509", "-nodes", "-days", "1"),
            *("-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1"),
            *("-keyout", str(found.key), "-out", str(found.cert)),
            *("-subj", "/CN=sms-contract test 127.0.0.1"),
            *("-addext", "subjectAltName=IP:127.0.0.1"),
        ],
        check=True,
        capture_output=True,
        timeout=30,
    )
    return found


def make_certificate(directory: Path) -> Certificate:
    """A self-signed certificate for 127.0.0.1: with the cryptography package when it is
    installed, else with the openssl command; the test is skipped when neither is there."""
    if importlib.util.find_spec("cryptography") is not None:
        return _with_cryptography(directory)
    openssl = shutil.which("openssl")
    if openssl is not None:
        return _with_openssl(directory, openssl)
    pytest.skip(
        "cannot make a self-signed certificate: neither the cryptography package nor the "
        "openssl command is installed"
    )


@pytest.fixture(scope="session")
def certificate(tmp_path_factory: pytest.TempPathFactory) -> Certificate:
    return make_certificate(tmp_path_factory.mktemp("tls"))


class _TlsServer(HTTPServer):
    """One thread, one connection at a time; ``connections`` counts every TCP connection
    accepted, the handshakes that fail included (each is one attempt of the client)."""

    def __init__(self, context: ssl.SSLContext, app: WsgiTransport) -> None:
        self.context = context
        self.app = app
        self.connections = 0
        super().__init__(("127.0.0.1", 0), _Forward)

    def get_request(self) -> tuple[Any, Any]:
        sock, address = self.socket.accept()
        self.connections += 1
        sock.settimeout(5)
        try:
            return self.context.wrap_socket(sock, server_side=True), address
        except BaseException:
            sock.close()  # a failed handshake: the client refused the certificate
            raise


class _Forward(BaseHTTPRequestHandler):
    """Hands each request to the simulator in-process and writes its answer back."""

    server: _TlsServer

    def _forward(self) -> None:
        length = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(length) if length else None
        url = f"https://127.0.0.1:{self.server.server_port}{self.path}"
        request = HttpRequest(self.command, url, dict(self.headers.items()), body)
        response = self.server.app.send(request, Timeouts())
        self.send_response(response.status)
        for name, value in response.headers.items():
            if name.lower() not in ("content-length", "connection", "transfer-encoding"):
                self.send_header(name, value)
        self.send_header("Content-Length", str(len(response.body)))
        self.end_headers()
        self.wfile.write(response.body)

    do_GET = do_POST = do_PUT = do_PATCH = do_DELETE = _forward

    def log_message(self, format: str, *args: Any) -> None:
        return None


@dataclass
class TlsSimulator:
    base_url: str
    simulator: Simulator
    server: _TlsServer

    @property
    def connections(self) -> int:
        return self.server.connections

    def use(self, simulator: Simulator) -> None:
        """Serve ``simulator`` from now on (one of the same credentials: a misbehaving one)."""
        self.simulator = simulator
        self.server.app = WsgiTransport(simulator)


@pytest.fixture
def tls_simulator(certificate: Certificate) -> Iterator[TlsSimulator]:
    """The simulator on https://127.0.0.1:PORT with the self-signed ``certificate``."""
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(certificate.cert, certificate.key)
    simulator = Simulator()
    server = _TlsServer(context, WsgiTransport(simulator))
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05})
    thread.start()
    try:
        yield TlsSimulator(f"https://127.0.0.1:{server.server_port}", simulator, server)
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=5)


class _ProxyHandler(BaseHTTPRequestHandler):
    """Answers every request itself (as a forward proxy would after fetching it) and refuses
    every CONNECT: what matters is the request line it was sent."""

    server: _RecordingProxy

    def _answer(self) -> None:
        length = int(self.headers.get("Content-Length") or 0)
        if length:
            self.rfile.read(length)
        self.server.lines.append(self.requestline)
        body = b'{"answered_by": "proxy"}'
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    do_GET = do_POST = _answer

    def do_CONNECT(self) -> None:
        self.server.lines.append(self.requestline)
        self.send_response(403)
        self.send_header("Content-Length", "0")
        self.end_headers()

    def log_message(self, format: str, *args: Any) -> None:
        return None


class _RecordingProxy(HTTPServer):
    def __init__(self) -> None:
        self.lines: list[str] = []
        super().__init__(("127.0.0.1", 0), _ProxyHandler)


@dataclass
class Proxy:
    url: str
    port: int
    lines: list[str]


@pytest.fixture
def proxy() -> Iterator[Proxy]:
    """A plain-HTTP proxy on 127.0.0.1 that records each request line it gets."""
    server = _RecordingProxy()
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05})
    thread.start()
    try:
        yield Proxy(f"http://127.0.0.1:{server.server_port}", server.server_port, server.lines)
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=5)
