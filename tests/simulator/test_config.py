"""Configuration values, the manual clock, and thread safety of the state."""

from __future__ import annotations

import threading

import pytest

from sms_contract.errors import UsageError
from sms_contract.simulator.app import Simulator
from sms_contract.simulator.clock import ManualClock
from sms_contract.simulator.config import (
    ASYNC_RULES,
    DEFAULT_DEFINITIONS,
    Credentials,
    SimulatorConfig,
)
from sms_contract.simulator.sends import ASYNC_REASONS
from sms_contract.simulator.server import serve_in_thread
from sms_contract.spec.rules import RULES_BY_ID
from sms_contract.transports.http import HttpTransport
from tests.simulator.conftest import Api


def test_manual_clock_only_moves_forward() -> None:
    """advance() adds seconds; a negative amount is refused."""
    clock = ManualClock(100.0)
    clock.advance(2.5)
    assert clock.now() == 102.5
    with pytest.raises(ValueError, match="only moves forward"):
        clock.advance(-1)


def test_credentials_repr_hides_the_secret() -> None:
    """The secret never shows in a repr."""
    text = repr(Credentials(client_secret="hunter2"))
    assert text == "Credentials(client_id='sms-contract-client', client_secret=<redacted>)"


def test_with_definition_seeds_an_extra_active_definition(make_api) -> None:
    """with_definition adds the named definition unless it is already seeded."""
    config = SimulatorConfig.with_definition("tenant-otp")
    assert [seed.definition_key for seed in config.definitions] == [
        "account-reset",
        "reminder-inactive",
        "tenant-otp",
    ]
    assert SimulatorConfig.with_definition("account-reset").definitions == DEFAULT_DEFINITIONS
    api, _ = make_api(definitions=config.definitions)
    assert api.send("k", {**Api.example(), "definitionKey": "tenant-otp"}).status == 202


@pytest.mark.parametrize(
    ("window", "text"),
    [(86_400.0, "1 day"), (172_800.0, "2 days"), (259_200.0, "72 hours"), (90.0, "90 seconds")],
)
def test_window_wording(window: float, text: str) -> None:
    """The 109110 message words the window as the documentation does."""
    assert SimulatorConfig(message_key_window=window).window_text == text


@pytest.mark.parametrize(
    "changes", [{"token_lifetime": 0.0}, {"message_key_window": -1.0}, {"status_retention": -1.0}]
)
def test_impossible_settings_are_usage_errors(changes: dict[str, float]) -> None:
    """A non-positive lifetime or a negative window is refused."""
    with pytest.raises(UsageError):
        SimulatorConfig(**changes)  # type: ignore[arg-type]


def test_explicit_expires_in_is_advertised(make_api) -> None:
    """expires_in can be set apart from the lifetime (a token that dies early)."""
    api, _ = make_api(token_lifetime=60.0, expires_in=1080)
    assert api.request_token().json()["expires_in"] == 1080


@pytest.mark.loopback
def test_concurrent_sends_of_one_key_accept_exactly_one(simulator: Simulator) -> None:
    """Eight threads sending the same new key over loopback: one 202, seven 109110."""
    with serve_in_thread(simulator) as server:
        login = HttpTransport()
        token = Api(login, server.base_url, server.base_url).login()
        login.close()
        statuses: list[int] = []
        lock = threading.Lock()

        def send() -> None:
            transport = HttpTransport()
            api = Api(transport, server.base_url, server.base_url)
            api.token = token
            status = api.send("contended").status
            transport.close()
            with lock:
                statuses.append(status)

        threads = [threading.Thread(target=send) for _ in range(8)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(timeout=10)
    assert sorted(statuses) == [202] + [400] * 7
    assert simulator.counters.accepted_sends == 1


def test_status_visible_after_defaults_to_at_once_and_refuses_negative() -> None:
    """0 (visible at once) is the default; a negative delay is a UsageError."""
    assert SimulatorConfig().status_visible_after == 0.0
    with pytest.raises(UsageError, match="status_visible_after"):
        SimulatorConfig(status_visible_after=-0.5)


def test_async_rules_are_real_rules_each_with_a_subscriber_code() -> None:
    """The deferrable rules exist in RULES and each maps to a documented subscriber code."""
    assert set(RULES_BY_ID) >= ASYNC_RULES
    assert (
        set(ASYNC_REASONS)
        == ASYNC_RULES
        == {
            "definition-key-unknown",
            "to-invalid",
            "contact-key-missing",
        }
    )
    assert SimulatorConfig(async_rules=ASYNC_RULES).async_rules == ASYNC_RULES
    assert SimulatorConfig().async_rules == frozenset()


@pytest.mark.parametrize(
    ("rule_id", "reason"),
    [
        ("malformed-json", "'malformed-json': cannot be applied after accepting"),
        ("message-key-reused", "'message-key-reused': cannot be applied after accepting"),
        ("no-such-rule", "'no-such-rule': is no rule id"),
    ],
)
def test_other_async_rules_are_usage_errors(rule_id: str, reason: str) -> None:
    """Only the three recipient/definition rules can be deferred; the error names the choices."""
    with pytest.raises(UsageError, match=reason) as refused:
        SimulatorConfig(async_rules=frozenset({"to-invalid", rule_id}))
    assert "choose from: contact-key-missing, definition-key-unknown, to-invalid" in str(
        refused.value
    )
