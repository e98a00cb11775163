"""Reading send answers: both documented rejection forms, acceptance, and the rest."""

import json

import pytest

from sms_contract.checks.reading import Answer, as_int, read_send
from sms_contract.exchange import HttpResponse


def _response(status: int, body: object) -> HttpResponse:
    return HttpResponse(status, {"Content-Type": "application/json"}, json.dumps(body).encode())


def test_documented_acceptance_is_accepted_with_its_echoed_key():
    """202 with errorcode 0 is an acceptance; the echoed key is read from responses[]."""
    read = read_send(
        _response(202, {"requestId": "r", "errorcode": 0, "responses": [{"messageKey": "k/1"}]})
    )
    assert read.answer is Answer.ACCEPTED
    assert read.echoed_keys == ("k/1",)


def test_202_with_109001_and_a_failed_recipient_is_a_rejection():
    """The documented partial-failure form is a rejection, not an acceptance."""
    body = {
        "requestId": "r",
        "errorcode": 109001,
        "message": "MCMS_UTM_ResponsesHasErrors: 1 subscribers failed to queue out of 1",
        "responses": [{"messageKey": "k", "errorcode": 109106, "message": "x"}],
    }
    read = read_send(_response(202, body))
    assert read.answer is Answer.REJECTED_202
    assert read.has_errorcode(109106)
    assert read.has_errorcode(109001)
    assert not read.has_errorcode(109110)


def test_per_recipient_errorCode_spelling_is_read_too():
    """SDKOAS spells the item field errorCode: a failed item is still seen."""
    body = {
        "requestId": "r",
        "errorcode": 0,
        "responses": [{"messageKey": "k", "errorCode": 109121}],
    }
    assert read_send(_response(202, body)).answer is Answer.REJECTED_202


@pytest.mark.parametrize(
    ("status", "answer"),
    [
        (400, Answer.REJECTED_HTTP),
        (415, Answer.REJECTED_HTTP),
        (401, Answer.UNAUTHORIZED),
        (429, Answer.THROTTLED),
        (500, Answer.SERVER_ERROR),
        (200, Answer.UNEXPECTED),
    ],
)
def test_status_classes(status, answer):
    """Each status class maps to its documented meaning."""
    assert read_send(_response(status, {"message": "m", "errorcode": 1})).answer is answer


def test_errorcode_as_numeric_string_is_read_as_a_number():
    """The Swagger says string, the examples number: both are read."""
    assert as_int("109110") == 109110
    assert as_int(109110) == 109110
    assert as_int(True) is None
    assert as_int("abc") is None
