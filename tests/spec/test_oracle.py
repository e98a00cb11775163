"""The oracle: request bodies, responses and parameters judged by the spec's schemas."""

from __future__ import annotations

import copy

import pytest

from sms_contract.spec.issues import SchemaIssue
from sms_contract.spec.loading import Spec, load_spec

SPEC = load_spec()
SEND = "sendSmsToSingleRecipient"
PHONE = "15555550123"
CANARY = "canary-value-7e1d"


def send(**overrides):
    body = {"definitionKey": "account-reset", "recipient": {"to": PHONE, "contactKey": "Astro25"}}
    body.update(overrides)
    return body


def messages(issues) -> str:
    return " | ".join(f"{issue.json_path} {issue.message} {issue.schema_path}" for issue in issues)


def test_valid_single_send_has_no_issues():
    """A payload with definitionKey and recipient.to is valid."""
    assert SPEC.validate_request_body(SEND, send()) == []


def test_recipient_with_neither_to_nor_contact_key_is_reported_at_to_without_the_payload_values():
    """A recipient with neither to nor contactKey gives one 'required' issue at $.recipient.to
    (the first reading of the anyOf) naming no value."""
    body = send(recipient={"attributes": {"Phone": PHONE, "Note": CANARY}})
    issues = SPEC.validate_request_body(SEND, body)
    assert issues == [
        SchemaIssue(
            json_path="$.recipient.to",
            message="'to' is a required property",
            keyword="required",
            schema_path="#/components/schemas/Recipient/anyOf/0/required",
        )
    ]
    assert PHONE not in messages(issues)
    assert CANARY not in messages(issues)


def test_contact_key_only_recipient_is_admitted_as_the_sdks_integration_tests_send_it():
    """{"recipient": {"contactKey": ...}} is valid ([CONFLICT] recipient.to required)."""
    assert SPEC.validate_request_body(SEND, send(recipient={"contactKey": CANARY})) == []


def test_recipient_to_of_the_wrong_type_does_not_echo_the_number():
    """A numeric recipient.to is 'not of type string' and the digits stay out of the message."""
    issues = SPEC.validate_request_body(SEND, send(recipient={"to": int(PHONE)}))
    assert [(i.json_path, i.message, i.keyword) for i in issues] == [
        ("$.recipient.to", "is not of type 'string'", "type")
    ]
    assert PHONE not in str(issues)


def test_empty_recipient_to_is_an_issue():
    """An empty recipient.to counts as missing (minLength 1)."""
    issues = SPEC.validate_request_body(SEND, send(recipient={"to": ""}))
    assert [(i.json_path, i.message) for i in issues] == [
        ("$.recipient.to", "is shorter than 1 characters")
    ]


def test_recipient_and_recipients_together_are_an_issue():
    """Both recipient and recipients: the 'not' rule and the undocumented property are reported."""
    issues = SPEC.validate_request_body(SEND, send(recipients=[{"to": PHONE}]))
    assert [(i.json_path, i.keyword, i.message) for i in issues] == [
        ("$", "additionalProperties", "has undocumented properties: 'recipients'"),
        (
            "$",
            "not",
            "must not contain 'recipients' (recipient and recipients are never sent together)",
        ),
    ]


def test_undocumented_top_level_field_is_an_issue():
    """An unknown top-level field of a send breaks the spec (109122 UnknownFieldName)."""
    issues = SPEC.validate_request_body(SEND, send(extra=CANARY))
    assert [(i.json_path, i.message) for i in issues] == [
        ("$", "has undocumented properties: 'extra'")
    ]


def test_missing_definition_key_and_recipient_are_both_reported():
    """Every issue is collected, sorted by path."""
    issues = SPEC.validate_request_body(SEND, {})
    assert [i.json_path for i in issues] == ["$.definitionKey", "$.recipient"]


def test_message_key_of_101_characters_breaks_the_path_parameter():
    """messageKey is at most 100 characters."""
    assert SPEC.validate_path_parameter(SEND, "messageKey", "k" * 101) == [
        SchemaIssue(
            json_path="$",
            message="is longer than 100 characters",
            keyword="maxLength",
            schema_path="#/components/parameters/MessageKey/schema/maxLength",
        )
    ]
    assert SPEC.validate_path_parameter(SEND, "messageKey", "k" * 100) == []


def test_message_key_may_hold_any_character():
    """'There are no restricted characters': slashes, percent signs and non-ASCII are valid."""
    assert SPEC.validate_path_parameter(SEND, "messageKey", "a/b%c?d#e f\u00e9\U0001f600") == []


def test_unknown_parameter_is_a_key_error():
    """Asking for a parameter the operation does not have is a caller bug."""
    with pytest.raises(KeyError, match="has no path parameter 'definitionKey'"):
        SPEC.validate_path_parameter(SEND, "definitionKey", "x")


def test_query_parameter_is_validated_in_its_location():
    """The notSent list only supports type=notSent."""
    issues = SPEC.validate_parameter("getSMSsNotSentToRecipients", "type", "sent", "query")
    assert [(i.keyword, i.message) for i in issues] == [("enum", "is not one of ['notSent']")]


def test_undocumented_status_is_reported():
    """A status the operation does not document is an issue naming the documented ones."""
    assert SPEC.validate_response(SEND, 418, {}) == [
        SchemaIssue(
            json_path="$",
            message=(
                "status 418 is not documented; documented: 202, 400, 401, 403, 415, 429, 500, 503"
            ),
            keyword="status",
            schema_path="#/paths/~1messaging~1v1~1sms~1messages~1{messageKey}/post/responses",
        )
    ]


def test_202_rejection_form_is_valid():
    """A 202 with errorcode 109001 and per-recipient errorcode/message is documented."""
    body = {
        "requestId": "r-1",
        "errorcode": 109001,
        "message": "MCMS_UTM_ResponsesHasErrors: 1 subscribers failed to queue out of 1",
        "responses": [{"messageKey": "k", "errorcode": 109106, "message": "m"}],
    }
    assert SPEC.validate_response(SEND, 202, body) == []
    assert SPEC.validate_component("SendRejected", body) == []
    assert [i.keyword for i in SPEC.validate_component("SendAccepted", body)] == ["enum"]


def test_202_issue_inside_a_form_points_at_the_field():
    """A failed oneOf reports the closest form's own issue, not just 'no form matched'."""
    body = {"requestId": "r-1", "errorcode": 109001, "responses": [{"errorcode": 1}]}
    issues = SPEC.validate_response(SEND, 202, body)
    assert [(i.json_path, i.message, i.schema_path) for i in issues] == [
        (
            "$.responses[0].messageKey",
            "'messageKey' is a required property",
            "#/components/schemas/SendResponseItem/required",
        )
    ]


def test_error_body_needs_an_error_code_under_either_spelling():
    """An error body without errorcode/errorCode reports the wire name errorcode."""
    issues = SPEC.validate_response(SEND, 400, {"message": "m"})
    assert [(i.json_path, i.message) for i in issues] == [
        ("$.errorcode", "'errorcode' is a required property")
    ]


def test_documented_media_type_with_parameters_is_accepted():
    """application/json; charset=utf-8 selects the application/json schema."""
    body = {"message": "Rate limit exceeded", "errorcode": 50100, "retryAfter": 5}
    assert SPEC.validate_response(SEND, 429, body, "application/json; charset=utf-8") == []


def test_undocumented_media_type_is_reported():
    """An HTML error page is not a documented response form."""
    issues = SPEC.validate_response(SEND, 500, "<html>", "text/html")
    assert [(i.keyword, i.message) for i in issues] == [
        ("content-type", "media type 'text/html' is not documented; documented: application/json")
    ]


def test_response_without_documented_content_admits_any_body():
    """415's body is not documented, so no body breaks it."""
    assert SPEC.validate_response(SEND, 415, "<html>", "text/html") == []


def test_body_on_an_operation_without_request_body_is_reported():
    """A GET documents no request body; an absent body is fine."""
    status = "getSmsSendStatusForRecipient"
    assert SPEC.validate_request_body(status, None) == []
    assert [i.message for i in SPEC.validate_request_body(status, {"a": 1})] == [
        "the operation documents no request body"
    ]


def test_unknown_operation_and_component_are_key_errors():
    """Unknown names are caller bugs and say so."""
    with pytest.raises(KeyError, match="unknown operation 'nope'"):
        SPEC.validate_request_body("nope", {})
    with pytest.raises(KeyError, match="no component schema 'Nope'"):
        SPEC.validate_component("Nope", {})


@pytest.mark.parametrize(
    ("operation_id", "status", "body"),
    [
        # errorcode as a string (DOCSW) and errorCode (SDKOAS)
        (SEND, 400, {"message": "m", "errorcode": "10000", "documentation": ""}),
        (SEND, 400, {"message": "m", "errorCode": 10000}),
        # the DOCSW flat 202
        (SEND, 202, {"requestId": "r", "errorcode": "0", "messageKey": "k"}),
        (SEND, 202, {"requestId": "r", "errorcode": 0, "responses": [{"messageKey": "k"}]}),
        # timestamps without and with a zone designator; fields flat or under info
        (
            "getSmsSendStatusForRecipient",
            200,
            {
                "requestId": "r",
                "eventCategoryType": "TransactionalSendEvents.SMSSent",
                "timestamp": "2018-08-03T13:41:18.55Z",
                "messageKey": "k",
            },
        ),
        # instance URLs bare or with scheme and slash; any positive expires_in
        (
            "requestToken",
            200,
            {
                "access_token": "t",
                "token_type": "Bearer",
                "expires_in": 1079,
                "rest_instance_url": "https://mc1.rest.marketingcloudapis.com/",
            },
        ),
        # the token endpoint's two error forms
        ("requestToken", 401, {"error": "invalid_client"}),
        ("requestToken", 401, {"message": "Not Authorized", "errorcode": 0}),
        # definition status in any case
        (
            "getSmsDefinition",
            200,
            {"requestId": "r", "definitionKey": "k", "name": "n", "status": "deleted"},
        ),
    ],
)
def test_every_documented_reading_of_a_conflict_is_admitted(operation_id, status, body):
    """Where sources disagree, each documented reading passes the oracle."""
    assert SPEC.validate_response(operation_id, status, body) == []


@pytest.mark.parametrize(
    ("operation_id", "body"),
    [
        (SEND, {"definitionKey": "d", "recipient": {"to": PHONE}}),  # contactKey optional
        (SEND, send(subscriptions={"resubscribe": True})),
        ("partiallyUpdateSmsDefinition", {"description": "d", "status": "Inactive"}),
        (
            "createSmsDefinition",
            {
                "definitionKey": "k",
                "name": "n",
                "content": {"message": "m"},
                "subscriptions": {"shortCode": "971234567890"},
                "status": "active",
                "options": {
                    "urlShortenerOptions": {
                        "IsLinkShorteningEnabled": True,
                        "isLinkShorteningEnabled": True,
                    }
                },
            },
        ),
        (
            "requestToken",
            {"grant_type": "client_credentials", "client_id": "i", "client_secret": "s"}
            | {"account_id": 12345},
        ),
    ],
)
def test_every_documented_reading_of_a_request_conflict_is_admitted(operation_id, body):
    """Request fields in dispute (contactKey, resubscribe, PATCH fields, casing) are admitted."""
    assert SPEC.validate_request_body(operation_id, body) == []


@pytest.mark.parametrize(
    "body",
    [
        send(definitionKey={"k": CANARY}),
        send(recipient={"to": [CANARY]}),
        send(recipient={"to": PHONE, "attributes": {"a": {"b": CANARY}}}),
        send(content={"message": 7}, subscriptions={"resubscribe": CANARY}),
        {"unknownField": CANARY},
        [CANARY],
        CANARY,
    ],
)
def test_issue_messages_never_contain_the_instance_values(body):
    """Whatever breaks, no message repeats a value from the payload (names are not values)."""
    issues = SPEC.validate_request_body(SEND, body)
    assert issues
    assert all(CANARY not in issue.message for issue in issues)


NOT_SENT = "getSMSsNotSentToRecipients"


@pytest.mark.parametrize(
    ("query", "issues"),
    [
        ("type=notSent", []),
        ("type=notSent&$pageSize=-5&lastEventId=35759", []),  # no minimum is documented
        ("type=notSent&undocumented=1", []),  # the spec does not forbid other parameters
        ("", ["query parameter type: is required"]),
        ("type=sent", ["query parameter type: is not one of ['notSent']"]),
        ("type=notSent&$pageSize=1.5", ["query parameter $pageSize: is not an integer"]),
        ("type=notSent&$pageSize=", ["query parameter $pageSize: is not an integer"]),
        (
            "type=notSent&lastEventId=1&lastEventId=2",
            ["query parameter lastEventId: is given 2 times; the spec declares one value"],
        ),
    ],
)
def test_a_query_string_is_read_as_a_server_would_and_judged_against_its_parameters(
    query: str, issues: list[str]
) -> None:
    assert [str(issue) for issue in SPEC.validate_query(NOT_SENT, query)] == issues


def test_an_integer_of_more_digits_than_int_reads_is_no_error_and_no_issue() -> None:
    """Generated values can be thousands of digits long: past int()'s limit the value is an
    integer by its digits, and there is nothing more to judge (never a ValueError)."""
    digits = "9" * 5000
    assert SPEC.validate_query(NOT_SENT, f"type=notSent&$pageSize={digits}") == []


def test_query_issues_never_repeat_the_value_given() -> None:
    secret = "4155550123secret"
    found = SPEC.validate_query(NOT_SENT, f"type={secret}&$pageSize={secret}")
    assert len(found) == 2
    assert all(secret not in str(issue) for issue in found)


def test_a_query_parameter_typed_through_a_ref_is_read_as_its_type() -> None:
    """A parameter whose schema is a $ref reads the value as the referenced schema's type."""
    raw = copy.deepcopy(SPEC.raw)
    raw["components"]["schemas"]["PageSize"] = {"type": "integer", "minimum": 1}
    operation = raw["paths"]["/messaging/v1/sms/messages/"]["get"]
    for parameter in operation["parameters"]:
        if parameter.get("name") == "$pageSize":
            parameter["schema"] = {"$ref": "#/components/schemas/PageSize"}
    spec = Spec(raw, sha256="test")
    assert spec.validate_query(NOT_SENT, "type=notSent&$pageSize=10") == []
    assert [str(i) for i in spec.validate_query(NOT_SENT, "type=notSent&$pageSize=x")] == [
        "query parameter $pageSize: is not an integer"
    ]
    assert len(spec.validate_query(NOT_SENT, "type=notSent&$pageSize=0")) == 1  # minimum 1
