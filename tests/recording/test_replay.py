"""Replay through ``responses``: recorded answers, explained misses, a hermetic mock."""

import json
from datetime import UTC, datetime

import pytest
import requests
import responses

from sms_contract.cassettes import Cassette, Recorder, Target, load_cassette
from sms_contract.errors import CassetteMiss, ResponseLost, UnsafeTargetError
from sms_contract.exchange import Exchange, HttpRequest, HttpResponse
from sms_contract.redaction import Scrubber
from sms_contract.replay import add_hermetic_guard, add_replayer, replaying
from sms_contract.transport import HttpTransport, Timeouts

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
        target=Target.LIVE,
        base_url=REST,
        spec_sha256="ab" * 32,
        recorded_at=datetime(2025, 3, 4, tzinfo=UTC),
    )
    for check_id, case_id, exchange in exchanges:
        recorder.record(check_id, case_id, exchange)
    return load_cassette(recorder.save(tmp_path / "cassette.yaml"))


def _accepted_send(tmp_path) -> Cassette:
    return _cassette(tmp_path, ("send", "1", Exchange(_send(_payload()), _json(202, ACCEPTED))))


def test_replay_returns_the_recorded_status_headers_and_body(tmp_path):
    """A real requests.Session gets the recorded 202, its Content-Type and its JSON body."""
    with replaying([_accepted_send(tmp_path)], REST, Scrubber([SECRET])):
        answer = requests.Session().post(f"{REST}{SEND}", json=_payload())
    assert answer.status_code == 202
    assert answer.headers["Content-Type"] == "application/json"
    assert answer.json() == ACCEPTED


def test_the_same_recording_answers_repeated_requests(tmp_path):
    """Three identical sends all get the one recorded answer."""
    with replaying([_accepted_send(tmp_path)], REST, Scrubber([SECRET])) as replayer:
        statuses = [requests.post(f"{REST}{SEND}", json=_payload()).status_code for _ in range(3)]
    assert statuses == [202, 202, 202]
    assert replayer.replayed == 3


def test_json_key_order_does_not_matter(tmp_path):
    """A body with the same members in another order is the same request."""
    reordered = '{"recipient": {"to": "15555550142", "contactKey": "Astro25"}, ' + (
        '"definitionKey": "account-reset"}'
    )
    with replaying([_accepted_send(tmp_path)], REST, Scrubber([SECRET])):
        answer = requests.post(f"{REST}{SEND}", data=reordered)
    assert answer.status_code == 202


def test_phone_placeholders_are_matched_whatever_their_number(tmp_path):
    """Replaying only the second recorded send matches although its phone is <phone-1> now."""
    first = Exchange(_send(_payload(PHONE), "k1"), _json(202, ACCEPTED))
    second = Exchange(_send(_payload(OTHER_PHONE), "k2"), _json(400, {"errorcode": 109100}))
    cassette = _cassette(tmp_path, ("send", "1", first), ("send", "2", second))
    assert cassette.interactions[1].request.json["recipient"]["to"] == "<phone-2>"
    with replaying([cassette], REST, Scrubber([SECRET])):
        answer = requests.post(f"{REST}/messaging/v1/sms/messages/k2", json=_payload(OTHER_PHONE))
    assert (answer.status_code, answer.json()) == (400, {"errorcode": 109100})


def test_miss_names_the_nearest_recording_and_the_differing_field(tmp_path):
    """The caller sees CassetteMiss with the nearest interaction and both values."""
    with (
        replaying([_accepted_send(tmp_path)], REST, Scrubber([SECRET])),
        pytest.raises(CassetteMiss) as caught,
    ):
        requests.post(f"{REST}{SEND}", json=_payload(contact="Codey36"))
    assert str(caught.value) == (
        f"no recorded interaction matches POST {SEND} (searched 1 interactions)\n"
        f"nearest: check 'send' case '1' (POST {SEND}), which differs in:\n"
        "  body $.recipient.contactKey: recorded 'Astro25', sent 'Codey36'"
    )


def test_miss_shows_only_scrubbed_values(tmp_path):
    """A miss on the phone number shows placeholders, never the number sent."""
    cassette = _cassette(
        tmp_path, ("send", "1", Exchange(_send(_payload(PHONE)), _json(202, ACCEPTED)))
    )
    with (
        replaying([cassette], REST, Scrubber([SECRET])),
        pytest.raises(CassetteMiss) as caught,
    ):
        requests.post(f"{REST}/messaging/v1/sms/messages/k9", json=_payload(OTHER_PHONE))
    assert OTHER_PHONE not in str(caught.value)
    assert PHONE not in str(caught.value)
    assert str(caught.value).endswith(
        "  path: recorded '/messaging/v1/sms/messages/k1', sent '/messaging/v1/sms/messages/k9'"
    )


def test_miss_through_the_transport_is_still_a_cassette_miss(tmp_path):
    """HttpTransport lets CassetteMiss through instead of turning it into a transport error."""
    with (
        replaying([_accepted_send(tmp_path)], REST, Scrubber([SECRET])),
        pytest.raises(CassetteMiss) as caught,
    ):
        HttpTransport().send(HttpRequest("DELETE", f"{REST}{SEND}"), Timeouts())
    assert str(caught.value).splitlines()[-2:] == [
        "  method: recorded 'POST', sent 'DELETE'",
        "  body: recorded {'definitionKey': 'account-reset', 'recipient': {'contact...,"
        " sent (absent)",
    ]


def test_any_method_reaches_the_replayer(tmp_path):
    """Methods responses has no constant for (QUERY) are matched like any other."""
    query = Exchange(HttpRequest("QUERY", f"{REST}/search"), _json(405, {"m": "no"}, Allow="GET"))
    with replaying([_cassette(tmp_path, ("methods", "query", query))], REST, Scrubber()):
        answer = requests.request("QUERY", f"{REST}/search")
    assert (answer.status_code, answer.headers["Allow"]) == (405, "GET")


def test_another_host_is_refused_with_a_clear_message(tmp_path):
    """A request outside the recorded hosts fails before anything is sent, naming the host."""
    with replaying([_accepted_send(tmp_path)], REST, Scrubber(), other_base_urls=[AUTH]):
        with pytest.raises(UnsafeTargetError) as direct:
            requests.get("https://api.example.com/v1/things")
        with pytest.raises(UnsafeTargetError) as through_transport:
            HttpTransport().send(HttpRequest("GET", "http://127.0.0.1:9/"), Timeouts())
    recorded = f"(recorded hosts: {AUTH}, {REST}); nothing was sent"
    assert str(direct.value) == (
        f"mock target is hermetic: https://api.example.com is not a recorded host {recorded}"
    )
    assert str(through_transport.value) == (
        f"mock target is hermetic: http://127.0.0.1:9 is not a recorded host {recorded}"
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
    cassette = _cassette(tmp_path, ("auth", "1", token), ("send", "1", send))
    transport = HttpTransport()
    with replaying([cassette], REST, Scrubber([SECRET]), other_base_urls=[AUTH]):
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
    with replaying([cassette], REST, Scrubber([SECRET])), pytest.raises(ResponseLost) as caught:
        HttpTransport().send(_send(_payload()), Timeouts())
    assert str(caught.value) == (
        f"POST mc-test.rest.marketingcloudapis.com{SEND}: connection closed before the response"
    )


def test_miss_falls_through_to_the_fallback(tmp_path):
    """With a fallback, a request no recording covers is answered by it, and counted."""
    seen: list[str] = []

    def simulator(request: requests.PreparedRequest):
        seen.append(f"{request.method} {request.path_url}")
        return 201, {"Content-Type": "text/plain"}, b"from the simulator"

    with replaying(
        [_accepted_send(tmp_path)], REST, Scrubber([SECRET]), fallback=simulator
    ) as replayer:
        recorded = requests.post(f"{REST}{SEND}", json=_payload())
        simulated = requests.get(f"{REST}/messaging/v1/sms/messages/k1")
    assert (recorded.status_code, simulated.status_code, simulated.text) == (
        202,
        201,
        "from the simulator",
    )
    assert seen == ["GET /messaging/v1/sms/messages/k1"]
    assert (replayer.replayed, replayer.fell_back) == (1, 1)


def test_replayer_prefers_the_case_being_replayed(tmp_path):
    """Two sends identical once scrubbed ('+1...' and '1...') replay their own answers."""
    plus = Exchange(_send(_payload("+15555550142")), _json(202, ACCEPTED))
    digits = Exchange(_send(_payload("15555550142")), _json(400, {"errorcode": 109100}))
    cassette = _cassette(tmp_path, ("format", "plus", plus), ("format", "digits", digits))
    with replaying([cassette], REST, Scrubber([SECRET])) as replayer:
        with replayer.for_case("format", "digits"):
            digits_status = requests.post(f"{REST}{SEND}", json=_payload("15555550142")).status_code
        with replayer.for_case("format", "plus"):
            plus_status = requests.post(f"{REST}{SEND}", json=_payload("+15555550142")).status_code
    assert (digits_status, plus_status) == (400, 202)


def test_replayer_joins_an_existing_requests_mock(tmp_path):
    """add_replayer and add_hermetic_guard work inside a RequestsMock the caller owns."""
    from sms_contract.replay import CassetteReplayer

    replayer = CassetteReplayer([_accepted_send(tmp_path)], Scrubber([SECRET]))
    with responses.RequestsMock(assert_all_requests_are_fired=False) as mock:
        mock.add(responses.GET, "http://127.0.0.1:8080/health", body="ok")
        add_replayer(mock, replayer, [REST])
        add_hermetic_guard(mock, [REST, "http://127.0.0.1:8080"])
        health = requests.get("http://127.0.0.1:8080/health").text
        status = requests.post(f"{REST}{SEND}", json=_payload()).status_code
        with pytest.raises(UnsafeTargetError):
            requests.get("https://elsewhere.example/")
    assert (health, status) == ("ok", 202)
