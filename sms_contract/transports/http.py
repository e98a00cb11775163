"""HTTP through a ``requests.Session``: real tenants, the simulator on a loopback port, and the
in-process mock (which the ``responses`` library serves behind the same session). Every
``requests`` and ``urllib3`` exception is translated here into ``TransportError`` (nothing was
sent) or ``ResponseLost`` (the request may have been processed).

The environment is read as curl and ``requests.get`` read it, but explicitly (the session's
``trust_env`` stays off, see ``HttpTransport``): the CA bundle from ``--ca-bundle``, else
``REQUESTS_CA_BUNDLE``, ``CURL_CA_BUNDLE`` or ``SSL_CERT_FILE``, else certifi's; the proxy from
``HTTPS_PROXY`` / ``HTTP_PROXY`` / ``ALL_PROXY`` (lower-case names first), except for a host
that ``NO_PROXY`` names and for loopback, which never goes through a proxy.
"""

from __future__ import annotations

import ipaddress
import os
import ssl
import time
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import requests
import requests.adapters
import urllib3.exceptions

from sms_contract.errors import ResponseLost, TransportError, UsageError
from sms_contract.exchange import HttpRequest, HttpResponse, is_loopback_host
from sms_contract.transports.base import Timeouts

_NOT_SENT = (
    urllib3.exceptions.NewConnectionError,
    urllib3.exceptions.ConnectTimeoutError,
    urllib3.exceptions.NameResolutionError,
)


POOL_SIZE = 32  # connections kept alive per host: the most requests a run has in flight


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
    tunnel = "Tunnel connection failed: "  # urllib3's words for a CONNECT the proxy refused
    for current in chain:
        text = str(current.args[0]) if current.args else ""
        if isinstance(current, OSError) and text.startswith(tunnel):
            return f"the proxy refused the tunnel: {text.removeprefix(tunnel)}"
    return type(exc).__name__


# --- the environment: CA bundle and proxies ----------------------------------------------

ENV_CA_BUNDLES = ("REQUESTS_CA_BUNDLE", "CURL_CA_BUNDLE", "SSL_CERT_FILE")
"""Where the CA bundle is looked for when ``--ca-bundle`` is not given, in this order (requests
reads the first two; ``SSL_CERT_FILE`` is OpenSSL's, which requests alone would not read)."""

_PEM_MARKERS = (b"-----BEGIN CERTIFICATE-----", b"-----BEGIN TRUSTED CERTIFICATE-----")
_HOST_MISMATCH = (62, 64)  # X509_V_ERR_HOSTNAME_MISMATCH, X509_V_ERR_IP_ADDRESS_MISMATCH
_OUT_OF_DATE = (9, 10)  # X509_V_ERR_CERT_NOT_YET_VALID, X509_V_ERR_CERT_HAS_EXPIRED


@dataclass(frozen=True)
class CaBundle:
    """The CA bundle certificates are verified with, and where it was named."""

    path: str
    source: str  # "--ca-bundle" or the environment variable's name

    @property
    def named(self) -> str:
        """``--ca-bundle FILE`` or ``VARIABLE=FILE``, as a message shows it."""
        if self.source.startswith("--"):
            return f"{self.source} {self.path}"
        return f"{self.source}={self.path}"


def find_ca_bundle(
    explicit: str | os.PathLike[str] | None, environ: Mapping[str, str]
) -> CaBundle | None:
    """The CA bundle to verify with: ``explicit`` (``--ca-bundle``, which wins), else the first
    of ``ENV_CA_BUNDLES`` set in ``environ``, else ``None`` (requests' own: certifi's).

    Raises ``UsageError`` when it is missing, unreadable, or holds no PEM certificate, so that
    a bad bundle stops a run before anything is sent. A directory (of ``c_rehash`` links, as
    requests accepts) is taken as it is.
    """
    if explicit is not None:
        found = CaBundle(os.fspath(explicit), "--ca-bundle")
    else:
        values = ((name, environ.get(name, "").strip()) for name in ENV_CA_BUNDLES)
        named = next(((name, value) for name, value in values if value), None)
        if named is None:
            return None
        found = CaBundle(named[1], named[0])
    path = Path(found.path)
    if path.is_dir():
        return found
    try:
        data = path.read_bytes()
    except FileNotFoundError:
        raise UsageError(f"{found.named}: no such file (give the CA's PEM file)") from None
    except OSError as exc:
        why = exc.strerror or type(exc).__name__
        raise UsageError(f"{found.named}: cannot be read ({why})") from None
    if not any(marker in data for marker in _PEM_MARKERS):
        raise UsageError(f"{found.named}: holds no PEM certificate (-----BEGIN CERTIFICATE-----)")
    return found


def proxies_for(url: str, environ: Mapping[str, str]) -> dict[str, str]:
    """The proxy for ``url`` as requests takes it (``{scheme: proxy URL}``), from
    ``{scheme}_proxy`` or ``all_proxy`` (lower-case name first, then upper-case); ``{}`` for a
    loopback host (never proxied) and for a host that ``NO_PROXY`` names (``*``, a name that
    also covers its subdomains, with or without a leading dot, ``name:port``, an IP address or
    a CIDR network)."""
    parts = urlsplit(url)
    host = (parts.hostname or "").lower()
    if not host or is_loopback_host(host):
        return {}

    def get(name: str) -> str:
        for key in (name.lower(), name.upper()):
            value = environ.get(key, "").strip()
            if value:
                return value
        return ""

    port = parts.port or (443 if parts.scheme == "https" else 80)
    if _bypassed(host, port, get("no_proxy")):
        return {}
    proxy = get(f"{parts.scheme}_proxy") or get("all_proxy")
    return {parts.scheme: proxy} if proxy else {}


def _bypassed(host: str, port: int, no_proxy: str) -> bool:
    try:
        address: ipaddress.IPv4Address | ipaddress.IPv6Address | None
        address = ipaddress.ip_address(host)
    except ValueError:
        address = None
    for entry in (item.strip().lower() for item in no_proxy.split(",")):
        if entry == "*":
            return True
        try:
            network = ipaddress.ip_network(entry.strip("[]"), strict=False)
        except ValueError:
            network = None
        if network is not None:
            if address is not None and address in network:
                return True
            continue
        name, colon, wanted = entry.rpartition(":")
        if not (colon and wanted.isdigit()):
            name, wanted = entry, ""
        name = name.lstrip("*").lstrip(".")
        if not name or (wanted and int(wanted) != port):
            continue
        if host == name or host.endswith(f".{name}"):
            return True
    return False


def _untrusted_certificate(exc: BaseException) -> ssl.SSLCertVerificationError | None:
    """The certificate verification failure behind ``exc`` (wherever requests wrapped it: an
    ``SSLError``, a ``ProxyError`` of a tunnel), or ``None``."""
    for current in _chain(exc):
        if isinstance(current, ssl.SSLCertVerificationError):
            return current
    return None


def _tls_reason(exc: BaseException) -> str:
    """OpenSSL's reason for a failed handshake (``wrong version number``), else the type."""
    for current in _chain(exc):
        reason = getattr(current, "reason", None)
        if isinstance(current, ssl.SSLError) and isinstance(reason, str) and reason:
            return reason.lower().replace("_", " ")
    return type(exc).__name__


class HttpTransport:
    """HTTP over a ``requests.Session`` with keep-alive and a connection pool.

    ``ca_bundle`` (a PEM file, ``--ca-bundle``) wins over the CA variables of ``environ``
    (default ``os.environ``; ``{}`` reads nothing), which is read for them once, here: a bundle
    that cannot be used raises ``UsageError`` before anything is sent. The proxy variables are
    read at each send (``proxies_for``), when the session is the transport's own.

    Threads may send through one transport at once (the runner's workers do): the session's
    connection pool (urllib3's, thread-safe) keeps up to ``POOL_SIZE`` connections per host
    alive, as many as ``--concurrency`` allows.
    """

    def __init__(
        self,
        session: requests.Session | None = None,
        *,
        verify: bool = True,
        ca_bundle: str | os.PathLike[str] | None = None,
        environ: Mapping[str, str] | None = None,
    ) -> None:
        own = session is None
        if session is None:
            session = requests.Session()
            adapter = requests.adapters.HTTPAdapter(pool_maxsize=POOL_SIZE)
            session.mount("https://", adapter)
            session.mount("http://", adapter)
        self._session = session
        # Not requests' trust_env on a session of our own: it would put ~/.netrc credentials
        # on requests (over the Authorization header the client set), and Session.send reads
        # no CA variable anyway. What the environment should give (the CA bundle, the proxy)
        # is read explicitly instead.
        self._session.trust_env = False if own else self._session.trust_env
        self._own_session = own
        self._environ: Mapping[str, str] = os.environ if environ is None else environ
        self._ca_bundle = find_ca_bundle(ca_bundle, self._environ) if verify else None
        self._verify: bool | str = self._ca_bundle.path if self._ca_bundle else verify

    def _untrusted(self, host: str, error: ssl.SSLCertVerificationError) -> str:
        """One line: whose certificate, why it was refused, and what to do about it."""
        cause = (error.verify_message or error.reason or "certificate verify failed").rstrip(".")
        if error.verify_code in _HOST_MISMATCH:
            fix = (
                "the certificate is for another host: check the host of --base-url, --auth-url "
                "or SFMC_SUBDOMAIN"
            )
        elif error.verify_code in _OUT_OF_DATE:
            fix = "check this machine's clock, or have the server's certificate renewed"
        elif self._ca_bundle is None:
            fix = "pass --ca-bundle FILE or set REQUESTS_CA_BUNDLE to the CA that signed it"
        else:
            fix = (
                f"the CA bundle {self._ca_bundle.named} does not hold the CA that signed it; "
                "pass --ca-bundle FILE naming that CA"
            )
        return f"TLS certificate of {host} could not be verified ({cause}): {fix}"

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
            options: dict[str, Any] = {}
            if self._own_session:  # a caller's session resolves its proxies as it is set up to
                options["proxies"] = proxies_for(request.url, self._environ)
            raw = self._session.send(
                prepared,
                timeout=(timeouts.connect, timeouts.read),
                allow_redirects=False,
                verify=self._verify,
                **options,
            )
        except requests.exceptions.ConnectTimeout as exc:
            raise TransportError(f"{where}: no connection within {timeouts.connect}s") from exc
        except requests.exceptions.ReadTimeout as exc:
            raise ResponseLost(f"{where}: no response within {timeouts.read}s") from exc
        except requests.exceptions.ConnectionError as exc:
            # A certificate that cannot be verified stays so: permanent (never retried), with
            # the fix, wherever requests put it (an SSLError, or a ProxyError of a tunnel).
            untrusted = _untrusted_certificate(exc)
            if untrusted is not None:
                host = urlsplit(request.url).hostname or where
                raise TransportError(self._untrusted(host, untrusted), permanent=True) from exc
            if isinstance(exc, requests.exceptions.SSLError):
                raise TransportError(
                    f"{where}: TLS handshake failed ({_tls_reason(exc)})", permanent=True
                ) from exc
            if isinstance(exc, requests.exceptions.ProxyError):  # nothing reached the target
                raise TransportError(
                    f"{where}: cannot connect through the proxy ({_why_not_connected(exc)})"
                ) from exc
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
