"""simulate(): the simulator behind requests via responses, hermetic to every other host."""

from __future__ import annotations

import pytest
import requests

from sms_contract.errors import UnsafeTargetError
from sms_contract.exchange import HttpRequest
from sms_contract.simulator.app import Simulator
from sms_contract.simulator.inprocess import (
    DEFAULT_AUTH_BASE_URL,
    DEFAULT_REST_BASE_URL,
    simulate,
)
from sms_contract.transports.base import Timeouts
from sms_contract.transports.http import HttpTransport
from tests.simulator.conftest import Api


def test_default_base_urls_can_never_resolve() -> None:
    """Both default base URLs use the reserved .invalid top-level domain."""
    assert DEFAULT_REST_BASE_URL == "https://sim.rest.sms-contract.invalid"
    assert DEFAULT_AUTH_BASE_URL == "https://sim.auth.sms-contract.invalid"


def test_other_hosts_are_refused_with_a_clear_message(simulator: Simulator) -> None:
    """A request to any other host fails naming the host and the mock's hosts, before
    anything is sent: a live-safety refusal (exit 2), the same as the mock with recordings."""
    with simulate(simulator), pytest.raises(UnsafeTargetError) as refused:
        requests.get("https://api.example.com/v1", timeout=1)
    assert str(refused.value) == (
        "mock target is hermetic: https://api.example.com is not a host of the mock (hosts: "
        f"{DEFAULT_AUTH_BASE_URL}, {DEFAULT_REST_BASE_URL}); nothing was sent"
    )
    assert refused.value.exit_code == 2


def test_refused_host_is_not_sent_for_http_transport(simulator: Simulator) -> None:
    """HttpTransport lets the refusal through as it is: nothing was sent, nothing was lost."""
    transport = HttpTransport()
    with simulate(simulator), pytest.raises(UnsafeTargetError) as refused:
        transport.send(HttpRequest("POST", "https://example.com/v2/token"), Timeouts())
    transport.close()
    assert "https://example.com is not a host of the mock" in str(refused.value)


def test_token_advertises_the_rest_base_url_while_simulating(simulator: Simulator) -> None:
    """Inside simulate() the token's rest_instance_url is the REST base URL, then not."""
    transport = HttpTransport()
    with simulate(
        simulator,
        rest_base_url="https://rest.example.invalid",
        auth_base_url="https://auth.x.invalid",
    ) as mock:
        api = Api(transport, "https://rest.example.invalid", "https://auth.x.invalid")
        body = api.request_token().json()
        assert body["rest_instance_url"] == "https://rest.example.invalid/"
        assert body["soap_instance_url"] == "https://rest.example.invalid/"
        assert api.send("via-custom-urls").status == 202
        assert len(mock.calls) == 3
    transport.close()


def test_default_soap_url_is_derived_from_the_rest_url(simulator: Simulator) -> None:
    """With the default URLs the soap_instance_url names the .soap. host."""
    with simulate(simulator):
        transport = HttpTransport()
        body = Api(transport).request_token().json()
        transport.close()
    assert body["rest_instance_url"] == DEFAULT_REST_BASE_URL + "/"
    assert body["soap_instance_url"] == "https://sim.soap.sms-contract.invalid/"


def test_configured_rest_instance_url_wins(make_api) -> None:
    """SimulatorConfig.rest_instance_url is advertised whatever the transport."""
    api, _ = make_api(rest_instance_url="https://mc123.rest.marketingcloudapis.com/")
    body = api.request_token().json()
    assert body["rest_instance_url"] == "https://mc123.rest.marketingcloudapis.com/"


def test_explicit_default_port_and_case_still_reach_the_simulator(simulator: Simulator) -> None:
    """https://SIM.rest...invalid:443 is the same host as the default REST base URL."""
    transport = HttpTransport()
    with simulate(simulator):
        api = Api(transport, "https://SIM.rest.sms-contract.invalid:443")
        assert api.call("GET", "/messaging/v1/sms/definitions").status == 200
    transport.close()


def test_streamed_body_is_read(simulator: Simulator) -> None:
    """A body sent as a generator (chunked by requests) reaches the simulator whole."""
    chunks = [b'{"grant_type":"client_credentials",', b'"client_id":"sms-contract-client",']
    chunks.append(b'"client_secret":"sms-contract-secret"}')
    with simulate(simulator):
        response = requests.post(
            DEFAULT_AUTH_BASE_URL + "/v2/token",
            data=iter(chunks),
            headers={"Content-Type": "application/json"},
            timeout=5,
        )
    assert response.status_code == 200
