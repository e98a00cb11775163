"""The reference client against the simulator over a real loopback socket: the live code path
(sockets, OAuth, retries) end to end, without the internet."""

import json

import pytest

from sms_contract.client.config import ClientConfig
from sms_contract.client.results import Accepted, Rejected, parse_send_response
from sms_contract.client.sms_client import SmsClient
from sms_contract.simulator.app import Simulator
from sms_contract.simulator.clock import ManualClock
from sms_contract.simulator.config import (
    DEFAULT_CLIENT_ID,
    DEFAULT_CLIENT_SECRET,
    Faults,
    SimulatorConfig,
)
from sms_contract.simulator.server import serve_in_thread
from sms_contract.spec.rules import RESPONSES_HAS_ERRORS, RULES, RejectionForm, Scope
from sms_contract.spec.rules import RejectionForm as SimulatorForm

pytestmark = pytest.mark.loopback

TO = "15555551234"
VALID = {"definitionKey": "account-reset", "recipient": {"contactKey": "Astro25", "to": TO}}


@pytest.fixture
def clock():
    return ManualClock()


@pytest.fixture
def serve(clock):
    """Start a simulator on 127.0.0.1 and hand back (simulator, client, sleeps)."""
    servers = []

    def start(config: SimulatorConfig | None = None):
        simulator = Simulator(config or SimulatorConfig(), clock=clock)
        server = serve_in_thread(simulator)
        servers.append(server)
        sleeps: list[float] = []
        client = SmsClient(
            ClientConfig(
                client_id=DEFAULT_CLIENT_ID,
                client_secret=DEFAULT_CLIENT_SECRET,
                auth_base_url=server.base_url,
            ),
            sleep=sleeps.append,
        )
        return simulator, client, sleeps

    yield start
    for server in servers:
        server.stop()


def test_token_flow_then_a_send_and_its_status(serve):
    """One token, the REST URL from rest_instance_url, a send accepted and its status read."""
    simulator, client, _ = serve()
    result = client.send_to_one(VALID, message_key="k-1")
    assert isinstance(result, Accepted)
    assert (result.message_key, result.attempts, result.on_earlier_attempt) == ("k-1", 1, False)
    status = client.message_status("k-1")
    assert status.status == 200
    assert status.json()["eventCategoryType"] == "TransactionalSendEvents.SMSSent"
    assert (client.token_requests, simulator.counters.token_requests) == (1, 1)


def test_duplicate_key_is_rejected_with_109110(serve):
    """The same key twice: the second send is rejected with DuplicateMessageKey."""
    _, client, _ = serve()
    assert isinstance(client.send_to_one(VALID, message_key="dup"), Accepted)
    again = client.send_to_one(VALID, message_key="dup")
    assert isinstance(again, Rejected)
    assert again.has_errorcode(109110)
    assert again.attempts == 1


def test_token_expiring_mid_run_gives_exactly_one_refresh(serve, clock):
    """The server's clock passes the token's lifetime: one 401, one refresh, no failure."""
    simulator, client, _ = serve()
    assert isinstance(client.send_to_one(VALID, message_key="before"), Accepted)
    clock.advance(1201)  # the simulator's token lifetime is 20 minutes
    result = client.send_to_one(VALID, message_key="after")
    assert isinstance(result, Accepted)
    assert client.token_requests == 2
    assert simulator.counters.token_requests == 2
    assert simulator.counters.accepted_sends == 2


def test_429_with_retry_after_is_honoured_then_the_send_succeeds(serve):
    """Every 2nd REST request is throttled: the client waits Retry-After and succeeds."""
    simulator, client, sleeps = serve(
        SimulatorConfig(faults=Faults(rate_limit_every=2, retry_after=3))
    )
    assert isinstance(client.send_to_one(VALID, message_key="first"), Accepted)
    result = client.send_to_one(VALID, message_key="second")
    assert isinstance(result, Accepted)
    assert result.attempts == 2
    assert sleeps == [3.0]
    assert simulator.counters.rate_limited == 1


def test_lost_response_is_retried_with_the_same_key_and_sent_once(serve):
    """Processed, then dropped: the retry reuses the key and the simulator bills one send."""
    simulator, client, _ = serve(SimulatorConfig(faults=Faults(drop_next_sends=1)))
    result = client.send_to_one(VALID, message_key="lost-once")
    assert isinstance(result, Accepted)
    assert result.on_earlier_attempt is True
    assert result.message_key == "lost-once"
    assert simulator.counters.accepted_sends == 1
    assert simulator.counters.dropped_responses == 1


def _invalid(rule_id: str) -> tuple[str, bytes, str]:
    """(messageKey, body bytes, content type) that break exactly ``rule_id``."""
    body: object = json.loads(json.dumps(VALID))
    key, content_type = f"rule-{rule_id}", "application/json"
    if rule_id == "malformed-json":
        return key, b'{"definitionKey": "account-reset", ', content_type
    if rule_id == "unsupported-media-type":
        content_type = "text/plain"
    elif rule_id == "body-not-object":
        body = ["not", "an", "object"]
    elif rule_id == "definition-key-missing":
        del body["definitionKey"]
    elif rule_id == "definition-key-wrong-type":
        body["definitionKey"] = 42
    elif rule_id == "definition-key-unknown":
        body["definitionKey"] = "no-such-definition"
    elif rule_id == "recipient-missing":
        del body["recipient"]
    elif rule_id == "recipient-not-object":
        body["recipient"] = TO
    elif rule_id == "recipient-and-recipients":
        body["recipients"] = [dict(body["recipient"])]
    elif rule_id == "wrong-type":
        body["content"] = "not an object"
    elif rule_id == "to-missing":
        del body["recipient"]["to"]
    elif rule_id == "to-invalid":
        body["recipient"]["to"] = "not-a-number"
    elif rule_id == "contact-key-missing":
        del body["recipient"]["contactKey"]
    elif rule_id == "message-key-too-long":
        key = "k" * 101
    elif rule_id != "message-key-reused":
        raise AssertionError(f"no payload for rule {rule_id}")
    return key, json.dumps(body).encode(), content_type


@pytest.mark.parametrize("form", list(SimulatorForm))
@pytest.mark.parametrize("rule", RULES, ids=lambda rule: rule.id)
def test_each_rule_gives_its_documented_status_and_errorcode(serve, rule, form):
    """Through the reference client: request rules are 4xx; recipient rules take the form set."""
    _, client, _ = serve(SimulatorConfig(rejection_form=form))
    key, body, content_type = _invalid(rule.id)
    path = "/messaging/v1/sms/messages/" + key
    if rule.id == "message-key-reused":
        assert isinstance(client.send_to_one(VALID, message_key=key), Accepted)
    response = client.request("POST", path, body=body, headers={"Content-Type": content_type})
    result = parse_send_response(
        response, message_key=key, attempts=1, maybe_processed_earlier=False
    )
    assert isinstance(result, Rejected)
    if rule.scope is Scope.RECIPIENT and form is SimulatorForm.ACCEPTED_WITH_ERRORS:
        assert (result.form, result.status) == (RejectionForm.ACCEPTED_WITH_ERRORS, 202)
        assert result.errorcode == RESPONSES_HAS_ERRORS
        assert [error.errorcode for error in result.recipient_errors] == [rule.errorcode]
        assert [error.message_key for error in result.recipient_errors] == [key]
    else:
        assert (result.form, result.status) == (RejectionForm.HTTP_ERROR, rule.status)
        assert result.errorcode == rule.errorcode
