"""Fixtures for the client tests: a fake tenant behind ``FakeTransport`` and a fake clock."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any
from urllib.parse import unquote

import pytest

from sms_contract.client.config import ClientConfig, RetryPolicy
from sms_contract.client.sms_client import SmsClient
from sms_contract.exchange import HttpRequest, HttpResponse
from sms_contract.testing import (
    FakeClock,
    FakeTransport,
    Handler,
    accepted_response,
    token_response,
)

CLIENT_ID = "canary-client-id-4411"
SECRET = "canary-client-secret-9f3a"
PHONE = "15555550123"
REST = "https://mc-test.rest.marketingcloudapis.com"
AUTH = "https://mc-test.auth.marketingcloudapis.com"
PAYLOAD = {"definitionKey": "account-reset", "recipient": {"to": PHONE, "contactKey": "Astro25"}}


def credentials(**overrides: Any) -> ClientConfig:
    """Client-credentials configuration with canary secrets and explicit base URLs."""
    values: dict[str, Any] = {
        "client_id": CLIENT_ID,
        "client_secret": SECRET,
        "auth_base_url": AUTH,
        "rest_base_url": REST,
        **overrides,
    }
    return ClientConfig(**values)


class Tokens:
    """A token endpoint that issues ``canary-token-1``, ``canary-token-2``, ..."""

    def __init__(
        self, *, expires_in: float | None = 1080, rest_instance_url: str | None = None
    ) -> None:
        self.expires_in = expires_in
        self.rest_instance_url = rest_instance_url
        self.issued: list[str] = []

    def __call__(self, request: HttpRequest) -> HttpResponse:
        token = f"canary-token-{len(self.issued) + 1}"
        self.issued.append(token)
        return token_response(
            token, expires_in=self.expires_in, rest_instance_url=self.rest_instance_url
        )


def accept(request: HttpRequest) -> HttpResponse:
    """Accepts every single-recipient send, echoing its decoded messageKey."""
    return accepted_response(unquote(request.path.rsplit("/", 1)[1]))


def rest_requests(transport: FakeTransport) -> list[HttpRequest]:
    return [r for r in transport.requests if r.path != "/v2/token"]


MakeClient = Callable[..., tuple[SmsClient, FakeTransport]]


@pytest.fixture
def clock() -> FakeClock:
    """A clock that moves only when a test or the client's ``sleep`` moves it."""
    return FakeClock()


@pytest.fixture
def make_client(clock: FakeClock) -> MakeClient:
    """A client factory: ``/v2/token`` goes to ``token``, every other path to ``rest``."""

    def make(
        rest: Handler = accept,
        *,
        token: Handler | None = None,
        config: ClientConfig | None = None,
        **options: Any,
    ) -> tuple[SmsClient, FakeTransport]:
        tokens = token or Tokens()

        def route(request: HttpRequest) -> HttpResponse:
            return tokens(request) if request.path == "/v2/token" else rest(request)

        transport = FakeTransport(route)
        client = SmsClient(
            config or credentials(retry=RetryPolicy()),
            transport,
            sleep=clock.sleep,
            clock=clock,
            **options,
        )
        return client, transport

    return make
