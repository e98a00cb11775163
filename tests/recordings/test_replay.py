"""Replay through ``responses`` (the mock with recordings): recorded answers case by case,
explained misses, the simulator for the rest, and a hermetic mock."""

import json
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime

import pytest
import requests
import responses

from sms_contract.errors import CassetteMiss, ResponseLost, UnsafeTargetError
from sms_contract.exchange import Exchange, HttpRequest, HttpResponse
from sms_contract.recordings.cassettes import Cassette, Recorder, RecordingSource, load_cassette
from sms_contract.recordings.replay import CaseReplayer, replaying_with_simulator
from sms_contract.redaction import Scrubber
from sms_contract.simulator.app import Simulator
from sms_contract.simulator.inprocess import add_hermetic_guard, add_hosts
from sms_contract.transports.base import Timeouts
from sms_contract.transports.http import HttpTransport

REST = "https://mc-test.rest.marketingcloudapis.com"
AUTH = "https://mc-test.auth.marketingcloudapis.com"
SEND = "/messaging/v1/sms/messages/k1"
PHONE = "15555550142"
OTHER_PHONE = "15555550199"
SECRET = "canary-client-secret-5b2e"
ACCEPTED = {"requestId": "r-1", "errorcode": 0, "responses": [{"messageKey": "k1"}]}


def _payload(phone: str = PHONE, contact: str = "Astro25") -> dict:
    return {"definitionKey": "account-reset", "recipient": {"contactKey": contact, "to": phone}}


def _send(payload: dict, key: str = "k1") -> HttpRequest:
    return HttpRequest(
        "POST",
        f"{REST}/messaging/v1/sms/messages/{key}",
        {"Content-Type": "application/json", "Authorization": "Bearer t"},
        json.dumps(payload).encode(),
    )


def _json(status: int, body: object, **headers: str) -> HttpResponse:
    return HttpResponse(
        status, {"Content-Type": "application/json", **headers}, json.dumps(body).encode()
    )


def _cassette(tmp_path, *exchanges: tuple[str, str, Exchange]) -> Cassette:
    """Record the exchanges with a scrubber, write them, and read the file back."""
    recorder = Recorder(
        Scrubber([SECRET]),
        target=RecordingSource.LIVE,
        base_url=REST,
        spec_sha256="ab" * 32,
        recorded_at=datetime(2025, 3, 4, tzinfo=UTC),
    )
    for check_id, case_id, exchange in exchanges:
        recorder.record(check_id, case_id, exchange)
    return load_cassette(recorder.save(tmp_path / "cassette.yaml"))


@contextmanager
def replaying(
    cassettes: list[Cassette], scrubber: Scrubber, case: tuple[str, str] | None = ("send", "1")
) -> Iterator[CaseReplayer]:
    """The mock with recordings on REST and AUTH, running ``case`` (None: no case runs)."""
    with replaying_with_simulator(
        cassettes, Simulator(), scrubber, rest_base_url=REST, auth_base_url=AUTH
    ) as replayer:
        if case is None:
            yield replayer
        else:
            with replayer.for_case(*case):
                yield replayer


def _accepted_send(tmp_path) -> Cassette:
    return _cassette(tmp_path, ("send", "1", Exchange(_send(_payload()), _json(202, ACCEPTED))))


def test_replay_returns_the_recorded_status_headers_and_body(tmp_path):
    """A real requests.Session gets the recorded 202, its Content-Type and its JSON body."""
    with replaying([_accepted_send(tmp_path)], Scrubber([SECRET])):
        answer = requests.Session().post(f"{REST}{SEND}", json=_payload())
    assert answer.status_code == 202
    assert answer.headers["Content-Type"] == "application/json"
    assert answer.json() == ACCEPTED


def test_the_same_recording_answers_repeated_requests(tmp_path):
    """Three identical sends all get the one recorded answer."""
    with replaying([_accepted_send(tmp_path)], Scrubber([SECRET])) as replayer:
        statuses = [requests.post(f"{REST}{SEND}", json=_payload()).status_code for _ in range(3)]
    assert statuses == [202, 202, 202]
    assert replayer.replayed == 3


def test_json_key_order_does_not_matter(tmp_path):
    """A body with the same members in another order is the same request."""
    reordered = '{"recipient": {"to": "15555550142", "contactKey": "Astro25"}, ' + (
        '"definitionKey": "account-reset"}'
    )
    with replaying([_accepted_send(tmp_path)], Scrubber([SECRET])):
        answer = requests.post(f"{REST}{SEND}", data=reordered)
    assert answer.status_code == 202


def test_phone_placeholders_are_matched_whatever_their_number(tmp_path):
    """Replaying only the second recorded send matches although its phone is <phone-1> now."""
    first = Exchange(_send(_payload(PHONE), "k1"), _json(202, ACCEPTED))
    second = Exchange(_send(_payload(OTHER_PHONE), "k2"), _json(400, {"errorcode": 109100}))
    cassette = _cassette(tmp_path, ("send", "1", first), ("send", "2", second))
    assert cassette.interactions[1].request.json["recipient"]["to"] == "<phone-2>"
    with replaying([cassette], Scrubber([SECRET]), ("send", "2")):
        answer = requests.post(f"{REST}/messaging/v1/sms/messages/k2", json=_payload(OTHER_PHONE))
    assert (answer.status_code, answer.json()) == (400, {"errorcode": 109100})


def test_miss_names_the_nearest_recording_and_the_differing_field(tmp_path):
    """The caller sees CassetteMiss with the nearest interaction and both values."""
    with (
        replaying([_accepted_send(tmp_path)], Scrubber([SECRET])),
        pytest.raises(CassetteMiss) as caught,
    ):
        requests.post(f"{REST}{SEND}", json={**_payload(), "definitionKey": "other-def"})
    assert str(caught.value).startswith(
        "replaying check send case 1: "
        f"no recorded interaction matches POST {SEND} (searched 1 interactions)\n"
        f"nearest: check 'send' case '1' (POST {SEND}), which differs in:\n"
        "  body $.definitionKey: recorded 'account-reset', sent 'other-def'\n"
        "(the recordings do not match this run's plan"
    )


def test_miss_shows_only_scrubbed_values(tmp_path):
    """A miss on the phone number shows placeholders, never the number sent."""
    cassette = _cassette(
        tmp_path, ("send", "1", Exchange(_send(_payload(PHONE)), _json(202, ACCEPTED)))
    )
    with (
        replaying([cassette], Scrubber([SECRET])),
        pytest.raises(CassetteMiss) as caught,
    ):
        requests.post(f"{REST}/messaging/v1/sms/messages/k9", json=_payload(OTHER_PHONE))
    assert OTHER_PHONE not in str(caught.value)
    assert PHONE not in str(caught.value)
    assert (
        "  path: recorded '/messaging/v1/sms/messages/k1', sent '/messaging/v1/sms/messages/k9'"
        in str(caught.value).splitlines()
    )


def test_miss_through_the_transport_is_still_a_cassette_miss(tmp_path):
    """HttpTransport lets CassetteMiss through instead of turning it into a transport error."""
    with (
        replaying([_accepted_send(tmp_path)], Scrubber([SECRET])),
        pytest.raises(CassetteMiss) as caught,
    ):
        HttpTransport().send(HttpRequest("DELETE", f"{REST}{SEND}"), Timeouts())
    lines = str(caught.value).splitlines()
    assert "  method: recorded 'POST', sent 'DELETE'" in lines
    assert (
        "  body: recorded {'definitionKey': 'account-reset', 'recipient': {'contact...,"
        " sent (absent)"
    ) in lines


def test_any_method_reaches_the_replayer(tmp_path):
    """Methods responses has no constant for (QUERY) are matched like any other."""
    query = Exchange(HttpRequest("QUERY", f"{REST}/search"), _json(405, {"m": "no"}, Allow="GET"))
    with replaying(
        [_cassette(tmp_path, ("methods", "query", query))], Scrubber(), ("methods", "query")
    ):
        answer = requests.request("QUERY", f"{REST}/search")
    assert (answer.status_code, answer.headers["Allow"]) == (405, "GET")


def test_another_host_is_refused_with_a_clear_message(tmp_path):
    """A request outside the recorded hosts fails before anything is sent, naming the host."""
    with replaying([_accepted_send(tmp_path)], Scrubber()):
        with pytest.raises(UnsafeTargetError) as direct:
            requests.get("https://api.example.com/v1/things")
        with pytest.raises(UnsafeTargetError) as through_transport:
            HttpTransport().send(HttpRequest("GET", "http://127.0.0.1:9/"), Timeouts())
    hosts = f"(hosts: {AUTH}, {REST}); nothing was sent"
    assert str(direct.value) == (
        f"mock target is hermetic: https://api.example.com is not a host of the mock {hosts}"
    )
    assert str(through_transport.value) == (
        f"mock target is hermetic: http://127.0.0.1:9 is not a host of the mock {hosts}"
    )


def test_token_host_and_rest_host_are_both_replayed(tmp_path):
    """One cassette answers the token endpoint and the send on their two hosts."""
    token_request = HttpRequest(
        "POST",
        f"{AUTH}/v2/token",
        {"Content-Type": "application/json"},
        json.dumps({"grant_type": "client_credentials", "client_secret": SECRET}).encode(),
    )
    token = Exchange(token_request, _json(200, {"access_token": "tok-123456", "expires_in": 1080}))
    send = Exchange(_send(_payload()), _json(202, ACCEPTED))
    cassette = _cassette(tmp_path, ("send", "1", token), ("send", "1", send))
    transport = HttpTransport()
    with replaying([cassette], Scrubber([SECRET])):
        issued = transport.send(token_request, Timeouts())
        sent = transport.send(_send(_payload()), Timeouts())
    assert (issued.status, issued.json()) == (
        200,
        {"access_token": "<secret-2>", "expires_in": 1080},
    )
    assert (sent.status, sent.json()) == (202, ACCEPTED)


def test_lost_response_replays_as_response_lost(tmp_path):
    """A recorded lost response makes the transport raise ResponseLost, as it did live."""
    cassette = _cassette(tmp_path, ("retry", "1", Exchange(_send(_payload()), None)))
    with (
        replaying([cassette], Scrubber([SECRET]), ("retry", "1")),
        pytest.raises(ResponseLost) as caught,
    ):
        HttpTransport().send(_send(_payload()), Timeouts())
    assert str(caught.value) == (
        f"POST mc-test.rest.marketingcloudapis.com{SEND}: connection closed before the response"
    )


def test_what_no_running_case_recorded_is_answered_by_the_simulator(tmp_path):
    """A request outside a recorded case (or of a check without a cassette) is answered by the
    simulator, and counted as such."""
    with replaying([_accepted_send(tmp_path)], Scrubber([SECRET]), case=None) as replayer:
        simulated = requests.get(f"{REST}/messaging/v1/sms/messages/k1")  # no token at all
        with replayer.for_case("send", "1"):
            recorded = requests.post(f"{REST}{SEND}", json=_payload())
        with replayer.for_case("UNRECORDED-CHECK", "1"):
            unrecorded = requests.post(f"{REST}{SEND}", json=_payload())
    assert (recorded.status_code, simulated.status_code, unrecorded.status_code) == (
        202,
        401,
        401,
    )
    assert simulated.json()["message"] == "Not Authorized"
    assert (replayer.replayed, replayer.fell_back) == (1, 2)


def test_replayer_prefers_the_case_being_replayed(tmp_path):
    """Two sends identical once scrubbed ('+1...' and '1...') replay their own answers."""
    plus = Exchange(_send(_payload("+15555550142")), _json(202, ACCEPTED))
    digits = Exchange(_send(_payload("15555550142")), _json(400, {"errorcode": 109100}))
    cassette = _cassette(tmp_path, ("format", "plus", plus), ("format", "digits", digits))
    with replaying([cassette], Scrubber([SECRET]), case=None) as replayer:
        with replayer.for_case("format", "digits"):
            digits_status = requests.post(f"{REST}{SEND}", json=_payload("15555550142")).status_code
        with replayer.for_case("format", "plus"):
            plus_status = requests.post(f"{REST}{SEND}", json=_payload("+15555550142")).status_code
    assert (digits_status, plus_status) == (400, 202)


def test_replayer_joins_an_existing_requests_mock(tmp_path):
    """add_hosts and add_hermetic_guard work inside a RequestsMock the caller owns."""

    def fallback(request: requests.PreparedRequest):
        return 418, {}, b"fallback"

    replayer = CaseReplayer([_accepted_send(tmp_path)], Scrubber([SECRET]), fallback)
    with responses.RequestsMock(assert_all_requests_are_fired=False) as mock:
        mock.add(responses.GET, "http://127.0.0.1:8080/health", body="ok")
        add_hosts(mock, replayer, [REST])
        add_hermetic_guard(mock, [REST, "http://127.0.0.1:8080"])
        health = requests.get("http://127.0.0.1:8080/health").text
        with replayer.for_case("send", "1"):
            status = requests.post(f"{REST}{SEND}", json=_payload()).status_code
        elsewhere = requests.get(f"{REST}/other").status_code
        with pytest.raises(UnsafeTargetError):
            requests.get("https://elsewhere.example/")
    assert (health, status, elsewhere) == ("ok", 202, 418)
