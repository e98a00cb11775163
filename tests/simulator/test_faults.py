"""Injected faults: 429 with Retry-After, 500, latency, responses lost after processing."""

from __future__ import annotations

import http.client
import time

import pytest
import urllib3.exceptions

from sms_contract.errors import ResponseLost, UsageError
from sms_contract.simulator.app import Simulator
from sms_contract.simulator.config import Faults
from sms_contract.simulator.inprocess import simulate
from sms_contract.simulator.server import serve_in_thread
from sms_contract.spec.rules import ERROR_HANDLING
from sms_contract.transports.http import HttpTransport
from sms_contract.transports.wsgi import WsgiTransport
from tests.simulator.conftest import DEFINITIONS, Api, key_path, payload, recipient


def _chain(exc: BaseException) -> list[BaseException]:
    found: list[BaseException] = []
    stack: list[BaseException | None] = [exc]
    while stack:
        current = stack.pop()
        if current is None or any(current is seen for seen in found):
            continue
        found.append(current)
        stack.extend(arg for arg in current.args if isinstance(arg, BaseException))
        stack.extend([current.__cause__, current.__context__])
    return found


def test_every_nth_request_is_429_with_retry_after(make_api) -> None:
    """With rate_limit_every=3 the third REST request is the documented 429, unprocessed."""
    api, simulator = make_api(faults=Faults(rate_limit_every=3, retry_after=7))
    assert api.send("one").status == 202
    assert api.send("two").status == 202
    response = api.send("three")
    assert response.status == 429
    assert response.header("Retry-After") == "7"
    assert response.json() == {
        "message": "Rate limit exceeded",
        "errorcode": 50100,
        "retryAfter": 7,
        "documentation": ERROR_HANDLING,
    }
    assert api.status("three").status == 404
    assert api.send("three").status == 202
    counters = simulator.counters
    assert (counters.accepted_sends, counters.rate_limited) == (3, 1)


def test_every_nth_request_is_500(make_api) -> None:
    """With error_every=2 every second REST request is 500 with a JSON body."""
    api, simulator = make_api(faults=Faults(error_every=2))
    statuses = [api.call("GET", DEFINITIONS).status for _ in range(4)]
    assert statuses == [200, 500, 200, 500]
    assert simulator.counters.server_errors == 2


def test_rate_limit_wins_over_error_on_the_same_request(make_api) -> None:
    """When both schedules hit the same request, it is a 429."""
    api, _ = make_api(faults=Faults(rate_limit_every=2, error_every=2))
    assert [api.call("GET", DEFINITIONS).status for _ in range(2)] == [200, 429]


def test_latency_delays_the_answer(make_api) -> None:
    """latency sleeps real time before answering."""
    api, _ = make_api(faults=Faults(latency=0.05))
    api.login()
    started = time.perf_counter()
    assert api.call("GET", DEFINITIONS).status == 200
    assert time.perf_counter() - started >= 0.05


def test_set_faults_restarts_the_schedule(simulator: Simulator, api: Api) -> None:
    """Faults set at run time count from the moment they are set."""
    api.login()
    api.call("GET", DEFINITIONS)
    simulator.set_faults(Faults(error_every=2))
    assert [api.call("GET", DEFINITIONS).status for _ in range(2)] == [200, 500]
    simulator.set_faults(Faults())
    assert simulator.faults == Faults()


def test_dropped_send_is_processed_then_lost_in_wsgi(make_api) -> None:
    """WsgiTransport turns a dropped response into ResponseLost; the send was accepted."""
    api, simulator = make_api(faults=Faults(drop_response_every=1))
    with pytest.raises(ResponseLost):
        api.send("lost")
    assert simulator.counters.accepted_sends == 1
    assert simulator.counters.dropped_responses == 1


@pytest.mark.loopback
def test_dropped_send_over_loopback_is_response_lost(simulator: Simulator) -> None:
    """Over a socket the connection closes unanswered: ResponseLost, and the send counted."""
    simulator.set_faults(Faults(drop_next_sends=1))
    transport = HttpTransport()
    with serve_in_thread(simulator) as server:
        api = Api(transport, server.base_url, server.base_url)
        with pytest.raises(ResponseLost) as lost:
            api.send("lost-on-socket")
        assert simulator.counters.accepted_sends == 1
        assert api.status("lost-on-socket").json()["info"]["messageKey"] == "lost-on-socket"
        assert api.send("next").status == 202
    transport.close()
    assert any(isinstance(e, http.client.RemoteDisconnected) for e in _chain(lost.value))


def test_dropped_send_in_process_looks_like_a_dropped_connection(simulator: Simulator) -> None:
    """Through responses the drop is a ConnectionError from RemoteDisconnected: ResponseLost."""
    simulator.set_faults(Faults(drop_response_every=2))
    transport = HttpTransport()
    with simulate(simulator):
        api = Api(transport)
        assert api.send("kept").status == 202
        with pytest.raises(ResponseLost) as lost:
            api.send("dropped")
    transport.close()
    causes = _chain(lost.value)
    assert any(isinstance(e, urllib3.exceptions.ProtocolError) for e in causes)
    assert any(isinstance(e, http.client.RemoteDisconnected) for e in causes)
    assert simulator.counters.accepted_sends == 2


def test_drop_next_sends_drops_exactly_k(make_api) -> None:
    """drop_next_sends=2 loses the next two sends' responses, then answers again."""
    api, simulator = make_api(faults=Faults(drop_next_sends=2))
    api.login()
    for key in ("a", "b"):
        with pytest.raises(ResponseLost):
            api.send(key)
    assert api.send("c").status == 202
    assert api.call("GET", DEFINITIONS).status == 200
    assert simulator.counters.accepted_sends == 3


def test_drop_applies_to_sends_only(make_api) -> None:
    """Reads are never dropped by the send-drop fault."""
    api, _ = make_api(faults=Faults(drop_response_every=1))
    assert api.call("GET", DEFINITIONS).status == 200


@pytest.mark.parametrize(
    "faults",
    [{"latency": -1}, {"rate_limit_every": -2}, {"drop_next_sends": -1}, {"retry_after": -5}],
)
def test_negative_fault_settings_are_usage_errors(faults: dict[str, float]) -> None:
    """A negative fault setting is refused with UsageError."""
    with pytest.raises(UsageError):
        Faults(**faults)  # type: ignore[arg-type]


def test_wsgi_transport_counts_like_the_others(simulator: Simulator) -> None:
    """Counters see requests from any transport."""
    api = Api(WsgiTransport(simulator))
    api.send("counted")
    counters = simulator.counters
    assert (counters.requests, counters.token_requests, counters.accepted_sends) == (2, 1, 1)


def test_dropped_rejected_send_is_counted_as_rejected_not_accepted(make_api) -> None:
    """A processed send that was refused and then lost stays a rejection in the counters."""
    api, simulator = make_api(faults=Faults(drop_response_every=1))
    with pytest.raises(ResponseLost):
        api.send("refused", payload(definitionKey=None))
    counters = simulator.counters
    assert (counters.accepted_sends, counters.rejected_sends, counters.dropped_responses) == (
        0,
        1,
        1,
    )


@pytest.mark.parametrize("status", [200, 201])
def test_send_answer_2xx_accepts_any_body_with_the_acceptance_body(make_api, status: int) -> None:
    """send_answer=200/201: even a body that is not JSON is accepted, counted and stored."""
    api, simulator = make_api(faults=Faults(send_answer=status))
    response = api.send("any-body", body=b"this is not json")
    body = response.json()
    assert response.status == status
    assert sorted(body) == ["errorcode", "requestId", "responses"]
    assert (body["errorcode"], body["responses"]) == (0, [{"messageKey": "any-body"}])
    counters = simulator.counters
    assert (counters.accepted_sends, counters.rejected_sends) == (1, 0)
    stored = api.status("any-body").json()
    assert stored["eventCategoryType"] == "TransactionalSendEvents.SMSSent"


def test_send_answer_204_has_no_body_and_counts_the_send(make_api) -> None:
    """send_answer=204: an empty answer without Content-Type; the send is accepted."""
    api, simulator = make_api(faults=Faults(send_answer=204))
    response = api.send("no-content")
    assert (response.status, response.body, response.content_type) == (204, b"", None)
    assert simulator.counters.accepted_sends == 1
    assert api.status("no-content").json()["info"]["messageKey"] == "no-content"


@pytest.mark.parametrize(
    ("status", "message"),
    [(500, "Internal Server Error"), (502, "Bad Gateway"), (503, "Service Unavailable")],
)
def test_send_answer_5xx_has_the_generic_error_body_and_counts_the_send(
    make_api, status: int, message: str
) -> None:
    """send_answer=5xx: the error body {message, errorcode, documentation}, yet accepted."""
    api, simulator = make_api(faults=Faults(send_answer=status))
    response = api.send("maybe-sent")
    assert response.status == status
    assert response.json() == {"message": message, "errorcode": 0, "documentation": ""}
    counters = simulator.counters
    assert (counters.accepted_sends, counters.server_errors, counters.rejected_sends) == (1, 0, 0)


def test_send_answer_skips_validation_and_key_uniqueness(make_api) -> None:
    """Invalid payloads and a reused key are all accepted: nothing is validated."""
    api, simulator = make_api(faults=Faults(send_answer=200))
    statuses = [
        api.send("same", payload(definitionKey=None)).status,
        api.send("same", payload(recipient=recipient(to="1"))).status,
        api.send("k" * 150).status,
        api.send("same", headers={"Content-Type": "text/plain"}).status,
    ]
    assert statuses == [200, 200, 200, 200]
    assert simulator.counters.accepted_sends == 4


def test_send_answer_applies_only_to_authorised_sends(make_api) -> None:
    """Auth still applies first, and reads are answered as usual."""
    api, simulator = make_api(faults=Faults(send_answer=500))
    unauthorised = api.raw("POST", api.rest_url + key_path("no-token"), body=b"{}")
    assert unauthorised.status == 401
    assert api.call("GET", DEFINITIONS).status == 200
    assert api.status("never-sent").status == 404
    assert simulator.counters.accepted_sends == 0


def test_send_answer_can_be_set_at_run_time(simulator: Simulator, api: Api) -> None:
    """set_faults switches send_answer on and off like any fault."""
    assert api.send("before").status == 202
    simulator.set_faults(Faults(send_answer=201))
    assert api.send("during").status == 201
    simulator.set_faults(Faults())
    assert api.send("after").status == 202
    assert simulator.counters.accepted_sends == 3


def test_send_answer_response_can_still_be_dropped(make_api) -> None:
    """send_answer with drop_response_every=1: processed, accepted, counted, then lost."""
    api, simulator = make_api(faults=Faults(send_answer=200, drop_response_every=1))
    with pytest.raises(ResponseLost):
        api.send("lost-anyway")
    counters = simulator.counters
    assert (counters.accepted_sends, counters.dropped_responses) == (1, 1)


@pytest.mark.parametrize("value", [-1, 1, 99, 600, 1000])
def test_send_answer_outside_http_statuses_is_a_usage_error(value: int) -> None:
    """send_answer is 0 (off) or an HTTP status 100-599."""
    with pytest.raises(UsageError, match="send_answer"):
        Faults(send_answer=value)


@pytest.mark.parametrize("value", [0, 100, 200, 599])
def test_send_answer_accepts_0_and_http_statuses(value: int) -> None:
    """The bounds 100 and 599 are allowed; 0 is off."""
    assert Faults(send_answer=value).send_answer == value


@pytest.mark.loopback
@pytest.mark.parametrize(("status", "has_body"), [(200, True), (204, False), (500, True)])
def test_send_answer_over_loopback(simulator: Simulator, status: int, has_body: bool) -> None:
    """Over a real socket the configured status arrives, and each send is counted."""
    simulator.set_faults(Faults(send_answer=status))
    transport = HttpTransport()
    try:
        with serve_in_thread(simulator) as server:
            api = Api(transport, server.base_url, server.base_url)
            responses = [api.send(f"socket-{index}") for index in range(2)]
    finally:
        transport.close()
    assert [response.status for response in responses] == [status, status]
    assert all(bool(response.body) is has_body for response in responses)
    assert simulator.counters.accepted_sends == 2
