"""POST /v2/token and the bearer check on every REST route."""

from __future__ import annotations

import json
import re

import pytest

from sms_contract.simulator.app import Simulator
from sms_contract.simulator.clock import ManualClock
from sms_contract.simulator.config import Credentials, Deviation, Faults
from sms_contract.simulator.server import serve_in_thread
from sms_contract.spec.rules import ERROR_HANDLING
from sms_contract.transports.http import HttpTransport
from tests.simulator.conftest import DEFINITIONS, Api

NOT_AUTHORIZED = {"documentation": ERROR_HANDLING, "errorcode": 0, "message": "Not Authorized"}
MISSING_CHALLENGE = (
    'Bearer realm="sms-contract-simulator", error="invalid_token", '
    'error_description="The access token is missing"'
)
INVALID_CHALLENGE = (
    'Bearer realm="sms-contract-simulator", error="invalid_token", '
    'error_description="The access token is invalid or expired"'
)
FUELSDK_IS_VALID_401 = re.compile(r"^Bearer\s.+?invalid_token")
"""FuelSDK-Node-REST ``lib/helpers.js`` ``isValid401``: it refreshes its token only on a 401
whose WWW-Authenticate matches this."""


def test_token_response_has_every_documented_field(api: Api) -> None:
    """A good client-credentials request gets 200 with the documented token fields."""
    response = api.request_token()
    body = response.json()
    assert response.status == 200
    assert response.content_type == "application/json; charset=utf-8"
    assert sorted(body) == [
        "access_token",
        "expires_in",
        "rest_instance_url",
        "scope",
        "soap_instance_url",
        "token_type",
    ]
    assert re.fullmatch(r"[A-Za-z0-9_-]{64}", body["access_token"])
    assert body["expires_in"] == 1080
    assert body["token_type"] == "Bearer"
    assert body["rest_instance_url"] == "https://sim.auth.sms-contract.invalid/"
    assert body["soap_instance_url"] == "https://sim.auth.sms-contract.invalid/"
    assert body["scope"] == "sms_read sms_write sms_send tracking_events_read"


def test_each_token_is_new(api: Api) -> None:
    """Two token requests get two different tokens."""
    assert api.request_token().json()["access_token"] != api.request_token().json()["access_token"]


def test_requested_scope_and_numeric_account_id_are_honoured(make_api) -> None:
    """The scope asked for is the scope granted; a numeric account_id matches its string form."""
    api, _ = make_api(credentials=Credentials(account_id="12345"))
    response = api.request_token(scope="sms_send", account_id=12345)
    assert (response.status, response.json()["scope"]) == (200, "sms_send")


def test_other_account_id_is_refused(make_api) -> None:
    """A token for a business unit the integration is not enabled for is 401."""
    api, _ = make_api(credentials=Credentials(account_id="12345"))
    response = api.request_token(account_id="99999")
    assert (response.status, response.json()["error"]) == (401, "invalid_client")


@pytest.mark.parametrize(
    "fields",
    [{"client_secret": "wrong"}, {"client_id": "someone-else"}],
    ids=["wrong-secret", "wrong-id"],
)
def test_bad_credentials_are_401_invalid_client(api: Api, fields: dict[str, str]) -> None:
    """Wrong credentials get 401 with the OAuth error shape."""
    response = api.request_token(**fields)
    body = response.json()
    assert response.status == 401
    assert body["error"] == "invalid_client"
    assert body["error_uri"] == "https://developer.salesforce.com/docs"
    assert body["error_description"].startswith("Client authentication failed.")
    assert "wrong" not in response.body.decode()


@pytest.mark.parametrize(
    ("body", "error"),
    [
        (b"grant_type=client_credentials", "invalid_request"),
        (b"[]", "invalid_request"),
        (b"\xff\xfe", "invalid_request"),
        (json.dumps({"grant_type": "client_credentials"}).encode(), "invalid_request"),
        (
            json.dumps({"grant_type": "password", "client_id": "a", "client_secret": "b"}).encode(),
            "unsupported_grant_type",
        ),
        (
            json.dumps(
                {
                    "grant_type": "client_credentials",
                    "client_id": "sms-contract-client",
                    "client_secret": "sms-contract-secret",
                    "scope": ["sms_send"],
                }
            ).encode(),
            "invalid_request",
        ),
    ],
    ids=["form-encoded", "array", "not-utf8", "missing-fields", "password-grant", "scope-array"],
)
def test_malformed_token_requests_are_400(api: Api, body: bytes, error: str) -> None:
    """A token request that is not a well-formed client-credentials request is 400."""
    response = api.raw("POST", api.auth_url + "/v2/token", body=body)
    assert (response.status, response.json()["error"]) == (400, error)


def test_expires_in_is_lifetime_minus_two_minutes(make_api) -> None:
    """A configured token lifetime is advertised two minutes shorter."""
    api, _ = make_api(token_lifetime=600.0)
    assert api.request_token().json()["expires_in"] == 480


def test_missing_token_is_401_not_authorized(api: Api) -> None:
    """A REST call without Authorization gets the documented 401 body and a Bearer challenge."""
    response = api.raw("GET", api.rest_url + DEFINITIONS)
    assert (response.status, response.json()) == (401, NOT_AUTHORIZED)
    assert response.header("WWW-Authenticate") == MISSING_CHALLENGE
    assert FUELSDK_IS_VALID_401.match(MISSING_CHALLENGE)


@pytest.mark.parametrize(
    "authorization",
    ["Bearer not-a-token", "Basic c21zOnNtcw==", "Bearer", "bearer  ", "not-a-token"],
)
def test_unknown_token_is_401_not_authorized(api: Api, authorization: str) -> None:
    """A REST call with a token the simulator never issued gets 401."""
    response = api.raw("GET", api.rest_url + DEFINITIONS, headers={"Authorization": authorization})
    assert (response.status, response.json()) == (401, NOT_AUTHORIZED)
    assert response.header("WWW-Authenticate") == (
        INVALID_CHALLENGE if authorization == "Bearer not-a-token" else MISSING_CHALLENGE
    )


def test_token_works_until_its_lifetime_ends(api: Api, clock: ManualClock) -> None:
    """A token is accepted for 1200 s (past expires_in) and refused from then on."""
    api.login()
    clock.advance(1199.0)
    assert api.call("GET", DEFINITIONS).status == 200
    clock.advance(1.0)
    response = api.call("GET", DEFINITIONS)
    assert (response.status, response.json()) == (401, NOT_AUTHORIZED)
    assert response.header("WWW-Authenticate") == INVALID_CHALLENGE
    assert FUELSDK_IS_VALID_401.match(INVALID_CHALLENGE)


@pytest.mark.loopback
def test_401_challenge_reaches_a_client_over_loopback(simulator: Simulator) -> None:
    """On a real socket an expired-or-unknown token's 401 carries the same WWW-Authenticate."""
    transport = HttpTransport()
    with serve_in_thread(simulator) as server:
        api = Api(transport, server.base_url, server.base_url)
        api.token = "never-issued"
        response = api.call("POST", "/messaging/v1/sms/messages/k", {})
    transport.close()
    assert (response.status, response.json()) == (401, NOT_AUTHORIZED)
    assert response.header("WWW-Authenticate") == INVALID_CHALLENGE


def test_token_route_answers_carry_no_challenge(api: Api) -> None:
    """A refused token request is the OAuth error shape, without WWW-Authenticate."""
    response = api.request_token(client_secret="wrong")
    assert (response.status, response.header("WWW-Authenticate")) == (401, None)


def test_bearer_scheme_is_case_insensitive(api: Api) -> None:
    """``bearer <token>`` is accepted like ``Bearer <token>``."""
    token = api.login()
    response = api.raw(
        "GET", api.rest_url + DEFINITIONS, headers={"Authorization": f"bearer {token}"}
    )
    assert response.status == 200


def test_token_requests_are_not_faulted_by_default(make_api) -> None:
    """With every request rate-limited, the token endpoint still answers."""
    api, simulator = make_api(faults=Faults(rate_limit_every=1))
    api.login()
    assert api.call("GET", DEFINITIONS).status == 429
    counters = simulator.counters
    assert (counters.requests, counters.token_requests, counters.rate_limited) == (2, 1, 1)


def test_token_requests_are_faulted_when_asked(make_api) -> None:
    """include_token_requests applies the faults to /v2/token too."""
    api, _ = make_api(faults=Faults(error_every=1, include_token_requests=True))
    assert api.request_token().status == 500


def test_ignore_auth_deviation_accepts_missing_token(make_api) -> None:
    """IGNORE_AUTH serves a REST call that has no token."""
    api, _ = make_api(deviations=frozenset({Deviation.IGNORE_AUTH}))
    assert api.raw("GET", api.rest_url + DEFINITIONS).status == 200


def test_token_without_expires_in_deviation_drops_only_expires_in(make_api) -> None:
    """TOKEN_WITHOUT_EXPIRES_IN: every other field stays, rest_instance_url included."""
    api, _ = make_api(deviations=frozenset({Deviation.TOKEN_WITHOUT_EXPIRES_IN}))
    response = api.request_token()
    body = response.json()
    assert response.status == 200
    assert sorted(body) == [
        "access_token",
        "rest_instance_url",
        "scope",
        "soap_instance_url",
        "token_type",
    ]
    assert body["rest_instance_url"] == "https://sim.auth.sms-contract.invalid/"
    assert api.request_token(client_secret="wrong").json()["error"] == "invalid_client"


def test_send_answer_does_not_touch_the_token_endpoint(make_api) -> None:
    """send_answer changes sends only: a token request is answered as usual."""
    api, simulator = make_api(faults=Faults(send_answer=500, include_token_requests=True))
    assert api.request_token().status == 200
    assert simulator.counters.accepted_sends == 0
