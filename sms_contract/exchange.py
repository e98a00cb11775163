"""Plain HTTP values that cross the transport seam: a request, a response, and the pair; and
the HTTP facts everyone shares (the JSON media type, what a loopback host is).

They are frozen and free of I/O, so checks, reports and recordings work on them without
knowing which transport produced them. Their ``repr`` never shows a credential or a body:
an ``Authorization`` header is shown as ``<redacted>`` and bodies by length only.
"""

from __future__ import annotations

import ipaddress
import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlsplit

SENSITIVE_HEADERS = frozenset({"authorization", "proxy-authorization", "cookie", "set-cookie"})
JSON_MEDIA_TYPE = "application/json"  # the only documented request and response media type


def media_type(content_type: str | None) -> str | None:
    """A Content-Type without its parameters, lower-cased (``application/json``)."""
    return content_type.split(";", 1)[0].strip().lower() if content_type else None


def is_loopback_host(host: str) -> bool:
    """``localhost``, an address in 127.0.0.0/8, or ``::1``."""
    if host.lower() == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def _safe_headers(headers: Mapping[str, str]) -> dict[str, str]:
    return {k: ("<redacted>" if k.lower() in SENSITIVE_HEADERS else v) for k, v in headers.items()}


def find_header(headers: Mapping[str, str], name: str) -> str | None:
    """The value of header ``name``, whatever its case, or ``None``."""
    lowered = name.lower()
    for key, value in headers.items():
        if key.lower() == lowered:
            return value
    return None


@dataclass(frozen=True, repr=False)
class HttpRequest:
    """One HTTP request as the client built it (the bytes that go on the wire)."""

    method: str
    url: str
    headers: Mapping[str, str] = field(default_factory=dict)
    body: bytes | None = None

    @property
    def path(self) -> str:
        """The path of the URL, still percent-encoded, without the query."""
        return urlsplit(self.url).path

    @property
    def query(self) -> str:
        return urlsplit(self.url).query

    def header(self, name: str) -> str | None:
        return find_header(self.headers, name)

    def json(self) -> Any:
        """The body parsed as JSON; raises ``ValueError`` when it is not JSON."""
        if self.body is None:
            raise ValueError("the request has no body")
        return json.loads(self.body)

    def __repr__(self) -> str:
        size = "no body" if self.body is None else f"{len(self.body)} bytes"
        headers = _safe_headers(self.headers)
        return f"<HttpRequest {self.method} {self.path} headers={headers} {size}>"


@dataclass(frozen=True, repr=False)
class HttpResponse:
    """One HTTP response as the transport received it."""

    status: int
    headers: Mapping[str, str] = field(default_factory=dict)
    body: bytes = b""
    elapsed: float = 0.0

    def header(self, name: str) -> str | None:
        return find_header(self.headers, name)

    @property
    def content_type(self) -> str | None:
        return self.header("Content-Type")

    @property
    def media_type(self) -> str | None:
        """The Content-Type without its parameters, lower-cased (``application/json``)."""
        return media_type(self.content_type)

    def json(self) -> Any:
        """The body parsed as JSON; raises ``ValueError`` when it is not JSON."""
        return json.loads(self.body)

    def json_or_none(self) -> Any:
        """The body parsed as JSON, or ``None`` when it is empty or not JSON."""
        try:
            return json.loads(self.body) if self.body else None
        except (ValueError, RecursionError):
            return None

    def __repr__(self) -> str:
        kind = self.media_type or "no content type"
        return f"<HttpResponse {self.status} {kind} {len(self.body)} bytes>"


@dataclass(frozen=True)
class Exchange:
    """A request and what came back: a response, or ``None`` when none arrived.

    ``attempt`` counts the tries of one request (retries reuse it). ``earlier`` holds, for the
    final try of a retried request, the statuses of the tries before it (``None``: its
    response was lost), so that a reader knows whether an earlier try may have been processed
    and reads, say, 109110 DuplicateMessageKey as that try's acceptance."""

    request: HttpRequest
    response: HttpResponse | None
    attempt: int = 1
    earlier: tuple[int | None, ...] = ()

    @property
    def maybe_processed_earlier(self) -> bool:
        """An earlier try of the same request got no response, or a 5xx."""
        return any(status is None or status >= 500 for status in self.earlier)
