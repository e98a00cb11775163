"""Each deliberate deviation changes exactly the behaviour its claim names."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from sms_contract.errors import UsageError
from sms_contract.simulator.app import Simulator
from sms_contract.simulator.clock import ManualClock
from sms_contract.simulator.config import Deviation, Faults, SimulatorConfig
from sms_contract.transports.wsgi import WsgiTransport
from tests.simulator.conftest import DEFINITIONS, Api, payload, recipient

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
}


def test_every_deviation_has_a_probe() -> None:
    """The table covers every Deviation member."""
    assert set(PROBES) == set(Deviation)


@pytest.mark.parametrize("deviation", list(Deviation), ids=lambda d: d.cli_name)
def test_deviation_changes_what_it_claims(deviation: Deviation, clock: ManualClock) -> None:
    """The probe sees the documented value without the deviation and the broken one with it."""
    probe, conformant, deviant = PROBES[deviation]
    results = []
    for deviations in (frozenset(), frozenset({deviation})):
        simulator = Simulator(SimulatorConfig(deviations=deviations), clock=clock)
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
