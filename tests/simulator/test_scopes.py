"""OAuth scopes: what a token request is granted, and the 403 of a route whose scope is lacking."""

from __future__ import annotations

from typing import Any

import pytest

from sms_contract.simulator.config import Credentials, Deviation
from sms_contract.simulator.routes import ALLOWED, REQUIRED_SCOPES, RouteName, resolve
from sms_contract.spec.endpoints import REST_OPERATIONS
from sms_contract.spec.loading import load_spec
from sms_contract.spec.rules import ERROR_HANDLING
from tests.simulator.conftest import DEFINITIONS, DOCUMENTED_EXAMPLE, MESSAGES, Api

EVERY_SCOPE = "sms_read sms_write sms_send tracking_events_read"
NEW_DEFINITION = {
    "definitionKey": "scoped",
    "name": "scoped",
    "content": {"message": "hi"},
    "subscriptions": {"shortCode": "8201221", "countryCode": "US", "keyword": "SCOPED"},
}
BATCH = {
    "definitionKey": "account-reset",
    "recipients": [{"contactKey": "Astro25", "to": "15555551234", "messageKey": "b1"}],
}
# (method, path, body, the scopes the facts list, the status with exactly those scopes)
ROUTE_CALLS: list[tuple[str, str, Any, frozenset[str], int]] = [
    ("POST", MESSAGES + "scoped-1", DOCUMENTED_EXAMPLE, frozenset({"sms_send"}), 202),
    ("POST", MESSAGES, BATCH, frozenset({"sms_send"}), 202),
    ("GET", MESSAGES + "never", None, frozenset({"tracking_events_read", "sms_read"}), 404),
    ("GET", MESSAGES + "?type=notSent", None, frozenset({"tracking_events_read", "sms_read"}), 200),
    ("GET", DEFINITIONS, None, frozenset({"sms_read"}), 200),
    ("GET", DEFINITIONS + "/account-reset", None, frozenset({"sms_read"}), 200),
    ("GET", DEFINITIONS + "/account-reset/queue", None, frozenset({"sms_read"}), 200),
    ("POST", DEFINITIONS, NEW_DEFINITION, frozenset({"sms_write"}), 201),
    ("PATCH", DEFINITIONS + "/account-reset", {"description": "x"}, frozenset({"sms_write"}), 200),
    ("DELETE", DEFINITIONS + "/account-reset", None, frozenset({"sms_write"}), 200),
    ("DELETE", DEFINITIONS + "/reminder-inactive/queue", None, frozenset({"sms_write"}), 200),
]
ROUTE_IDS = [f"{method} {path}" for method, path, *_ in ROUTE_CALLS]


def _with_scope(api: Api, scope: str) -> dict[str, Any]:
    response = api.request_token(scope=scope)
    assert response.status == 200
    body: dict[str, Any] = response.json()
    api.token = body["access_token"]
    return body


def _forbidden(scope: str) -> dict[str, Any]:
    return {
        "message": f"Insufficient Privileges: the token lacks a scope this request needs ({scope})",
        "errorcode": 20002,
        "documentation": ERROR_HANDLING,
    }


def _challenge(scope: str) -> str:
    return (
        'Bearer realm="sms-contract-simulator", error="insufficient_scope", '
        f'error_description="The access token lacks a scope", scope="{scope}"'
    )


def test_no_scope_asked_gets_every_scope_of_the_integration(api: Api) -> None:
    """A token request without scope is granted the integration's scopes, and each route works."""
    assert api.request_token().json()["scope"] == EVERY_SCOPE
    api.login()
    assert api.send("everything").status == 202
    assert api.call("GET", DEFINITIONS).status == 200


def test_requested_scopes_are_intersected_with_the_integration(make_api) -> None:
    """Asked: scopes the integration lacks, repeats, extra spaces; granted: those it has, in
    the order asked, once each."""
    api, _ = make_api(credentials=Credentials(scope="sms_read sms_send tracking_events_read"))
    body = _with_scope(api, "  email_read sms_send sms_write sms_send  sms_read ")
    assert body["scope"] == "sms_send sms_read"
    assert api.send("granted").status == 202
    response = api.call("POST", DEFINITIONS, NEW_DEFINITION)
    assert (response.status, response.json()) == (403, _forbidden("sms_write"))
    assert api.status("granted").status == 403  # tracking_events_read was not asked for


def test_integration_scope_bounds_a_token_asked_without_scope(make_api) -> None:
    """An integration with only sms_read: its tokens read definitions but cannot send."""
    api, simulator = make_api(credentials=Credentials(scope="sms_read"))
    assert api.request_token().json()["scope"] == "sms_read"
    api.login()
    assert api.call("GET", DEFINITIONS).status == 200
    response = api.send("not-allowed")
    assert (response.status, response.json()) == (403, _forbidden("sms_send"))
    assert response.header("WWW-Authenticate") == _challenge("sms_send")
    counters = simulator.counters
    assert (counters.accepted_sends, counters.rejected_sends) == (0, 0)
    assert api.status("not-allowed").status == 403


def test_empty_scope_gets_a_token_without_any_permission(api: Api) -> None:
    """``"scope": ""``: "token is generated with no scope permissions" — every route is 403."""
    assert _with_scope(api, "")["scope"] == ""
    for method, path, body, needed, _ in ROUTE_CALLS:
        response = api.call(method, path, body)
        wanted = " ".join(sorted(needed))
        assert (response.status, response.json()) == (403, _forbidden(wanted)), path
        assert response.header("WWW-Authenticate") == _challenge(wanted)


@pytest.mark.parametrize(("method", "path", "body", "needed", "status"), ROUTE_CALLS, ids=ROUTE_IDS)
def test_each_route_needs_exactly_its_documented_scopes(
    api: Api, method: str, path: str, body: Any, needed: frozenset[str], status: int
) -> None:
    """With exactly the listed scopes the route answers as usual; without any one of them 403."""
    for missing in sorted(needed):
        _with_scope(api, " ".join(sorted(set(EVERY_SCOPE.split()) - {missing})))
        response = api.call(method, path, body)
        assert (response.status, response.json()["errorcode"]) == (403, 20002)
    _with_scope(api, " ".join(sorted(needed)))
    assert api.call(method, path, body).status == status


def test_scope_table_agrees_with_the_spec() -> None:
    """Each REST operation's x-required-scopes is the scope set the simulator's route needs."""
    spec = load_spec()
    checked = set()
    for operation_id in sorted(REST_OPERATIONS):
        operation = spec.operation(operation_id)
        path = operation.path.replace("{messageKey}", "k").replace("{definitionKey}", "d")
        route = resolve({"RAW_URI": path})
        assert route is not None, path
        needed = REQUIRED_SCOPES[(route.name, operation.method.upper())]
        assert needed == set(operation.required_scopes), operation_id
        checked.add((route.name, operation.method.upper()))
    assert checked == set(REQUIRED_SCOPES)


def test_every_route_and_method_has_a_scope() -> None:
    """No REST route is served without a scope check (the token route needs none)."""
    routes = {(name, method) for name in RouteName for method in ALLOWED[name]}
    assert routes - set(REQUIRED_SCOPES) == {(RouteName.TOKEN, "POST")}


def test_ignore_auth_still_checks_the_scopes_of_a_valid_token(make_api) -> None:
    """IGNORE_AUTH serves requests without a token, but a valid token lacking sms_send is 403."""
    api, _ = make_api(deviations=frozenset({Deviation.IGNORE_AUTH}))
    assert api.raw("GET", api.rest_url + DEFINITIONS).status == 200
    _with_scope(api, "sms_read")
    assert api.send("narrow").status == 403


@pytest.mark.parametrize("integration_account", [None, "12345"])
def test_null_account_id_is_read_as_absent(make_api, integration_account: str | None) -> None:
    """``"account_id": null`` gets the same token as no account_id, with or without a MID set."""
    api, _ = make_api(credentials=Credentials(account_id=integration_account))
    response = api.request_token(account_id=None)
    assert (response.status, response.json()["scope"]) == (200, EVERY_SCOPE)
    api.token = response.json()["access_token"]
    assert api.send("null-account").status == 202
