"""Cassette format v1: round trip, scrubbing before writing, versions and malformed files."""

import json
from datetime import UTC, datetime

import pytest

from sms_contract.errors import CassetteError
from sms_contract.exchange import Exchange, HttpRequest, HttpResponse
from sms_contract.recordings.cassettes import (
    Cassette,
    Interaction,
    Provenance,
    RecordedRequest,
    RecordedResponse,
    Recorder,
    RecordingSource,
    load_cassette,
    load_cassette_dir,
    save_cassette,
)
from sms_contract.redaction import Scrubber

REST = "https://mc-test.rest.marketingcloudapis.com"
AUTH = "https://mc-test.auth.marketingcloudapis.com"
WHEN = datetime(2025, 3, 4, 5, 6, 7, tzinfo=UTC)

CANARIES = {
    "client secret": "canary-client-secret-1955278925",
    "access token": "canary-access-token-eyJhbGciOi",
    "bearer header": "canary-bearer-header-77aa",
    "phone number": "15555550142",
    "contact key": "canary.contact@example.com",
    "attribute value": "Astronaut-canary-attr",
    "message text": "Your canary code is 987654",
}


def _json(status: int, body: object) -> HttpResponse:
    return HttpResponse(
        status,
        {"Content-Type": "application/json", "Date": "Tue, 04 Mar 2025", "Server": "x"},
        json.dumps(body).encode(),
    )


def _token_exchange() -> Exchange:
    request = HttpRequest(
        "POST",
        f"{AUTH}/v2/token",
        {"Content-Type": "application/json"},
        json.dumps(
            {
                "grant_type": "client_credentials",
                "client_id": "client-id-1",
                "client_secret": CANARIES["client secret"],
            }
        ).encode(),
    )
    response = _json(
        200,
        {"access_token": CANARIES["access token"], "expires_in": 1080, "token_type": "Bearer"},
    )
    return Exchange(request, response)


def _send_exchange(phone: str = CANARIES["phone number"], key: str = "k1") -> Exchange:
    body = {
        "definitionKey": "account-reset",
        "recipient": {
            "contactKey": CANARIES["contact key"],
            "to": phone,
            "attributes": {"FirstName": CANARIES["attribute value"]},
        },
        "content": {"message": CANARIES["message text"]},
    }
    request = HttpRequest(
        "POST",
        f"{REST}/messaging/v1/sms/messages/{key}",
        {
            "Authorization": f"Bearer {CANARIES['bearer header']}",
            "Content-Type": "application/json",
            "Content-Length": "200",
            "Connection": "keep-alive",
        },
        json.dumps(body).encode(),
    )
    accepted = {"requestId": "r-1", "errorcode": 0, "responses": [{"messageKey": key}]}
    return Exchange(request, _json(202, accepted))


def _recorder(scrubber: Scrubber | None = None) -> Recorder:
    return Recorder(
        scrubber or Scrubber(),
        target=RecordingSource.LIVE,
        base_url=REST,
        spec_sha256="ab" * 32,
        tool_version="0.1.0",
        recorded_at=WHEN,
    )


def test_saved_cassette_loads_back_equal(tmp_path):
    """Every field, a text body, a query and a lost response survive save and load."""
    recorder = _recorder()
    recorder.record("token", "1", _token_exchange())
    recorder.record("send", "valid-1", _send_exchange())
    status = HttpRequest("GET", f"{REST}/messaging/v1/sms/messages/k1?b=2&a=1&a=%C3%A9")
    recorder.record("status", "1", Exchange(status, HttpResponse(404, {}, b"Not Found \xc3\xa9")))
    recorder.record("lost", "1", Exchange(HttpRequest("GET", f"{REST}/x"), None))

    path = recorder.save(tmp_path / "run.yaml")
    loaded = load_cassette(path)

    assert loaded == recorder.cassette
    assert loaded.interactions[2].request.query == {"b": ("2",), "a": ("1", "é")}
    assert loaded.interactions[2].response == RecordedResponse(404, {}, None, "Not Found é")


@pytest.mark.parametrize("line_break", ["\x85", "\u2028", "\u2029"], ids=["NEL", "LS", "PS"])
def test_a_yaml_line_break_inside_a_body_survives_save_and_load(tmp_path, line_break):
    """A generated value holding a character YAML reads as a line break (PyYAML turned a NEL
    in a single-quoted string into a space, so a replay's body did not match its own
    recording): what was sent is what is replayed, in a key, a JSON body and a text body."""
    body = {"definitionKey": f"a{line_break}b {line_break}", "recipient": {"messageKey": "m"}}
    send = HttpRequest(
        "POST",
        f"{REST}/messaging/v1/sms/messages/k{line_break}",
        {"Content-Type": "application/json"},
        json.dumps(body, ensure_ascii=False).encode(),
    )
    text = HttpResponse(400, {"Content-Type": "text/plain"}, f"x{line_break}y".encode())
    recorder = _recorder()
    recorder.record("send", "1", Exchange(send, text))
    loaded = load_cassette(recorder.save(tmp_path / "run.yaml"))
    assert loaded == recorder.cassette
    assert loaded.interactions[0].request.json == body
    assert loaded.interactions[0].response.body == f"x{line_break}y"


def test_written_file_contains_no_canary_secret(tmp_path):
    """Client secret, access token, bearer header, phone, contact key, attribute and message
    never hit disk."""
    recorder = _recorder()
    recorder.record("token", "1", _token_exchange())
    recorder.record("send", "valid-1", _send_exchange())

    data = recorder.save(tmp_path / "run.yaml").read_bytes()

    leaked = [name for name, value in CANARIES.items() if value.encode() in data]
    assert leaked == []
    token, send = recorder.cassette.interactions
    assert token.request.json["client_secret"] == "<secret-1>"
    assert token.response is not None
    assert token.response.json["access_token"] == "<secret-2>"
    assert send.request.json["recipient"] == {
        "contactKey": "<contact-1>",
        "to": "<phone-1>",
        "attributes": {"FirstName": "<attribute-1>"},
    }
    assert send.request.json["content"] == {"message": "<message-1>"}


def test_volatile_and_credential_headers_are_dropped():
    """Date, Server, Content-Length, Connection and Authorization are not recorded."""
    interaction = _recorder().record("send", "1", _send_exchange())
    assert interaction.request.headers == {"Content-Type": "application/json"}
    assert interaction.response is not None
    assert interaction.response.headers == {"Content-Type": "application/json"}


def test_form_encoded_token_request_is_scrubbed_by_key(tmp_path):
    """A form body's client_secret gets the same placeholder rule as a JSON one."""
    request = HttpRequest(
        "POST",
        f"{AUTH}/v2/token",
        {"Content-Type": "application/x-www-form-urlencoded"},
        f"grant_type=client_credentials&client_secret={CANARIES['client secret']}".encode(),
    )
    interaction = _recorder().record("token", "form", Exchange(request, None))
    assert interaction.request.body == "grant_type=client_credentials&client_secret=<secret-1>"
    assert interaction.request.json is None


def test_same_phone_number_twice_gets_the_same_placeholder():
    """Two sends to one number share a placeholder; another number gets the next one."""
    recorder = _recorder()
    first = recorder.record("send", "1", _send_exchange(key="k1"))
    second = recorder.record("send", "2", _send_exchange(key="k2"))
    third = recorder.record("send", "3", _send_exchange(phone="15555550199", key="k3"))
    assert [i.request.json["recipient"]["to"] for i in (first, second, third)] == [
        "<phone-1>",
        "<phone-1>",
        "<phone-2>",
    ]


def test_lost_response_is_written_as_null(tmp_path):
    """An exchange whose response never came is kept with ``response: null``."""
    recorder = _recorder()
    recorder.record("lost", "1", Exchange(HttpRequest("GET", f"{REST}/x"), None))
    text = recorder.save(tmp_path / "lost.yaml").read_text()
    assert "  response: null\n" in text
    assert load_cassette(tmp_path / "lost.yaml").interactions[0].response is None


def test_file_layout_is_versioned_and_stable(tmp_path):
    """Fields come in the format's order, and saving twice gives the same bytes."""
    recorder = Recorder(
        Scrubber(),
        target=RecordingSource.SIMULATOR,
        base_url="http://user:pw@127.0.0.1:8080/?debug=1",
        spec_sha256="cd" * 32,
        tool_version="0.1.0",
        recorded_at=WHEN,
    )
    recorder.record("status", "1", Exchange(HttpRequest("GET", "http://127.0.0.1:8080/s"), None))
    first = recorder.save(tmp_path / "a.yaml").read_text()
    second = recorder.save(tmp_path / "b.yaml").read_text()
    assert first == second
    assert first == (
        "version: 1\n"
        "provenance:\n"
        "  target: simulator\n"
        "  recorded_at: '2025-03-04T05:06:07Z'\n"
        "  tool_version: 0.1.0\n"
        f"  spec_sha256: {'cd' * 32}\n"
        "  base_url: http://127.0.0.1:8080\n"
        "interactions:\n"
        "- check_id: status\n"
        "  case_id: '1'\n"
        "  request:\n"
        "    method: GET\n"
        "    path: /s\n"
        "    query: {}\n"
        "    headers: {}\n"
        "  response: null\n"
    )


def _write(tmp_path, text: str):
    path = tmp_path / "c.yaml"
    path.write_text(text)
    return path


def test_unsupported_version_is_refused_listing_supported_versions(tmp_path):
    """A cassette of format version 2 names the file and the versions this tool reads."""
    path = _write(tmp_path, "version: 2\ninteractions: []\n")
    with pytest.raises(CassetteError) as caught:
        load_cassette(path)
    assert str(caught.value) == f"{path}: format version 2 is not supported (supported: 1)"


def test_missing_field_is_reported_with_its_location(tmp_path):
    """A malformed interaction is named by its index and field."""
    good = _recorder()
    good.record("send", "1", _send_exchange())
    path = good.save(tmp_path / "c.yaml")
    path.write_text(path.read_text().replace("    method: POST\n", ""))
    with pytest.raises(CassetteError) as caught:
        load_cassette(path)
    assert str(caught.value) == f"{path}: interactions[0].request.method: missing"


def test_wrong_type_is_reported_with_expected_and_found(tmp_path):
    """A status written as text is refused, saying what was expected."""
    text = (
        "version: 1\nprovenance: {target: live, recorded_at: '2025-03-04T05:06:07Z', "
        "tool_version: '1', spec_sha256: x, base_url: 'https://h'}\n"
        "interactions:\n- {check_id: c, case_id: '1', request: {method: GET, path: /},"
        " response: {status: 'ok'}}\n"
    )
    path = _write(tmp_path, text)
    with pytest.raises(CassetteError) as caught:
        load_cassette(path)
    assert str(caught.value) == (
        f"{path}: interactions[0].response.status: expected an integer, found str"
    )


def test_unknown_target_is_refused(tmp_path):
    """The provenance target must be one of the three kinds."""
    text = (
        "version: 1\nprovenance: {target: staging, recorded_at: '2025-03-04T05:06:07Z', "
        "tool_version: '1', spec_sha256: x, base_url: 'https://h'}\ninteractions: []\n"
    )
    path = _write(tmp_path, text)
    with pytest.raises(CassetteError) as caught:
        load_cassette(path)
    assert str(caught.value) == f"{path}: provenance: 'staging' is not a valid RecordingSource"


def test_unreadable_and_invalid_files_name_the_path(tmp_path):
    """A missing file and broken YAML both give a CassetteError naming the file."""
    missing = tmp_path / "missing.yaml"
    with pytest.raises(CassetteError) as caught:
        load_cassette(missing)
    assert str(caught.value) == f"{missing}: cannot read (No such file or directory)"

    broken = _write(tmp_path, "version: 1\ninteractions: [\n")
    with pytest.raises(CassetteError) as caught:
        load_cassette(broken)
    assert str(caught.value) == f"{broken}: not valid YAML at line 3"


def test_cassette_directory_is_loaded_in_path_order(tmp_path):
    """Every *.yaml below the directory is read, sorted by path; other files are ignored."""
    for name in ("b.yaml", "a.yaml", "sub/c.yaml"):
        recorder = _recorder()
        recorder.record(name, "1", Exchange(HttpRequest("GET", f"{REST}/x"), None))
        recorder.save(tmp_path / name)
    (tmp_path / "notes.txt").write_text("not a cassette")
    loaded = load_cassette_dir(tmp_path)
    assert [c.interactions[0].check_id for c in loaded] == ["a.yaml", "b.yaml", "sub/c.yaml"]


def test_cassette_built_by_hand_round_trips(tmp_path):
    """A documented-examples cassette written from values loads back unchanged."""
    cassette = Cassette(
        Provenance(RecordingSource.DOCUMENTED_EXAMPLES, WHEN, "0.1.0", "ef" * 32, REST),
        (
            Interaction(
                "examples",
                "accepted",
                RecordedRequest("POST", "/messaging/v1/sms/messages/k%201", json={"a": ["ü"]}),
                RecordedResponse(202, {"Content-Type": "application/json"}, json={"ok": True}),
            ),
        ),
    )
    assert load_cassette(save_cassette(cassette, tmp_path / "docs.yaml")) == cassette
