"""Each deliberate deviation changes exactly the behaviour its claim names."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from sms_contract.errors import UsageError
from sms_contract.simulator.app import Simulator
from sms_contract.simulator.clock import ManualClock
from sms_contract.simulator.config import ASYNC_RULES, Deviation, Faults, SimulatorConfig
from sms_contract.transports.wsgi import WsgiTransport
from tests.simulator.conftest import DEFINITIONS, MESSAGES, Api, payload, recipient

Probe = Callable[[Api, Simulator], Any]


def _send_status(api: Api, simulator: Simulator) -> Any:
    return api.send("probe").status


def _token_fields(api: Api, simulator: Simulator) -> Any:
    body = api.request_token().json()
    return ("rest_instance_url" in body, "expires_in" in body)


def _retry_after(api: Api, simulator: Simulator) -> Any:
    api.login()
    simulator.set_faults(Faults(rate_limit_every=1))
    response = api.call("GET", DEFINITIONS)
    return response.status, response.header("Retry-After")


def _echo(api: Api, simulator: Simulator) -> Any:
    return tuple(
        api.send(key).json()["responses"][0]["messageKey"] for key in ("a%2Fb", "with space", "k1")
    )


def _status_category(api: Api, simulator: Simulator) -> Any:
    api.send("probe")
    return api.status("probe").json()["eventCategoryType"]


def _malformed_json(api: Api, simulator: Simulator) -> Any:
    response = api.send("probe", body=b'{"definitionKey": ')
    return response.status, response.json()["errorcode"], simulator.counters.rejected_sends


def _status_answer(api: Api, key: str) -> tuple[int, Any]:
    response = api.status(key)
    return response.status, response.json().get("errorcode")


def _batch(*keys: str, **second: Any) -> dict[str, Any]:
    """A batch of the documented recipient under ``keys``; ``second`` changes the second one."""
    items = [recipient(messageKey=key) for key in keys]
    if second and len(items) > 1:
        items[1] = {k: v for k, v in {**items[1], **second}.items() if v is not None}
    return {"definitionKey": "account-reset", "recipients": items}


def _batch_answer(api: Api, body: dict[str, Any]) -> Any:
    response = api.call("POST", MESSAGES, body)
    items = response.json().get("responses", [])
    return response.status, [item.get("errorcode", 0) for item in items]


def _not_sent_listed(api: Api, simulator: Simulator) -> Any:
    api.send("undeliverable", payload(recipient=recipient(to="not-a-number")))
    body = api.call("GET", MESSAGES + "?type=notSent").json()
    return [m["info"]["messageKey"] for m in body["messages"]]


def _narrow_send(api: Api, simulator: Simulator) -> Any:
    api.token = api.request_token(scope="sms_read").json()["access_token"]
    return api.send("narrow").status


PROBES: dict[Deviation, tuple[Probe, Any, Any]] = {
    Deviation.ACCEPT_INVALID: (
        lambda api, _: api.send("k", payload(recipient=recipient(to="1"))).status,
        400,
        202,
    ),
    Deviation.ECHO_ALTERED_KEY: (
        _echo,
        ("a%2Fb", "with space", "k1"),
        ("a/b", "with%20space", "k1"),
    ),
    Deviation.SERVER_ERROR_ON_NON_ASCII_KEY: (
        lambda api, _: (api.send("é").status, api.send("ascii").status),
        (202, 202),
        (500, 202),
    ),
    Deviation.WRONG_CONTENT_TYPE: (
        lambda api, _: api.send("k").content_type,
        "application/json; charset=utf-8",
        "text/plain; charset=utf-8",
    ),
    Deviation.MISSING_REQUEST_ID: (
        lambda api, _: "requestId" in api.send("k").json(),
        True,
        False,
    ),
    Deviation.ERRORCODE_MISSING: (
        lambda api, _: api.send("k").json().get("errorcode", "absent"),
        0,
        "absent",
    ),
    Deviation.IGNORE_AUTH: (
        lambda api, _: api.raw("GET", api.rest_url + DEFINITIONS).status,
        401,
        200,
    ),
    Deviation.TOKEN_MISSING_FIELDS: (_token_fields, (True, True), (False, False)),
    Deviation.ACCEPT_BAD_SECRET: (
        lambda api, _: api.request_token(client_secret="wrong").status,
        401,
        200,
    ),
    Deviation.UNKNOWN_EVENT_CATEGORY: (
        _status_category,
        "TransactionalSendEvents.SMSSent",
        "TransactionalSendEvents.SMSDelivered",
    ),
    Deviation.ACCEPT_DUPLICATE_KEY: (
        lambda api, _: (api.send("twice").status, api.send("twice").status),
        (202, 400),
        (202, 202),
    ),
    Deviation.RETRY_AFTER_MISSING: (_retry_after, (429, "5"), (429, None)),
    Deviation.REJECT_DOCUMENTED_EXAMPLE: (_send_status, 202, 400),
    Deviation.MALFORMED_ERROR_BODY: (
        lambda api, _: sorted(api.send("k", payload(definitionKey=None)).json()),
        ["documentation", "errorcode", "message"],
        ["documentation", "message"],
    ),
    Deviation.EXTRA_FIELD: (
        lambda api, _: sorted(api.send("k").json()),
        ["errorcode", "requestId", "responses"],
        ["errorcode", "requestId", "responses", "trackingId"],
    ),
    Deviation.STATUS_CHANGED: (_send_status, 202, 200),
    Deviation.ACCEPT_MISSING_DEFINITION_KEY: (
        lambda api, _: (
            api.send("absent", payload(definitionKey=None)).status,
            api.send("empty", payload(definitionKey="")).status,
        ),
        (400, 400),
        (202, 400),
    ),
    Deviation.ACCEPT_LONG_MESSAGE_KEY: (
        lambda api, _: (api.send("k" * 101).status, api.send("k" * 100).status),
        (400, 202),
        (202, 202),
    ),
    Deviation.SERVER_ERROR_ON_MALFORMED_JSON: (_malformed_json, (400, 10004, 1), (500, 0, 0)),
    Deviation.STATUS_NEVER_FOUND: (
        lambda api, _: (api.send("probe").status, _status_answer(api, "probe")),
        (202, (200, None)),
        (202, (404, 30003)),
    ),
    Deviation.STATUS_WRONG_KEY: (
        lambda api, _: (api.send("probe").status, api.status("probe").json()["info"]["messageKey"]),
        (202, "probe"),
        (202, "probe-other"),
    ),
    Deviation.TRIM_MESSAGE_KEY: (
        lambda api, _: api.send(" k ").json()["responses"][0]["messageKey"],
        " k ",
        "k",
    ),
    Deviation.TOKEN_WITHOUT_EXPIRES_IN: (_token_fields, (True, True), (True, False)),
    Deviation.BATCH_ONE_RESPONSE: (
        lambda api, _: _batch_answer(api, _batch("b1", "b2")),
        (202, [0, 0]),
        (202, [0]),
    ),
    Deviation.ACCEPT_BATCH_DUPLICATE_KEY: (
        lambda api, _: _batch_answer(api, _batch("same", "same")),
        (202, [0, 109110]),
        (202, [0, 0]),
    ),
    Deviation.BATCH_ALL_OR_NOTHING: (
        lambda api, simulator: (
            _batch_answer(api, _batch("good", "bad", to=None, contactKey=None)),
            simulator.counters.accepted_sends,
        ),
        ((202, [0, 109106]), 1),
        ((400, []), 0),
    ),
    Deviation.NOT_SENT_UNLISTED: (_not_sent_listed, ["undeliverable"], []),
    Deviation.REJECT_LONG_CONTENT: (
        lambda api, _: tuple(
            api.send(f"c{n}", payload(content={"message": "a" * n})).status for n in (160, 161)
        ),
        (202, 202),
        (202, 400),
    ),
    Deviation.IGNORE_SCOPES: (_narrow_send, 403, 202),
}


def test_every_deviation_has_a_probe() -> None:
    """The table covers every Deviation member."""
    assert set(PROBES) == set(Deviation)


@pytest.mark.parametrize("deviation", list(Deviation), ids=lambda d: d.cli_name)
def test_deviation_changes_what_it_claims(deviation: Deviation, clock: ManualClock) -> None:
    """The probe sees the documented value without the deviation and the broken one with it."""
    probe, conformant, deviant = PROBES[deviation]
    results = []
    # NOT_SENT_UNLISTED needs a message the platform accepts and then does not send.
    deferred = ASYNC_RULES if deviation is Deviation.NOT_SENT_UNLISTED else frozenset()
    for deviations in (frozenset(), frozenset({deviation})):
        config = SimulatorConfig(deviations=deviations, async_rules=deferred)
        simulator = Simulator(config, clock=clock)
        results.append(probe(Api(WsgiTransport(simulator)), simulator))
    assert results == [conformant, deviant]


@pytest.mark.parametrize("deviation", list(Deviation), ids=lambda d: d.cli_name)
def test_deviation_names_the_claim_it_breaks(deviation: Deviation) -> None:
    """Each deviation documents its claim and round-trips through its CLI name."""
    assert deviation.__doc__ == f"Breaks: {deviation.claim}"
    assert Deviation.from_cli_name(deviation.cli_name) is deviation
    assert Deviation.from_cli_name(deviation.name) is deviation


def test_unknown_deviation_name_lists_the_choices() -> None:
    """A misspelled deviation is a UsageError naming the valid ones."""
    with pytest.raises(UsageError, match="choose from: accept-invalid, echo-altered-key"):
        Deviation.from_cli_name("accept-everything")


def _deviant(clock: ManualClock, *deviations: Deviation, **config: Any) -> tuple[Api, Simulator]:
    simulator = Simulator(SimulatorConfig(deviations=frozenset(deviations), **config), clock=clock)
    return Api(WsgiTransport(simulator)), simulator


def test_non_ascii_key_is_500_every_time_and_never_processed(clock: ManualClock) -> None:
    """SERVER_ERROR_ON_NON_ASCII_KEY: the same 500 on every try, nothing accepted or stored."""
    api, simulator = _deviant(clock, Deviation.SERVER_ERROR_ON_NON_ASCII_KEY)
    answers = [api.send("clé") for _ in range(3)]
    assert [(r.status, r.json()) for r in answers] == [
        (500, {"message": "Internal Server Error", "errorcode": 0, "documentation": ""})
    ] * 3
    assert api.status("clé").status == 500
    counters = simulator.counters
    assert (counters.accepted_sends, counters.rejected_sends, counters.server_errors) == (0, 0, 0)
    assert api.send("cle").status == 202


def test_non_ascii_key_500_is_not_dropped_by_a_drop_fault(clock: ManualClock) -> None:
    """An unprocessed 500 is answered even when every send's response would be dropped."""
    api, simulator = _deviant(clock, Deviation.SERVER_ERROR_ON_NON_ASCII_KEY)
    simulator.set_faults(Faults(drop_response_every=1))
    assert [api.send("🙂").status for _ in range(2)] == [500, 500]
    assert simulator.counters.dropped_responses == 0


def test_malformed_json_500_leaves_other_syntax_rules_alone(clock: ManualClock) -> None:
    """SERVER_ERROR_ON_MALFORMED_JSON changes only invalid JSON: 415 and 10001 stay."""
    api, simulator = _deviant(clock, Deviation.SERVER_ERROR_ON_MALFORMED_JSON)
    wrong_type = api.send("k", headers={"Content-Type": "text/plain"})
    not_object = api.send("k", body=b"[]")
    not_utf8 = api.send("k", body=b"\xff{}")
    assert (wrong_type.status, not_object.status, not_utf8.status) == (415, 400, 500)
    assert not_object.json()["errorcode"] == 10001
    assert simulator.counters.rejected_sends == 2
    assert api.status("k").status == 404


def test_accept_missing_definition_key_still_rejects_null(clock: ManualClock) -> None:
    """ACCEPT_MISSING_DEFINITION_KEY: only an absent member passes; null is 109107."""
    api, simulator = _deviant(clock, Deviation.ACCEPT_MISSING_DEFINITION_KEY)
    body = {**payload(definitionKey=None), "definitionKey": None}
    response = api.send("null-def", body)
    assert (response.status, response.json()["errorcode"]) == (400, 109107)
    assert api.send("no-def", payload(definitionKey=None)).status == 202
    status = api.status("no-def").json()
    assert status["eventCategoryType"] == "TransactionalSendEvents.SMSSent"
    assert simulator.counters.accepted_sends == 1


def test_accept_long_message_key_keeps_the_whole_key(clock: ManualClock) -> None:
    """ACCEPT_LONG_MESSAGE_KEY: the long key is echoed, stored and unique like any other."""
    api, _ = _deviant(clock, Deviation.ACCEPT_LONG_MESSAGE_KEY)
    key = "x" * 250
    assert api.send(key).json()["responses"] == [{"messageKey": key}]
    assert api.status(key).json()["info"]["messageKey"] == key
    assert api.send(key).json()["errorcode"] == 109110


def test_trimmed_key_is_stored_found_and_unique_stripped(clock: ManualClock) -> None:
    """TRIM_MESSAGE_KEY: " k " is stored as "k": found by either spelling, "k" is then taken."""
    api, _ = _deviant(clock, Deviation.TRIM_MESSAGE_KEY)
    assert api.send(" k\t").status == 202
    assert api.status(" k\t").json()["info"]["messageKey"] == "k"
    assert api.status("k").json()["info"]["messageKey"] == "k"
    reused = api.send("k")
    assert (reused.status, reused.json()["errorcode"]) == (400, 109110)


def test_trimmed_blank_key_is_missing(clock: ManualClock) -> None:
    """TRIM_MESSAGE_KEY: a key of only white space is 109104 (messageKey missing)."""
    api, simulator = _deviant(clock, Deviation.TRIM_MESSAGE_KEY)
    response = api.send("   ")
    assert (response.status, response.json()["errorcode"]) == (400, 109104)
    assert simulator.counters.rejected_sends == 1


def test_status_never_found_answers_like_an_unknown_key(clock: ManualClock) -> None:
    """STATUS_NEVER_FOUND: the body of an accepted key equals that of a never-sent key."""
    api, simulator = _deviant(clock, Deviation.STATUS_NEVER_FOUND)
    assert api.send("sent").status == 202
    found, unknown = api.status("sent"), api.status("never-sent")
    assert (found.status, found.json()) == (unknown.status, unknown.json())
    assert found.json()["errorcode"] == 30003
    assert simulator.counters.accepted_sends == 1


def test_status_wrong_key_leaves_queued_status_alone(clock: ManualClock) -> None:
    """STATUS_WRONG_KEY changes info.messageKey; SMSQueued has no info and is unchanged."""
    api, _ = _deviant(clock, Deviation.STATUS_WRONG_KEY)
    api.send("queued", payload(definitionKey="reminder-inactive"))
    body = api.status("queued").json()
    assert sorted(body) == ["eventCategoryType", "requestId", "timestamp"]
    api.send("ns", payload(recipient=recipient(to="15555550100")))
    assert api.status("ns").json()["info"]["messageKey"] == "ns-other"
    listed = api.call("GET", MESSAGES + "?type=notSent").json()
    assert listed["messages"][0]["info"]["messageKey"] == "ns"
