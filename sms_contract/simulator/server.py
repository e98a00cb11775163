"""The simulator on a real socket: a lean threaded HTTP/1.1 server with keep-alive.

The handler hands the raw request target to the app (``RAW_URI``), so a messageKey is decoded
exactly. Each response goes out in one write with ``TCP_NODELAY`` (no Nagle/delayed-ACK
stall on keep-alive). A response the app drops (``DropConnection``) closes the socket without
a byte written. Idle keep-alive connections close after 5 seconds, as the documentation says
the API server does. Malformed requests get a JSON 4xx, never a 5xx; the only 5xx is an app
bug, answered as JSON 500 on a closed connection.
"""

from __future__ import annotations

import contextlib
import io
import json
import socket
import sys
import threading
from collections.abc import Callable
from http import HTTPStatus
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from types import TracebackType
from typing import Any
from urllib.parse import unquote, urlsplit

from sms_contract.errors import UnsafeTargetError
from sms_contract.exchange import is_loopback_host
from sms_contract.simulator.wire import JSON_CONTENT_TYPE
from sms_contract.transports.wsgi import DropConnection, WsgiApp

IDLE_TIMEOUT = 5.0
POLL_INTERVAL = 0.01
"""How often the accept loop looks for a stop request (``stop()`` waits up to this long)."""
DRAIN_LIMIT = 16 * 1_048_576
"""Bodies up to this size are read (and discarded when too large) to keep the connection."""


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    request_queue_size = 128

    def __init__(self, address: tuple[str, int], app: WsgiApp, body_limit: int) -> None:
        self.address_family = socket.AF_INET6 if ":" in address[0] else socket.AF_INET
        self.app = app
        self.body_limit = body_limit
        self._connections: set[socket.socket] = set()
        self._connections_lock = threading.Lock()
        super().__init__(address, _Handler)

    def track(self, connection: socket.socket, open_: bool) -> None:
        with self._connections_lock:
            if open_:
                self._connections.add(connection)
            else:
                self._connections.discard(connection)

    def close_connections(self) -> None:
        with self._connections_lock:
            connections = list(self._connections)
        for connection in connections:
            with contextlib.suppress(OSError):
                connection.shutdown(socket.SHUT_RDWR)


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server_version = "sms-contract-simulator"
    timeout = IDLE_TIMEOUT
    server: _Server

    def setup(self) -> None:
        super().setup()
        self.connection.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        self.server.track(self.connection, True)

    def finish(self) -> None:
        try:
            super().finish()
        finally:
            self.server.track(self.connection, False)

    def log_message(self, format: str, *args: Any) -> None:
        """Silent: only ``serve`` prints, and never per request."""

    def handle_one_request(self) -> None:
        try:
            self.raw_requestline = self.rfile.readline(65537)
            if len(self.raw_requestline) > 65536:
                self.requestline = self.request_version = self.command = ""
                self.send_error(HTTPStatus.REQUEST_URI_TOO_LONG)
                return
            if not self.raw_requestline:
                self.close_connection = True
                return
            if self.parse_request():
                self._serve()
        except (TimeoutError, ConnectionError):
            self.close_connection = True

    def send_error(self, code: int, message: str | None = None, explain: str | None = None) -> None:
        """Errors of the HTTP layer (bad request line, headers too long) as a JSON body."""
        self.close_connection = True
        phrase = HTTPStatus(code).phrase
        body = {"message": f"{code} {phrase}", "errorcode": 10000, "documentation": ""}
        payload = json.dumps(body).encode()
        self._write(f"{code} {phrase}", [("Content-Type", JSON_CONTENT_TYPE)], payload)

    def _serve(self) -> None:
        body, length = self._read_body()
        if body is None:
            return
        environ = self._environ(body, length)
        try:
            status, headers, payload = _call(self.server.app, environ)
        except DropConnection:
            self.close_connection = True
            return
        except Exception:  # a simulator bug: answer rather than hang the client
            self.send_error(HTTPStatus.INTERNAL_SERVER_ERROR)
            return
        self._write(status, headers, payload)

    def _read_body(self) -> tuple[bytes | None, int]:
        """The body and its declared length; ``None`` when an error was already sent."""
        encoding = (self.headers.get("Transfer-Encoding") or "identity").strip().lower()
        if encoding == "chunked":
            return self._read_chunked()
        if encoding != "identity":
            self.send_error(HTTPStatus.NOT_IMPLEMENTED)
            return None, 0
        declared = (self.headers.get("Content-Length") or "0").strip()
        if not (declared.isascii() and declared.isdigit()):
            self.send_error(HTTPStatus.BAD_REQUEST)
            return None, 0
        length = int(declared)
        if length <= self.server.body_limit:
            return self.rfile.read(length), length
        if length > DRAIN_LIMIT:
            self.close_connection = True
        else:
            _discard(self.rfile, length)
        return b"", length

    def _read_chunked(self) -> tuple[bytes | None, int]:
        chunks: list[bytes] = []
        total = 0
        while True:
            line = self.rfile.readline(1024).split(b";", 1)[0].strip()
            try:
                size = int(line, 16)
            except ValueError:
                self.send_error(HTTPStatus.BAD_REQUEST)
                return None, 0
            if size == 0:
                break
            total += size
            if total > DRAIN_LIMIT:
                self.close_connection = True
                return b"", total
            data = self.rfile.read(size)
            if total <= self.server.body_limit:
                chunks.append(data)
            self.rfile.readline(1024)
        while self.rfile.readline(8192).strip():  # trailers
            pass
        return (b"".join(chunks) if total <= self.server.body_limit else b""), total

    def _environ(self, body: bytes, length: int) -> dict[str, Any]:
        target = self.path
        parts = urlsplit(target) if not target.startswith("/") else None
        path, _, query = target.partition("?") if parts is None else (parts.path, "", parts.query)
        host, port = self.server.server_address[:2]
        environ: dict[str, Any] = {
            "REQUEST_METHOD": self.command,
            "SCRIPT_NAME": "",
            "PATH_INFO": unquote(path, encoding="latin-1"),
            "QUERY_STRING": query,
            "RAW_URI": target,
            "REQUEST_URI": target,
            "SERVER_NAME": str(host),
            "SERVER_PORT": str(port),
            "SERVER_PROTOCOL": self.request_version,
            "REMOTE_ADDR": self.client_address[0],
            "CONTENT_LENGTH": str(length),
            "wsgi.version": (1, 0),
            "wsgi.url_scheme": "http",
            "wsgi.input": io.BytesIO(body),
            "wsgi.errors": sys.stderr,
            "wsgi.multithread": True,
            "wsgi.multiprocess": False,
            "wsgi.run_once": False,
        }
        for name in set(self.headers.keys()):
            value = ",".join(self.headers.get_all(name) or [])
            key = name.upper().replace("-", "_")
            if key == "CONTENT_TYPE":
                environ[key] = value
            elif key not in ("CONTENT_LENGTH", "TRANSFER_ENCODING"):
                environ[f"HTTP_{key}"] = value
        return environ

    def _write(self, status: str, headers: list[tuple[str, str]], payload: bytes) -> None:
        lines = [f"HTTP/1.1 {status}", f"Server: {self.server_version}"]
        lines += [f"{name}: {value}" for name, value in headers]
        if not any(name.lower() == "content-length" for name, _ in headers):
            lines.append(f"Content-Length: {len(payload)}")
        if self.close_connection:
            lines.append("Connection: close")
        head = ("\r\n".join(lines) + "\r\n\r\n").encode("latin-1")
        self.wfile.write(head if self.command == "HEAD" else head + payload)


def _call(app: WsgiApp, environ: dict[str, Any]) -> tuple[str, list[tuple[str, str]], bytes]:
    captured: dict[str, Any] = {}

    def start_response(status: str, headers: list[tuple[str, str]], exc_info: Any = None) -> Any:
        captured["status"], captured["headers"] = status, headers
        return lambda data: None

    result = app(environ, start_response)
    try:
        payload = b"".join(result)
    finally:
        close: Callable[[], None] | None = getattr(result, "close", None)
        if close is not None:
            close()
    return captured["status"], captured["headers"], payload


def _discard(stream: Any, length: int) -> None:
    while length > 0:
        chunk = stream.read(min(length, 65536))
        if not chunk:
            return
        length -= len(chunk)


class ServerHandle:
    """A running server; a context manager that stops it on exit."""

    def __init__(self, server: _Server, thread: threading.Thread) -> None:
        self._server = server
        self._thread = thread
        host, port = server.server_address[:2]
        self.host = str(host)
        self.port = int(port)
        shown = f"[{self.host}]" if ":" in self.host else self.host
        self.base_url = f"http://{shown}:{self.port}"

    def stop(self) -> None:
        """Stop accepting, close every open connection, wait for the serving thread."""
        self._server.shutdown()
        self._server.server_close()
        self._server.close_connections()
        self._thread.join(timeout=5)

    def __enter__(self) -> ServerHandle:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self.stop()


def serve_in_thread(
    app: WsgiApp,
    host: str = "127.0.0.1",
    port: int = 0,
    *,
    allow_non_loopback: bool = False,
    body_limit: int = 1_048_576,
) -> ServerHandle:
    """Serve ``app`` (a ``Simulator``) on ``host:port`` from a background thread.

    Port 0 picks a free port (read it from ``.base_url``). A host that is not loopback is
    refused unless ``allow_non_loopback``: the simulator has no TLS and well-known credentials.
    """
    if not allow_non_loopback and not is_loopback_host(host):
        raise UnsafeTargetError(
            f"refusing to serve the simulator on non-loopback host {host!r} "
            "(plain HTTP, well-known credentials); pass --allow-non-loopback to insist"
        )
    limit = getattr(getattr(app, "config", None), "max_body_bytes", body_limit)
    server = _Server((host, port), app, int(limit))
    thread = threading.Thread(
        target=server.serve_forever, kwargs={"poll_interval": POLL_INTERVAL}, daemon=True
    )
    thread.start()
    return ServerHandle(server, thread)
