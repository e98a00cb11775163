"""The spec document: valid OpenAPI 3.1, traceable to the docs, examples valid, conflicts kept."""

from __future__ import annotations

import pytest
from openapi_spec_validator import validate

from sms_contract.spec.loading import load_spec
from sms_contract.spec.model import Reading
from sms_contract.spec.rules import RULES

SPEC = load_spec()

OPERATION_IDS = {
    "requestToken": ("POST", "/v2/token"),
    "sendSmsToSingleRecipient": ("POST", "/messaging/v1/sms/messages/{messageKey}"),
    "getSmsSendStatusForRecipient": ("GET", "/messaging/v1/sms/messages/{messageKey}"),
    "sendSmsToMultipleRecipients": ("POST", "/messaging/v1/sms/messages/"),
    "getSMSsNotSentToRecipients": ("GET", "/messaging/v1/sms/messages/"),
    "createSmsDefinition": ("POST", "/messaging/v1/sms/definitions"),
    "getSmsDefinitions": ("GET", "/messaging/v1/sms/definitions"),
    "getSmsDefinition": ("GET", "/messaging/v1/sms/definitions/{definitionKey}"),
    "partiallyUpdateSmsDefinition": ("PATCH", "/messaging/v1/sms/definitions/{definitionKey}"),
    "deleteSmsDefinition": ("DELETE", "/messaging/v1/sms/definitions/{definitionKey}"),
    "getQueueMetricsForSmsDefinition": (
        "GET",
        "/messaging/v1/sms/definitions/{definitionKey}/queue",
    ),
    "deleteQueuedMessagesForSmsDefinition": (
        "DELETE",
        "/messaging/v1/sms/definitions/{definitionKey}/queue",
    ),
}

CONFLICT_TOPICS = {
    # the [CONFLICT] marks of sfmc-sms-api-facts.md that concern these routes
    "messageKey uniqueness window",
    "recipient.contactKey required",
    "subscriptions.resubscribe on single send",
    "202 body flat vs nested",
    "errorcode vs errorCode",
    "errorcode type",
    "status timestamp format",
    "instance URL format",
    "expires_in value",
    "token refresh margin",
    "additionalErrors vs validationErrors",
    "PATCH required fields",
    "definition status values",
    "IsLinkShorteningEnabled casing",
    # disagreements the facts file states without the mark
    "account_id type",
    "definition subscriptions required fields",
    "recipients[].contactKey required",
    "recipient.to required",
    "send status fields flat vs info",
    "token error body shape",
    "messageKey automatic creation",
    # disagreements between the documentation and what real clients and their tests show
    "recipients[].to required",
    "notSent page fields",
    "definitionKey in a PATCH body",
    "deleted definitions in an unfiltered list",
}

REPAIRED = {
    ("requestToken", 401, "invalidClientDocumented"),
    ("sendSmsToMultipleRecipients", None, "twoRecipients"),
    ("getSmsSendStatusForRecipient", 200, "sent"),
    ("getSmsSendStatusForRecipient", 200, "notSent"),
    ("getSMSsNotSentToRecipients", 200, "onePage"),
    ("deleteSmsDefinition", 200, "deleted"),
}


def _example_id(example) -> str:
    return f"{example.operation_id}-{example.kind}-{example.status}-{example.name}"


def test_spec_is_a_valid_openapi_3_1_document():
    """openapi-spec-validator accepts the spec."""
    assert SPEC.raw["openapi"] == "3.1.0"
    assert validate(SPEC.raw) is None


def test_spec_has_exactly_the_documented_operations():
    """Every operation of the facts file is there, under its SDKOAS operationId."""
    found = {op.operation_id: (op.method, op.path) for op in SPEC.operations}
    assert found == OPERATION_IDS


@pytest.mark.parametrize("operation_id", sorted(OPERATION_IDS))
def test_every_operation_has_a_summary_description_and_source_link(operation_id):
    """Each operation is traceable: summary, description and a developer.salesforce.com page."""
    operation = SPEC.operation(operation_id)
    assert operation.summary
    assert operation.description
    assert operation.source_url.startswith("https://developer.salesforce.com/docs/")


def test_rest_operations_name_their_reference_page_after_the_docs_summary():
    """The source link of a REST operation is the NEWDOCS page named by its DOCSW summary."""
    base = (
        "https://developer.salesforce.com/docs/marketing/marketing-cloud/references/"
        "mc_rest_transactional_messaging_sms/"
    )
    for operation in SPEC.operations:
        if operation.operation_id != "requestToken":
            assert operation.source_url == f"{base}{operation.summary}.html"


def test_token_operation_is_on_the_auth_host_without_bearer_auth():
    """POST /v2/token has its own server and no bearer requirement."""
    token = SPEC.operation("requestToken")
    assert token.server_url == "https://{subdomain}.auth.marketingcloudapis.com"
    assert token.requires_auth is False
    assert token.source_url == (
        "https://developer.salesforce.com/docs/marketing/marketing-cloud/guide/"
        "access-token-s2s.html"
    )


def test_every_rest_operation_requires_the_bearer_token_on_the_rest_host():
    """All operations but the token one inherit the global bearer scheme and REST server."""
    rest = [op for op in SPEC.operations if op.operation_id != "requestToken"]
    assert {op.requires_auth for op in rest} == {True}
    assert {op.server_url for op in rest} == {"https://{subdomain}.rest.marketingcloudapis.com"}
    scheme = SPEC.raw["components"]["securitySchemes"]["bearerAuth"]
    assert (scheme["type"], scheme["scheme"]) == ("http", "bearer")
    assert SPEC.raw["security"] == [{"bearerAuth": []}]


def test_single_send_documents_its_statuses_and_the_platform_wide_ones():
    """202/400/401/403/500 from its page, plus 415, 429 and 503 from the platform tables."""
    operation = SPEC.operation("sendSmsToSingleRecipient")
    assert operation.statuses == ("202", "400", "401", "403", "415", "429", "500", "503")
    assert operation.required_scopes == ("sms_send",)


def test_single_send_lists_every_rule_of_sms_contract_rules():
    """x-sms-contract-rules on the single send names exactly the ids in rules.RULES."""
    assert SPEC.operation("sendSmsToSingleRecipient").rules == tuple(rule.id for rule in RULES)


def test_rate_limited_responses_document_retry_after_in_seconds():
    """429 and 503 carry an optional integer Retry-After header."""
    responses = SPEC.raw["components"]["responses"]
    for name in ("TooManyRequests", "ServiceUnavailable"):
        header = responses[name]["headers"]["Retry-After"]
        assert (header["required"], header["schema"]) == (False, {"type": "integer", "minimum": 0})


@pytest.mark.parametrize("example", list(SPEC.examples()), ids=_example_id)
def test_every_example_is_valid_against_its_own_schema(example):
    """Request examples fit the request body, response examples the schema of their status."""
    if example.kind == "request":
        issues = SPEC.validate_request_body(example.operation_id, example.value)
    else:
        issues = SPEC.validate_response(example.operation_id, example.status, example.value)
    assert issues == []


def test_examples_cover_every_operation():
    """Each operation carries at least one documented example."""
    covered = {example.operation_id for example in SPEC.examples()}
    assert covered == set(OPERATION_IDS)


def test_exactly_the_invalid_published_examples_are_marked_repaired():
    """The six examples published as invalid JSON carry x-repaired; no other does."""
    repaired = {(e.operation_id, e.status, e.name) for e in SPEC.examples() if e.repaired}
    assert repaired == REPAIRED


def test_every_example_names_its_source():
    """Each example object carries x-source; repair and derivation notes are sentences."""
    for example_object in _example_objects(SPEC.raw):
        assert isinstance(example_object["x-source"], str)
        for note in ("x-repaired", "x-derived"):
            if note in example_object:
                assert example_object[note].rstrip().endswith(".")


def _example_objects(node):
    if isinstance(node, dict):
        for name, value in node.items():
            if name == "examples" and isinstance(value, dict):
                yield from (v for v in value.values() if isinstance(v, dict) and "value" in v)
            else:
                yield from _example_objects(value)
    elif isinstance(node, list):
        for value in node:
            yield from _example_objects(value)


def test_every_conflict_topic_of_the_facts_file_is_recorded():
    """x-conflicts holds each documented disagreement, and nothing else."""
    assert {conflict.topic for conflict in SPEC.conflicts()} == CONFLICT_TOPICS


def test_every_conflict_has_two_sourced_readings_and_a_resolution():
    """A conflict names at least two readings, each with a source, and how the spec copes."""
    for conflict in SPEC.conflicts():
        assert len(conflict.readings) >= 2
        assert all(isinstance(r, Reading) and r.reading and r.source for r in conflict.readings)
        assert conflict.resolution == "schema admits both"
        assert conflict.location.startswith("#/")


def test_conflicts_are_located_where_they_apply():
    """Conflicts sit on the schema or operation they concern."""
    located = {(c.topic, c.location) for c in SPEC.conflicts()}
    assert ("recipient.contactKey required", "#/components/schemas/Recipient") in located
    assert ("errorcode type", "#/components/schemas/ErrorCode") in located
    assert ("instance URL format", "#/components/schemas/TokenResponse") in located
    assert (
        "messageKey uniqueness window",
        "#/paths/~1messaging~1v1~1sms~1messages~1{messageKey}/post",
    ) in located


def test_an_operation_lists_the_conflicts_of_the_components_it_uses():
    """The single send sees its own conflicts and those of Recipient, SendResponse, ErrorBody."""
    topics = {c.topic for c in SPEC.operation("sendSmsToSingleRecipient").conflicts}
    assert topics == {
        "messageKey uniqueness window",
        "messageKey automatic creation",
        "subscriptions.resubscribe on single send",
        "recipient.contactKey required",
        "recipient.to required",
        "202 body flat vs nested",
        "errorcode vs errorCode",
        "errorcode type",
        "additionalErrors vs validationErrors",
    }
