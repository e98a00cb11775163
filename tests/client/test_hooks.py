"""Hooks and hygiene: the observer sees everything, and no secret leaks anywhere."""

from __future__ import annotations

import logging

import pytest

from sms_contract.client.config import ClientConfig
from sms_contract.client.retrying import ExchangeObserver
from sms_contract.client.sms_client import SmsClient
from sms_contract.errors import ApiError, ResponseLost, UnsafeTargetError
from sms_contract.exchange import Exchange, HttpRequest
from sms_contract.testing import FakeTransport, Handler, json_response

from .conftest import PAYLOAD, PHONE, SECRET, accept

NOT_AUTHORIZED = {"message": "Not Authorized", "errorcode": 0, "documentation": "x"}


def lose_first_send() -> Handler:
    """Loses the response of the first REST request, then accepts every send."""
    lost: list[HttpRequest] = []

    def rest(request: HttpRequest):
        if not lost:
            lost.append(request)
            raise ResponseLost("read timeout")
        return accept(request)

    return rest


class TestObserver:
    def test_after_exchange_sees_token_lost_and_answered_exchanges(self, make_client):
        """Token request, the lost attempt (response None) and the retry, in order."""
        seen: list[Exchange] = []
        client, _ = make_client(
            lose_first_send(), observer=ExchangeObserver(after_exchange=seen.append)
        )
        client.send_to_one(PAYLOAD, message_key="k1")
        assert [(e.request.path, e.attempt) for e in seen] == [
            ("/v2/token", 1),
            ("/messaging/v1/sms/messages/k1", 1),
            ("/messaging/v1/sms/messages/k1", 2),
        ]
        assert [None if e.response is None else e.response.status for e in seen] == [
            200,
            None,
            202,
        ]

    def test_before_send_sees_every_request_first(self, make_client):
        """before_send is called once per request, token request included."""
        seen: list[str] = []
        client, transport = make_client(
            observer=ExchangeObserver(before_send=lambda r: seen.append(f"{r.method} {r.path}"))
        )
        client.send_to_one(PAYLOAD, message_key="k1")
        assert seen == transport.paths()

    def test_before_send_raising_prevents_the_send(self, make_client):
        """A budget refusal propagates and nothing reaches the transport."""

        def budget(request: HttpRequest) -> None:
            if request.path != "/v2/token":
                raise UnsafeTargetError("send budget exhausted")

        client, transport = make_client(observer=ExchangeObserver(before_send=budget))
        with pytest.raises(UnsafeTargetError, match="send budget exhausted"):
            client.send_to_one(PAYLOAD)
        assert transport.paths() == ["POST /v2/token"]
        assert (client.requests_sent, client.token_requests) == (1, 1)


class TestCounters:
    def test_counters_include_retries_and_refreshes(self, make_client):
        """A 401 refresh and a 503 retry: two token requests and three sends, five in all."""
        answers = iter([json_response(401, NOT_AUTHORIZED), json_response(503, {})])
        client, _ = make_client(lambda request: next(answers, None) or accept(request))
        client.send_to_one(PAYLOAD)
        assert (client.requests_sent, client.token_requests) == (5, 2)


class TestSecrets:
    def test_no_secret_in_any_repr(self, make_client):
        """Client, config, token provider, requests and results show no secret."""
        client, transport = make_client()
        result = client.send_to_one(PAYLOAD)
        texts = [
            repr(client),
            repr(client._config),
            repr(client._auth),
            repr(result),
            *map(repr, transport.requests),
        ]
        for text in texts:
            for secret in (SECRET, "canary-token-1", PHONE):
                assert secret not in text, text

    def test_static_token_repr(self, clock):
        """A static token is redacted from the client and its provider."""
        config = ClientConfig(access_token="canary-static-token", rest_base_url="https://r.test")
        client = SmsClient(config, FakeTransport(accept), sleep=clock.sleep, clock=clock)
        assert repr(client) == "<SmsClient static token rest=https://r.test strict=False>"
        assert "canary-static-token" not in repr(client._auth)

    def test_no_secret_in_debug_logs(self, make_client, caplog):
        """Token request, 401 refresh, retries: every DEBUG line is free of secrets."""
        answers = iter([json_response(401, NOT_AUTHORIZED), json_response(503, {})])
        client, _ = make_client(lambda request: next(answers, None) or accept(request))
        with caplog.at_level(logging.DEBUG, logger="sms_contract"):
            client.send_to_one(PAYLOAD, message_key="k1")
        lines = [record.getMessage() for record in caplog.records]
        assert lines == [
            "requesting an access token",
            "access token cached for 1020 s (expires_in 1080 s)",
            "POST /messaging/v1/sms/messages/k1 got HTTP 401: refreshing the token once",
            "access token invalidated",
            "requesting an access token",
            "access token cached for 1020 s (expires_in 1080 s)",
            "retrying POST /messaging/v1/sms/messages/k1 in 2 s after HTTP 503",
        ]
        assert {record.name for record in caplog.records} == {"sms_contract.client"}

    def test_no_secret_in_exception_texts(self, make_client):
        """ApiError and transport errors name the request, never a credential or number."""
        client, _ = make_client(lambda request: json_response(500, {"to": PHONE}))
        with pytest.raises(ApiError) as caught:
            client.send_to_one(PAYLOAD, message_key="k1")
        for secret in (SECRET, "canary-token-1", PHONE):
            assert secret not in str(caught.value)


def test_close_closes_the_transport(make_client):
    """The client is a context manager that closes its transport."""
    client, transport = make_client()
    with client:
        pass
    assert transport.closed is True
