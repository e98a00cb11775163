"""GET /messaging/v1/sms/messages/{messageKey} and GET .../messages/?type=notSent."""

from __future__ import annotations

import re

import pytest

from sms_contract.simulator.clock import ManualClock
from tests.simulator.conftest import MESSAGES, Api, payload, recipient

TIMESTAMP = re.compile(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{1,3}")
COMPOSITE = re.compile(r"[0-9A-F]{8}(-[0-9A-F]{4}){3}-[0-9A-F]{12}\.\d+\.\d+\.1\.\d+")
UUID = re.compile(r"[0-9a-f]{8}(-[0-9a-f]{4}){3}-[0-9a-f]{12}")
START = 1_700_000_000.0  # 2023-11-14T22:13:20Z, 16:13:20 in CST


def test_sent_status_has_the_documented_shape(api: Api) -> None:
    """An accepted send to an active definition reads back as SMSSent."""
    assert api.send("sent-1").status == 202
    response = api.status("sent-1")
    body = response.json()
    assert response.status == 200
    assert sorted(body) == ["compositeId", "eventCategoryType", "info", "requestId", "timestamp"]
    assert UUID.fullmatch(body["requestId"])
    assert body["eventCategoryType"] == "TransactionalSendEvents.SMSSent"
    assert body["timestamp"] == "2023-11-14T16:13:20.0"
    assert COMPOSITE.fullmatch(body["compositeId"])
    assert body["info"] == {"messageKey": "sent-1", "contactKey": "Astro25"}


def test_composite_id_is_the_same_on_every_read(api: Api) -> None:
    """compositeId, made on the first read, stays that send's identifier."""
    api.send("read-twice")
    first, second = api.status("read-twice").json(), api.status("read-twice").json()
    assert COMPOSITE.fullmatch(first["compositeId"])
    assert first["compositeId"] == second["compositeId"]
    assert first["requestId"] != second["requestId"]


def test_timestamp_is_central_standard_time_with_milliseconds(api: Api, clock: ManualClock) -> None:
    """The event time is UTC-6 without zone designator, fraction trimmed like the examples."""
    clock.advance(0.55)
    api.send("timed")
    assert api.status("timed").json()["timestamp"] == "2023-11-14T16:13:20.55"
    assert TIMESTAMP.fullmatch(api.status("timed").json()["timestamp"])


def test_send_to_inactive_definition_is_queued(api: Api) -> None:
    """A send to an inactive definition stays SMSQueued (the documented minimal body)."""
    api.send("queued-1", payload(definitionKey="reminder-inactive"))
    body = api.status("queued-1").json()
    assert sorted(body) == ["eventCategoryType", "requestId", "timestamp"]
    assert body["eventCategoryType"] == "TransactionalSendEvents.SMSQueued"


@pytest.mark.parametrize(
    ("to", "code", "reason"),
    [("15555550100", 129, "PhoneNumberValidationFailed"), ("15555550199", 1, "Unsubscribed")],
)
def test_configured_numbers_end_as_not_sent(api: Api, to: str, code: int, reason: str) -> None:
    """Accepted sends to the configured numbers read back as SMSNotSent with the reason."""
    assert api.send("ns", payload(recipient=recipient(to=to))).status == 202
    body = api.status("ns").json()
    assert body["eventCategoryType"] == "TransactionalSendEvents.SMSNotSent"
    assert body["info"] == {
        "messageKey": "ns",
        "contactKey": "Astro25",
        "statusCode": code,
        "statusMessage": reason,
    }


def test_unknown_key_is_404_with_30003(api: Api) -> None:
    """A key never sent is 404 Object Not Found."""
    response = api.status("never-sent")
    body = response.json()
    assert (response.status, body["errorcode"]) == (404, 30003)
    assert sorted(body) == ["documentation", "errorcode", "message"]


def test_status_is_kept_three_days(api: Api, clock: ManualClock) -> None:
    """Statuses are readable up to 3 days, then 404."""
    api.send("old")
    clock.advance(3 * 86_400.0 - 1)
    api.login()
    assert api.status("old").status == 200
    clock.advance(1)
    api.login()
    assert api.status("old").status == 404


def test_reused_key_after_window_shows_the_latest_send(api: Api, clock: ManualClock) -> None:
    """After the window a key can be reused; status describes the most recent send."""
    api.send("again", payload(definitionKey="reminder-inactive"))
    clock.advance(2 * 86_400.0)
    api.login()
    assert api.send("again").status == 202
    assert api.status("again").json()["eventCategoryType"] == "TransactionalSendEvents.SMSSent"


def _not_sent(api: Api, number: int) -> None:
    for index in range(number):
        to = "15555550100" if index % 2 else "15555550199"
        api.send(f"ns-{index}", payload(recipient=recipient(to=to)))


def test_not_sent_list_pages_by_event_id(api: Api) -> None:
    """Not-sent events are listed oldest first, $pageSize at a time, from lastEventId."""
    _not_sent(api, 3)
    first = api.call("GET", MESSAGES + "?type=notSent&$pageSize=2").json()
    assert sorted(first) == ["count", "lastEventID", "messages", "pageSize", "requestId"]
    assert UUID.fullmatch(first["requestId"])
    assert (first["count"], first["pageSize"]) == (2, 2)
    assert first["lastEventID"] == 2
    assert [m["info"]["messageKey"] for m in first["messages"]] == ["ns-0", "ns-1"]
    assert first["messages"][0] == {
        "statusCode": 1,
        "statusMessage": "Unsubscribed",
        "eventCategoryType": "TransactionalSendEvents.SMSNotSent",
        "timestamp": "2023-11-14T16:13:20.0",
        "definitionKey": "account-reset",
        "eventID": 1,
        "info": {"messageKey": "ns-0", "contactKey": "Astro25"},
    }
    rest = api.call("GET", MESSAGES + "?type=notSent&$pagesize=2&lastEventId=2").json()
    assert (rest["count"], rest["lastEventID"], rest["pageSize"]) == (1, 3, 2)
    empty = api.call("GET", MESSAGES + "?type=notSent&lastEventId=3").json()
    assert UUID.fullmatch(empty.pop("requestId"))
    assert empty == {"lastEventID": 3, "messages": [], "count": 0, "pageSize": 50}


@pytest.mark.parametrize(
    ("query", "errorcode"),
    [
        ("", 10002),
        ("?type=sent", 10005),
        ("?type=notSent&$pageSize=0", 10005),
        ("?type=notSent&$pageSize=ten", 10005),
        ("?type=notSent&lastEventId=-1", 10005),
    ],
)
def test_not_sent_list_refuses_bad_queries(api: Api, query: str, errorcode: int) -> None:
    """type is required and only notSent; paging values are non-negative integers."""
    response = api.call("GET", MESSAGES + query)
    assert (response.status, response.json()["errorcode"]) == (400, errorcode)


def test_status_visible_after_hides_a_send_until_its_time(make_api, clock: ManualClock) -> None:
    """Until status_visible_after has passed, an accepted key reads like a never-sent one."""
    api, simulator = make_api(status_visible_after=5.0)
    assert api.send("lagging").status == 202
    early, unknown = api.status("lagging"), api.status("never-sent")
    assert (early.status, early.json()) == (404, unknown.json())
    assert early.json()["errorcode"] == 30003
    clock.advance(4.999)
    assert api.status("lagging").status == 404
    clock.advance(0.001)
    found = api.status("lagging")
    assert (found.status, found.json()["info"]["messageKey"]) == (200, "lagging")
    assert simulator.counters.accepted_sends == 1


def test_status_visible_after_does_not_delay_the_not_sent_list(make_api) -> None:
    """The not-sent list shows an event at once; only GET status lags."""
    api, _ = make_api(status_visible_after=60.0)
    api.send("ns-lag", payload(recipient=recipient(to="15555550100")))
    assert api.status("ns-lag").status == 404
    listed = api.call("GET", MESSAGES + "?type=notSent").json()
    assert [m["info"]["messageKey"] for m in listed["messages"]] == ["ns-lag"]


ASYNC_CASES = [
    # rule, payload, subscriber code and message when deferred, errorcode when not
    (
        "to-invalid",
        payload(recipient=recipient(to="12")),
        129,
        "PhoneNumberValidationFailed",
        109121,
    ),
    (
        "contact-key-missing",
        payload(recipient=recipient(contactKey=None)),
        8,
        "MissingSubscriberID",
        109105,
    ),
    (
        "definition-key-unknown",
        payload(definitionKey="no-such-definition"),
        15,
        "UnspecifiedError",
        109111,
    ),
]
ASYNC_IDS = [case[0] for case in ASYNC_CASES]


@pytest.mark.parametrize(("rule", "body", "code", "reason", "sync"), ASYNC_CASES, ids=ASYNC_IDS)
def test_async_rule_is_accepted_then_not_sent(
    make_api, rule: str, body: dict[str, object], code: int, reason: str, sync: int
) -> None:
    """A deferred rule: 202 with the acceptance body, counted, then SMSNotSent and listed."""
    api, simulator = make_api(async_rules=frozenset({rule}))
    response = api.send("deferred", body)
    answer = response.json()
    assert response.status == 202
    assert (answer["errorcode"], answer["responses"]) == (0, [{"messageKey": "deferred"}])
    counters = simulator.counters
    assert (counters.accepted_sends, counters.rejected_sends) == (1, 0)
    status = api.status("deferred").json()
    assert status["eventCategoryType"] == "TransactionalSendEvents.SMSNotSent"
    assert (status["info"]["statusCode"], status["info"]["statusMessage"]) == (code, reason)
    listed = api.call("GET", MESSAGES + "?type=notSent").json()
    assert [(m["statusCode"], m["statusMessage"]) for m in listed["messages"]] == [(code, reason)]
    assert listed["messages"][0]["info"]["messageKey"] == "deferred"


@pytest.mark.parametrize(("rule", "body", "code", "reason", "sync"), ASYNC_CASES, ids=ASYNC_IDS)
def test_without_async_rules_the_same_send_is_rejected_at_once(
    api: Api, rule: str, body: dict[str, object], code: int, reason: str, sync: int
) -> None:
    """The default stays synchronous: each of those payloads is a 400, nothing stored."""
    response = api.send("sync", body)
    assert (response.status, response.json()["errorcode"]) == (400, sync)
    assert api.status("sync").status == 404


def test_a_rule_not_deferred_still_rejects_after_a_deferred_one(make_api) -> None:
    """Deferring definition-key-unknown does not defer a later broken rule (to missing)."""
    api, simulator = make_api(async_rules=frozenset({"definition-key-unknown"}))
    body = payload(definitionKey="no-such-definition", recipient=recipient(to=None))
    response = api.send("still-rejected", body)
    assert (response.status, response.json()["errorcode"]) == (400, 109106)
    assert (simulator.counters.accepted_sends, simulator.counters.rejected_sends) == (0, 1)


def test_the_first_deferred_rule_broken_gives_the_status_code(make_api) -> None:
    """to-invalid comes before contact-key-missing: a send breaking both ends as 129."""
    api, _ = make_api(async_rules=frozenset({"to-invalid", "contact-key-missing"}))
    body = payload(recipient=recipient(to="12", contactKey=""))
    assert api.send("both", body).status == 202
    assert api.status("both").json()["info"]["statusCode"] == 129


def test_deferred_failure_on_an_inactive_definition_is_not_queued(make_api) -> None:
    """A send failing a deferred rule is SMSNotSent at once, even to an inactive definition."""
    api, _ = make_api(async_rules=frozenset({"to-invalid"}))
    api.send("inactive", payload(definitionKey="reminder-inactive", recipient=recipient(to="1")))
    body = api.status("inactive").json()
    assert body["eventCategoryType"] == "TransactionalSendEvents.SMSNotSent"
    assert (
        api.call("GET", "/messaging/v1/sms/definitions/reminder-inactive/queue").json()["count"]
        == 0
    )
