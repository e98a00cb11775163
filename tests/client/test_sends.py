"""Sends: the messageKey in the path, and both documented forms of rejection."""

from __future__ import annotations

import json
import uuid
from urllib.parse import unquote

import pytest

from sms_contract.client.results import (
    Accepted,
    BatchResult,
    RecipientError,
    Rejected,
    errorcode_of,
)
from sms_contract.errors import ApiError, UsageError
from sms_contract.exchange import HttpResponse
from sms_contract.spec.endpoints import encode_path_segment
from sms_contract.spec.rules import RejectionForm
from sms_contract.testing import json_response

from .conftest import PAYLOAD, PHONE, rest_requests

PARTIAL_FAILURE = {
    "requestId": "c261d918-e99e-460c-94dc-3bbfda154c88",
    "errorcode": 109001,
    "message": "MCMS_UTM_ResponsesHasErrors: 1 subscribers failed to queue out of 2",
    "responses": [
        {
            "messageKey": "gHQ3VLsfCEOuAC2sl-CV1Q",
            "errorcode": 109106,
            "message": "MCMS_UTM_Validation_MissingRequiredField_to: Invalid subscriber",
        },
        {"messageKey": "oixAQE_zFUyr8bT8sJncdw"},
    ],
}


class TestMessageKey:
    @pytest.mark.parametrize(
        ("key", "encoded"),
        [
            ("a/b", "a%2Fb"),
            ("100%", "100%25"),
            ("why?", "why%3F"),
            ("#1", "%231"),
            ("a+b", "a%2Bb"),
            ("two words", "two%20words"),
            ("café", "caf%C3%A9"),
            ("🙂", "%F0%9F%99%82"),
            ("%2F", "%252F"),
            ("..", "%2E%2E"),
            (".", "%2E"),
            ("a.b~c-d_e", "a.b~c-d_e"),
        ],
    )
    def test_key_is_one_percent_encoded_path_segment(self, make_client, key, encoded):
        """Every character of the key arrives intact, as one segment of the path."""
        client, transport = make_client()
        result = client.send_to_one(PAYLOAD, message_key=key)
        sent = rest_requests(transport)[0]
        assert sent.path == f"/messaging/v1/sms/messages/{encoded}"
        assert unquote(sent.path.rsplit("/", 1)[1]) == key
        assert isinstance(result, Accepted)
        assert result.message_key == key

    def test_encode_path_segment_round_trips_every_reserved_character(self):
        """All of / % ? # + space é 🙂 together survive one quote/unquote round trip."""
        key = "a/b%c?d#e+f g é🙂"
        assert encode_path_segment(key) == "a%2Fb%25c%3Fd%23e%2Bf%20g%20%C3%A9%F0%9F%99%82"
        assert unquote(encode_path_segment(key)) == key

    def test_a_fresh_uuid4_key_when_none_is_given(self, make_client):
        """Each send without a key gets its own uuid4."""
        client, transport = make_client()
        first = client.send_to_one(PAYLOAD)
        second = client.send_to_one(PAYLOAD)
        keys = [r.path.rsplit("/", 1)[1] for r in rest_requests(transport)]
        assert keys == [first.message_key, second.message_key]
        assert keys[0] != keys[1]
        assert [uuid.UUID(k).version for k in keys] == [4, 4]

    def test_an_empty_key_is_refused(self, make_client):
        """An empty key would turn the single send into a batch send."""
        client, transport = make_client()
        with pytest.raises(UsageError, match="message_key must not be empty"):
            client.send_to_one(PAYLOAD, message_key="")
        assert transport.requests == []

    def test_payload_is_sent_as_given(self, make_client):
        """An invalid payload goes out unchanged, as UTF-8 JSON."""
        client, transport = make_client()
        payload = {"definitionKey": 42, "recipient": {"to": PHONE, "note": "é"}}
        client.send_to_one(payload, message_key="k")
        sent = rest_requests(transport)[0]
        assert sent.body == json.dumps(payload, ensure_ascii=False).encode("utf-8")
        assert sent.header("Content-Type") == "application/json"

    def test_a_payload_that_is_not_json_is_a_usage_error(self, make_client):
        """NaN and non-serialisable objects are refused before anything is sent."""
        client, transport = make_client()
        with pytest.raises(UsageError, match="not JSON-serialisable"):
            client.send_to_one({"x": float("nan")})
        assert transport.requests == []


class TestSingleSendResults:
    def send(self, make_client, response: HttpResponse):
        client, _ = make_client(lambda request: response)
        return client.send_to_one(PAYLOAD, message_key="k1")

    def test_documented_202_is_accepted(self, make_client):
        """errorcode 0 and a responses[] item: accepted, with the requestId."""
        body = {"requestId": "r-1", "errorcode": 0, "responses": [{"messageKey": "k1"}]}
        result = self.send(make_client, json_response(202, body))
        assert isinstance(result, Accepted)
        assert (result.message_key, result.request_id, result.attempts) == ("k1", "r-1", 1)
        assert result.on_earlier_attempt is False

    def test_http_400_with_error_body_is_rejected(self, make_client):
        """The {message, errorcode, documentation} form."""
        body = {
            "message": "MCMS_UTM_Validation_MissingRequiredField_definitionKey: missing",
            "errorcode": 109107,
            "documentation": "https://developer.salesforce.com/docs",
        }
        result = self.send(make_client, json_response(400, body))
        assert isinstance(result, Rejected)
        assert (result.form, result.status, result.errorcode) == (
            RejectionForm.HTTP_ERROR,
            400,
            109107,
        )
        assert result.recipient_errors == ()
        assert result.message == body["message"]

    def test_202_with_109001_is_rejected_with_the_recipient_error(self, make_client):
        """The accepted-with-errors form: top-level 109001, per-recipient code in responses[]."""
        body = {
            "requestId": "r-2",
            "errorcode": 109001,
            "message": "MCMS_UTM_ResponsesHasErrors: 1 subscribers failed to queue out of 1",
            "responses": [
                {"messageKey": "k1", "errorcode": 109106, "message": "Invalid subscriber"}
            ],
        }
        result = self.send(make_client, json_response(202, body))
        assert isinstance(result, Rejected)
        assert (result.form, result.status, result.errorcode, result.request_id) == (
            RejectionForm.ACCEPTED_WITH_ERRORS,
            202,
            109001,
            "r-2",
        )
        assert result.recipient_errors == (RecipientError("k1", 109106, "Invalid subscriber"),)
        assert result.errorcodes == (109001, 109106)

    def test_string_errorcodes_and_camel_case_keys_are_read(self, make_client):
        """errorcode as a numeric string, and the SDK spec's errorCode item key."""
        body = {"errorcode": "109001", "responses": [{"messageKey": "k1", "errorCode": "109121"}]}
        result = self.send(make_client, json_response(202, body))
        assert isinstance(result, Rejected)
        assert result.errorcodes == (109001, 109121)

    def test_a_4xx_outside_the_documented_body_is_rejected_without_code(self, make_client):
        """A 415 with a plain-text body still is a rejection, with errorcode None."""
        response = HttpResponse(415, {"Content-Type": "text/plain"}, b"Unsupported Media Type")
        result = self.send(make_client, response)
        assert isinstance(result, Rejected)
        assert (result.form, result.status, result.errorcode) == (
            RejectionForm.HTTP_ERROR,
            415,
            None,
        )

    def test_a_first_attempt_duplicate_key_is_a_rejection(self, make_client):
        """109110 answering the only attempt means the key really was used before."""
        body = {"message": "MCMS_UTM_Validation_DuplicateMessageKey", "errorcode": 109110}
        result = self.send(make_client, json_response(400, body))
        assert isinstance(result, Rejected)
        assert result.errorcode == 109110

    def test_a_redirect_is_an_api_error(self, make_client):
        """3xx is outside both documented forms."""
        with pytest.raises(ApiError, match="HTTP 302, outside the documented forms"):
            self.send(make_client, HttpResponse(302, {"Location": "https://x"}, b""))

    def test_message_text_is_not_in_the_repr(self, make_client):
        """A server may echo the number in its message; the repr leaves messages out."""
        body = {"errorcode": 109121, "message": f"Invalid to {PHONE}"}
        result = self.send(make_client, json_response(400, body))
        assert PHONE not in repr(result)

    @pytest.mark.parametrize(
        ("value", "expected"),
        [
            (0, 0),
            (109001, 109001),
            ("109110", 109110),
            (" 7 ", 7),
            (5.0, 5),
            (True, None),
            ("abc", None),
            (None, None),
            (5.5, None),
            ([1], None),
            ("\u00b2", None),  # a digit to str.isdigit that int() does not read
            ("9" * 5000, None),  # past int()'s 4300 digits
        ],
    )
    def test_errorcode_of(self, value, expected):
        """Numbers and numeric strings are codes; nothing else is (and nothing raises)."""
        assert errorcode_of(value) == expected


class TestBatch:
    def test_missing_message_keys_are_filled_on_a_copy(self, make_client):
        """Every recipient gets a uuid4 key; the caller's payload is not changed."""
        payload = {
            "definitionKey": "d",
            "recipients": [{"to": PHONE, "contactKey": "a"}, {"to": PHONE, "messageKey": "mine"}],
        }
        original = json.dumps(payload)

        def answer(request):
            keys = [r["messageKey"] for r in request.json()["recipients"]]
            return json_response(
                202,
                {"requestId": "r", "errorcode": 0, "responses": [{"messageKey": k} for k in keys]},
            )

        client, transport = make_client(answer)
        result = client.send_batch(payload)
        sent = rest_requests(transport)[0]
        generated = sent.json()["recipients"][0]["messageKey"]
        assert sent.path == "/messaging/v1/sms/messages/"
        assert uuid.UUID(generated).version == 4
        assert result.accepted_keys == (generated, "mine")
        assert result.all_accepted is True
        assert json.dumps(payload) == original

    def test_keys_are_not_filled_when_asked_not_to(self, make_client):
        """fill_message_keys=False sends the payload byte for byte."""
        client, transport = make_client(lambda request: json_response(202, {"errorcode": 0}))
        payload = {"definitionKey": "d", "recipients": [{"to": PHONE}]}
        client.send_batch(payload, fill_message_keys=False)
        assert rest_requests(transport)[0].json() == payload

    def test_partial_failure_lists_each_recipient(self, make_client):
        """The documented 202 + 109001 example: one key accepted, one error."""
        client, _ = make_client(lambda request: json_response(202, PARTIAL_FAILURE))
        result = client.send_batch({"definitionKey": "d", "recipients": [{}, {}]})
        assert isinstance(result, BatchResult)
        assert result.form is RejectionForm.ACCEPTED_WITH_ERRORS
        assert (result.status, result.errorcode) == (202, 109001)
        assert result.accepted_keys == ("oixAQE_zFUyr8bT8sJncdw",)
        assert result.errors == (
            RecipientError(
                "gHQ3VLsfCEOuAC2sl-CV1Q",
                109106,
                "MCMS_UTM_Validation_MissingRequiredField_to: Invalid subscriber",
            ),
        )

    def test_a_4xx_rejects_the_whole_batch(self, make_client):
        """HTTP_ERROR form: no recipient accepted, the top-level code says why."""
        body = {"message": "m", "errorcode": 109101, "documentation": "d"}
        client, _ = make_client(lambda request: json_response(400, body))
        result = client.send_batch({"definitionKey": "d", "recipients": [{"to": PHONE}]})
        assert (result.form, result.errorcode, result.accepted_keys, result.errors) == (
            RejectionForm.HTTP_ERROR,
            109101,
            (),
            (),
        )
