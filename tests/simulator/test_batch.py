"""POST /messaging/v1/sms/messages/: many recipients, per-recipient results."""

from __future__ import annotations

import re
from typing import Any

import pytest

from sms_contract.simulator.app import Simulator
from tests.simulator.conftest import MESSAGES, Api


def _recipient(key: Any, to: str = "15555551234", **extra: Any) -> dict[str, Any]:
    item: dict[str, Any] = {"contactKey": "Astro25", "to": to, **extra}
    if key is not None:
        item["messageKey"] = key
    return item


def _batch(*recipients: Any, **extra: Any) -> dict[str, Any]:
    return {"definitionKey": "account-reset", "recipients": list(recipients), **extra}


def test_all_valid_recipients_are_accepted(api: Api, simulator: Simulator) -> None:
    """Every recipient valid: 202, errorcode 0, one response per recipient in order."""
    response = api.call("POST", MESSAGES, _batch(_recipient("one"), _recipient("two")))
    body = response.json()
    assert response.status == 202
    assert body["errorcode"] == 0
    assert body["responses"] == [{"messageKey": "one"}, {"messageKey": "two"}]
    assert simulator.counters.accepted_sends == 2


def test_batch_url_without_trailing_slash_is_the_same_route(api: Api) -> None:
    """POST /messaging/v1/sms/messages (the documented example's spelling) is the batch send."""
    response = api.call("POST", MESSAGES.rstrip("/"), _batch(_recipient("one")))
    assert response.json()["responses"] == [{"messageKey": "one"}]


def test_partial_failure_is_202_with_109001(api: Api, simulator: Simulator) -> None:
    """One bad recipient of two: 202, top-level 109001 and the item's own errorcode."""
    response = api.call("POST", MESSAGES, _batch(_recipient("bad", to=""), _recipient("good")))
    body = response.json()
    assert response.status == 202
    assert body["errorcode"] == 109001
    assert body["message"] == "MCMS_UTM_ResponsesHasErrors: 1 subscribers failed to queue out of 2"
    assert body["responses"] == [
        {
            "messageKey": "bad",
            "errorcode": 109106,
            "message": "MCMS_UTM_Validation_MissingRequiredField_to: Invalid subscriber",
        },
        {"messageKey": "good"},
    ]
    counters = simulator.counters
    assert (counters.accepted_sends, counters.rejected_sends) == (1, 1)


def test_missing_keys_are_generated(api: Api) -> None:
    """A recipient without messageKey gets a generated 22-character key."""
    response = api.call("POST", MESSAGES, _batch(_recipient(None), _recipient(None)))
    keys = [item["messageKey"] for item in response.json()["responses"]]
    assert all(re.fullmatch(r"[A-Za-z0-9_-]{22}", key) for key in keys)
    assert keys[0] != keys[1]
    assert api.status(keys[0]).status == 200


def test_duplicate_key_within_one_batch_rejects_the_repeat(api: Api) -> None:
    """The second use of a key in the same request is 109110; the first stands."""
    response = api.call("POST", MESSAGES, _batch(_recipient("same"), _recipient("same")))
    first, second = response.json()["responses"]
    assert first == {"messageKey": "same"}
    assert second["errorcode"] == 109110
    assert second["message"] == (
        "MCMS_UTM_Validation_DuplicateMessageKey: "
        "messageKey used more than once in the same send request"
    )


def test_key_used_by_an_earlier_send_is_rejected_per_item(api: Api) -> None:
    """A key taken by an earlier request is 109110 in that recipient's response."""
    assert api.send("earlier").status == 202
    response = api.call("POST", MESSAGES, _batch(_recipient("earlier")))
    body = response.json()
    assert body["message"] == "MCMS_UTM_ResponsesHasErrors: 1 subscribers failed to queue out of 1"
    assert body["responses"][0]["errorcode"] == 109110


@pytest.mark.parametrize(
    ("item", "errorcode"),
    [
        (_recipient("k", to="12"), 109121),
        ({"to": "15555551234", "messageKey": "k"}, 109105),
        (_recipient("k" * 101), 109108),
        (_recipient(""), 109104),
    ],
    ids=["to-invalid", "contact-key-missing", "key-too-long", "key-empty"],
)
def test_recipient_rules_apply_per_item(api: Api, item: dict[str, Any], errorcode: int) -> None:
    """Each recipient is validated on its own and reports its own errorcode."""
    response = api.call("POST", MESSAGES, _batch(item))
    assert response.json()["responses"][0]["errorcode"] == errorcode


@pytest.mark.parametrize(
    ("body", "status", "errorcode"),
    [
        (_batch(), 400, 109102),
        ({"definitionKey": "account-reset"}, 400, 109102),
        (_batch(_recipient("k"), recipient=_recipient("x")), 400, 109122),
        ({"definitionKey": "account-reset", "recipient": _recipient("x")}, 400, 109122),
        ({"recipients": [_recipient("k")]}, 400, 109107),
        (_batch(_recipient("k"), definitionKey="nope"), 400, 109111),
        (_batch("15555551234"), 400, 10001),
        (_batch(_recipient(7)), 400, 10001),
        ({"definitionKey": "account-reset", "recipients": {}}, 400, 10001),
    ],
    ids=[
        "empty",
        "absent",
        "both",
        "recipient-on-batch-url",
        "no-definition",
        "unknown-definition",
        "item-not-object",
        "key-not-string",
        "recipients-object",
    ],
)
def test_request_level_rules_reject_the_whole_batch(
    api: Api, body: dict[str, Any], status: int, errorcode: int
) -> None:
    """A batch broken as a whole is an HTTP error, not a per-item result."""
    response = api.call("POST", MESSAGES, body)
    assert (response.status, response.json()["errorcode"]) == (status, errorcode)


def test_too_many_recipients_is_109101(make_api) -> None:
    """More recipients than the configured maximum is TooManySubscribers."""
    api, _ = make_api(max_batch_recipients=2)
    body = _batch(_recipient("a"), _recipient("b"), _recipient("c"))
    response = api.call("POST", MESSAGES, body)
    assert (response.status, response.json()["errorcode"]) == (400, 109101)


def test_every_recipient_failing_is_still_202_with_109001(api: Api) -> None:
    """All recipients bad: the documented batch form, N of N failed."""
    response = api.call("POST", MESSAGES, _batch(_recipient("a", to=""), _recipient("b", to="")))
    assert response.status == 202
    assert response.json()["message"] == (
        "MCMS_UTM_ResponsesHasErrors: 2 subscribers failed to queue out of 2"
    )
