"""The listening side: a threaded HTTP/1.1 server with keep-alive, one thread per client
connection, each exchange forwarded (``forwarding``) and handed to the ``Watch`` before its
answer goes back.

What the application gets:

- the upstream's answer, byte for byte (hop-by-hop headers aside; a ``Content-Length`` when
  the upstream's answer came chunked or unframed);
- a 502 with a JSON body ``{message, errorcode, documentation}`` when the upstream could not
  be reached (nothing was sent to it); ``errorcode`` is 502, which is no error code of the API;
- its connection closed unanswered when the upstream's connection failed once the request was
  on its way, as the application would have seen it without the proxy (the request may have
  been processed, and only the application knows whether to send it again);
- a JSON 4xx or 5xx of the proxy's own for what cannot be forwarded at all: a malformed request,
  a body over ``BODY_LIMIT``, ``CONNECT`` (it is no forward proxy: point the application's base
  URLs at it).

The request target goes on as it was sent (read from the raw request line: not even a leading
``//`` is collapsed). Stopping (``ProxyHandle.stop``) lets every exchange in flight finish, its
answer sent with ``Connection: close``, and closes idle connections at once.
"""

from __future__ import annotations

import contextlib
import json
import socket
import threading
import time
from http import HTTPStatus
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from types import TracebackType
from typing import Any
from urllib.parse import urlsplit

from sms_contract.errors import UsageError
from sms_contract.exchange import HttpRequest
from sms_contract.proxy.forwarding import Forwarded, Forwarder, end_to_end, header, merged
from sms_contract.proxy.settings import ProxySettings
from sms_contract.proxy.watch import Watch

IDLE_TIMEOUT = 5.0  # seconds an idle keep-alive connection stays open, as the API's do
BODY_LIMIT = 16 * 1_048_576
POLL_INTERVAL = 0.05
DRAIN_TIMEOUT = 10.0  # seconds stop() waits for the exchanges in flight
PROXY_ERRORCODE = 502  # the errorcode of the proxy's own error bodies: none of the API's
DOCUMENTATION = "sms-contract proxy --help (README: Watching real traffic: the proxy)"


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    block_on_close = False  # stop() joins the handler threads itself, with a deadline
    request_queue_size = 128

    def __init__(self, settings: ProxySettings, forwarder: Forwarder, watch: Watch) -> None:
        self.address_family = socket.AF_INET6 if ":" in settings.host else socket.AF_INET
        self.settings = settings
        self.forwarder = forwarder
        self.watch = watch
        self.stopping = False
        self._state = threading.Lock()
        self._idle: set[socket.socket] = set()  # connections waiting for their next request
        self._handlers: set[threading.Thread] = set()
        super().__init__((settings.host, settings.port), _Handler)

    def process_request_thread(self, request: Any, client_address: Any) -> None:
        with self._state:
            self._handlers.add(threading.current_thread())
        try:
            super().process_request_thread(request, client_address)
        finally:
            with self._state:
                self._handlers.discard(threading.current_thread())

    def idle(self, connection: socket.socket, waiting: bool) -> bool:
        """Mark ``connection`` idle (``waiting``: between two requests) or busy; False when
        busy is refused: the proxy is stopping, so no new exchange starts."""
        with self._state:
            if waiting:
                self._idle.add(connection)
                return True
            self._idle.discard(connection)
            return not self.stopping

    def forget(self, connection: socket.socket) -> None:
        with self._state:
            self._idle.discard(connection)

    def drain(self, timeout: float) -> None:
        """No new exchange; idle connections closed; wait for the others to finish."""
        with self._state:
            self.stopping = True
            idle = list(self._idle)
        for connection in idle:
            with contextlib.suppress(OSError):
                connection.shutdown(socket.SHUT_RDWR)
        deadline = time.monotonic() + timeout
        while True:
            with self._state:
                threads = list(self._handlers)
                idle = list(self._idle)
            for connection in idle:  # went idle after its last answer: close it too
                with contextlib.suppress(OSError):
                    connection.shutdown(socket.SHUT_RDWR)
            if not threads or time.monotonic() >= deadline:
                break
            threads[0].join(timeout=POLL_INTERVAL)


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    timeout = IDLE_TIMEOUT
    server: _Server

    def setup(self) -> None:
        super().setup()
        self.connection.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)

    def finish(self) -> None:
        try:
            super().finish()
        finally:
            self.server.forget(self.connection)

    def log_message(self, format: str, *args: Any) -> None:
        """Silent: the watch's lines are the log, and only the CLI prints them."""

    def handle_one_request(self) -> None:
        try:
            self.server.idle(self.connection, True)
            self.raw_requestline = self.rfile.readline(65537)
            if not self.server.idle(self.connection, False):
                self.close_connection = True
                return
            if len(self.raw_requestline) > 65536:
                self.requestline = self.request_version = self.command = ""
                self.send_error(HTTPStatus.REQUEST_URI_TOO_LONG)
                return
            if not self.raw_requestline:
                self.close_connection = True
                return
            if self.parse_request():
                tokens = (self.headers.get("Connection") or "").lower().split(",")
                if "close" in (token.strip() for token in tokens):
                    self.close_connection = True  # among other tokens, too
                self._proxy()
        except (TimeoutError, ConnectionError):
            self.close_connection = True

    def send_error(self, code: int, message: str | None = None, explain: str | None = None) -> None:
        """What cannot be forwarded at all: a JSON error of the proxy's own; closes."""
        self.close_connection = True
        phrase = HTTPStatus(code).phrase
        self._own(code, f"sms-contract proxy: {message or phrase}")

    def _own(self, status: int, message: str) -> None:
        body = {"message": message, "errorcode": PROXY_ERRORCODE, "documentation": DOCUMENTATION}
        payload = json.dumps(body).encode("utf-8")
        headers = [("Content-Type", "application/json; charset=utf-8")]
        self._write(status, HTTPStatus(status).phrase, headers, payload)

    def _proxy(self) -> None:
        if self.command == "CONNECT":
            self.send_error(
                HTTPStatus.NOT_IMPLEMENTED,
                "CONNECT: this is no forward proxy; point the application's auth and REST base "
                "URLs at it instead of its HTTPS_PROXY",
            )
            return
        body = self._read_body()
        if body is None:
            return
        target = _target(self.raw_requestline)
        settings = self.server.settings
        upstream = settings.upstream_for(target)
        received = list(self.headers.items())
        chunked = (header(received, "Transfer-Encoding") or "").strip().lower() == "chunked"
        headers = [
            (name, value)
            for name, value in end_to_end(received)
            if name.lower() != "host" and not (chunked and name.lower() == "content-length")
        ]
        forwarded = self.server.forwarder.forward(upstream, self.command, target, headers, body)
        request = HttpRequest(
            self.command,
            upstream.url_for(target),
            merged([("Host", upstream.authority), *headers]),
            body if body or header(received, "Content-Length") is not None else None,
        )
        self.server.watch.exchange(request, forwarded)
        self._relay(forwarded)

    def _read_body(self) -> bytes | None:
        """The body the client sent (de-chunked); ``None`` when an error was already sent."""
        encoding = (self.headers.get("Transfer-Encoding") or "").strip().lower()
        if encoding == "chunked":
            return self._read_chunked()
        if encoding not in ("", "identity"):
            self.send_error(HTTPStatus.NOT_IMPLEMENTED, f"Transfer-Encoding {encoding!r}")
            return None
        declared = (self.headers.get("Content-Length") or "0").strip()
        if not (declared.isascii() and declared.isdigit()):
            self.send_error(HTTPStatus.BAD_REQUEST, "a Content-Length that is not a number")
            return None
        length = int(declared)
        if length > BODY_LIMIT:
            self.send_error(HTTPStatus.REQUEST_ENTITY_TOO_LARGE)
            return None
        return self.rfile.read(length)

    def _read_chunked(self) -> bytes | None:
        chunks: list[bytes] = []
        total = 0
        while True:
            line = self.rfile.readline(1024).split(b";", 1)[0].strip()
            try:
                size = int(line, 16)
            except ValueError:
                self.send_error(HTTPStatus.BAD_REQUEST, "a malformed chunked body")
                return None
            if size == 0:
                break
            total += size
            if total > BODY_LIMIT:
                self.send_error(HTTPStatus.REQUEST_ENTITY_TOO_LARGE)
                return None
            chunks.append(self.rfile.read(size))
            self.rfile.readline(1024)
        while self.rfile.readline(8192).strip():  # trailers: hop-by-hop, dropped
            pass
        return b"".join(chunks)

    def _relay(self, forwarded: Forwarded) -> None:
        if self.server.stopping:
            self.close_connection = True
        if not forwarded.reached:
            self._own(
                HTTPStatus.BAD_GATEWAY,
                f"sms-contract proxy: the upstream could not be reached ({forwarded.failure}); "
                "nothing was sent to it",
            )
            return
        answer = forwarded.answer
        if answer is None:
            self.close_connection = True  # as the upstream left it: unanswered
            return
        headers = list(answer.headers)
        bodiless = self.command == "HEAD" or answer.status in (204, 304) or answer.status < 200
        if header(headers, "Content-Length") is None and not bodiless:
            headers.append(("Content-Length", str(len(answer.body))))
        self._write(answer.status, answer.reason, headers, b"" if bodiless else answer.body)

    def _write(self, status: int, reason: str, headers: list[tuple[str, str]], body: bytes) -> None:
        lines = [f"HTTP/1.1 {status} {reason}".rstrip(), *(f"{n}: {v}" for n, v in headers)]
        if not any(n.lower() == "content-length" for n, _ in headers) and body:
            lines.append(f"Content-Length: {len(body)}")
        if self.close_connection:
            lines.append("Connection: close")
        head = ("\r\n".join(lines) + "\r\n\r\n").encode("iso-8859-1")
        self.wfile.write(head + body)
        self.wfile.flush()


def _target(raw_requestline: bytes) -> str:
    """The request target exactly as sent (absolute form: its path and query)."""
    words = raw_requestline.decode("iso-8859-1").rstrip("\r\n").split()
    target = words[1] if len(words) > 1 else "/"
    if target.lower().startswith(("http://", "https://")):
        parts = urlsplit(target)
        return (parts.path or "/") + (f"?{parts.query}" if parts.query else "")
    return target


class ProxyHandle:
    """A running proxy; a context manager that stops it on exit."""

    def __init__(self, server: _Server, thread: threading.Thread) -> None:
        self._server = server
        self._thread = thread
        host, port = server.server_address[:2]
        self.host = str(host)
        self.port = int(port)
        shown = f"[{self.host}]" if ":" in self.host else self.host
        self.base_url = f"http://{shown}:{self.port}"

    @property
    def watch(self) -> Watch:
        return self._server.watch

    def stop(self, drain: float = DRAIN_TIMEOUT) -> None:
        """Stop accepting; let the exchanges in flight finish (up to ``drain`` seconds);
        close every connection; wait for the serving thread."""
        self._server.shutdown()
        self._server.server_close()
        self._server.drain(drain)
        self._thread.join(timeout=5)

    def __enter__(self) -> ProxyHandle:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self.stop()


def serve_proxy(settings: ProxySettings, watch: Watch, forwarder: Forwarder) -> ProxyHandle:
    """Listen on ``settings.host:settings.port`` (port 0: a free one, see ``.base_url``) from a
    background thread; ``UsageError`` when the address cannot be listened on."""
    try:
        server = _Server(settings, forwarder, watch)
    except OSError as exc:
        where = f"{settings.host}:{settings.port}"
        why = (exc.strerror or type(exc).__name__).lower()
        raise UsageError(f"--listen {where}: cannot listen there ({why})") from None
    thread = threading.Thread(
        target=server.serve_forever, kwargs={"poll_interval": POLL_INTERVAL}, daemon=True
    )
    thread.start()
    return ProxyHandle(server, thread)
