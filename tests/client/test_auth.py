"""Tokens: one per lifetime, refreshed once after a 401, never sent stale."""

from __future__ import annotations

import json

import pytest

from sms_contract.client.config import ClientConfig
from sms_contract.client.results import Accepted, Rejected
from sms_contract.client.sms_client import SmsClient
from sms_contract.errors import (
    ApiError,
    AuthenticationError,
    ResponseLost,
    UnsafeTargetError,
    UsageError,
)
from sms_contract.exchange import HttpRequest, HttpResponse
from sms_contract.testing import FakeClock, FakeTransport, json_response, token_response

from .conftest import AUTH, CLIENT_ID, PAYLOAD, SECRET, Tokens, accept, credentials, rest_requests

NOT_AUTHORIZED = {"message": "Not Authorized", "errorcode": 0, "documentation": "x"}


def bearer(request: HttpRequest) -> str | None:
    return request.header("Authorization")


class TestTokenCache:
    def test_one_token_request_for_many_sends(self, make_client):
        """Ten sends within the lifetime share one token."""
        client, transport = make_client()
        results = [client.send_to_one(PAYLOAD) for _ in range(10)]
        assert all(isinstance(r, Accepted) for r in results)
        assert client.token_requests == 1
        assert client.requests_sent == 11
        assert {bearer(r) for r in rest_requests(transport)} == {"Bearer canary-token-1"}

    def test_token_request_body_is_the_documented_json(self, make_client):
        """grant_type, client_id, client_secret, account_id and scope as JSON to /v2/token."""
        client, transport = make_client(config=credentials(account_id="12345", scope="sms_send"))
        client.send_to_one(PAYLOAD)
        token_request = transport.requests[0]
        assert token_request.url == f"{AUTH}/v2/token"
        assert token_request.header("Content-Type") == "application/json"
        assert token_request.header("Authorization") is None
        assert token_request.json() == {
            "grant_type": "client_credentials",
            "client_id": CLIENT_ID,
            "client_secret": SECRET,
            "account_id": "12345",
            "scope": "sms_send",
        }

    def test_token_is_requested_again_after_expires_in_minus_margin(self, make_client, clock):
        """With expires_in 1080 and margin 60 the token is reused for 1020 s, then replaced."""
        client, transport = make_client()
        client.send_to_one(PAYLOAD)
        clock.advance(1019)
        client.send_to_one(PAYLOAD)
        clock.advance(1)
        client.send_to_one(PAYLOAD)
        assert [bearer(r) for r in rest_requests(transport)] == [
            "Bearer canary-token-1",
            "Bearer canary-token-1",
            "Bearer canary-token-2",
        ]

    def test_margin_is_configurable(self, make_client, clock):
        """A margin of 100 s caches an 1080 s token for 980 s."""
        client, _ = make_client(config=credentials(token_margin=100))
        client.send_to_one(PAYLOAD)
        clock.advance(979)
        client.send_to_one(PAYLOAD)
        assert client.token_requests == 1
        clock.advance(1)
        client.send_to_one(PAYLOAD)
        assert client.token_requests == 2

    def test_the_margin_is_at_most_a_quarter_of_the_lifetime(self, make_client, clock):
        """A margin of 500 s on an 1080 s token is cut to 270 s: the token is kept 810 s."""
        client, _ = make_client(config=credentials(token_margin=500))
        client.send_to_one(PAYLOAD)
        clock.advance(809)
        client.send_to_one(PAYLOAD)
        assert client.token_requests == 1
        clock.advance(1)
        client.send_to_one(PAYLOAD)
        assert client.token_requests == 2

    def test_a_short_lived_token_is_not_requested_per_request(self, make_client, clock):
        """A 4-second token is kept 3 seconds (a quarter of its lifetime as the margin): many
        sends within them share it; the next one after them gets a new token."""
        client, transport = make_client(token=Tokens(expires_in=4))
        for _ in range(10):
            client.send_to_one(PAYLOAD)
            clock.advance(0.25)
        assert client.token_requests == 1
        clock.advance(0.5)
        client.send_to_one(PAYLOAD)
        assert [bearer(r) for r in rest_requests(transport)][-2:] == [
            "Bearer canary-token-1",
            "Bearer canary-token-2",
        ]

    def test_a_token_without_expires_in_is_kept_30_seconds(self, make_client, clock):
        """No usable expires_in: the token is still used, and a new one is asked for at most
        every 30 seconds."""
        client, _ = make_client(token=Tokens(expires_in=None))
        for _ in range(20):
            client.send_to_one(PAYLOAD)
            clock.advance(1)
        assert client.token_requests == 1
        clock.advance(10)
        client.send_to_one(PAYLOAD)
        assert client.token_requests == 2

    def test_a_refused_token_of_unknown_lifetime_is_not_replaced_within_30_seconds(
        self, make_client, clock
    ):
        """A 401 right after a token of unknown lifetime was issued is the answer: asking
        again at once would be a token request per request."""
        client, transport = make_client(
            token=Tokens(expires_in=None), rest=lambda request: json_response(401, NOT_AUTHORIZED)
        )
        for _ in range(3):
            result = client.request("POST", "/messaging/v1/sms/messages/k", json=PAYLOAD)
            assert result.status == 401
        assert client.token_requests == 1
        assert len(rest_requests(transport)) == 3


class TestRefreshOn401:
    def test_401_refreshes_once_and_retries_with_the_new_token(self, make_client):
        """The retried request carries the new token, never the refused one."""
        answers = iter([json_response(401, NOT_AUTHORIZED)])

        def rest(request):
            return next(answers, None) or accept(request)

        client, transport = make_client(rest)
        result = client.send_to_one(PAYLOAD, message_key="k1")
        assert isinstance(result, Accepted)
        assert result.attempts == 2
        assert client.token_requests == 2
        assert transport.paths() == [
            "POST /v2/token",
            "POST /messaging/v1/sms/messages/k1",
            "POST /v2/token",
            "POST /messaging/v1/sms/messages/k1",
        ]
        assert [bearer(r) for r in rest_requests(transport)] == [
            "Bearer canary-token-1",
            "Bearer canary-token-2",
        ]

    def test_a_second_401_is_returned_without_another_refresh(self, make_client):
        """Exactly one refresh and one retry; the second 401 is the answer."""
        client, transport = make_client(lambda request: json_response(401, NOT_AUTHORIZED))
        result = client.send_to_one(PAYLOAD)
        assert isinstance(result, Rejected)
        assert (result.status, result.errorcode, result.attempts) == (401, 0, 2)
        assert client.token_requests == 2
        assert len(rest_requests(transport)) == 2

    def test_the_refreshed_token_is_kept_for_later_calls(self, make_client):
        """After the refresh, the next call uses the new token without another request."""
        answers = iter([json_response(401, NOT_AUTHORIZED)])
        client, transport = make_client(lambda request: next(answers, None) or accept(request))
        client.send_to_one(PAYLOAD)
        client.send_to_one(PAYLOAD)
        assert client.token_requests == 2
        assert bearer(rest_requests(transport)[-1]) == "Bearer canary-token-2"

    def test_a_static_token_is_not_refreshed(self, clock):
        """A 401 with a static token is the answer: no token request, no retry."""
        transport = FakeTransport(lambda request: json_response(401, NOT_AUTHORIZED))
        config = ClientConfig(access_token="canary-static-token", rest_base_url="https://r.test")
        client = SmsClient(config, transport, sleep=clock.sleep, clock=clock)
        result = client.send_to_one(PAYLOAD)
        assert isinstance(result, Rejected)
        assert result.status == 401
        assert client.token_requests == 0
        assert [bearer(r) for r in transport.requests] == ["Bearer canary-static-token"]
        assert client.request("GET", "/messaging/v1/sms/definitions").status == 401
        assert client.requests_sent == 2


class TestInstanceUrl:
    @pytest.mark.parametrize(
        "instance",
        [
            "mc563885gzs27c5t9-63k636tzgm.rest.marketingcloudapis.com",
            "https://mc563885gzs27c5t9-63k636tzgm.rest.marketingcloudapis.com/",
        ],
    )
    def test_rest_instance_url_is_used_without_an_explicit_rest_url(self, make_client, instance):
        """The token response names the REST host, with or without scheme and slash."""
        client, transport = make_client(
            token=Tokens(rest_instance_url=instance), config=credentials(rest_base_url=None)
        )
        client.send_to_one(PAYLOAD, message_key="k")
        assert rest_requests(transport)[0].url == (
            "https://mc563885gzs27c5t9-63k636tzgm.rest.marketingcloudapis.com"
            "/messaging/v1/sms/messages/k"
        )

    def test_an_explicit_rest_url_wins_over_the_instance_url(self, make_client):
        """rest_base_url is used even when the token response names another host."""
        client, transport = make_client(token=Tokens(rest_instance_url="other.example.test"))
        client.send_to_one(PAYLOAD, message_key="k")
        assert rest_requests(transport)[0].url.startswith(
            "https://mc-test.rest.marketingcloudapis.com/"
        )

    def test_the_subdomain_is_the_fallback(self, make_client):
        """Without rest_instance_url, the subdomain-derived host is used."""
        config = ClientConfig(client_id=CLIENT_ID, client_secret=SECRET, subdomain="mcabc")
        client, transport = make_client(config=config)
        client.send_to_one(PAYLOAD, message_key="k")
        assert [r.url for r in transport.requests] == [
            "https://mcabc.auth.marketingcloudapis.com/v2/token",
            "https://mcabc.rest.marketingcloudapis.com/messaging/v1/sms/messages/k",
        ]

    def test_no_rest_url_at_all_is_a_usage_error(self, make_client):
        """An auth base URL alone, and a token response without rest_instance_url."""
        client, _ = make_client(config=credentials(rest_base_url=None))
        with pytest.raises(UsageError, match="no REST base URL"):
            client.send_to_one(PAYLOAD)

    def test_an_instance_url_over_plain_http_is_refused_before_sending(self, make_client):
        """The token is never sent in clear to a host the token response named."""
        client, transport = make_client(
            token=Tokens(rest_instance_url="http://mc.rest.marketingcloudapis.com"),
            config=credentials(rest_base_url=None),
        )
        with pytest.raises(UnsafeTargetError):
            client.send_to_one(PAYLOAD)
        assert transport.paths() == ["POST /v2/token"]


class TestTokenEndpointErrors:
    def refuse(self, make_client, response: HttpResponse) -> AuthenticationError:
        client, _ = make_client(token=lambda request: response)
        with pytest.raises(AuthenticationError) as caught:
            client.send_to_one(PAYLOAD)
        return caught.value

    def test_oauth_error_names_the_error_code(self, make_client):
        """The documented {error, error_description, error_uri} form."""
        body = {
            "error": "invalid_client",
            "error_description": "Invalid client ID.",
            "error_uri": "https://developer.salesforce.com/docs",
        }
        error = self.refuse(make_client, json_response(401, body))
        assert str(error) == (
            "the token endpoint refused the credentials: HTTP 401, error invalid_client "
            "(Invalid client ID.)"
        )

    def test_the_invalid_json_of_the_vendor_example_is_read(self, make_client):
        """The published 401 example lacks commas; the error code is still found."""
        body = (
            b'{\n"error": "invalid_client"\n"error_description": "Invalid client ID. Use the '
            b'client ID in Marketing Cloud Installed Packages."\n"error_uri": "https://x"\n}'
        )
        error = self.refuse(make_client, HttpResponse(401, {}, body))
        assert str(error) == (
            "the token endpoint refused the credentials: HTTP 401, error invalid_client "
            "(Invalid client ID. Use the client ID in Marketing Cloud Installed Packages.)"
        )

    def test_message_errorcode_form_is_tolerated(self, make_client):
        """The {message, errorcode} form some fixtures show on /v2/token."""
        body = {"message": "Not Authorized", "errorcode": 0, "documentation": "x"}
        error = self.refuse(make_client, json_response(401, body))
        assert str(error) == (
            "the token endpoint refused the credentials: HTTP 401, error 0 (Not Authorized)"
        )

    def test_an_echoed_secret_never_reaches_the_message(self, make_client):
        """Even a token endpoint that echoes the secret cannot put it in the error text."""
        body = {"error": f"x{SECRET}", "error_description": f"bad secret {SECRET}"}
        error = self.refuse(make_client, json_response(401, body))
        assert str(error) == (
            "the token endpoint refused the credentials: HTTP 401, error x<secret-1> "
            "(bad secret <secret-1>)"
        )

    def test_a_body_without_error_code_says_so(self, make_client):
        """An empty 401 still becomes an AuthenticationError."""
        error = self.refuse(make_client, HttpResponse(401, {}, b""))
        assert str(error) == (
            "the token endpoint refused the credentials: HTTP 401, no error code in the body"
        )

    def test_a_token_response_without_access_token_is_an_api_error(self, make_client):
        """200 without access_token is outside the documented form."""
        client, _ = make_client(token=lambda request: json_response(200, {"expires_in": 1080}))
        with pytest.raises(ApiError, match="lacks a string access_token"):
            client.send_to_one(PAYLOAD)

    def test_token_endpoint_5xx_is_retried_then_raised(self, make_client, clock):
        """The token request gets the same bounded retries as every other request."""
        client, transport = make_client(token=lambda request: json_response(503, {}))
        with pytest.raises(ApiError) as caught:
            client.send_to_one(PAYLOAD)
        assert caught.value.status == 503
        assert str(caught.value) == (
            "the token endpoint answered HTTP 503 after 4 attempt(s) (retries exhausted)"
        )
        assert clock.sleeps == [2.0, 4.0, 8.0]
        assert client.token_requests == 4
        assert rest_requests(transport) == []

    def test_token_endpoint_recovers_after_a_lost_response(self, make_client):
        """A lost token response is retried, and the send proceeds with the new token."""
        issued = Tokens()
        calls = iter([ResponseLost("dropped")])

        def token(request):
            failure = next(calls, None)
            if failure is not None:
                raise failure
            return issued(request)

        client, _ = make_client(token=token)
        assert isinstance(client.send_to_one(PAYLOAD), Accepted)
        assert client.token_requests == 2


def test_static_token_is_sent_as_bearer(clock):
    """SFMC_ACCESS_TOKEN goes into the Authorization header as given."""
    transport = FakeTransport(accept)
    config = ClientConfig.from_env(
        {"SFMC_ACCESS_TOKEN": "canary-static-token", "SFMC_SUBDOMAIN": "mcabc"}
    )
    client = SmsClient(config, transport, sleep=clock.sleep, clock=clock)
    assert isinstance(client.send_to_one(PAYLOAD, message_key="k"), Accepted)
    assert transport.requests[0].url == (
        "https://mcabc.rest.marketingcloudapis.com/messaging/v1/sms/messages/k"
    )
    assert bearer(transport.requests[0]) == "Bearer canary-static-token"


def test_token_response_helper_is_the_documented_shape():
    """token_response() builds the body a careful test expects from /v2/token."""
    body = json.loads(token_response("t", expires_in=1079, rest_instance_url="h").body)
    assert body == {
        "access_token": "t",
        "expires_in": 1079,
        "token_type": "Bearer",
        "scope": "sms_read sms_write sms_send",
        "rest_instance_url": "h",
    }


def test_fake_clock_records_sleeps():
    """FakeClock.sleep advances the clock by what was asked."""
    clock = FakeClock(start=0)
    clock.sleep(2.5)
    assert (clock(), clock.sleeps) == (2.5, [2.5])
