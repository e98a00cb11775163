"""Where the proxy listens and forwards: loopback by default, plain HTTP only to loopback, and
token requests to the auth host."""

from __future__ import annotations

from pathlib import Path

import pytest

from sms_contract.errors import UsageError
from sms_contract.proxy.forwarding import end_to_end, merged
from sms_contract.proxy.settings import ProxySettings, parse_listen, parse_upstream
from sms_contract.recordings.cassettes import RecordingSource


@pytest.mark.parametrize(
    ("url", "authority"),
    [
        ("https://sub.rest.marketingcloudapis.com", "sub.rest.marketingcloudapis.com"),
        ("https://sub.rest.marketingcloudapis.com/", "sub.rest.marketingcloudapis.com"),
        ("https://gateway.example:8443", "gateway.example:8443"),
        ("https://gateway.example:443", "gateway.example"),
        ("http://127.0.0.1:8080", "127.0.0.1:8080"),
        ("http://localhost", "localhost"),
        ("http://[::1]:8080", "[::1]:8080"),
    ],
)
def test_an_https_or_loopback_upstream_is_taken_with_its_authority(
    url: str, authority: str
) -> None:
    """The Host header names the upstream (its port only when not the scheme's default), and
    a request target goes on after it as it is."""
    upstream = parse_upstream(url)
    assert upstream.authority == authority
    assert upstream.url_for("/v2/token") == f"{upstream.scheme}://{authority}/v2/token"


def test_an_upstream_with_a_path_is_refused() -> None:
    """The application's request paths are forwarded as they are: a base URL has none."""
    with pytest.raises(UsageError, match="base URL only"):
        parse_upstream("https://gateway.example/sfmc")


def test_plain_http_to_a_host_that_is_not_loopback_is_refused() -> None:
    """Tokens and secrets would cross the network in clear text: a UsageError saying so."""
    with pytest.raises(UsageError, match="clear text"):
        parse_upstream("http://sub.rest.marketingcloudapis.com")


@pytest.mark.parametrize(
    ("text", "allowed", "expected"),
    [
        ("127.0.0.1:8081", False, ("127.0.0.1", 8081)),
        ("localhost:0", False, ("localhost", 0)),
        ("[::1]:9000", False, ("::1", 9000)),
        ("0.0.0.0:8081", True, ("0.0.0.0", 8081)),
    ],
)
def test_listen_is_host_and_port(text: str, allowed: bool, expected: tuple[str, int]) -> None:
    """HOST:PORT, IPv6 in brackets; beyond loopback only when allowed."""
    assert parse_listen(text, allow_remote_clients=allowed) == expected


@pytest.mark.parametrize("text", ["8081", "127.0.0.1:", "127.0.0.1:99999", ":8081", "host:x"])
def test_a_malformed_listen_address_is_a_usage_error(text: str) -> None:
    """What is not HOST:PORT is refused, with an example of what is."""
    with pytest.raises(UsageError, match="give HOST:PORT"):
        parse_listen(text)


def test_listening_beyond_loopback_is_refused_unless_allowed() -> None:
    """The flag that allows it is named."""
    with pytest.raises(UsageError, match="--allow-remote-clients"):
        parse_listen("192.168.1.5:8081")


def test_token_requests_go_to_the_auth_upstream_and_the_rest_to_the_rest_upstream() -> None:
    """Paths under /v2/ are the auth host's; a tenant upstream is live, loopback the
    simulator."""
    settings = ProxySettings.from_urls(
        "https://sub.rest.marketingcloudapis.com",
        auth_upstream="https://sub.auth.marketingcloudapis.com",
    )
    assert settings.upstream_for("/v2/token").host == "sub.auth.marketingcloudapis.com"
    assert settings.upstream_for("/messaging/v1/sms/messages/k").host == (
        "sub.rest.marketingcloudapis.com"
    )
    assert settings.source is RecordingSource.LIVE
    assert ProxySettings.from_urls("http://127.0.0.1:8080").source is RecordingSource.SIMULATOR


def test_hop_by_hop_headers_are_left_out_and_repeated_ones_kept() -> None:
    """Connection, the headers it names and the fixed hop-by-hop set go; order, spelling and
    repeats stay; the judges see repeats joined."""
    headers = [
        ("Connection", "keep-alive, X-Trace"),
        ("X-Trace", "1"),
        ("keep-alive", "timeout=5"),
        ("Transfer-Encoding", "chunked"),
        ("Set-Cookie", "a=1"),
        ("set-cookie", "b=2"),
        ("Content-Type", "application/json"),
    ]
    kept = end_to_end(headers)
    assert kept == (
        ("Set-Cookie", "a=1"),
        ("set-cookie", "b=2"),
        ("Content-Type", "application/json"),
    )
    assert merged(kept) == {"Set-Cookie": "a=1, b=2", "Content-Type": "application/json"}


def test_a_ca_bundle_without_an_https_upstream_is_a_usage_error(tmp_path: Path) -> None:
    """There is nothing to verify it with: said at once rather than ignored."""
    with pytest.raises(UsageError, match="--ca-bundle goes with an https:// upstream"):
        ProxySettings.from_urls("http://127.0.0.1:8080", ca_bundle=tmp_path / "ca.pem")
