"""Proxies for a live target: HTTP_PROXY / HTTPS_PROXY honoured, NO_PROXY and loopback never
proxied. The proxy is a plain-HTTP server on 127.0.0.1 that records the request lines it gets;
the remote host, ``mc-test.invalid``, is one that only the proxy ever sees (a name lookup fails
in these tests: ``no_dns``)."""

from __future__ import annotations

from pathlib import Path

import pytest

from sms_contract.cli.main import main
from sms_contract.errors import ResponseLost, TransportError
from sms_contract.exchange import HttpRequest
from sms_contract.transports.base import Timeouts
from sms_contract.transports.http import HttpTransport, proxies_for
from tests.transports.conftest import Proxy

TIMEOUTS = Timeouts(connect=2, read=2)


def _send(transport: HttpTransport, request: HttpRequest) -> int:
    try:
        return transport.send(request, TIMEOUTS).status
    finally:
        transport.close()


@pytest.mark.loopback
def test_http_proxy_carries_the_request_to_a_remote_host(proxy: Proxy) -> None:
    """HTTP_PROXY set: the request for http://mc-test.invalid goes to the proxy, in the
    absolute form a forward proxy is asked with."""
    transport = HttpTransport(environ={"HTTP_PROXY": proxy.url})
    url = "http://mc-test.invalid/v2/token"
    assert _send(transport, HttpRequest("POST", url, {}, b"{}")) == 200
    assert proxy.lines == ["POST http://mc-test.invalid/v2/token HTTP/1.1"]


@pytest.mark.loopback
def test_https_proxy_is_asked_for_a_tunnel_and_its_refusal_is_nothing_sent(proxy: Proxy) -> None:
    """HTTPS_PROXY set: the proxy is asked to CONNECT to mc-test.invalid:443; its refusal is
    a TransportError saying so (nothing reached the target: not a lost response)."""
    transport = HttpTransport(environ={"https_proxy": proxy.url})
    url = "https://mc-test.invalid/messaging/v1/sms/messages/k"
    with pytest.raises(TransportError) as caught:
        _send(transport, HttpRequest("POST", url, {}, b"{}"))
    assert not isinstance(caught.value, ResponseLost)
    assert str(caught.value) == (
        "POST mc-test.invalid/messaging/v1/sms/messages/k: cannot connect through the proxy "
        "(the proxy refused the tunnel: 403 Forbidden)"
    )
    assert proxy.lines == ["CONNECT mc-test.invalid:443 HTTP/1.0"]


@pytest.mark.loopback
def test_a_loopback_host_never_goes_through_the_proxy(proxy: Proxy) -> None:
    """Every proxy variable set, no NO_PROXY: a request to 127.0.0.1 goes there directly (the
    proxy's own port, answering as a server: the request line is in origin form)."""
    environ = {name: proxy.url for name in ("HTTP_PROXY", "HTTPS_PROXY", "ALL_PROXY")}
    transport = HttpTransport(environ=environ)
    assert _send(transport, HttpRequest("GET", f"http://127.0.0.1:{proxy.port}/direct")) == 200
    assert proxy.lines == ["GET /direct HTTP/1.1"]


@pytest.mark.loopback
def test_a_live_run_reaches_its_target_through_https_proxy(
    proxy: Proxy,
    network_environment: pytest.MonkeyPatch,
    clean_cli_environment: pytest.MonkeyPatch,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
) -> None:
    """``run --target live`` with HTTPS_PROXY in the environment: the token request goes to the
    proxy (a CONNECT to the auth host), and the proxy's refusal ends the run with exit 3."""
    network_environment.setenv("HTTPS_PROXY", proxy.url)
    network_environment.setenv("SFMC_CLIENT_ID", "id")
    network_environment.setenv("SFMC_CLIENT_SECRET", "secret")
    argv = [
        *("run", "--target", "live", "--base-url", "https://mc-test.invalid"),
        *("--auth-url", "https://mc-test.invalid", "--definition-key", "account-reset"),
        *("--to", "15555551234", "--check", "SEND-EXAMPLE", "--retries", "0"),
        *("--report-dir", str(tmp_path / "reports")),
    ]
    assert main(argv) == 3
    assert "cannot connect through the proxy" in capsys.readouterr().err
    assert proxy.lines == ["CONNECT mc-test.invalid:443 HTTP/1.0"]


@pytest.mark.parametrize(
    ("url", "environ", "expected"),
    [
        ("https://mc1.rest.example", {"HTTPS_PROXY": "p:1"}, {"https": "p:1"}),
        ("https://mc1.rest.example", {"https_proxy": "low:1", "HTTPS_PROXY": "up:1"}, "low:1"),
        ("https://mc1.rest.example", {"HTTP_PROXY": "p:1"}, {}),
        ("http://mc1.rest.example", {"HTTP_PROXY": "p:1"}, {"http": "p:1"}),
        ("https://mc1.rest.example", {"ALL_PROXY": "p:1"}, {"https": "p:1"}),
        ("https://127.0.0.1:8443", {"HTTPS_PROXY": "p:1"}, {}),
        ("https://127.9.9.9", {"HTTPS_PROXY": "p:1"}, {}),
        ("https://localhost:8443", {"HTTPS_PROXY": "p:1"}, {}),
        ("https://[::1]:8443", {"HTTPS_PROXY": "p:1"}, {}),
        ("https://mc1.rest.example", {"HTTPS_PROXY": "p:1", "NO_PROXY": "*"}, {}),
        ("https://mc1.rest.example", {"HTTPS_PROXY": "p:1", "no_proxy": "rest.example"}, {}),
        ("https://mc1.rest.example", {"HTTPS_PROXY": "p:1", "NO_PROXY": ".rest.example"}, {}),
        ("https://mc1.rest.example", {"HTTPS_PROXY": "p:1", "NO_PROXY": "a, mc1.REST.example"}, {}),
        ("https://mc1.rest.example", {"HTTPS_PROXY": "p:1", "NO_PROXY": "st.example"}, "p:1"),
        ("https://mc1.rest.example", {"HTTPS_PROXY": "p:1", "NO_PROXY": "rest.example:443"}, {}),
        ("https://mc1.rest.example", {"HTTPS_PROXY": "p:1", "NO_PROXY": "rest.example:80"}, "p:1"),
        ("https://10.1.2.3", {"HTTPS_PROXY": "p:1", "NO_PROXY": "10.0.0.0/8"}, {}),
        ("https://10.1.2.3", {"HTTPS_PROXY": "p:1", "NO_PROXY": "10.1.2.3"}, {}),
        ("https://11.1.2.3", {"HTTPS_PROXY": "p:1", "NO_PROXY": "10.0.0.0/8"}, "p:1"),
    ],
)
def test_proxies_follow_the_proxy_variables_no_proxy_and_loopback(
    url: str, environ: dict[str, str], expected: dict[str, str] | str
) -> None:
    """The proxy of a URL: {scheme}_proxy or ALL_PROXY (lower case first); none for loopback
    and for what NO_PROXY names (``*``, a domain and its subdomains, ``:port``, IP, CIDR)."""
    if isinstance(expected, str):
        expected = {"https": expected}
    assert proxies_for(url, environ) == expected
