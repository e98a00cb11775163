"""Replay cassettes behind a ``requests`` session, through the ``responses`` library.

``CassetteReplayer`` is a ``responses`` callback: it scrubs each incoming request with the
same rules as the recording (``cassettes.scrub_request``), finds the matching interaction
(``matching.find_match``) and answers with the recorded status, headers and body. A miss
raises ``CassetteMiss`` out of the callback; ``responses`` re-raises callback exceptions
unchanged, so the caller of ``session.request`` (and ``HttpTransport.send``) sees it. With a
``fallback`` (for instance the in-process simulator) a miss is answered by the fallback
instead. A recorded lost response is replayed as a ``requests`` ``ConnectionError`` after the
request, which ``HttpTransport`` reports as ``ResponseLost``.

``responses`` dispatches on the exact method and URL, and its default registry *consumes*
the first of two registrations that both match a request. So the replayer is registered
once per set of hosts, as one entry that answers every method (``QUERY`` and ``TRACE``
too), and ``add_hermetic_guard`` adds one entry that refuses every other host with a clear
``UnsafeTargetError`` instead of the default "Connection refused by Responses" text.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Iterator, Mapping
from contextlib import contextmanager
from typing import Any
from urllib.parse import urlsplit

import requests
import responses

from sms_contract.cassettes import Cassette, Interaction, scrub_request
from sms_contract.errors import CassetteMiss, UnsafeTargetError, UsageError
from sms_contract.exchange import HttpRequest
from sms_contract.matching import MATCHERS, Matcher, find_match
from sms_contract.redaction import Scrubber

Reply = tuple[int, Mapping[str, str], bytes | str]
"""What a ``responses`` callback returns: status, headers, body."""

Fallback = Callable[[requests.PreparedRequest], Reply]
"""Answers a request that no recording covers (the in-process simulator, for instance)."""

_DEFAULT_PORTS = {"http": 80, "https": 443}


def origin(url: str) -> str:
    """``scheme://host[:port]`` of a URL, lower-cased, with the default port left out."""
    parts = urlsplit(url)
    if parts.scheme not in _DEFAULT_PORTS or not parts.hostname:
        raise UsageError("a replay base URL must be an absolute http(s) URL with a host")
    port = parts.port
    shown = f":{port}" if port is not None and port != _DEFAULT_PORTS[parts.scheme] else ""
    return f"{parts.scheme}://{parts.hostname.lower()}{shown}"


def to_http_request(prepared: requests.PreparedRequest) -> HttpRequest:
    """The ``requests`` request as our own ``HttpRequest`` value."""
    raw = prepared.body
    data = raw.encode("utf-8") if isinstance(raw, str) else raw
    return HttpRequest(
        method=(prepared.method or "GET").upper(),
        url=prepared.url or "",
        headers=dict(prepared.headers),
        body=data if isinstance(data, bytes) else None,
    )


class CassetteReplayer:
    """Answers requests from recorded interactions; usable as a ``responses`` callback."""

    def __init__(
        self,
        cassettes: Iterable[Cassette],
        scrubber: Scrubber,
        *,
        fallback: Fallback | None = None,
        matchers: Mapping[str, Matcher] = MATCHERS,
    ) -> None:
        self.interactions: tuple[Interaction, ...] = tuple(
            interaction for cassette in cassettes for interaction in cassette.interactions
        )
        self._scrubber = scrubber
        self._fallback = fallback
        self._matchers = matchers
        self._prefer: tuple[str, str] | None = None
        self.replayed = 0
        self.fell_back = 0

    @contextmanager
    def for_case(self, check_id: str, case_id: str) -> Iterator[None]:
        """Prefer this case's interactions while the block runs (scrubbing can make two
        cases' requests identical; their recorded responses may still differ)."""
        previous, self._prefer = self._prefer, (check_id, case_id)
        try:
            yield
        finally:
            self._prefer = previous

    def answer(self, request: HttpRequest) -> Interaction:
        """The interaction that answers ``request``; ``CassetteMiss`` explains a miss."""
        actual = scrub_request(self._scrubber, request)
        return find_match(self.interactions, actual, matchers=self._matchers, prefer=self._prefer)

    def __call__(self, prepared: requests.PreparedRequest) -> Reply:
        try:
            interaction = self.answer(to_http_request(prepared))
        except CassetteMiss:
            if self._fallback is None:
                raise
            self.fell_back += 1
            return self._fallback(prepared)
        self.replayed += 1
        recorded = interaction.response
        if recorded is None:
            raise requests.exceptions.ConnectionError(
                "replayed from a cassette: the connection closed before the response arrived",
                request=prepared,
            )
        return recorded.status, dict(recorded.headers), recorded.content()


class _HostsCallback(responses.CallbackResponse):
    """A ``responses`` entry that takes every method and every path on a set of origins."""

    def __init__(self, origins: Iterable[str], callback: Callable[[Any], Any]) -> None:
        super().__init__("ANY", re.compile(".*"), callback, content_type=None)
        self.origins = frozenset(origins)

    def matches(self, request: requests.PreparedRequest) -> tuple[bool, str]:
        if origin(str(request.url)) in self.origins:
            return True, ""
        return False, f"not one of {sorted(self.origins)}"


def _refuse(origins: frozenset[str]) -> Callable[[requests.PreparedRequest], Reply]:
    def refuse(request: requests.PreparedRequest) -> Reply:
        known = ", ".join(sorted(origins)) or "none"
        raise UnsafeTargetError(
            f"mock target is hermetic: {origin(str(request.url))} is not a recorded host "
            f"(recorded hosts: {known}); nothing was sent"
        )

    return refuse


class _OtherHosts(_HostsCallback):
    def matches(self, request: requests.PreparedRequest) -> tuple[bool, str]:
        inside, _ = super().matches(request)
        return (not inside), ("" if not inside else "a recorded host")


def add_replayer(
    mock: responses.RequestsMock, callback: Callable[[Any], Any], base_urls: Iterable[str]
) -> None:
    """Route every method and path on the hosts of ``base_urls`` to ``callback``.

    Register nothing else in ``mock`` for these hosts: ``responses`` would consume one of two
    overlapping entries. Give other handlers to the replayer as its ``fallback`` instead.
    """
    mock.add(_HostsCallback({origin(url) for url in base_urls}, callback))


def add_hermetic_guard(mock: responses.RequestsMock, allowed_base_urls: Iterable[str]) -> None:
    """Refuse, with ``UnsafeTargetError``, every request to a host outside the allowed ones.

    Add it once, after every other entry, with the base URLs of all of them. The mock must
    not assert that all entries fired (``assert_all_requests_are_fired=False``).
    """
    allowed = frozenset(origin(url) for url in allowed_base_urls)
    mock.add(_OtherHosts(allowed, _refuse(allowed)))


@contextmanager
def replaying(
    cassettes: Iterable[Cassette],
    base_url: str,
    scrubber: Scrubber,
    *,
    other_base_urls: Iterable[str] = (),
    fallback: Fallback | None = None,
) -> Iterator[CassetteReplayer]:
    """Serve ``cassettes`` to every ``requests`` call made inside the block.

    ``base_url`` and ``other_base_urls`` (for example the token endpoint's host) are the
    hosts replayed; any other host is refused. ``scrubber`` must carry the same known
    secrets as the one used for recording.
    """
    bases = [base_url, *other_base_urls]
    replayer = CassetteReplayer(cassettes, scrubber, fallback=fallback)
    with responses.RequestsMock(assert_all_requests_are_fired=False) as mock:
        add_replayer(mock, replayer, bases)
        add_hermetic_guard(mock, bases)
        yield replayer
