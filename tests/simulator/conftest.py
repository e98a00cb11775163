"""Fixtures for the simulator tests: a manual clock, a simulator, and a raw-HTTP ``Api``."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from typing import Any
from urllib.parse import quote

import pytest

from sms_contract.exchange import HttpRequest, HttpResponse
from sms_contract.simulator.app import Simulator
from sms_contract.simulator.clock import ManualClock
from sms_contract.simulator.config import DEFAULT_CLIENT_ID, DEFAULT_CLIENT_SECRET, SimulatorConfig
from sms_contract.simulator.inprocess import DEFAULT_AUTH_BASE_URL, DEFAULT_REST_BASE_URL, simulate
from sms_contract.simulator.server import serve_in_thread
from sms_contract.spec.loading import load_spec
from sms_contract.transports.base import Timeouts, Transport
from sms_contract.transports.http import HttpTransport
from sms_contract.transports.wsgi import WsgiTransport

# The reference page's example request, as the spec records it.
DOCUMENTED_EXAMPLE: dict[str, Any] = load_spec().example("sendSmsToSingleRecipient", "request")
MESSAGES = "/messaging/v1/sms/messages/"
DEFINITIONS = "/messaging/v1/sms/definitions"
SPECIAL_KEYS = ["a/b", "100%", "what?", "#hash", "a+b", "with space", "é", "🙂", "%2F", "ü/%?#+ 🙂"]


def payload(**changes: Any) -> dict[str, Any]:
    """The documented example with top-level fields replaced (``None`` removes one)."""
    body: dict[str, Any] = json.loads(json.dumps(DOCUMENTED_EXAMPLE))
    for name, value in changes.items():
        if value is None:
            body.pop(name, None)
        else:
            body[name] = value
    return body


def recipient(**changes: Any) -> dict[str, Any]:
    """The documented example's recipient with fields replaced (``None`` removes one)."""
    fields = dict(DOCUMENTED_EXAMPLE["recipient"])
    for name, value in changes.items():
        if value is None:
            fields.pop(name, None)
        else:
            fields[name] = value
    return fields


class Api:
    """Raw HTTP against the simulator through any transport, with a cached token."""

    def __init__(
        self,
        transport: Transport,
        rest_url: str = DEFAULT_REST_BASE_URL,
        auth_url: str = DEFAULT_AUTH_BASE_URL,
    ) -> None:
        self.transport = transport
        self.rest_url = rest_url
        self.auth_url = auth_url
        self.token: str | None = None

    def request_token(self, **fields: Any) -> HttpResponse:
        body = {
            "grant_type": "client_credentials",
            "client_id": DEFAULT_CLIENT_ID,
            "client_secret": DEFAULT_CLIENT_SECRET,
            **fields,
        }
        return self.raw("POST", self.auth_url + "/v2/token", body=json.dumps(body).encode())

    def login(self) -> str:
        response = self.request_token()
        assert response.status == 200, response.body
        self.token = response.json()["access_token"]
        return self.token

    def raw(
        self,
        method: str,
        url: str,
        *,
        body: bytes | None = None,
        headers: dict[str, str] | None = None,
    ) -> HttpResponse:
        sent = {"Content-Type": "application/json", **(headers or {})}
        return self.transport.send(HttpRequest(method, url, sent, body), Timeouts(1, 5))

    def call(
        self,
        method: str,
        path: str,
        json_body: Any = None,
        *,
        body: bytes | None = None,
        headers: dict[str, str] | None = None,
    ) -> HttpResponse:
        if self.token is None:
            self.login()
        if json_body is not None:
            body = json.dumps(json_body).encode()
        sent = {"Authorization": f"Bearer {self.token}", **(headers or {})}
        return self.raw(method, self.rest_url + path, body=body, headers=sent)

    @staticmethod
    def example() -> dict[str, Any]:
        """A fresh copy of the documented example payload."""
        return payload()

    def send(self, key: str, json_body: Any = None, **kwargs: Any) -> HttpResponse:
        body = DOCUMENTED_EXAMPLE if json_body is None and "body" not in kwargs else json_body
        return self.call("POST", key_path(key), body, **kwargs)

    def status(self, key: str) -> HttpResponse:
        return self.call("GET", key_path(key))


def key_path(key: str) -> str:
    return MESSAGES + quote(key, safe="")


@pytest.fixture
def clock() -> ManualClock:
    return ManualClock()


@pytest.fixture
def make_api(clock: ManualClock) -> Callable[..., tuple[Api, Simulator]]:
    """Build a simulator from config changes and an ``Api`` over ``WsgiTransport``."""

    def build(**config: Any) -> tuple[Api, Simulator]:
        simulator = Simulator(SimulatorConfig(**config), clock=clock)
        return Api(WsgiTransport(simulator)), simulator

    return build


@pytest.fixture
def simulator(clock: ManualClock) -> Simulator:
    return Simulator(clock=clock)


@pytest.fixture
def api(simulator: Simulator) -> Api:
    return Api(WsgiTransport(simulator))


@pytest.fixture(params=["wsgi", "responses", pytest.param("loopback", marks=pytest.mark.loopback)])
def api_over(request: pytest.FixtureRequest, simulator: Simulator) -> Iterator[Api]:
    """An ``Api`` over each way of running the simulator: WSGI, ``responses``, loopback."""
    if request.param == "wsgi":
        yield Api(WsgiTransport(simulator))
        return
    transport = HttpTransport()
    try:
        if request.param == "responses":
            with simulate(simulator):
                yield Api(transport)
        else:
            with serve_in_thread(simulator) as server:
                yield Api(transport, server.base_url, server.base_url)
    finally:
        transport.close()
