"""The API's endpoints are named once (sms_contract.spec.endpoints), and they are the spec's."""

import pytest

from sms_contract.exchange import HttpRequest
from sms_contract.spec import endpoints
from sms_contract.spec.loading import load_spec

OPERATION_IDS = {
    endpoints.REQUEST_TOKEN: ("POST", endpoints.TOKEN_PATH),
    endpoints.SEND_TO_ONE: ("POST", endpoints.MESSAGES_PATH + "{messageKey}"),
    endpoints.SEND_STATUS: ("GET", endpoints.MESSAGES_PATH + "{messageKey}"),
    endpoints.SEND_BATCH: ("POST", endpoints.MESSAGES_PATH),
    endpoints.NOT_SENT: ("GET", endpoints.MESSAGES_PATH),
    endpoints.CREATE_DEFINITION: ("POST", endpoints.DEFINITIONS_PATH),
    endpoints.LIST_DEFINITIONS: ("GET", endpoints.DEFINITIONS_PATH),
    endpoints.GET_DEFINITION: ("GET", endpoints.DEFINITIONS_PATH + "/{definitionKey}"),
    endpoints.UPDATE_DEFINITION: ("PATCH", endpoints.DEFINITIONS_PATH + "/{definitionKey}"),
    endpoints.DELETE_DEFINITION: ("DELETE", endpoints.DEFINITIONS_PATH + "/{definitionKey}"),
    endpoints.QUEUE_METRICS: ("GET", endpoints.DEFINITIONS_PATH + "/{definitionKey}/queue"),
    endpoints.PURGE_QUEUE: ("DELETE", endpoints.DEFINITIONS_PATH + "/{definitionKey}/queue"),
}


def test_every_operation_of_the_spec_is_named_with_its_method_and_path() -> None:
    """The constants are exactly the spec's operation ids, each at its method and path."""
    spec = load_spec()
    assert {op.operation_id for op in spec.operations} == set(OPERATION_IDS)
    for operation_id, (method, path) in OPERATION_IDS.items():
        operation = spec.operation(operation_id)
        assert (operation.method, operation.path) == (method, path)


@pytest.mark.parametrize(
    ("key", "path"),
    [
        ("f4fe74b7", "/messaging/v1/sms/messages/f4fe74b7"),
        ("order/42 #1", "/messaging/v1/sms/messages/order%2F42%20%231"),
        (".", "/messaging/v1/sms/messages/%2E"),
        ("..", "/messaging/v1/sms/messages/%2E%2E"),
        ("é", "/messaging/v1/sms/messages/%C3%A9"),
    ],
)
def test_a_message_key_is_exactly_one_path_segment(key: str, path: str) -> None:
    """Every character is kept, and a dot key never becomes a dot segment."""
    assert endpoints.message_path(key) == path
    assert endpoints.message_key_segment(path) == path.rsplit("/", 1)[1]
    assert load_spec().operation(endpoints.SEND_TO_ONE).match(path) == {"messageKey": key}


def test_token_requests_and_sends_are_recognised_by_method_and_path() -> None:
    """Only a POST to /v2/token is a token request; only a POST to a messages path a send."""
    token = HttpRequest("POST", "https://auth.example/v2/token")
    single = HttpRequest("POST", "https://rest.example/messaging/v1/sms/messages/k")
    batch = HttpRequest("POST", "https://rest.example/messaging/v1/sms/messages/")
    status = HttpRequest("GET", "https://rest.example/messaging/v1/sms/messages/k")
    assert [endpoints.is_token_request(r) for r in (token, single, batch, status)] == [
        True,
        False,
        False,
        False,
    ]
    assert [endpoints.is_send(r) for r in (token, single, batch, status)] == [
        False,
        True,
        True,
        False,
    ]
    assert endpoints.message_key_segment(batch.path) is None
