"""HTTP through a ``requests.Session``: real tenants, the simulator on a loopback port, and the
in-process mock (which the ``responses`` library serves behind the same session). Every
``requests`` and ``urllib3`` exception is translated here into ``TransportError`` (nothing was
sent) or ``ResponseLost`` (the request may have been processed).
"""

from __future__ import annotations

import time
from urllib.parse import urlsplit

import requests
import requests.adapters
import urllib3.exceptions

from sms_contract.errors import ResponseLost, TransportError
from sms_contract.exchange import HttpRequest, HttpResponse
from sms_contract.transports.base import Timeouts

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
            raise TransportError(
                f"{where}: TLS handshake failed ({type(exc).__name__})", permanent=True
            ) from exc
        except requests.exceptions.ConnectionError as exc:
            if _was_sent(exc):
                raise ResponseLost(f"{where}: connection closed before the response") from exc
            unresolved = any(
                isinstance(c, urllib3.exceptions.NameResolutionError) for c in _chain(exc)
            )
            raise TransportError(
                f"{where}: cannot connect ({_why_not_connected(exc)})", permanent=unresolved
            ) from exc
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
