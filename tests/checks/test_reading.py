"""Reading send answers: both documented rejection forms, acceptance (also on an earlier try
whose response was lost), the rest; and the one verdict for an answer off every form."""

import json

import pytest

from sms_contract.checks.model import Auth, Expect, send_step
from sms_contract.checks.reading import Answer, as_int, off_form, read_send
from sms_contract.exchange import Exchange, HttpRequest, HttpResponse
from sms_contract.outcomes import Verdict

SEND = HttpRequest("POST", "https://rest.example/messaging/v1/sms/messages/k")
DUPLICATE = {"message": "MCMS_UTM_Validation_DuplicateMessageKey", "errorcode": 109110}


def _response(status: int, body: object, *, earlier: tuple[int | None, ...] = ()) -> Exchange:
    response = HttpResponse(status, {"Content-Type": "application/json"}, json.dumps(body).encode())
    return Exchange(SEND, response, attempt=len(earlier) + 1, earlier=earlier)


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
        (403, Answer.FORBIDDEN),
        (404, Answer.REFUSED_UNDOCUMENTED),
        (409, Answer.REFUSED_UNDOCUMENTED),
        (429, Answer.THROTTLED),
        (500, Answer.SERVER_ERROR),
        (200, Answer.UNDOCUMENTED),
        (204, Answer.UNDOCUMENTED),
        (302, Answer.UNDOCUMENTED),
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


def test_a_lost_response_is_read_as_no_answer():
    """No response: neither accepted nor rejected."""
    read = read_send(Exchange(SEND, None))
    assert (read.answer, read.accepted, read.rejected) == (Answer.LOST, False, False)


@pytest.mark.parametrize("earlier", [(None,), (500,), (None, 503)])
def test_109110_after_a_lost_or_failed_try_is_the_earlier_tries_acceptance(earlier):
    """The client's model: the key is known because the earlier try was processed."""
    read = read_send(_response(400, DUPLICATE, earlier=earlier))
    assert (read.answer, read.accepted) == (Answer.ACCEPTED_EARLIER, True)


def test_109110_to_a_first_try_is_a_rejection():
    """Nothing earlier could have been processed: a duplicate key is refused."""
    assert read_send(_response(400, DUPLICATE)).answer is Answer.REJECTED_HTTP


def test_109110_to_a_deliberate_reuse_is_the_expected_rejection_even_after_a_loss():
    """A key sent before in the run: 109110 says nothing about the lost try."""
    read = read_send(_response(400, DUPLICATE, earlier=(None,)), key_known=True)
    assert read.answer is Answer.REJECTED_HTTP


PROBE = send_step("k", {"definitionKey": "d"}, Expect.REJECT)
VALID = send_step("k", {"definitionKey": "d", "recipient": {"to": "15555551234"}}, Expect.ACCEPT)
NO_TOKEN = send_step("k", {}, Expect.UNAUTHORIZED, auth=Auth.NONE)


@pytest.mark.parametrize(
    ("step", "status", "verdict"),
    [
        (PROBE, 200, Verdict.FAIL),
        (PROBE, 302, Verdict.FAIL),
        (PROBE, 401, Verdict.FAIL),
        (PROBE, 403, Verdict.INCOMPLETE),
        (PROBE, 404, Verdict.OBSERVED),
        (PROBE, 409, Verdict.OBSERVED),
        (VALID, 403, Verdict.FAIL),
        (VALID, 404, Verdict.FAIL),
        (VALID, 204, Verdict.FAIL),
        (NO_TOKEN, 403, Verdict.FAIL),
        (NO_TOKEN, 404, Verdict.FAIL),
    ],
)
def test_an_answer_off_every_form_gets_one_verdict(step, status, verdict):
    """Neither what the step expects nor a documented rejection: one verdict, one message."""
    judgement = off_form(step, _response(status, {"message": "m", "errorcode": 1}))
    assert judgement is not None
    assert judgement.verdict is verdict


@pytest.mark.parametrize(
    ("step", "status"),
    [(PROBE, 400), (PROBE, 202), (VALID, 202), (VALID, 400), (NO_TOKEN, 401), (PROBE, 500)],
)
def test_documented_forms_are_left_to_each_check(step, status):
    """Acceptance, a documented rejection, a 401 without a token, a 5xx: no off-form verdict."""
    body = {"requestId": "r", "errorcode": 0, "responses": [{"messageKey": "k"}]}
    assert off_form(step, _response(status, body)) is None


def test_an_error_body_spelling_errorCode_is_read_as_the_sdk_spec_writes_it():
    """[CONFLICT] errorcode vs errorCode: both readings are read, in an error body too."""
    read = read_send(_response(400, {"message": "m", "errorCode": 109106}))
    assert read.answer is Answer.REJECTED_HTTP
    assert read.has_errorcode(109106)
