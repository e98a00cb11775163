"""POST /messaging/v1/sms/messages/: many recipients, per-recipient results."""

from __future__ import annotations

import re
from typing import Any

import pytest

from sms_contract.simulator.app import Simulator
from sms_contract.simulator.config import Deviation, Faults
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


def test_send_answer_counts_one_send_per_listed_recipient(make_api) -> None:
    """send_answer on the batch route: every listed recipient is accepted, valid or not."""
    api, simulator = make_api(faults=Faults(send_answer=200))
    body = _batch(_recipient("one"), _recipient(None, to=""), "not-an-object")
    response = api.call("POST", MESSAGES, body)
    answered = response.json()
    keys = [item["messageKey"] for item in answered["responses"]]
    assert (response.status, answered["errorcode"], len(keys)) == (200, 0, 3)
    assert keys[0] == "one"
    assert all(re.fullmatch(r"[A-Za-z0-9_-]{22}", key) for key in keys[1:])
    assert simulator.counters.accepted_sends == 3
    assert api.status("one").status == 200


@pytest.mark.parametrize(
    ("body", "accepted"),
    [
        (b"not json", 1),
        (b'{"definitionKey": "account-reset"}', 1),
        (b'{"recipients": {"to": "15555551234"}}', 1),
        (b'{"recipients": []}', 0),
    ],
    ids=["not-json", "no-recipients", "recipients-not-a-list", "empty-list"],
)
def test_send_answer_counts_one_send_without_a_recipients_list(
    make_api, body: bytes, accepted: int
) -> None:
    """Without a recipients list a batch counts as one send; an empty list as none."""
    api, simulator = make_api(faults=Faults(send_answer=500))
    response = api.call("POST", MESSAGES, body=body)
    assert response.status == 500
    assert response.json()["message"] == "Internal Server Error"
    assert simulator.counters.accepted_sends == accepted


def test_send_answer_204_on_the_batch_route_has_no_body(make_api) -> None:
    """204 to a batch: no body; both recipients accepted."""
    api, simulator = make_api(faults=Faults(send_answer=204))
    response = api.call("POST", MESSAGES, _batch(_recipient("a"), _recipient("b")))
    assert (response.status, response.body) == (204, b"")
    assert simulator.counters.accepted_sends == 2


def test_accept_long_message_key_deviation_applies_to_batch_items(make_api) -> None:
    """ACCEPT_LONG_MESSAGE_KEY: a 101-character recipient key is accepted too."""
    api, simulator = make_api(deviations=frozenset({Deviation.ACCEPT_LONG_MESSAGE_KEY}))
    response = api.call("POST", MESSAGES, _batch(_recipient("k" * 101)))
    assert response.json() == {
        "requestId": response.json()["requestId"],
        "errorcode": 0,
        "responses": [{"messageKey": "k" * 101}],
    }
    assert simulator.counters.accepted_sends == 1


def test_accept_missing_definition_key_deviation_applies_to_batches(make_api) -> None:
    """ACCEPT_MISSING_DEFINITION_KEY: a batch without definitionKey is accepted; "" is not."""
    api, simulator = make_api(deviations=frozenset({Deviation.ACCEPT_MISSING_DEFINITION_KEY}))
    accepted = api.call("POST", MESSAGES, {"recipients": [_recipient("no-def")]})
    assert (accepted.status, accepted.json()["errorcode"]) == (202, 0)
    empty = api.call("POST", MESSAGES, _batch(_recipient("empty-def"), definitionKey=""))
    assert (empty.status, empty.json()["errorcode"]) == (400, 109107)
    counters = simulator.counters
    assert (counters.accepted_sends, counters.rejected_sends) == (1, 1)


def test_trim_message_key_deviation_applies_to_batch_items(make_api) -> None:
    """TRIM_MESSAGE_KEY: recipient keys are stored and echoed stripped; blank is missing."""
    api, _ = make_api(deviations=frozenset({Deviation.TRIM_MESSAGE_KEY}))
    response = api.call("POST", MESSAGES, _batch(_recipient(" padded\t"), _recipient("  ")))
    first, second = response.json()["responses"]
    assert first == {"messageKey": "padded"}
    assert (second["messageKey"], second["errorcode"]) == ("", 109104)


def test_server_error_on_non_ascii_key_covers_batch_item_keys(make_api) -> None:
    """A batch naming a non-ASCII recipient key is 500 every time, and nothing is accepted."""
    api, simulator = make_api(deviations=frozenset({Deviation.SERVER_ERROR_ON_NON_ASCII_KEY}))
    body = _batch(_recipient("ascii"), _recipient("é"))
    assert [api.call("POST", MESSAGES, body).status for _ in range(3)] == [500, 500, 500]
    assert api.status("ascii").status == 404
    counters = simulator.counters
    assert (counters.accepted_sends, counters.rejected_sends) == (0, 0)
    assert api.call("POST", MESSAGES, _batch(_recipient("ascii"))).status == 202


def test_server_error_on_malformed_json_deviation_applies_to_batches(make_api) -> None:
    """SERVER_ERROR_ON_MALFORMED_JSON: a batch body that is not JSON gets 500, unprocessed."""
    api, simulator = make_api(deviations=frozenset({Deviation.SERVER_ERROR_ON_MALFORMED_JSON}))
    response = api.call("POST", MESSAGES, body=b'{"recipients": [')
    assert (response.status, response.json()["errorcode"]) == (500, 0)
    assert simulator.counters.rejected_sends == 0


@pytest.mark.parametrize(
    ("rule", "item", "code", "reason"),
    [
        ("to-invalid", _recipient("deferred", to="12"), 129, "PhoneNumberValidationFailed"),
        (
            "contact-key-missing",
            {"to": "15555551234", "messageKey": "deferred"},
            8,
            "MissingSubscriberID",
        ),
    ],
    ids=["to-invalid", "contact-key-missing"],
)
def test_async_rule_accepts_the_batch_item_then_marks_it_not_sent(
    make_api, rule: str, item: dict[str, Any], code: int, reason: str
) -> None:
    """A deferred recipient rule: the item is accepted in the batch, then SMSNotSent."""
    api, simulator = make_api(async_rules=frozenset({rule}))
    response = api.call("POST", MESSAGES, _batch(item, _recipient("fine")))
    assert response.status == 202
    assert response.json()["errorcode"] == 0
    assert response.json()["responses"] == [{"messageKey": "deferred"}, {"messageKey": "fine"}]
    assert simulator.counters.accepted_sends == 2
    info = api.status("deferred").json()["info"]
    assert (info["statusCode"], info["statusMessage"]) == (code, reason)
    assert "statusCode" not in api.status("fine").json()["info"]


def test_async_definition_key_unknown_marks_every_batch_recipient_not_sent(make_api) -> None:
    """An unknown definitionKey deferred: the batch is accepted, each recipient ends 15."""
    api, simulator = make_api(async_rules=frozenset({"definition-key-unknown"}))
    body = _batch(_recipient("x1"), _recipient("x2"), definitionKey="no-such-definition")
    response = api.call("POST", MESSAGES, body)
    assert (response.status, response.json()["errorcode"]) == (202, 0)
    assert simulator.counters.accepted_sends == 2
    for key in ("x1", "x2"):
        status = api.status(key).json()
        assert status["eventCategoryType"] == "TransactionalSendEvents.SMSNotSent"
        assert (status["info"]["statusCode"], status["info"]["statusMessage"]) == (
            15,
            "UnspecifiedError",
        )
    listed = api.call("GET", MESSAGES + "?type=notSent").json()
    assert [(m["info"]["messageKey"], m["definitionKey"]) for m in listed["messages"]] == [
        ("x1", "no-such-definition"),
        ("x2", "no-such-definition"),
    ]
