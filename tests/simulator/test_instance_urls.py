"""Instance URLs end with "/", and clients that join paths onto them reach the API."""

from __future__ import annotations

import io
import json
import sys
from collections.abc import Iterator
from typing import Any

import pytest

from sms_contract.simulator.app import Simulator
from sms_contract.simulator.inprocess import simulate
from sms_contract.simulator.routes import Route, RouteName, resolve
from sms_contract.simulator.server import serve_in_thread
from sms_contract.transports.http import HttpTransport
from tests.simulator.conftest import DOCUMENTED_EXAMPLE, Api


@pytest.fixture(params=["responses", pytest.param("loopback", marks=pytest.mark.loopback)])
def served(request: pytest.FixtureRequest, simulator: Simulator) -> Iterator[tuple[Api, str]]:
    """An ``Api`` over ``requests`` to the simulator in-process or on 127.0.0.1, and the base
    URL it is served at (without a trailing slash)."""
    transport = HttpTransport()
    try:
        if request.param == "responses":
            with simulate(simulator):
                api = Api(transport)
                yield api, api.rest_url
        else:
            with serve_in_thread(simulator) as server:
                yield Api(transport, server.base_url, server.base_url), server.base_url
    finally:
        transport.close()


def _token(api: Api) -> dict[str, Any]:
    response = api.request_token()
    assert response.status == 200
    body: dict[str, Any] = response.json()
    api.token = body["access_token"]
    return body


def _post(api: Api, url: str) -> Any:
    headers = {"Authorization": f"Bearer {api.token}"}
    return api.raw("POST", url, body=json.dumps(DOCUMENTED_EXAMPLE).encode(), headers=headers)


def _get(api: Api, url: str) -> Any:
    return api.raw("GET", url, headers={"Authorization": f"Bearer {api.token}"})


def test_instance_urls_end_with_a_slash(served: tuple[Api, str]) -> None:
    """rest_instance_url is the served base URL plus "/" (``http://127.0.0.1:PORT/`` on
    loopback), as every real token response sample is; soap_instance_url ends alike."""
    api, base_url = served
    body = _token(api)
    assert body["rest_instance_url"] == base_url + "/"
    assert body["soap_instance_url"] == base_url.replace(".rest.", ".soap.") + "/"
    if base_url.startswith("http://"):
        assert body["rest_instance_url"] == f"http://127.0.0.1:{base_url.rsplit(':', 1)[1]}/"


def test_client_joining_paths_without_a_slash_reaches_the_api(served: tuple[Api, str]) -> None:
    """``rest_instance_url + "messaging/v1/sms/messages/KEY"`` (FuelSDK's join): the send is
    accepted and its status read at the same kind of URL."""
    api, _ = served
    instance = _token(api)["rest_instance_url"]
    response = _post(api, instance + "messaging/v1/sms/messages/joined")
    assert (response.status, response.json()["responses"]) == (202, [{"messageKey": "joined"}])
    status = _get(api, instance + "messaging/v1/sms/messages/joined")
    assert (status.status, status.json()["info"]["messageKey"]) == (200, "joined")
    listed = _get(api, instance + "messaging/v1/sms/definitions")
    assert (listed.status, listed.json()["count"]) == (200, 2)


def test_a_double_slash_after_the_instance_url_is_tolerated(served: tuple[Api, str]) -> None:
    """``rest_instance_url + "/messaging/..."`` (``//messaging``) is answered as
    ``/messaging/...``: the same send, status and not-sent list."""
    api, _ = served
    instance = _token(api)["rest_instance_url"]
    response = _post(api, instance + "/messaging/v1/sms/messages/doubled")
    assert (response.status, response.json()["responses"]) == (202, [{"messageKey": "doubled"}])
    status = _get(api, instance + "/messaging/v1/sms/messages/doubled")
    assert (status.status, status.json()["info"]["messageKey"]) == (200, "doubled")
    listed = _get(api, instance + "/messaging/v1/sms/messages/?type=notSent")
    assert (listed.status, listed.json()["count"]) == (200, 0)


def test_configured_instance_url_is_sent_as_given(make_api) -> None:
    """SimulatorConfig.rest_instance_url is not changed: the vendor example's bare host stays."""
    api, _ = make_api(rest_instance_url="mc563885gzs27c5t9-63k636tzgm.rest.marketingcloudapis.com")
    body = api.request_token().json()
    assert body["rest_instance_url"] == "mc563885gzs27c5t9-63k636tzgm.rest.marketingcloudapis.com"
    assert body["soap_instance_url"] == "mc563885gzs27c5t9-63k636tzgm.soap.marketingcloudapis.com"


def test_advertised_url_with_a_slash_gets_no_second_one(simulator: Simulator) -> None:
    """A REST base URL already ending with "/" is advertised with exactly one."""
    transport = HttpTransport()
    with simulate(simulator, rest_base_url="https://rest.example.invalid/"):
        body = Api(transport).request_token().json()
    transport.close()
    assert body["rest_instance_url"] == "https://rest.example.invalid/"


def _environ(**values: str) -> dict[str, Any]:
    environ: dict[str, Any] = {"REQUEST_METHOD": "GET", "wsgi.input": io.BytesIO()}
    return {**environ, "wsgi.errors": sys.stderr, **values}


@pytest.mark.parametrize(
    ("target", "route"),
    [
        ("//messaging/v1/sms/messages/k", Route(RouteName.MESSAGE, "k", b"k")),
        ("///messaging/v1/sms/messages/", Route(RouteName.MESSAGES)),
        ("//messaging/v1/sms/definitions?$page=1", Route(RouteName.DEFINITIONS)),
        ("//v2/token", Route(RouteName.TOKEN)),
        ("/messaging/v1//sms/messages/k", None),
        ("/messaging/v1/sms//definitions", None),
    ],
)
def test_only_leading_slashes_are_collapsed(target: str, route: Route | None) -> None:
    """A run of slashes at the start is one; an empty segment elsewhere is no route. The same
    from the raw request target and from PATH_INFO alone."""
    assert resolve(_environ(RAW_URI=target)) == route
    assert resolve(_environ(PATH_INFO=target.split("?", 1)[0])) == route


def test_an_empty_segment_after_messages_is_no_key() -> None:
    """``/messages//k`` from the raw target is no route (a key is one segment; its ``/`` would
    be encoded). From PATH_INFO alone ``/k`` is the key, as for every decoded key."""
    assert resolve(_environ(RAW_URI="/messaging/v1/sms/messages//k")) is None
    assert resolve(_environ(PATH_INFO="/messaging/v1/sms/messages//k")) == Route(
        RouteName.MESSAGE, "/k", b"/k"
    )
