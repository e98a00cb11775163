"""The spec's examples are the published ones: verbatim, or repaired exactly as their note says."""

from __future__ import annotations

import json

import pytest

from sms_contract.spec.loading import load_spec

SPEC = load_spec()

# The vendor page (NEWDOCS sendSMSMessageSingleRecipient), copied verbatim.
SEED_REQUEST = """
{
  "definitionKey": "account-reset",
  "recipient": {
    "to": "15555551234",
    "contactKey": "Astro25",
    "attributes": {
      "FirstName": "Astro",
      "password": "1234567890ab"
    }
  },
  "subscriptions": {
    "resubscribe": true
  }
}
"""
SEED_RESPONSE = """
{
  "requestId": "239a2bc3-bdcb-4f8a-9e08-28aff9f983b7",
  "errorcode": 0,
  "responses": [
    {
      "messageKey": "f4fe74b7-c3c0-4e5a-9f49-b63a641109a2"
    }
  ]
}
"""
SEED_MESSAGE_KEY = "f4fe74b7-c3c0-4e5a-9f49-b63a641109a2"

# Published texts that are not valid JSON (sfmc-sms-api-facts.md), with the repair each
# example's x-repaired note describes, as (old, new) text replacements.
PUBLISHED = {
    ("sendSmsToMultipleRecipients", None, "twoRecipients"): (
        """{
  "definitionKey": "account_rest",
  "recipients": [
    {
      "contactKey": "Astro25",
      "to": "15555551234",
      "messageKey": "nFL4ULgheUeaGbPIMzJJSw",
      "attributes": {
        "FirstName": "Astro",
        "Password": "1234567"
      }
    },
    {
      "contactKey": "Codey36",
      "to": "15555554321",
      "messageKey": "GV1LhQ6NFkqFUAE1IsoQ9Q"
      "attributes": {
        "FirstName": "Code",
        "Password": "2345678"
      }
    }
  ],
  "attributes": {
    "RequestTrackingAttribute": "2",
  }
}""",
        [
            ('"GV1LhQ6NFkqFUAE1IsoQ9Q"\n', '"GV1LhQ6NFkqFUAE1IsoQ9Q",\n'),
            ('"RequestTrackingAttribute": "2",', '"RequestTrackingAttribute": "2"'),
        ],
    ),
    ("getSmsSendStatusForRecipient", 200, "sent"): (
        """{
  "requestId": "77431635-1b6b-44db-a16d-420361a43dc1",
  "eventCategoryType": "TransactionalSendEvents.SMSSent",
  "timestamp": "2018-08-03T13:41:18.55",
  "compositeId": "1F3631D4-5497-E811-80E4-1402EC6B9540.214435.228431.1.231481617",
  "info": {
    "messageKey": "bcX0qaEp0USGciEnUJTW0w",
    "contactKey": "Astro25",
  }
}""",
        [('"contactKey": "Astro25",', '"contactKey": "Astro25"')],
    ),
    ("getSmsSendStatusForRecipient", 200, "notSent"): (
        """{
  "requestId": "30486456-ed41-46ba-96eb-06c4ff3b95d9",
  "eventCategoryType": "TransactionalSendEvents.SMSNotSent",
  "timestamp": "2018-07-24T06:26:58.463",
  "compositeId": "56941A9F-3A8F-E811-80E0-1402EC6B9529.4647028.622338.1.318768528",
  "info": {
    "messageKey": "9a-zUvWf3UKxLpwwIrqTmQ",
    "contactKey": "ec25a8c8-6d4e-42f0-84c3-4ea23564cbe5",
    "statusCode": 16,
    "statusMessage": "InvalidAttributeValue"
  }""",
        [('"InvalidAttributeValue"\n  }', '"InvalidAttributeValue"\n  }\n}')],
    ),
    ("getSMSsNotSentToRecipients", 200, "onePage"): (
        """{
  "lastEventID": 35774,
  "messages": [
    {
      "statusCode": 24,
      "statusMessage": "Error Message",
      "eventCategoryType": "TransactionalSendEvents.SMSNotSent",
      "timestamp": "2018-12-17T13:05:40.947",
      "definitionKey": "account-reset",
      "eventID": 35760,
      "info": {
        "messageKey": "2iQNfGHj2UqTalK9x2gPow",
        "contactKey": "example1",
      }
    }
  ],
  "count": 1
}""",
        [('"contactKey": "example1",', '"contactKey": "example1"')],
    ),
    ("deleteSmsDefinition", 200, "deleted"): (
        """{
  "message": \u201cSuccess",
  "requestId": "UUID",
  "deletedDefinitionKey": "51a05a43-0a75-49dd-8cc7-8d316025c87f"
}""",
        [("\u201cSuccess", '"Success')],
    ),
    ("requestToken", 401, "invalidClientDocumented"): (
        """{
"error": "invalid_client"
"error_description": "Invalid client ID. Use the client ID in Marketing Cloud Installed Packages."
"error_uri": "https://developer.salesforce.com/docs"
}""",
        [('"invalid_client"\n', '"invalid_client",\n'), ('Packages."\n', 'Packages.",\n')],
    ),
}


def _example(operation_id: str, status: int | None, name: str):
    found = [
        e
        for e in SPEC.examples()
        if (e.operation_id, e.status, e.name) == (operation_id, status, name)
    ]
    assert len(found) == 1
    return found[0]


def test_seed_request_is_the_single_send_example_and_is_valid():
    """The vendor page's example request is in the spec verbatim and passes the oracle."""
    body = json.loads(SEED_REQUEST)
    assert _example("sendSmsToSingleRecipient", None, "accountReset").value == body
    assert SPEC.validate_request_body("sendSmsToSingleRecipient", body) == []
    assert (
        SPEC.validate_path_parameter("sendSmsToSingleRecipient", "messageKey", SEED_MESSAGE_KEY)
        == []
    )


def test_seed_response_is_the_single_send_202_example_and_is_valid():
    """The vendor page's 202 body is in the spec verbatim and is valid for status 202."""
    body = json.loads(SEED_RESPONSE)
    assert _example("sendSmsToSingleRecipient", 202, "accepted").value == body
    assert SPEC.validate_response("sendSmsToSingleRecipient", 202, body, "application/json") == []
    assert SPEC.validate_component("SendAccepted", body) == []


@pytest.mark.parametrize("key", sorted(PUBLISHED, key=str), ids=lambda key: key[2])
def test_repaired_example_differs_from_the_published_text_only_by_its_repair(key):
    """The published text is invalid JSON; the described edits alone turn it into the example."""
    published, edits = PUBLISHED[key]
    with pytest.raises(json.JSONDecodeError):
        json.loads(published)
    repaired = published
    for old, new in edits:
        assert repaired.count(old) == 1
        repaired = repaired.replace(old, new)
    assert json.loads(repaired) == _example(*key).value
    assert _example(*key).repaired is True
