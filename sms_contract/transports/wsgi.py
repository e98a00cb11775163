"""A WSGI application called in-process: no socket, no thread, no ``requests``.

A WSGI app (the simulator) raises ``DropConnection`` to stand for a connection closed after the
request was processed and before any response: ``WsgiTransport`` reports it as ``ResponseLost``.
"""

from __future__ import annotations

import io
import sys
import time
from collections.abc import Callable, Iterable
from typing import Any
from urllib.parse import unquote, urlsplit

from sms_contract.errors import ResponseLost
from sms_contract.exchange import HttpRequest, HttpResponse
from sms_contract.transports.base import Timeouts


class DropConnection(Exception):
    """Raised by a WSGI app to close the connection after processing, before any response."""


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
