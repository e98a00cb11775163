"""No input, however malformed, makes the simulator answer 5xx (unless a fault is injected)."""

from __future__ import annotations

import io
import json
import re
import socket
import sys
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from sms_contract.exchange import HttpRequest
from sms_contract.simulator.app import Simulator
from sms_contract.simulator.clock import ManualClock
from sms_contract.simulator.config import ASYNC_RULES, Deviation, Faults, SimulatorConfig
from sms_contract.simulator.server import serve_in_thread
from sms_contract.transports.base import Timeouts
from sms_contract.transports.wsgi import WsgiTransport
from tests.simulator.conftest import DEFINITIONS, DOCUMENTED_EXAMPLE, MESSAGES, Api

PREFIXES = [
    "/v2/token",
    MESSAGES,
    MESSAGES.rstrip("/"),
    DEFINITIONS,
    DEFINITIONS + "/account-reset",
    DEFINITIONS + "/reminder-inactive/queue",
    "/",
    "",
]
METHODS = ["GET", "POST", "PATCH", "DELETE", "PUT", "HEAD", "OPTIONS", "TRACE", "QUERY"]

json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(),
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(), inner, max_size=3),
    max_leaves=8,
)
documented_shapes = st.fixed_dictionaries(
    {},
    optional={
        "definitionKey": st.sampled_from(["account-reset", "reminder-inactive", ""]) | json_values,
        "recipient": st.fixed_dictionaries(
            {},
            optional={
                "to": st.sampled_from(["15555551234", "+15555550100", ""]) | json_values,
                "contactKey": st.text() | json_values,
                "attributes": json_values,
            },
        )
        | json_values,
        "recipients": st.lists(json_values, max_size=3) | json_values,
        "content": st.fixed_dictionaries({}, optional={"message": json_values}) | json_values,
        "subscriptions": json_values,
        "name": json_values,
        "status": st.sampled_from(["active", "Inactive", "deleted"]) | json_values,
        "grant_type": st.just("client_credentials") | json_values,
        "client_id": st.just("sms-contract-client") | json_values,
        "client_secret": st.just("sms-contract-secret") | json_values,
        "account_id": json_values,
        "scope": json_values,
    },
)
bodies = (
    st.none()
    | st.binary(max_size=200)
    | documented_shapes.map(lambda value: json.dumps(value).encode())
    | json_values.map(lambda value: json.dumps(value).encode())
)
path_tails = st.text(max_size=30) | st.from_regex(
    r"(%[0-9A-Fa-f]{2}|%[^0-9A-Fa-f]{0,2}|[a-z/.]){0,12}", fullmatch=True
)
content_types = st.sampled_from(
    ["application/json", "application/json; charset=utf-8", "text/plain", "", "application/json;;"]
) | st.text(max_size=20)


def _assert_no_5xx(status: int, headers: dict[str, str], body: bytes) -> None:
    assert status < 500
    assert headers["Content-Type"] == "application/json; charset=utf-8"
    json.loads(body)


def _send(
    method: str, path: str, query: str, headers: dict[str, str], body: bytes | None, valid: bool
) -> None:
    simulator = Simulator(clock=ManualClock())
    transport = WsgiTransport(simulator)
    if valid:
        headers = {**headers, "Authorization": f"Bearer {Api(transport).login()}"}
    path = path if path.startswith("/") else "/" + path
    url = "https://sim.rest.sms-contract.invalid" + path + (f"?{query}" if query else "")
    response = transport.send(HttpRequest(method, url, headers, body), Timeouts())
    _assert_no_5xx(response.status, dict(response.headers), response.body)


PROPERTY = settings(
    max_examples=300, deadline=None, database=None, suppress_health_check=[HealthCheck.too_slow]
)


@PROPERTY
@given(
    method=st.sampled_from(METHODS) | st.text(min_size=1, max_size=8),
    prefix=st.sampled_from(PREFIXES),
    tail=path_tails,
    query=st.text(max_size=20),
    content_type=content_types,
    authorization=st.sampled_from(["valid", "none"]) | st.text(max_size=20),
    body=bodies,
)
def test_no_request_gets_a_5xx(
    method: str,
    prefix: str,
    tail: str,
    query: str,
    content_type: str,
    authorization: str,
    body: bytes | None,
) -> None:
    """Random methods, paths, queries, headers and bodies never produce a 5xx."""
    headers = {"Content-Type": content_type}
    if authorization not in ("valid", "none"):
        headers["Authorization"] = authorization
    _send(method, prefix + tail, query, headers, body, authorization == "valid")


@PROPERTY
@given(
    route=st.sampled_from(
        [
            ("POST", MESSAGES + "{key}"),
            ("POST", MESSAGES),
            ("GET", MESSAGES + "{key}"),
            ("GET", MESSAGES),
            ("POST", DEFINITIONS),
            ("GET", DEFINITIONS),
            ("PATCH", DEFINITIONS + "/{key}"),
            ("DELETE", DEFINITIONS + "/{key}/queue"),
            ("POST", "/v2/token"),
        ]
    ),
    key=st.sampled_from(["account-reset", "reminder-inactive"]) | path_tails,
    query=st.sampled_from(["type=notSent", "$pageSize=2", "$filter=status eq active"])
    | st.text(max_size=20),
    body=documented_shapes.map(lambda value: json.dumps(value).encode()) | bodies,
)
def test_authorized_documented_shapes_never_get_a_5xx(
    route: tuple[str, str], key: str, query: str, body: bytes | None
) -> None:
    """Authorized requests to each route with documented-shaped JSON never produce a 5xx."""
    method, template = route
    headers = {"Content-Type": "application/json"}
    _send(method, template.replace("{key}", key), query, headers, body, valid=True)


scalars = (
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=8)
)
any_json = st.one_of(
    scalars,
    st.lists(scalars, max_size=2),
    st.dictionaries(st.text(max_size=5), scalars, max_size=2),
)
REMOVE = object()
SINGLE_FIELDS = [
    ("definitionKey",),
    ("recipient",),
    ("recipient", "to"),
    ("recipient", "contactKey"),
    ("recipient", "attributes"),
    ("recipients",),
    ("content",),
    ("content", "message"),
    ("subscriptions",),
    ("subscriptions", "resubscribe"),
    ("attributes",),
]
BATCH_FIELDS = [
    ("definitionKey",),
    ("recipient",),
    ("recipients",),
    ("recipients", 0),
    ("recipients", 1, "to"),
    ("recipients", 0, "contactKey"),
    ("recipients", 1, "messageKey"),
    ("recipients", 0, "messageKey"),
    ("recipients", 0, "attributes"),
    ("content", "message"),
    ("subscriptions", "resubscribe"),
]


def _mutated(base: dict[str, Any], mutations: list[tuple[tuple[Any, ...], Any]]) -> bytes:
    """The base payload with each (path, value) applied; REMOVE deletes the field."""
    body = json.loads(json.dumps(base))
    for path, value in mutations:
        parent: Any = body
        for step in path[:-1]:
            parent = parent[step] if _has(parent, step) else None
        if value is REMOVE:
            if isinstance(parent, dict):
                parent.pop(path[-1], None)
        elif isinstance(parent, dict) or (isinstance(parent, list) and _has(parent, path[-1])):
            parent[path[-1]] = value
    return json.dumps(body).encode()


def _has(container: Any, step: Any) -> bool:
    if isinstance(container, dict):
        return step in container
    return isinstance(container, list) and isinstance(step, int) and step < len(container)


SINGLE_BASE = {**DOCUMENTED_EXAMPLE, "content": {"message": "hi"}, "attributes": {"a": "1"}}
BATCH_BASE = {
    "definitionKey": "account-reset",
    "recipients": [
        {"to": "15555551234", "contactKey": "a", "messageKey": "k1", "attributes": {}},
        {"to": "15555550100", "contactKey": "b", "messageKey": "k2"},
    ],
    "content": {"message": "hi"},
    "subscriptions": {"resubscribe": True},
}
values = any_json | st.sampled_from([REMOVE, "", "reminder-inactive", "nope", "k1"])


@settings(PROPERTY, max_examples=400)
@given(
    key=st.sampled_from(["k", "k1", "é/🙂", "k" * 101]) | path_tails,
    mutations=st.lists(st.tuples(st.sampled_from(SINGLE_FIELDS), values), max_size=3),
)
def test_mutated_single_sends_never_get_a_5xx(key: str, mutations: list[Any]) -> None:
    """The documented send with any documented field replaced by any JSON value never 5xx."""
    body = _mutated(SINGLE_BASE, mutations)
    _send("POST", MESSAGES + key, "", {"Content-Type": "application/json"}, body, valid=True)


@settings(PROPERTY, max_examples=200)
@given(mutations=st.lists(st.tuples(st.sampled_from(BATCH_FIELDS), values), max_size=3))
def test_mutated_batch_sends_never_get_a_5xx(mutations: list[Any]) -> None:
    """A batch send with any documented field replaced by any JSON value never 5xx."""
    body = _mutated(BATCH_BASE, mutations)
    _send("POST", MESSAGES, "", {"Content-Type": "application/json"}, body, valid=True)


@pytest.mark.parametrize("content_length", [None, "", "abc", "-5", "99999999999999999999"])
def test_missing_or_bad_content_length_is_not_a_5xx(content_length: str | None) -> None:
    """A WSGI environ without a usable CONTENT_LENGTH is read as an empty or too-large body."""
    simulator = Simulator(clock=ManualClock())
    token = Api(WsgiTransport(simulator)).login()
    environ: dict[str, Any] = {
        "REQUEST_METHOD": "POST",
        "PATH_INFO": MESSAGES + "k",
        "CONTENT_TYPE": "application/json",
        "HTTP_AUTHORIZATION": f"Bearer {token}",
        "wsgi.input": io.BytesIO(b'{"definitionKey": "account-reset"}'),
        "wsgi.errors": sys.stderr,
    }
    if content_length is not None:
        environ["CONTENT_LENGTH"] = content_length
    captured: list[Any] = []
    chunks = simulator(environ, lambda status, headers, exc_info=None: captured.append(status))
    status = int(captured[0].split()[0])
    assert status == (413 if content_length == "99999999999999999999" else 400)
    assert json.loads(b"".join(chunks))["errorcode"] in (10004, 10000)


def test_huge_body_is_413(make_api) -> None:
    """A body above max_body_bytes is refused with 413 and an error body."""
    api, _ = make_api(max_body_bytes=1000)
    response = api.send("big", body=b"{" + b" " * 2000 + b"}")
    assert (response.status, response.json()["errorcode"]) == (413, 10000)


def _exchange(port: int, raw: bytes) -> bytes:
    with socket.create_connection(("127.0.0.1", port), timeout=5) as connection:
        connection.sendall(raw)
        connection.shutdown(socket.SHUT_WR)
        received = b""
        while chunk := connection.recv(65536):
            received += chunk
    return received


TOKEN_BODY = json.dumps(
    {
        "grant_type": "client_credentials",
        "client_id": "sms-contract-client",
        "client_secret": "sms-contract-secret",
    }
).encode()
RAW_REQUESTS = {
    "garbage": (b"GARBAGE\r\n\r\n", [400]),
    "http2-version": (b"GET / HTTP/2.0\r\n\r\n", [505]),
    "nul-in-path": (b"GET /messaging/v1/sms/messages/a\x00b HTTP/1.1\r\nHost: x\r\n\r\n", [401]),
    "bad-percent": (
        b"POST /messaging/v1/sms/messages/%zz%G HTTP/1.1\r\nContent-Length: 0\r\n\r\n",
        [401],
    ),
    "not-utf8-key": (b"GET /messaging/v1/sms/messages/\xff\xfe HTTP/1.1\r\n\r\n", [401]),
    "bad-content-length": (b"POST /v2/token HTTP/1.1\r\nContent-Length: abc\r\n\r\n", [400]),
    "huge-content-length": (
        b"POST /v2/token HTTP/1.1\r\nContent-Length: 99999999999\r\n\r\n",
        [413],
    ),
    "body-without-length": (b"POST /v2/token HTTP/1.1\r\n\r\n" + TOKEN_BODY, [400, 400]),
    "gzip-encoding": (b"POST /v2/token HTTP/1.1\r\nTransfer-Encoding: gzip\r\n\r\n", [501]),
    "bad-chunk": (b"POST /v2/token HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n", [400]),
    "long-line": (b"GET /" + b"a" * 70_000 + b" HTTP/1.1\r\n\r\n", [414]),
    "long-header": (b"GET / HTTP/1.1\r\nX: " + b"a" * 70_000 + b"\r\n\r\n", [431]),
    "chunked-token": (
        b"POST /v2/token HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n"
        + f"{len(TOKEN_BODY):x}\r\n".encode()
        + TOKEN_BODY
        + b"\r\n0\r\n\r\n",
        [200],
    ),
    "absolute-form": (b"GET http://127.0.0.1/messaging/v1/sms/definitions HTTP/1.1\r\n\r\n", [401]),
    "pipelined": (b"QUERY /v2/token HTTP/1.1\r\n\r\nHEAD /v2/token HTTP/1.1\r\n\r\n", [405, 405]),
}


@pytest.mark.loopback
@pytest.mark.parametrize("name", list(RAW_REQUESTS))
def test_malformed_bytes_on_the_socket_get_json_4xx(simulator: Simulator, name: str) -> None:
    """Broken request lines, headers, lengths and encodings get JSON 4xx answers, never 5xx."""
    raw, expected = RAW_REQUESTS[name]
    with serve_in_thread(simulator) as server:
        received = _exchange(server.port, raw)
    statuses = [int(code) for code in re.findall(rb"HTTP/1\.1 (\d{3}) ", received)]
    assert statuses == expected
    assert received.count(b"Content-Type: application/json; charset=utf-8") == len(expected)


LENIENT = SimulatorConfig(
    async_rules=ASYNC_RULES,
    status_visible_after=1.0,
    to_optional=True,
    deviations=frozenset(
        {
            Deviation.ACCEPT_MISSING_DEFINITION_KEY,
            Deviation.ACCEPT_LONG_MESSAGE_KEY,
            Deviation.TRIM_MESSAGE_KEY,
            Deviation.STATUS_WRONG_KEY,
        }
    ),
)
"""Every new option that must not introduce a 5xx, switched on at once."""


def _lenient_send(path: str, body: bytes, clock: ManualClock) -> Api:
    api = Api(WsgiTransport(Simulator(LENIENT, clock=clock)))
    response = api.call("POST", path, body=body, headers={"Content-Type": "application/json"})
    _assert_no_5xx(response.status, dict(response.headers), response.body)
    return api


@settings(PROPERTY, max_examples=200)
@given(
    key=st.sampled_from(["k", " k1 ", "k" * 101, "\t"]) | path_tails,
    mutations=st.lists(st.tuples(st.sampled_from(SINGLE_FIELDS), values), max_size=3),
)
def test_lenient_options_never_give_a_5xx_to_single_sends(key: str, mutations: list[Any]) -> None:
    """Deferred rules and the non-5xx deviations on: mutated sends and their status never 5xx."""
    clock = ManualClock()
    api = _lenient_send(MESSAGES + key, _mutated(SINGLE_BASE, mutations), clock)
    clock.advance(1.0)
    status = api.call("GET", MESSAGES + key)
    _assert_no_5xx(status.status, dict(status.headers), status.body)


@settings(PROPERTY, max_examples=150)
@given(mutations=st.lists(st.tuples(st.sampled_from(BATCH_FIELDS), values), max_size=3))
def test_lenient_options_never_give_a_5xx_to_batch_sends(mutations: list[Any]) -> None:
    """The same options on the batch route."""
    _lenient_send(MESSAGES, _mutated(BATCH_BASE, mutations), ManualClock())


@settings(PROPERTY, max_examples=150)
@given(
    path=st.sampled_from([MESSAGES + "k", MESSAGES, MESSAGES + "é"]),
    body=bodies
    | st.lists(st.tuples(st.sampled_from(BATCH_FIELDS), values), max_size=3).map(
        lambda mutations: _mutated(BATCH_BASE, mutations)
    ),
)
def test_send_answer_answers_every_body_alike(path: str, body: bytes | None) -> None:
    """send_answer=201: whatever the body, the send is 201 with the acceptance body."""
    simulator = Simulator(SimulatorConfig(faults=Faults(send_answer=201)), clock=ManualClock())
    api = Api(WsgiTransport(simulator))
    response = api.call("POST", path, body=body)
    assert response.status == 201
    assert response.json()["errorcode"] == 0
    assert len(response.json()["responses"]) == simulator.counters.accepted_sends
