"""The send-definition routes and the queue of an inactive definition."""

from __future__ import annotations

import re
from typing import Any
from urllib.parse import quote

import pytest

from sms_contract.simulator.clock import ManualClock
from tests.simulator.conftest import DEFINITIONS, Api, payload

NEW: dict[str, Any] = {
    "definitionKey": "order-shipped",
    "name": "order-shipped",
    "description": "Using new SMS Transactional API",
    "content": {"message": "%%FirstName%%, your order shipped"},
    "subscriptions": {"shortCode": "8201221", "countryCode": "US", "keyword": "ORDER"},
}


def test_create_answers_201_with_the_definition(api: Api) -> None:
    """The documented create request gets 201 with the definition, status Active."""
    response = api.call("POST", DEFINITIONS, NEW)
    body = response.json()
    assert response.status == 201
    assert body["definitionKey"] == "order-shipped"
    assert body["status"] == "Active"
    assert body["createdDate"] == "2023-11-14T16:13:20"
    assert body["content"] == {"message": "%%FirstName%%, your order shipped"}
    assert body["subscriptions"] == {
        "autoAddSubscriber": True,
        "shortCode": "8201221",
        "countryCode": "US",
        "keyword": "ORDER",
    }


def test_existing_key_is_409(api: Api) -> None:
    """Creating a definition whose key exists is 409 Conflict."""
    assert api.call("POST", DEFINITIONS, NEW).status == 201
    response = api.call("POST", DEFINITIONS, {**NEW, "name": "another-name"})
    assert (response.status, response.json()["errorcode"]) == (409, 30004)


@pytest.mark.parametrize(
    ("change", "errorcode"),
    [
        ({"definitionKey": None}, 109107),
        ({"name": None}, 10002),
        ({"content": {}}, 10002),
        ({"subscriptions": {"countryCode": "US"}}, 10002),
        ({"name": 5}, 10001),
        ({"status": "deleted"}, 10005),
        ({"subscriptions": {"shortCode": "1", "autoAddSubscriber": "yes"}}, 109113),
    ],
    ids=[
        "no-key",
        "no-name",
        "no-message",
        "no-short-code",
        "name-number",
        "status-deleted",
        "auto-add-string",
    ],
)
def test_create_refuses_missing_or_wrong_fields(
    api: Api, change: dict[str, Any], errorcode: int
) -> None:
    """Required fields missing or documented fields mistyped are 400 with the matching code."""
    body = {k: v for k, v in {**NEW, **change}.items() if v is not None}
    response = api.call("POST", DEFINITIONS, body)
    assert (response.status, response.json()["errorcode"]) == (400, errorcode)


def test_get_one_and_unknown_key(api: Api) -> None:
    """A seeded definition reads back; an unknown key is 404 with the documented message."""
    body = api.call("GET", DEFINITIONS + "/account-reset").json()
    assert (body["definitionKey"], body["status"]) == ("account-reset", "Active")
    response = api.call("GET", DEFINITIONS + "/nope")
    assert response.status == 404
    assert response.json()["errorcode"] == 30003
    assert response.json()["message"].endswith("Definition key doesn't exist for this MID")


def test_patch_returns_the_full_definition(api: Api, clock: ManualClock) -> None:
    """PATCH changes only what it names and answers the whole definition."""
    clock.advance(60)
    api.login()
    response = api.call(
        "PATCH",
        DEFINITIONS + "/account-reset",
        {"description": "description updated", "status": "Inactive"},
    )
    body = response.json()
    assert response.status == 200
    assert body["status"] == "Inactive"
    assert body["description"] == "description updated"
    assert body["content"] == {"message": "%%FirstName%%, your 2FA token is %%password%%"}
    assert body["modifiedDate"] == "2023-11-14T16:14:20"


def test_delete_archives_and_frees_the_key(api: Api) -> None:
    """DELETE answers Success with an archive id; the key is gone and can be reused."""
    response = api.call("DELETE", DEFINITIONS + "/account-reset")
    body = response.json()
    assert response.status == 200
    assert body["message"] == "Success"
    assert re.fullmatch(r"[0-9a-f-]{36}", body["deletedDefinitionKey"])
    assert api.call("GET", DEFINITIONS + "/account-reset").status == 404
    assert api.call("DELETE", DEFINITIONS + "/account-reset").status == 404
    assert api.send("after-delete").json()["errorcode"] == 109111
    assert api.call("POST", DEFINITIONS, {**NEW, "definitionKey": "account-reset"}).status == 201


def _keys(body: dict[str, Any]) -> list[str]:
    return [item["definitionKey"] for item in body["definitions"]]


def test_list_filters_orders_and_pages(api: Api) -> None:
    """$filter, $orderBy, $pageSize and $page work; count is the page's item count."""
    api.call("POST", DEFINITIONS, NEW)
    everything = api.call("GET", DEFINITIONS + "?$orderBy=name").json()
    assert _keys(everything) == ["account-reset", "order-shipped", "reminder-inactive"]
    assert (everything["count"], everything["page"], everything["pageSize"]) == (3, 1, 50)
    active = api.call("GET", DEFINITIONS + "?$filter=status%20eq%20active&$orderBy=name%20desc")
    assert _keys(active.json()) == ["order-shipped", "account-reset"]
    inactive = api.call("GET", DEFINITIONS + "?$filter=status%20neq%20active").json()
    assert _keys(inactive) == ["reminder-inactive"]
    second = api.call("GET", DEFINITIONS + "?$orderBy=name&$pageSize=2&$page=2").json()
    assert (_keys(second), second["count"], second["pageSize"]) == (["reminder-inactive"], 1, 2)


def test_list_shows_the_documented_summary_fields(api: Api) -> None:
    """A list item carries definitionKey, status, name, createdDate and modifiedDate."""
    item = api.call("GET", DEFINITIONS + "/").json()["definitions"][0]
    assert sorted(item) == ["createdDate", "definitionKey", "modifiedDate", "name", "status"]


def _statuses(body: dict[str, Any]) -> list[tuple[str, str]]:
    return [(item["definitionKey"], item["status"]) for item in body["definitions"]]


def test_unfiltered_list_includes_deleted_definitions(api: Api) -> None:
    """Without $filter, a deleted definition is listed with status Deleted (as the real list)."""
    api.call("DELETE", DEFINITIONS + "/reminder-inactive")
    listed = api.call("GET", DEFINITIONS + "?$orderBy=name").json()
    assert _statuses(listed) == [("account-reset", "Active"), ("reminder-inactive", "Deleted")]
    assert listed["count"] == 2


@pytest.mark.parametrize(
    ("expression", "listed"),
    [
        ("status eq deleted", [("reminder-inactive", "Deleted")]),
        ("status neq deleted", [("account-reset", "Active")]),
        ("status eq active", [("account-reset", "Active")]),
        ("status eq inactive", []),
    ],
)
def test_filters_include_or_exclude_deleted_definitions(
    api: Api, expression: str, listed: list[tuple[str, str]]
) -> None:
    """$filter=status eq deleted lists only the deleted; neq deleted and eq active exclude them."""
    api.call("DELETE", DEFINITIONS + "/reminder-inactive")
    response = api.call("GET", DEFINITIONS + f"?$filter={quote(expression)}")
    assert (response.status, _statuses(response.json())) == (200, listed)


def test_a_deleted_and_recreated_key_is_listed_twice(api: Api) -> None:
    """The archived definition and the new one with the same key both show, each its status."""
    api.call("DELETE", DEFINITIONS + "/account-reset")
    created = {**NEW, "definitionKey": "account-reset", "name": "account-reset"}
    assert api.call("POST", DEFINITIONS, created).status == 201
    listed = api.call("GET", DEFINITIONS + "?$orderBy=status").json()
    assert _statuses(listed) == [
        ("account-reset", "Active"),
        ("account-reset", "Deleted"),
        ("reminder-inactive", "Inactive"),
    ]
    assert api.call("GET", DEFINITIONS + "/account-reset").json()["status"] == "Active"


@pytest.mark.parametrize("value", ["account-reset", "another-key", None])
def test_patch_with_definition_key_in_the_body_is_refused(api: Api, value: Any) -> None:
    """definitionKey in a PATCH body (any value, null too) is 400/30001; nothing changes."""
    path = DEFINITIONS + "/account-reset"
    response = api.call("PATCH", path, {"definitionKey": value, "description": "changed"})
    assert response.status == 400
    assert response.json() == {
        "message": "MCMS_UTM_Runtime_InvalidOperation: definitionKey cannot be updated; "
        "leave it out of the body",
        "errorcode": 30001,
        "documentation": "",
    }
    assert api.call("GET", path).json()["description"] == "Using new SMS Transactional API"


def test_patch_of_a_deleted_definition_is_404(api: Api) -> None:
    """A deleted definition is listed but cannot be read or changed by its key."""
    api.call("DELETE", DEFINITIONS + "/reminder-inactive")
    response = api.call("PATCH", DEFINITIONS + "/reminder-inactive", {"description": "x"})
    assert (response.status, response.json()["errorcode"]) == (404, 30003)


@pytest.mark.parametrize(
    "query", ["?$filter=name eq x", "?$orderBy=colour", "?$pageSize=0", "?$page=zero"]
)
def test_list_refuses_bad_queries(api: Api, query: str) -> None:
    """An unsupported filter, sort field or paging value is 400 InvalidValue."""
    response = api.call("GET", DEFINITIONS + query)
    assert (response.status, response.json()["errorcode"]) == (400, 10005)


def test_queue_counts_sends_to_an_inactive_definition(api: Api, clock: ManualClock) -> None:
    """Sends to an inactive definition queue up; count and age grow."""
    inactive = payload(definitionKey="reminder-inactive")
    api.send("q1", inactive)
    clock.advance(45)
    api.login()
    api.send("q2", inactive)
    body = api.call("GET", DEFINITIONS + "/reminder-inactive/queue").json()
    assert (body["count"], body["ageSeconds"]) == (2, 45)
    assert sorted(body) == ["ageSeconds", "count", "requestId"]


def test_queue_of_active_definition_cannot_be_purged(api: Api) -> None:
    """DELETE queue on an active definition is the documented 400/30001."""
    response = api.call("DELETE", DEFINITIONS + "/account-reset/queue")
    assert response.status == 400
    assert response.json() == {
        "message": "MCMS_UTM_Runtime_InvalidOperation: "
        "Definition status must be inactive to delete queue",
        "errorcode": 30001,
        "documentation": "",
    }


def test_purged_queue_marks_sends_not_sent(api: Api) -> None:
    """Purging an inactive definition's queue empties it; the sends become SMSNotSent."""
    api.send("purged", payload(definitionKey="reminder-inactive"))
    response = api.call("DELETE", DEFINITIONS + "/reminder-inactive/queue")
    assert (response.status, response.json()["message"]) == (200, "Queued")
    assert api.call("GET", DEFINITIONS + "/reminder-inactive/queue").json()["count"] == 0
    info = api.status("purged").json()["info"]
    assert (info["statusCode"], info["statusMessage"]) == (37, "QueuedTransactionDeleted")


def test_activating_a_definition_sends_its_queue(api: Api) -> None:
    """PATCH status active turns queued sends into SMSSent."""
    api.send("waiting", payload(definitionKey="reminder-inactive"))
    api.call("PATCH", DEFINITIONS + "/reminder-inactive", {"status": "active"})
    assert api.status("waiting").json()["eventCategoryType"] == "TransactionalSendEvents.SMSSent"


def test_queue_of_unknown_definition_is_404(api: Api) -> None:
    """Queue routes of a definition that does not exist are 404."""
    assert api.call("GET", DEFINITIONS + "/nope/queue").status == 404
    assert api.call("DELETE", DEFINITIONS + "/nope/queue").status == 404
