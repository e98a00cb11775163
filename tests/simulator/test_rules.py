"""Every rule of ``rules.RULES`` gives its documented status and errorcode, in both forms."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

import pytest

from sms_contract.exchange import HttpResponse
from sms_contract.simulator.app import Simulator
from sms_contract.simulator.clock import ManualClock
from sms_contract.spec.rules import RESPONSES_HAS_ERRORS, RULES, RejectionForm, Rule, Scope
from tests.simulator.conftest import Api, payload, recipient

KEY = "f4fe74b7-c3c0-4e5a-9f49-b63a641109a2"


def _send_json(body: Any, key: str = KEY) -> Callable[[Api], HttpResponse]:
    return lambda api: api.send(key, body)


def _send_bytes(body: bytes, content_type: str = "application/json") -> Callable[[Api], Any]:
    return lambda api: api.send(KEY, body=body, headers={"Content-Type": content_type})


def _send_twice(api: Api) -> HttpResponse:
    assert api.send(KEY).status == 202
    return api.send(KEY)


BREAKS: dict[str, Callable[[Api], HttpResponse]] = {
    "malformed-json": _send_bytes(b'{"definitionKey": "account-reset",'),
    "body-not-object": _send_bytes(b'["account-reset"]'),
    "unsupported-media-type": _send_bytes(json.dumps(payload()).encode(), "text/plain"),
    "definition-key-missing": _send_json(payload(definitionKey=None)),
    "definition-key-wrong-type": _send_json(payload(definitionKey=42)),
    "definition-key-unknown": _send_json(payload(definitionKey="no-such-definition")),
    "recipient-missing": _send_json(payload(recipient=None)),
    "recipient-not-object": _send_json(payload(recipient="15555551234")),
    "recipient-and-recipients": _send_json(payload(recipients=[recipient()])),
    "wrong-type": _send_json(payload(recipient=recipient(to=15555551234))),
    "to-missing": _send_json(payload(recipient=recipient(to=None))),
    "to-invalid": _send_json(payload(recipient=recipient(to="555-1234"))),
    "contact-key-missing": _send_json(payload(recipient=recipient(contactKey=None))),
    "message-key-too-long": _send_json(payload(), key="k" * 101),
    "message-key-reused": _send_twice,
}


def test_every_rule_has_a_breaking_request() -> None:
    """The table below covers every rule of rules.RULES, no more."""
    assert sorted(BREAKS) == sorted(rule.id for rule in RULES)


def _assert_rejected(response: HttpResponse, rule: Rule, form: RejectionForm, key: str) -> None:
    body = response.json()
    prefix = f"MCMS_UTM_{rule.error_name}: "
    if rule.scope is Scope.REQUEST or form is RejectionForm.HTTP_ERROR:
        assert response.status == rule.status
        assert sorted(body) == ["documentation", "errorcode", "message"]
        assert body["errorcode"] == rule.errorcode
        assert body["message"].startswith(prefix)
        return
    assert response.status == 202
    assert body["errorcode"] == RESPONSES_HAS_ERRORS
    assert body["message"] == "MCMS_UTM_ResponsesHasErrors: 1 subscribers failed to queue out of 1"
    [item] = body["responses"]
    assert item["messageKey"] == key
    assert item["errorcode"] == rule.errorcode
    assert item["message"].startswith(prefix)


@pytest.mark.parametrize("form", list(RejectionForm), ids=lambda form: form.value)
@pytest.mark.parametrize("rule", RULES, ids=lambda rule: rule.id)
def test_rule_gives_its_status_and_errorcode(
    rule: Rule, form: RejectionForm, clock: ManualClock, make_api
) -> None:
    """A send breaking one rule is rejected with that rule's code, in the configured form."""
    api, simulator = make_api(rejection_form=form)
    response = BREAKS[rule.id](api)
    key = "k" * 101 if rule.id == "message-key-too-long" else KEY
    _assert_rejected(response, rule, form, key)
    accepted = 1 if rule.id == "message-key-reused" else 0
    assert simulator.counters.accepted_sends == accepted
    assert response.content_type == "application/json; charset=utf-8"


def test_documented_messages_are_used(api: Api) -> None:
    """to-missing and message-key-reused carry the wording seen in the documentation."""
    missing = api.send(KEY, payload(recipient=recipient(to="")))
    assert missing.json()["message"] == (
        "MCMS_UTM_Validation_MissingRequiredField_to: Invalid subscriber"
    )
    assert api.send("other").status == 202
    assert api.send("other").json()["message"] == (
        "MCMS_UTM_Validation_DuplicateMessageKey: messageKey reused within the past 2 days"
    )


@pytest.mark.parametrize(
    ("body", "rule_id"),
    [
        (payload(definitionKey=None, recipient=None), "definition-key-missing"),
        (payload(definitionKey=7, recipient="x"), "definition-key-wrong-type"),
        (payload(recipient="x", definitionKey="unknown"), "recipient-not-object"),
        (payload(recipient=recipient(to=1), definitionKey=None), "wrong-type"),
        (payload(definitionKey="unknown", recipient=None), "definition-key-unknown"),
        (payload(recipient=None, recipients=[]), "recipient-missing"),
        (payload(recipients=[], recipient=recipient(to=None)), "recipient-and-recipients"),
        (payload(recipient=recipient(to=None, contactKey=None)), "to-missing"),
        (payload(recipient=recipient(to="x", contactKey=None)), "to-invalid"),
    ],
    ids=lambda value: value if isinstance(value, str) else "",
)
def test_first_broken_rule_in_documented_order_wins(
    api: Api, body: dict[str, Any], rule_id: str
) -> None:
    """When several rules are broken, the earliest in the validation order is reported."""
    expected = next(rule for rule in RULES if rule.id == rule_id)
    assert api.send(KEY, body).json()["errorcode"] == expected.errorcode


def test_content_type_is_checked_before_json_syntax(api: Api) -> None:
    """A malformed body sent as text/plain is 415, not 400."""
    response = api.send(KEY, body=b"{", headers={"Content-Type": "text/plain"})
    assert response.status == 415


def test_too_long_key_is_reported_before_reuse(api: Api) -> None:
    """A 101-character key is too long whether or not it was used before."""
    assert api.send("k" * 101).json()["errorcode"] == 109108


@pytest.mark.parametrize(
    "body",
    [
        payload(recipient=recipient(contactKey=7)),
        payload(recipient=recipient(attributes=["FirstName"])),
        payload(recipient={**recipient(), "attributes": None}),
        payload(content="hello"),
        payload(content={"message": 5}),
        payload(subscriptions={"resubscribe": "yes"}),
        payload(subscriptions={"resubscribe": 1}),
        payload(subscriptions=[]),
        payload(attributes="x"),
    ],
    ids=[
        "contactKey-number",
        "attributes-array",
        "attributes-null",
        "content-string",
        "message-number",
        "resubscribe-string",
        "resubscribe-number",
        "subscriptions-array",
        "request-attributes-string",
    ],
)
def test_wrong_type_of_any_documented_field_is_10001(api: Api, body: dict[str, Any]) -> None:
    """A documented field with the wrong JSON type is 400 InvalidDataType."""
    response = api.send(KEY, body)
    assert (response.status, response.json()["errorcode"]) == (400, 10001)


def test_payload_without_optional_fields_is_accepted(api: Api) -> None:
    """definitionKey, recipient.to and recipient.contactKey alone make a valid send."""
    minimal = {"definitionKey": "account-reset", "recipient": recipient(attributes=None)}
    assert api.send(KEY, minimal).status == 202


@pytest.mark.parametrize(
    "to", ["15555551234", "+15555551234", "12345678", "123456789012345", "971234567890"]
)
def test_valid_numbers_are_accepted(api: Api, to: str) -> None:
    """8 to 15 digits, with or without a leading +, are accepted."""
    assert api.send(KEY, payload(recipient=recipient(to=to))).status == 202


@pytest.mark.parametrize(
    "to",
    [
        "1234567",
        "1234567890123456",
        "+",
        "1555 555 1234",
        "1-555-555-1234",
        "++15555551234",
        "١٥٥٥٥٥٥١٢٣٤",
        "15555551234\n",
        " 15555551234",
    ],
)
def test_invalid_numbers_are_109121(api: Api, to: str) -> None:
    """Anything but 8-15 ASCII digits after an optional + is InvalidValue_to."""
    assert api.send(KEY, payload(recipient=recipient(to=to))).json()["errorcode"] == 109121


@pytest.mark.parametrize(
    "content_type",
    ["application/json; charset=utf-8", "Application/JSON", "application/json;charset=UTF-8"],
)
def test_json_content_type_parameters_are_allowed(api: Api, content_type: str) -> None:
    """Content-Type parameters and casing do not matter."""
    body = json.dumps(payload()).encode()
    assert api.send(KEY, body=body, headers={"Content-Type": content_type}).status == 202


@pytest.mark.parametrize(
    "body",
    [b"", b"NaN", b'{"a": NaN}', b"\xef\xbb\xbf{}", b"\xff", b"[" * 100_000],
    ids=["empty", "nan", "nan-inside", "bom", "not-utf8", "deep"],
)
def test_bodies_that_are_not_json_are_10004(api: Api, body: bytes) -> None:
    """Empty, NaN, a BOM, invalid UTF-8 and absurd nesting are Invalid Message Format."""
    response = api.send(KEY, body=body)
    assert (response.status, response.json()["errorcode"]) == (400, 10004)


def test_unknown_fields_are_ignored(api: Api) -> None:
    """A field the documentation does not name does not reject the send."""
    assert api.send(KEY, payload(trackingNote="x")).status == 202


def test_rejected_send_does_not_take_its_key(api: Api, simulator: Simulator) -> None:
    """A key whose send was rejected can be used by the next send."""
    assert api.send(KEY, payload(recipient=recipient(to="1"))).status == 400
    assert api.send(KEY).status == 202
    assert simulator.counters.rejected_sends == 1
