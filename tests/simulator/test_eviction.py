"""Bounded memory: expired tokens, sends past their window and retention, old not-sent events
are evicted when something new is stored. Time is the simulator's ManualClock; sizes are read
through ``Simulator.sizes``."""

from __future__ import annotations

from sms_contract.simulator.app import Simulator
from sms_contract.simulator.clock import ManualClock
from sms_contract.simulator.state import Sizes
from tests.simulator.conftest import MESSAGES, Api, payload, recipient

DAY = 86_400.0
UNDELIVERABLE = payload(recipient=recipient(to="15555550100"))


def _tokens(api: Api, count: int) -> list[str]:
    return [api.request_token().json()["access_token"] for _ in range(count)]


def test_a_fresh_simulator_holds_only_its_definitions(simulator: Simulator) -> None:
    """Nothing but the two seeded definitions before the first request."""
    assert simulator.sizes == Sizes(tokens=0, messages=0, not_sent_events=0, definitions=2)


def test_expired_tokens_are_evicted_by_the_next_issue(
    api: Api, simulator: Simulator, clock: ManualClock
) -> None:
    """Three tokens, then 10 minutes, then two more: five held. At 20 minutes the first three
    have expired; the next issue evicts exactly them."""
    first = _tokens(api, 3)
    clock.advance(600.0)
    second = _tokens(api, 2)
    assert simulator.sizes.tokens == 5
    clock.advance(600.0)
    assert simulator.sizes.tokens == 5  # nothing is evicted until something is stored
    _tokens(api, 1)
    assert simulator.sizes.tokens == 3
    api.token = first[0]
    assert api.call("GET", "/messaging/v1/sms/definitions").status == 401
    api.token = second[1]
    assert api.call("GET", "/messaging/v1/sms/definitions").status == 200
    clock.advance(1200.0)
    _tokens(api, 1)
    assert simulator.sizes.tokens == 1


def test_many_live_tokens_are_all_kept(api: Api, simulator: Simulator) -> None:
    """Tokens still valid are never evicted: 500 issued at one instant, 500 held, all work."""
    tokens = _tokens(api, 500)
    assert simulator.sizes.tokens == 500
    for token in (tokens[0], tokens[249], tokens[-1]):
        api.token = token
        assert api.call("GET", "/messaging/v1/sms/definitions").status == 200


def test_sends_are_evicted_past_the_three_days_of_their_status(
    api: Api, simulator: Simulator, clock: ManualClock
) -> None:
    """Default config: a send is held 3 days (its 2-day key window and 3-day status). The next
    send after that evicts the old ones; until then they are all held."""
    for index in range(4):
        assert api.send(f"old-{index}").status == 202
    clock.advance(2 * DAY)
    api.login()
    assert api.send("old-0").status == 202  # the window is over: the key is free again
    assert simulator.sizes.messages == 4  # old-0 replaced, old-1..3 still readable
    clock.advance(DAY + 1)
    api.login()
    assert api.send("new").status == 202
    assert simulator.sizes.messages == 2  # old-1..3 evicted; old-0 (2 days old) and new
    assert api.status("old-1").status == 404
    assert api.status("old-0").status == 200


def test_a_short_window_and_retention_evict_sooner(make_api, clock: ManualClock) -> None:
    """message_key_window 60 s and status_retention 30 s: a send is held 60 s (its key taken
    that long), then evicted by the next send."""
    api, simulator = make_api(message_key_window=60.0, status_retention=30.0)
    for index in range(10):
        api.send(f"k-{index}")
    assert simulator.sizes.messages == 10
    clock.advance(30.0)
    assert api.status("k-0").status == 404  # past its status retention
    assert api.send("k-0").json()["errorcode"] == 109110  # still in its window
    clock.advance(30.5)
    assert api.send("k-0").status == 202
    assert simulator.sizes.messages == 1


def test_not_sent_events_are_evicted_after_the_retention(
    api: Api, simulator: Simulator, clock: ManualClock
) -> None:
    """Not-sent events are listed 3 days; a later event evicts older ones; ids keep counting."""
    for index in range(3):
        api.send(f"ns-{index}", UNDELIVERABLE)
    assert simulator.sizes.not_sent_events == 3
    clock.advance(3 * DAY + 1)
    api.login()
    api.send("ns-late", UNDELIVERABLE)
    assert simulator.sizes.not_sent_events == 1
    listed = api.call("GET", MESSAGES + "?type=notSent").json()
    assert [(m["eventID"], m["info"]["messageKey"]) for m in listed["messages"]] == [(4, "ns-late")]
    assert listed["lastEventID"] == 4


def test_memory_stays_bounded_while_time_moves(make_api, clock: ManualClock) -> None:
    """One send a second for 200 s (every other one not sent) with a 10 s window and retention,
    a new 60 s token every 50 s: never more than 11 sends, 6 not-sent events and 2 tokens."""
    api, simulator = make_api(
        message_key_window=10.0, status_retention=10.0, token_lifetime=60.0, expires_in=50
    )
    for index in range(200):
        if index % 50 == 0:
            api.login()
        to = "15555550100" if index % 2 else "15555551234"
        assert api.send(f"m-{index}", payload(recipient=recipient(to=to))).status == 202
        sizes = simulator.sizes
        assert sizes.messages <= 11
        assert sizes.not_sent_events <= 6
        assert sizes.tokens <= 2
        clock.advance(1.0)
    assert simulator.sizes == Sizes(tokens=2, messages=11, not_sent_events=6, definitions=2)
    assert simulator.counters.accepted_sends == 200
