"""One request to the upstream, and its answer, as bytes.

The request goes out as the application sent it: the method and the request target exactly
(no re-quoting, no normalisation), every header in its order and spelling except the
hop-by-hop ones (``Connection`` and the headers it names, ``Keep-Alive``, ``Transfer-Encoding``,
``TE``, ``Trailer``, ``Upgrade``, ``Proxy-*``), and the body's bytes. Two things belong to the
hop and are the proxy's: ``Host`` names the upstream, and a body that came chunked goes with
its ``Content-Length``. The answer comes back the same way: status, reason, headers in order
(hop-by-hop ones left out; read by ``http.client``, which neither decodes a ``gzip`` body nor
merges repeated headers) and the body's bytes.

Each request has a connection of its own, closed once answered, and is never retried: a
retry is the application's to make (a second send could deliver twice). What became of it is
a ``Forwarded``: the upstream's answer; or no answer, either because the upstream could not be
reached (``reached`` is False: nothing was sent) or because the connection failed once the
request was on its way (it may have been processed).

TLS is verified with ``--ca-bundle``, else the CA variables (as ``sms-contract run`` reads
them: :func:`sms_contract.transports.http.find_ca_bundle`), else certifi's bundle. Nothing
here reads a proxy variable: the proxy connects to its upstream directly.
"""

from __future__ import annotations

import http.client
import os
import socket
import ssl
import time
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

import certifi

from sms_contract.exchange import HttpResponse
from sms_contract.proxy.settings import CONNECT_TIMEOUT, Upstream
from sms_contract.transports.http import find_ca_bundle

Headers = tuple[tuple[str, str], ...]

HOP_BY_HOP = frozenset(
    {
        "connection",
        "keep-alive",
        "proxy-authenticate",
        "proxy-authorization",
        "proxy-connection",
        "te",
        "trailer",
        "transfer-encoding",
        "upgrade",
    }
)


def end_to_end(headers: Iterable[tuple[str, str]]) -> Headers:
    """``headers`` without the hop-by-hop ones (those ``Connection`` names included), in
    their order and spelling."""
    kept = list(headers)
    named = {
        token.strip().lower()
        for name, value in kept
        if name.lower() == "connection"
        for token in value.split(",")
    }
    return tuple((n, v) for n, v in kept if n.lower() not in HOP_BY_HOP | named)


def merged(headers: Iterable[tuple[str, str]]) -> dict[str, str]:
    """Repeated headers joined with ``", "`` (as HTTP reads them): the judges' view."""
    found: dict[str, str] = {}
    index: dict[str, str] = {}
    for name, value in headers:
        key = index.setdefault(name.lower(), name)
        found[key] = f"{found[key]}, {value}" if key in found else value
    return found


def header(headers: Iterable[tuple[str, str]], name: str) -> str | None:
    wanted = name.lower()
    return next((value for key, value in headers if key.lower() == wanted), None)


@dataclass(frozen=True)
class Answer:
    """The upstream's answer, as it came."""

    status: int
    reason: str
    headers: Headers  # end to end only, in order
    body: bytes
    elapsed: float

    def response(self) -> HttpResponse:
        return HttpResponse(self.status, merged(self.headers), self.body, self.elapsed)


@dataclass(frozen=True)
class Forwarded:
    """What became of one request: the upstream's ``answer``, or why there is none."""

    answer: Answer | None
    failure: str | None = None
    reached: bool = True  # False: the upstream could not be reached, nothing was sent


class Forwarder:
    """Sends requests to upstreams (module doc); safe to share between threads."""

    def __init__(
        self,
        *,
        timeout: float,
        ca_bundle: Path | None = None,
        environ: Mapping[str, str] | None = None,
        tls: bool = True,
    ) -> None:
        """``tls``: build the TLS context (reading the CA bundle now, so that a bundle that
        cannot be used is a ``UsageError`` before the proxy listens)."""
        self._timeout = timeout
        self._context: ssl.SSLContext | None = None
        if tls:
            found = find_ca_bundle(ca_bundle, os.environ if environ is None else environ)
            if found is None:
                self._context = ssl.create_default_context(cafile=certifi.where())
            elif Path(found.path).is_dir():
                self._context = ssl.create_default_context(capath=found.path)
            else:
                self._context = ssl.create_default_context(cafile=found.path)

    def forward(
        self,
        upstream: Upstream,
        method: str,
        target: str,
        headers: Sequence[tuple[str, str]],
        body: bytes | None,
    ) -> Forwarded:
        """Send one request (``headers``: end to end, without ``Host``) and read the answer."""
        started = time.perf_counter()
        try:
            connection = self._connect(upstream)
        except _Unreachable as exc:
            return Forwarded(None, str(exc), reached=False)
        try:
            lines = [f"{method} {target} HTTP/1.1", f"Host: {upstream.authority}"]
            lines += [f"{name}: {value}" for name, value in headers]
            if body and header(headers, "Content-Length") is None:
                lines.append(f"Content-Length: {len(body)}")
            # The handler read the head as ISO-8859-1, so the same codec gives its bytes back.
            head = ("\r\n".join(lines) + "\r\n\r\n").encode("iso-8859-1")
            connection.settimeout(self._timeout)
            connection.sendall(head + (body or b""))
            response = http.client.HTTPResponse(connection, method=method)
            try:
                response.begin()
                content = response.read()
            finally:
                response.close()
        except TimeoutError:
            return Forwarded(None, f"no answer within {self._timeout:g} s")
        except (OSError, http.client.HTTPException) as exc:
            return Forwarded(None, f"the connection failed before the answer ({_why(exc)})")
        finally:
            connection.close()
        answer = Answer(
            status=response.status,
            reason=response.reason,
            headers=end_to_end(response.msg.items()),
            body=content,
            elapsed=time.perf_counter() - started,
        )
        return Forwarded(answer)

    def _connect(self, upstream: Upstream) -> socket.socket:
        try:
            raw = socket.create_connection((upstream.host, upstream.port), CONNECT_TIMEOUT)
        except socket.gaierror:
            raise _Unreachable(f"the host name {upstream.host} does not resolve") from None
        except TimeoutError:
            raise _Unreachable(f"no connection within {CONNECT_TIMEOUT:g} s") from None
        except OSError as exc:
            raise _Unreachable(f"cannot connect to {upstream.authority} ({_why(exc)})") from None
        if upstream.scheme != "https":
            return raw
        if self._context is None:  # pragma: no cover - the settings made a context for https
            raw.close()
            raise _Unreachable("no TLS context for an https upstream")
        try:
            return self._context.wrap_socket(raw, server_hostname=upstream.host)
        except ssl.SSLCertVerificationError as exc:
            raw.close()
            cause = exc.verify_message or exc.reason or "certificate verify failed"
            raise _Unreachable(
                f"the TLS certificate of {upstream.host} could not be verified ({cause}); pass "
                "--ca-bundle FILE naming the CA that signed it"
            ) from None
        except (ssl.SSLError, OSError) as exc:
            raw.close()
            raise _Unreachable(
                f"the TLS handshake with {upstream.host} failed ({_why(exc)})"
            ) from None


class _Unreachable(Exception):
    """Nothing was sent: the upstream could not be connected to."""


def _why(exc: BaseException) -> str:
    if isinstance(exc, ConnectionRefusedError):
        return "connection refused"
    if isinstance(exc, ssl.SSLError) and exc.reason:
        return str(exc.reason).lower().replace("_", " ")
    if isinstance(exc, OSError) and exc.strerror:
        return exc.strerror.lower()
    return type(exc).__name__
