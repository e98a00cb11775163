"""Live-safety rails: the allow-list, the send budget and the request budget."""

import json

import pytest

from sms_contract.errors import UnsafeTargetError
from sms_contract.exchange import Exchange, HttpRequest, HttpResponse
from sms_contract.run.safety import BudgetExhausted, SafetyGuard
from sms_contract.spec.rules import looks_deliverable

ALLOWED = "15555551234"


def _send(to: object, key: str = "k", contact_key: str = "c") -> HttpRequest:
    body = {"definitionKey": "d", "recipient": {"to": to, "contactKey": contact_key}}
    return HttpRequest(
        "POST", f"https://x/messaging/v1/sms/messages/{key}", {}, json.dumps(body).encode()
    )


def _accepted(request: HttpRequest) -> Exchange:
    body = {"requestId": "r", "errorcode": 0, "responses": [{"messageKey": "k"}]}
    return Exchange(request, HttpResponse(202, {}, json.dumps(body).encode()))


def _guard(**kwargs) -> SafetyGuard:
    defaults = {"max_sends": 2, "max_requests": 10, "enforce_allow_list": True}
    return SafetyGuard([ALLOWED], **(defaults | kwargs))


def test_a_deliverable_number_outside_the_allow_list_is_refused_before_sending():
    """A send to a number that is not allow-listed raises before anything is sent."""
    with pytest.raises(UnsafeTargetError, match="not on the allow-list") as caught:
        _guard().before_send(_send("15555550100"))
    assert "15555550100" not in str(caught.value)


@pytest.mark.parametrize("to", ["not-a-number", "1" * 40, 42, ALLOWED])
def test_undeliverable_values_and_allow_listed_numbers_pass(to):
    """Values no carrier could deliver to, and allow-listed numbers, are let through."""
    _guard().before_send(_send(to))


@pytest.mark.parametrize("to", ["", "  ", None])
def test_a_numberless_recipient_passes_only_under_a_contact_key_the_harness_made_up(to):
    """Without a number the platform may deliver to a subscriber's number on file: a
    contactKey starting 'sms-contract-' names no subscriber, any other may."""
    _guard().before_send(_send(to, contact_key="sms-contract-no-subscriber"))
    with pytest.raises(UnsafeTargetError, match="may name a subscriber") as caught:
        _guard().before_send(_send(to, contact_key="Astro25"))
    assert "Astro25" not in str(caught.value)


def test_a_batch_recipient_without_to_under_a_real_contact_key_is_refused():
    """Each recipients[] item is held to the same rule as recipient."""
    body = {
        "definitionKey": "d",
        "recipients": [{"to": ALLOWED, "contactKey": "a"}, {"contactKey": "Codey36"}],
    }
    request = HttpRequest(
        "POST", "https://x/messaging/v1/sms/messages/", {}, json.dumps(body).encode()
    )
    with pytest.raises(UnsafeTargetError, match="may name a subscriber"):
        _guard().before_send(request)


def test_numberless_recipients_are_let_through_where_no_subscriber_is_on_file():
    """The mock and a simulator on loopback hold no subscriber's number: nothing to protect."""
    _guard(subscribers=False).before_send(_send(None, contact_key="Astro25"))


def test_send_budget_counts_accepted_sends_and_stops_at_the_limit():
    """After max_sends accepted sends, the next send is refused."""
    guard = _guard()
    for _ in range(2):
        request = _send(ALLOWED)
        guard.before_send(request)
        guard.after_exchange(_accepted(request))
    with pytest.raises(BudgetExhausted, match="2 accepted sends"):
        guard.before_send(_send(ALLOWED))
    assert guard.spending().accepted_sends == 2


def test_lost_response_counts_as_a_possible_send():
    """A send whose response never came may have been accepted: it is counted."""
    guard = _guard()
    guard.after_exchange(Exchange(_send(ALLOWED), None))
    assert guard.accepted_sends == 1


def test_rejections_and_throttling_spend_no_send():
    """A 400, a 202 with a failed recipient and a 429 count as requests, not as sends."""
    guard = _guard()
    failed = {"errorcode": 109001, "responses": [{"messageKey": "k", "errorcode": 109106}]}
    guard.after_exchange(Exchange(_send(ALLOWED), HttpResponse(400, {}, b"{}")))
    guard.after_exchange(
        Exchange(_send(ALLOWED), HttpResponse(202, {}, json.dumps(failed).encode()))
    )
    guard.after_exchange(Exchange(_send(ALLOWED), HttpResponse(429, {}, b"{}")))
    spent = guard.spending()
    assert (spent.requests, spent.accepted_sends, spent.throttled) == (3, 0, 1)


def test_request_budget_bounds_every_request():
    """max_requests stops any request, token requests included."""
    guard = _guard(max_requests=1)
    token = HttpRequest("POST", "https://auth/v2/token", {}, b"{}")
    guard.before_send(token)
    guard.after_exchange(Exchange(token, HttpResponse(200, {}, b"{}")))
    assert guard.token_requests == 1
    with pytest.raises(BudgetExhausted, match="request budget"):
        guard.before_send(HttpRequest("GET", "https://x/messaging/v1/sms/definitions"))


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("15555551234", True),
        ("+447700900123", True),
        (15555551234, True),
        ("1234567", False),
        ("abc", False),
        ("1" * 16, False),
        (True, False),
    ],
)
def test_looks_deliverable(value, expected):
    """8 to 15 digits with an optional + looks deliverable; nothing else does."""
    assert looks_deliverable(value) is expected
