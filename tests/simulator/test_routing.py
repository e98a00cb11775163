"""Routes: 405 with Allow for every other method, 404 with a JSON body for unknown paths."""

from __future__ import annotations

import pytest

from sms_contract.simulator.app import Simulator
from tests.simulator.conftest import Api

METHODS = ["GET", "POST", "PUT", "PATCH", "DELETE", "HEAD", "OPTIONS", "TRACE", "QUERY", "CONNECT"]
ROUTES = {
    "/v2/token": ["POST"],
    "/messaging/v1/sms/messages/": ["GET", "POST"],
    "/messaging/v1/sms/messages/some-key": ["GET", "POST"],
    "/messaging/v1/sms/definitions": ["GET", "POST"],
    "/messaging/v1/sms/definitions/account-reset": ["GET", "PATCH", "DELETE"],
    "/messaging/v1/sms/definitions/account-reset/queue": ["GET", "DELETE"],
}
NOT_ALLOWED = [
    (path, method)
    for path, allowed in ROUTES.items()
    for method in METHODS
    if method not in allowed
]


@pytest.mark.parametrize(("path", "method"), NOT_ALLOWED)
def test_other_methods_are_405_with_allow(api_over: Api, path: str, method: str) -> None:
    """Every method a route does not serve is 405 with Allow and a JSON error body."""
    response = api_over.call(method, path)
    assert response.status == 405
    assert response.header("Allow") == ", ".join(ROUTES[path])
    assert response.content_type == "application/json; charset=utf-8"
    if method != "HEAD":
        body = response.json()
        assert sorted(body) == ["documentation", "errorcode", "message"]
        assert body["errorcode"] == 10000


def test_not_allowed_method_needs_no_token(api: Api) -> None:
    """405 is decided before authentication."""
    response = api.raw("QUERY", api.rest_url + "/messaging/v1/sms/messages/k")
    assert response.status == 405


@pytest.mark.parametrize(
    "path",
    [
        "/",
        "/messaging/v1/sms",
        "/messaging/v1/email/messages/k",
        "/messaging/v1/sms/messages/k/extra",
        "/messaging/v1/sms/definitions/k/queue/x",
        "/Messaging/v1/sms/messages/k",
        "/v2/token/",
    ],
)
def test_unknown_routes_are_404_json(api: Api, path: str) -> None:
    """A path that names no route is 404 with a JSON error body, whatever the method."""
    response = api.call("GET", path)
    assert response.status == 404
    assert response.content_type == "application/json; charset=utf-8"
    assert response.json()["errorcode"] == 30003


def test_every_request_is_counted(api: Api, simulator: Simulator) -> None:
    """requests counts everything, token_requests the token route."""
    api.login()
    api.call("GET", "/nowhere")
    api.call("QUERY", "/v2/token")
    counters = simulator.counters
    assert (counters.requests, counters.token_requests) == (3, 2)
