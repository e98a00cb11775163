"""Where the proxy listens and where it forwards, refused when unsafe.

- It listens on loopback unless told otherwise (``allow_remote_clients``): the application's
  tokens and client secrets cross the proxy's plain-HTTP side.
- An upstream is ``https://``, or ``http://`` on loopback only (the simulator served by
  ``sms-contract serve``): a plain-HTTP hop to anything else would carry them in clear text.
- Token requests (any path under ``/v2/``, the auth host's) go to ``auth_upstream``, which is
  the upstream unless given: a tenant has an auth host and a REST host, the simulator one.

Everything a user can get wrong here is a ``UsageError``: one line, exit 2.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING
from urllib.parse import urlsplit

from sms_contract.errors import UsageError
from sms_contract.exchange import is_loopback_host

if TYPE_CHECKING:
    from sms_contract.recordings.cassettes import RecordingSource

DEFAULT_LISTEN = "127.0.0.1:8081"
DEFAULT_UPSTREAM_TIMEOUT = 60.0  # seconds to wait for the upstream's answer once connected
CONNECT_TIMEOUT = 10.0  # seconds to wait for a connection to the upstream
AUTH_PATHS = "/v2/"  # the auth host's routes: POST /v2/token, and its neighbours
_DEFAULT_PORTS = {"http": 80, "https": 443}


@dataclass(frozen=True)
class Upstream:
    """One server requests are forwarded to: its scheme, host and port (request targets go on
    as the application sent them, so a base URL has no path)."""

    scheme: str
    host: str
    port: int

    @property
    def authority(self) -> str:
        """``host[:port]`` as a ``Host`` header names it (the port only when not the
        scheme's default)."""
        host = f"[{self.host}]" if ":" in self.host else self.host
        return host if self.port == _DEFAULT_PORTS[self.scheme] else f"{host}:{self.port}"

    @property
    def url(self) -> str:
        return f"{self.scheme}://{self.authority}"

    def url_for(self, target: str) -> str:
        """The URL a request target (``/path?query``) is forwarded to."""
        return f"{self.url}{target}"


def parse_upstream(url: str, option: str = "--upstream") -> Upstream:
    """``url`` as an ``Upstream``; ``UsageError`` when it is not an http(s) base URL (no
    credentials, path, query or fragment), or when it is plain HTTP to a host that is not
    loopback."""
    try:
        parts = urlsplit(url.strip())
        port = parts.port
    except ValueError as exc:
        raise UsageError(f"{option} {url!r}: not a URL ({exc})") from None
    scheme = parts.scheme.lower()
    if scheme not in _DEFAULT_PORTS or not parts.hostname:
        raise UsageError(
            f"{option} {url!r}: give an https:// URL (or http:// on loopback), e.g. "
            "https://YOUR-SUBDOMAIN.rest.marketingcloudapis.com"
        )
    if parts.username is not None or parts.password is not None:
        raise UsageError(f"{option}: the URL must not carry credentials (user:password@)")
    if parts.path.strip("/") or parts.query or parts.fragment:
        raise UsageError(
            f"{option} {url!r}: give the base URL only (no path, query or fragment): the "
            "application's request paths are forwarded as they are"
        )
    host = parts.hostname
    if scheme == "http" and not is_loopback_host(host):
        raise UsageError(
            f"{option} {url!r}: plain http:// is refused for a host that is not loopback (the "
            "application's tokens and client secrets would cross the network in clear text); "
            "use https://"
        )
    return Upstream(scheme, host, port or _DEFAULT_PORTS[scheme])


def parse_listen(text: str, *, allow_remote_clients: bool = False) -> tuple[str, int]:
    """``HOST:PORT`` (``[::1]:PORT`` for IPv6; port 0 picks a free one) as ``(host, port)``;
    ``UsageError`` when malformed, or when the host is not loopback and
    ``allow_remote_clients`` is not given."""
    host, colon, port_text = text.strip().rpartition(":")
    host = host.removeprefix("[").removesuffix("]")
    if not colon or not host or not port_text.isdigit() or int(port_text) > 65535:
        raise UsageError(f"--listen {text!r}: give HOST:PORT, e.g. {DEFAULT_LISTEN}")
    if not is_loopback_host(host) and not allow_remote_clients:
        raise UsageError(
            f"--listen {text!r}: {host} is not a loopback address, and the proxy's side is "
            "plain HTTP carrying the application's tokens and client secrets; pass "
            "--allow-remote-clients to listen there anyway"
        )
    return host, int(port_text)


@dataclass(frozen=True)
class ProxySettings:
    """Everything the proxy is started with."""

    upstream: Upstream
    auth_upstream: Upstream
    host: str = "127.0.0.1"
    port: int = 8081
    timeout: float = DEFAULT_UPSTREAM_TIMEOUT
    ca_bundle: Path | None = None

    @classmethod
    def from_urls(
        cls,
        upstream: str,
        *,
        auth_upstream: str | None = None,
        listen: str = DEFAULT_LISTEN,
        allow_remote_clients: bool = False,
        timeout: float = DEFAULT_UPSTREAM_TIMEOUT,
        ca_bundle: Path | None = None,
    ) -> ProxySettings:
        """The settings of the command line, checked (module doc)."""
        rest = parse_upstream(upstream)
        auth = rest if auth_upstream is None else parse_upstream(auth_upstream, "--auth-upstream")
        host, port = parse_listen(listen, allow_remote_clients=allow_remote_clients)
        if timeout <= 0:
            raise UsageError(f"--upstream-timeout must be positive, not {timeout:g}")
        if ca_bundle is not None and "https" not in (rest.scheme, auth.scheme):
            raise UsageError("--ca-bundle goes with an https:// upstream (there is no TLS here)")
        return cls(rest, auth, host, port, timeout, ca_bundle)

    @property
    def source(self) -> RecordingSource:
        """What answers, as a cassette's provenance names it: on loopback only, the simulator
        (as for ``sms-contract run`` pointed at loopback); otherwise a live tenant."""
        from sms_contract.recordings.cassettes import RecordingSource  # YAML: not for --help

        hosts = (self.upstream.host, self.auth_upstream.host)
        loopback = all(is_loopback_host(host) for host in hosts)
        return RecordingSource.SIMULATOR if loopback else RecordingSource.LIVE

    def upstream_for(self, target: str) -> Upstream:
        """Where a request target goes: the auth upstream for the auth host's routes."""
        return self.auth_upstream if target.startswith(AUTH_PATHS) else self.upstream
