"""Send-definition options: urlShortenerOptions holds booleans and a shortenerType string;
anything else is refused with 109112 InvalidValue_options, never stored and echoed back."""

from __future__ import annotations

from typing import Any

import pytest

from tests.simulator.conftest import DEFINITIONS, Api

NEW: dict[str, Any] = {
    "definitionKey": "order-shipped",
    "name": "order-shipped",
    "content": {"message": "Your order shipped"},
    "subscriptions": {"shortCode": "8201221", "countryCode": "US", "keyword": "ORDER"},
}
OPTIONS = {
    "urlShortenerOptions": {
        "IsLinkShorteningEnabled": True,
        "isLinkShorteningEnabled": False,
        "isSubscriberTrackingEnabled": True,
        "shortenerType": "SFMC",
    }
}


def test_documented_options_are_stored_and_echoed(api: Api) -> None:
    """Booleans and a shortenerType string are accepted and answered as sent."""
    response = api.call("POST", DEFINITIONS, {**NEW, "options": OPTIONS})
    assert response.status == 201
    assert response.json()["options"] == OPTIONS


@pytest.mark.parametrize(
    ("shortener", "detail"),
    [
        (
            {"isSubscriberTrackingEnabled": "true"},
            "options.urlShortenerOptions.isSubscriberTrackingEnabled must be true or false",
        ),
        (
            {"IsLinkShorteningEnabled": 1},
            "options.urlShortenerOptions.IsLinkShorteningEnabled must be true or false",
        ),
        (
            {"isLinkShorteningEnabled": None},
            "options.urlShortenerOptions.isLinkShorteningEnabled must be true or false",
        ),
        ({"shortenerType": True}, "options.urlShortenerOptions.shortenerType must be a string"),
        ([True], "options.urlShortenerOptions must be an object"),
    ],
    ids=["tracking-string", "shortening-number", "camel-null", "type-boolean", "not-object"],
)
def test_create_refuses_mistyped_options_with_109112(api: Api, shortener: Any, detail: str) -> None:
    """A mistyped shortener option is 400 109112 and no definition is created."""
    body = {**NEW, "options": {"urlShortenerOptions": shortener}}
    response = api.call("POST", DEFINITIONS, body)
    assert response.status == 400
    assert response.json()["errorcode"] == 109112
    assert response.json()["message"] == f"MCMS_UTM_Validation_InvalidValue_options: {detail}"
    assert api.call("GET", DEFINITIONS + "/order-shipped").status == 404


def test_update_refuses_mistyped_options_and_keeps_the_definition(api: Api) -> None:
    """A PATCH with a mistyped option is 400 109112 and changes nothing."""
    assert api.call("POST", DEFINITIONS, {**NEW, "options": OPTIONS}).status == 201
    change = {"description": "changed", "options": {"urlShortenerOptions": {"shortenerType": 7}}}
    response = api.call("PATCH", DEFINITIONS + "/order-shipped", change)
    assert (response.status, response.json()["errorcode"]) == (400, 109112)
    stored = api.call("GET", DEFINITIONS + "/order-shipped").json()
    assert stored["options"] == OPTIONS
    assert "description" not in stored
