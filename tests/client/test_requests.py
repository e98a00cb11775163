"""The raw request for the harness, the read operations, and strict mode."""

from __future__ import annotations

import json
import sys
import types
from dataclasses import dataclass

import pytest

from sms_contract.client.results import Accepted
from sms_contract.client.sms_client import INVALID_TOKEN, AuthMode
from sms_contract.errors import UsageError
from sms_contract.testing import json_response

from .conftest import PAYLOAD, PHONE, REST, Tokens, credentials, rest_requests


def ok(request):
    return json_response(200, {"requestId": "r"})


class TestRawRequest:
    def test_raw_bytes_with_a_foreign_content_type(self, make_client):
        """body is sent byte for byte; a header overrides the default Content-Type."""
        client, transport = make_client(ok)
        response = client.request(
            "post",
            "/messaging/v1/sms/messages/k",
            body=b"{not json",
            headers={"content-type": "text/plain"},
        )
        sent = rest_requests(transport)[0]
        assert response.status == 200
        assert (sent.method, sent.url, sent.body) == (
            "POST",
            f"{REST}/messaging/v1/sms/messages/k",
            b"{not json",
        )
        assert dict(sent.headers) == {
            "Accept": "application/json",
            "Authorization": "Bearer canary-token-1",
            "content-type": "text/plain",
        }

    def test_json_none_is_sent_as_null(self, make_client):
        """json=None is a JSON body, not the absence of one."""
        client, transport = make_client(ok)
        client.request("POST", "/x", json=None)
        assert rest_requests(transport)[0].body == b"null"

    def test_no_body_no_content_type(self, make_client):
        """Without json or body, no body and no Content-Type are sent."""
        client, transport = make_client(ok)
        client.request("GET", "/x")
        sent = rest_requests(transport)[0]
        assert (sent.body, sent.header("Content-Type")) == (None, None)

    def test_auth_none_sends_no_authorization_and_no_token_request(self, make_client):
        """AuthMode.NONE with an explicit REST URL needs no token at all."""
        client, transport = make_client(ok)
        client.request("GET", "/x", auth=AuthMode.NONE)
        assert transport.paths() == ["GET /x"]
        assert transport.requests[0].header("Authorization") is None
        assert client.token_requests == 0

    def test_auth_invalid_sends_a_plausible_wrong_token_without_refresh(self, make_client):
        """AuthMode.INVALID gets its 401 back: no refresh, no retry."""
        client, transport = make_client(lambda request: json_response(401, {"errorcode": 0}))
        response = client.request("GET", "/x", auth=AuthMode.INVALID)
        assert response.status == 401
        assert [r.header("Authorization") for r in transport.requests] == [
            f"Bearer {INVALID_TOKEN}"
        ]

    def test_a_custom_authorization_header_is_sent_as_given(self, make_client):
        """A caller-supplied Authorization replaces the bearer token and is not refreshed."""
        client, transport = make_client(lambda request: json_response(401, {}))
        client.request("GET", "/x", headers={"Authorization": "Basic Zm9v"})
        assert [r.header("Authorization") for r in transport.requests] == ["Basic Zm9v"]
        assert client.token_requests == 0

    def test_auth_none_learns_the_rest_url_from_a_token(self, make_client):
        """Without an explicit REST URL, the instance URL costs one token request."""
        client, transport = make_client(
            ok,
            token=Tokens(rest_instance_url="mcabc.rest.marketingcloudapis.com"),
            config=credentials(rest_base_url=None),
        )
        client.request("GET", "/x", auth=AuthMode.NONE)
        client.request("GET", "/y", auth=AuthMode.NONE)
        assert [r.url for r in transport.requests][1:] == [
            "https://mcabc.rest.marketingcloudapis.com/x",
            "https://mcabc.rest.marketingcloudapis.com/y",
        ]
        assert client.token_requests == 1

    def test_json_and_body_together_are_refused(self, make_client):
        """Two bodies is a usage error."""
        client, _ = make_client(ok)
        with pytest.raises(UsageError, match="either json or body"):
            client.request("POST", "/x", json={}, body=b"{}")

    def test_a_relative_path_is_refused(self, make_client):
        """An absolute URL or a bare path could send the token to another host."""
        client, transport = make_client(ok)
        with pytest.raises(UsageError, match="path must start with '/'"):
            client.request("GET", "https://elsewhere.test/x")
        assert transport.requests == []


class TestReads:
    def test_message_status_encodes_the_key(self, make_client):
        """GET /messaging/v1/sms/messages/{key} with the key as one segment."""
        client, transport = make_client(ok)
        assert client.message_status("a/b c").status == 200
        assert transport.paths()[1:] == ["GET /messaging/v1/sms/messages/a%2Fb%20c"]

    def test_list_definitions_query(self, make_client):
        """The documented example query: $filter, $pageSize, $page, $orderBy."""
        client, transport = make_client(ok)
        client.list_definitions(page_size=10, page=1, filter="status eq active", order_by="name")
        assert rest_requests(transport)[0].url == (
            f"{REST}/messaging/v1/sms/definitions"
            "?$filter=status%20eq%20active&$pageSize=10&$page=1&$orderBy=name"
        )

    def test_messages_not_sent_asks_for_the_type_and_the_page(self, make_client):
        """type=notSent always; $pageSize and lastEventId only when given."""
        client, transport = make_client(ok)
        client.messages_not_sent()
        client.messages_not_sent(page_size=50, last_event_id=35774)
        assert [r.url for r in rest_requests(transport)] == [
            f"{REST}/messaging/v1/sms/messages/?type=notSent",
            f"{REST}/messaging/v1/sms/messages/?type=notSent&$pageSize=50&lastEventId=35774",
        ]

    def test_a_token_exchange_may_ask_for_a_narrower_scope(self, make_client):
        """scope replaces the configured scope in that one request; the client's own token
        requests keep the configured one."""
        client, transport = make_client(ok, config=credentials(scope="sms_read sms_send"))
        client.token_exchange(scope="sms_read")
        client.message_status("k")
        bodies = [json.loads(r.body or b"") for r in transport.requests if r.path == "/v2/token"]
        assert [body.get("scope") for body in bodies] == ["sms_read", "sms_read sms_send"]

    def test_list_definitions_without_parameters(self, make_client):
        """No parameters, no query string."""
        client, transport = make_client(ok)
        client.list_definitions()
        assert rest_requests(transport)[0].url == f"{REST}/messaging/v1/sms/definitions"

    def test_get_definition_returns_a_404_as_is(self, make_client):
        """A read answers with the raw response, 4xx included."""
        missing = json_response(404, {"message": "Definition key doesn't exist for this MID"})
        client, transport = make_client(lambda request: missing)
        assert client.get_definition("account reset").status == 404
        assert rest_requests(transport)[0].path == "/messaging/v1/sms/definitions/account%20reset"


@dataclass(frozen=True)
class Issue:
    json_path: str
    message: str


class StubSpec:
    """Stands in for sms_contract.spec.loading.Spec: reports fixed issues that echo values."""

    def validate_request_body(self, operation_id, body):
        return [Issue("$.recipient.to", f"'{PHONE}' does not match '^[0-9]{{20}}$'")]

    def validate_path_parameter(self, operation_id, name, value):
        return [Issue("$", f"{value!r} is too long")] if len(value) > 100 else []


class TestStrictMode:
    def test_strict_issues_name_paths_without_values(self, make_client, monkeypatch):
        """Every issue is listed by path; values the payload carried are blanked."""
        stub = types.ModuleType("sms_contract.spec.loading")
        stub.load_spec = StubSpec  # type: ignore[attr-defined]
        monkeypatch.setitem(sys.modules, "sms_contract.spec.loading", stub)
        client, transport = make_client(strict=True)
        with pytest.raises(UsageError) as caught:
            client.send_to_one(PAYLOAD, message_key="k" * 101)
        assert str(caught.value) == (
            "strict mode: the sendSmsToSingleRecipient request breaks the spec: "
            "path parameter messageKey: '<value-4>' is too long; "
            "$.recipient.to: '<value-1>' does not match '^[0-9]{20}$'"
        )
        assert transport.requests == []

    def test_strict_mode_refuses_an_invalid_payload(self, make_client):
        """With the real spec: a send without definitionKey is not sent."""
        client, transport = make_client(strict=True)
        with pytest.raises(UsageError) as caught:
            client.send_to_one({"recipient": {"to": PHONE, "contactKey": "c"}})
        assert str(caught.value).startswith(
            "strict mode: the sendSmsToSingleRecipient request breaks the spec: $.definitionKey: "
        )
        assert PHONE not in str(caught.value)
        assert transport.requests == []

    def test_strict_mode_refuses_a_long_message_key(self, make_client):
        """With the real spec: a 101-character messageKey breaks the documented limit."""
        client, transport = make_client(strict=True)
        with pytest.raises(UsageError) as caught:
            client.send_to_one(PAYLOAD, message_key="k" * 101)
        assert str(caught.value).startswith(
            "strict mode: the sendSmsToSingleRecipient request breaks the spec: "
            "path parameter messageKey: "
        )
        assert transport.requests == []

    def test_strict_mode_sends_a_valid_payload(self, make_client):
        """With the real spec: the documented example is sent and accepted."""
        client, _ = make_client(strict=True)
        assert isinstance(client.send_to_one(PAYLOAD), Accepted)

    def test_strict_mode_checks_a_batch(self, make_client):
        """With the real spec: a batch whose recipients is not an array is not sent."""
        client, transport = make_client(strict=True)
        with pytest.raises(UsageError, match="sendSmsToMultipleRecipients request breaks"):
            client.send_batch({"definitionKey": "d", "recipients": {"to": PHONE}})
        assert transport.requests == []
