"""The one I/O seam: a ``Transport`` turns an ``HttpRequest`` into an ``HttpResponse``.

``HttpTransport`` speaks HTTP through a ``requests.Session`` (real tenants, the simulator on a
loopback port, and the in-process mock, which the ``responses`` library serves behind the same
session). ``WsgiTransport`` calls a WSGI application directly, without any socket. The client
never sees which one it has. Foreign exceptions are translated here and nowhere else.
"""

from __future__ import annotations

import io
import sys
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any, Protocol, runtime_checkable
from urllib.parse import unquote, urlsplit

import requests
import requests.adapters
import urllib3.exceptions

from sms_contract.errors import ResponseLost, TransportError
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


class DropConnection(Exception):
    """Raised by a WSGI app to close the connection after processing, before any response."""


_NOT_SENT = (
    urllib3.exceptions.NewConnectionError,
    urllib3.exceptions.ConnectTimeoutError,
    urllib3.exceptions.NameResolutionError,
)


def _chain(exc: BaseException) -> list[BaseException]:
    """Every exception behind a ``requests`` error: causes, contexts, reasons and arguments."""
    seen: set[int] = set()
    found: list[BaseException] = []
    stack: list[BaseException | None] = [exc]
    while stack:
        current = stack.pop()
        if current is None or id(current) in seen:
            continue
        seen.add(id(current))
        found.append(current)
        reason = getattr(current, "reason", None)
        if isinstance(reason, BaseException):
            stack.append(reason)
        stack.extend(arg for arg in current.args if isinstance(arg, BaseException))
        stack.extend([current.__cause__, current.__context__])
    return found


def _was_sent(exc: BaseException) -> bool:
    """Was anything sent before the error? Not when it failed while connecting."""
    return not any(isinstance(current, _NOT_SENT) for current in _chain(exc))


def _why_not_connected(exc: BaseException) -> str:
    """A short reason, without URLs or credentials: the hermetic mock's refusal says its own."""
    chain = _chain(exc)
    for current in chain:
        text = str(current)
        if "hermetic" in text:
            return text
    if any(isinstance(current, ConnectionRefusedError) for current in chain):
        return "connection refused"
    if any(isinstance(current, urllib3.exceptions.NameResolutionError) for current in chain):
        return "the host name does not resolve"
    return type(exc).__name__


class HttpTransport:
    """HTTP over a ``requests.Session`` with keep-alive and a connection pool."""

    def __init__(self, session: requests.Session | None = None, *, verify: bool = True) -> None:
        self._session = session or requests.Session()
        self._session.trust_env = False if session is None else self._session.trust_env
        self._verify = verify

    def send(self, request: HttpRequest, timeouts: Timeouts) -> HttpResponse:
        where = f"{request.method} {urlsplit(request.url).netloc}{request.path}"
        started = time.perf_counter()
        try:
            prepared = self._session.prepare_request(
                requests.Request(
                    request.method, request.url, headers=dict(request.headers), data=request.body
                )
            )
            if request.url.isascii():
                # requests re-quotes the URL and turns %2E back into ".", so a messageKey of
                # "." or ".." would become a dot segment and reach another path: the URL the
                # client encoded goes on the wire as it is.
                prepared.url = request.url
            raw = self._session.send(
                prepared,
                timeout=(timeouts.connect, timeouts.read),
                allow_redirects=False,
                verify=self._verify,
            )
        except requests.exceptions.ConnectTimeout as exc:
            raise TransportError(f"{where}: no connection within {timeouts.connect}s") from exc
        except requests.exceptions.ReadTimeout as exc:
            raise ResponseLost(f"{where}: no response within {timeouts.read}s") from exc
        except requests.exceptions.SSLError as exc:
            raise TransportError(f"{where}: TLS handshake failed ({type(exc).__name__})") from exc
        except requests.exceptions.ConnectionError as exc:
            if _was_sent(exc):
                raise ResponseLost(f"{where}: connection closed before the response") from exc
            raise TransportError(f"{where}: cannot connect ({_why_not_connected(exc)})") from exc
        except requests.exceptions.RequestException as exc:
            raise TransportError(f"{where}: {type(exc).__name__}") from exc
        return HttpResponse(
            status=raw.status_code,
            headers=dict(raw.headers),
            body=raw.content,
            elapsed=time.perf_counter() - started,
        )

    def close(self) -> None:
        self._session.close()


WsgiApp = Callable[[dict[str, Any], Callable[..., Any]], Iterable[bytes]]


class WsgiTransport:
    """Calls a WSGI application in-process: no socket, no thread, no ``requests``."""

    def __init__(self, app: WsgiApp) -> None:
        self._app = app

    def send(self, request: HttpRequest, timeouts: Timeouts) -> HttpResponse:
        parts = urlsplit(request.url)
        body = request.body or b""
        environ: dict[str, Any] = {
            "REQUEST_METHOD": request.method,
            "SCRIPT_NAME": "",
            "PATH_INFO": unquote(parts.path, encoding="latin-1"),
            "RAW_URI": parts.path + (f"?{parts.query}" if parts.query else ""),
            "QUERY_STRING": parts.query,
            "SERVER_NAME": parts.hostname or "localhost",
            "SERVER_PORT": str(parts.port or (443 if parts.scheme == "https" else 80)),
            "SERVER_PROTOCOL": "HTTP/1.1",
            "CONTENT_LENGTH": str(len(body)),
            "wsgi.version": (1, 0),
            "wsgi.url_scheme": parts.scheme or "http",
            "wsgi.input": io.BytesIO(body),
            "wsgi.errors": sys.stderr,
            "wsgi.multithread": False,
            "wsgi.multiprocess": False,
            "wsgi.run_once": False,
        }
        for name, value in request.headers.items():
            key = name.upper().replace("-", "_")
            if key == "CONTENT_TYPE":
                environ["CONTENT_TYPE"] = value
            elif key != "CONTENT_LENGTH":
                environ[f"HTTP_{key}"] = value
        captured: dict[str, Any] = {}

        def start_response(
            status: str, headers: list[tuple[str, str]], exc_info: Any = None
        ) -> Any:
            captured["status"] = int(status.split(" ", 1)[0])
            captured["headers"] = dict(headers)
            return lambda data: None

        started = time.perf_counter()
        try:
            chunks = self._app(environ, start_response)
            payload = b"".join(chunks)
        except DropConnection as exc:
            raise ResponseLost(f"{request.method} {request.path}: connection dropped") from exc
        return HttpResponse(
            status=captured["status"],
            headers=captured["headers"],
            body=payload,
            elapsed=time.perf_counter() - started,
        )

    def close(self) -> None:
        return None
