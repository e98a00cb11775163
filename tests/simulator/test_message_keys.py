"""messageKey: echoed exactly whatever its characters, unique over its window."""

from __future__ import annotations

import io
import json
import sys
from typing import Any
from urllib.parse import quote, unquote

import pytest

from sms_contract.simulator.app import Simulator
from sms_contract.simulator.clock import ManualClock
from tests.simulator.conftest import DOCUMENTED_EXAMPLE, MESSAGES, SPECIAL_KEYS, Api, payload

DAY = 86_400.0


@pytest.mark.parametrize("key", SPECIAL_KEYS)
def test_special_key_is_echoed_exactly(api_over: Api, key: str) -> None:
    """A key holding / % ? # + space, non-ASCII or emoji comes back exactly as sent."""
    response = api_over.send(key)
    assert response.status == 202
    assert response.json()["responses"] == [{"messageKey": key}]


@pytest.mark.parametrize("key", SPECIAL_KEYS)
def test_status_of_special_key_is_found(api_over: Api, key: str) -> None:
    """GET status with the same encoded key finds the send and names the key exactly."""
    assert api_over.send(key).status == 202
    response = api_over.status(key)
    assert response.status == 200
    assert response.json()["info"]["messageKey"] == key


def test_key_of_100_code_points_is_accepted(api: Api) -> None:
    """The 100-character limit counts characters, not bytes: 100 emoji are fine."""
    assert api.send("🙂" * 100).status == 202
    assert api.send("🙂" * 101).json()["errorcode"] == 109108


def test_key_whose_bytes_are_not_utf8_is_109108(api: Api) -> None:
    """A percent-encoded key that does not decode as UTF-8 is InvalidValue_messageKey."""
    response = api.call("POST", MESSAGES + "%FF%FE", DOCUMENTED_EXAMPLE)
    assert (response.status, response.json()["errorcode"]) == (400, 109108)


def test_unencoded_slash_does_not_make_a_key(api: Api) -> None:
    """/messages/a/b (slash not encoded) is no route: a key is one path segment."""
    assert api.call("POST", MESSAGES + "a/b", DOCUMENTED_EXAMPLE).status == 404


def _call_without_raw_uri(simulator: Simulator, token: str, key: str) -> tuple[str, Any]:
    body = json.dumps(DOCUMENTED_EXAMPLE).encode()
    environ = {
        "REQUEST_METHOD": "POST",
        "PATH_INFO": unquote(MESSAGES + quote(key, safe=""), encoding="latin-1"),
        "QUERY_STRING": "",
        "CONTENT_TYPE": "application/json",
        "CONTENT_LENGTH": str(len(body)),
        "HTTP_AUTHORIZATION": f"Bearer {token}",
        "wsgi.input": io.BytesIO(body),
        "wsgi.errors": sys.stderr,
        "wsgi.url_scheme": "http",
    }
    captured: list[str] = []
    chunks = simulator(environ, lambda status, headers, exc_info=None: captured.append(status))
    return captured[0], json.loads(b"".join(chunks))


@pytest.mark.parametrize("key", SPECIAL_KEYS)
def test_key_is_exact_from_path_info_alone(api: Api, simulator: Simulator, key: str) -> None:
    """Without RAW_URI, the latin-1 PATH_INFO of a WSGI server still yields the exact key."""
    status, body = _call_without_raw_uri(simulator, api.login(), key)
    assert (status, body["responses"]) == ("202 Accepted", [{"messageKey": key}])


def test_reused_key_is_rejected_until_the_window_ends(api: Api, clock: ManualClock) -> None:
    """A key is taken for 2 days: 109110 just before, accepted again at 2 days."""
    assert api.send("once").status == 202
    clock.advance(2 * DAY - 1)
    api.login()
    response = api.send("once")
    assert (response.status, response.json()["errorcode"]) == (400, 109110)
    clock.advance(1)
    api.login()
    assert api.send("once").status == 202


def test_key_is_taken_across_definitions(api: Api) -> None:
    """Uniqueness is per business unit, not per definition."""
    assert api.send("shared").status == 202
    other = payload(definitionKey="reminder-inactive")
    assert api.send("shared", other).json()["errorcode"] == 109110


def test_window_is_configurable_and_worded(make_api, clock: ManualClock) -> None:
    """A 72-hour window is worded in hours and lasts 72 hours."""
    api, _ = make_api(message_key_window=72 * 3600.0)
    assert api.send("k").status == 202
    clock.advance(2 * DAY)
    api.login()
    assert api.send("k").json()["message"] == (
        "MCMS_UTM_Validation_DuplicateMessageKey: messageKey reused within the past 72 hours"
    )
    clock.advance(DAY)
    api.login()
    assert api.send("k").status == 202
