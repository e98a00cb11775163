"""SimulatorConfig.to_optional: the contactKey-only reading of Salesforce's own SDK tests."""

from __future__ import annotations

from typing import Any

import pytest

from sms_contract.spec.rules import RejectionForm
from tests.simulator.conftest import MESSAGES, Api

SDK_SINGLE = {"definitionKey": "account-reset", "recipient": {"contactKey": "johnDoe@gmail.com"}}
"""The body mcsdk-automation-node's integration test sends to one recipient."""
NO_TO = {"contactKey": "johnDoe@gmail.com"}
EMPTY_TO = {
    "null": {"contactKey": "johnDoe@gmail.com", "to": None},
    "empty": {"contactKey": "johnDoe@gmail.com", "to": ""},
}
TO_MISSING = "MCMS_UTM_Validation_MissingRequiredField_to: Invalid subscriber"


def _single(recipient: dict[str, Any]) -> dict[str, Any]:
    return {"definitionKey": "account-reset", "recipient": recipient}


def test_to_is_required_by_default(api: Api) -> None:
    """Without the option, the SDK's body is refused with 109106, as the vendor pages say."""
    response = api.send("sdk", SDK_SINGLE)
    assert (response.status, response.json()["errorcode"]) == (400, 109106)
    assert api.status("sdk").status == 404


@pytest.mark.parametrize("recipient", list(EMPTY_TO.values()), ids=list(EMPTY_TO))
def test_an_empty_or_null_to_is_refused_even_when_to_is_optional(
    make_api, recipient: dict[str, Any]
) -> None:
    """The SDKs leave ``to`` out; "" and null break the spec under both readings: 109106."""
    api, _ = make_api(to_optional=True)
    response = api.send("sdk-empty", _single(recipient))
    assert (response.status, response.json()["errorcode"]) == (400, 109106)


def test_single_send_with_contact_key_and_no_to_is_accepted(make_api) -> None:
    """to_optional: accepted (202, errorcode 0, the key echoed), counted, status readable."""
    api, simulator = make_api(to_optional=True)
    response = api.send("sdk-single", _single(NO_TO))
    assert response.status == 202
    assert (response.json()["errorcode"], response.json()["responses"]) == (
        0,
        [{"messageKey": "sdk-single"}],
    )
    assert (simulator.counters.accepted_sends, simulator.counters.rejected_sends) == (1, 0)
    status = api.status("sdk-single")
    assert status.status == 200
    assert status.json()["eventCategoryType"] == "TransactionalSendEvents.SMSSent"
    assert status.json()["info"] == {"messageKey": "sdk-single", "contactKey": "johnDoe@gmail.com"}


def test_batch_recipients_without_to_are_accepted(make_api) -> None:
    """to_optional on the batch route: every contactKey-only recipient is queued; statuses read."""
    api, simulator = make_api(to_optional=True)
    batch = {
        "definitionKey": "account-reset",
        "recipients": [
            {"contactKey": "johnDoe@gmail.com", "messageKey": "b-1"},
            {"contactKey": "janeDoe@gmail.com", "to": "15555551234", "messageKey": "b-2"},
        ],
    }
    response = api.call("POST", MESSAGES, batch)
    assert response.status == 202
    assert response.json()["errorcode"] == 0
    assert response.json()["responses"] == [{"messageKey": "b-1"}, {"messageKey": "b-2"}]
    assert simulator.counters.accepted_sends == 2
    first = api.status("b-1").json()
    assert (first["eventCategoryType"], first["info"]["contactKey"]) == (
        "TransactionalSendEvents.SMSSent",
        "johnDoe@gmail.com",
    )


def test_without_a_contact_key_to_is_still_required(make_api) -> None:
    """Neither to nor contactKey: still 109106 (the subscriber has no stored number to use)."""
    api, _ = make_api(to_optional=True)
    response = api.send("nobody", _single({"attributes": {"a": "1"}}))
    assert (response.status, response.json()["errorcode"]) == (400, 109106)
    batch = {"definitionKey": "account-reset", "recipients": [{"messageKey": "nb"}]}
    item = api.call("POST", MESSAGES, batch).json()["responses"][0]
    assert item == {"messageKey": "nb", "errorcode": 109106, "message": TO_MISSING}


def test_an_invalid_to_is_still_refused(make_api) -> None:
    """The option makes `to` optional, not unchecked: a malformed number is 109121."""
    api, _ = make_api(to_optional=True)
    response = api.send("bad-to", _single({"contactKey": "c", "to": "12"}))
    assert (response.status, response.json()["errorcode"]) == (400, 109121)


def test_to_optional_with_the_accepted_rejection_form(make_api) -> None:
    """Under the 202 rejection form the default refusal is a 109001 item; the option accepts."""
    strict, _ = make_api(rejection_form=RejectionForm.ACCEPTED_WITH_ERRORS)
    refused = strict.send("form", SDK_SINGLE).json()
    assert (refused["errorcode"], refused["responses"][0]["errorcode"]) == (109001, 109106)
    lenient, _ = make_api(rejection_form=RejectionForm.ACCEPTED_WITH_ERRORS, to_optional=True)
    assert lenient.send("form", SDK_SINGLE).json()["errorcode"] == 0
