"""Checks on the message status route: the status after a send, and what an unknown key gets.

Sends are asynchronous: a status may not be there at once. A status read polls with backoff
(up to ``--status-wait`` seconds; the simulator answers at once) until the route knows the
message; 404 for the whole wait is a failure. The status body is judged: its schema, its
``info.messageKey`` (the key sent), and a documented eventCategoryType.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from dataclasses import replace

from sms_contract.checks.model import (
    Case,
    Check,
    Expect,
    Judgement,
    Phase,
    PlanContext,
    Poll,
    Step,
    When,
)
from sms_contract.checks.reading import read_send
from sms_contract.checks.shared import echo_sends, example_send
from sms_contract.client.results import raw_errorcode
from sms_contract.exchange import Exchange
from sms_contract.outcomes import Category, Claim, Verdict
from sms_contract.spec.endpoints import SEND_STATUS, message_path
from sms_contract.spec.loading import load_spec

STATUS_PAGE = (
    "https://developer.salesforce.com/docs/marketing/marketing-cloud/references/"
    "mc_rest_transactional_messaging_sms/getSMSSendStatusForRecipient.html"
)
EVENT_CATEGORIES = frozenset(
    f"TransactionalSendEvents.{name}" for name in ("SMSSent", "SMSNotSent", "SMSQueued")
)
_QUEUED = "TransactionalSendEvents.SMSQueued"


def status_step(message_key: str, poll: Poll | None = None) -> Step:
    """GET the status of ``message_key``; with ``poll``, waiting for the platform."""
    return Step(
        operation_id=SEND_STATUS,
        method="GET",
        path=message_path(message_key),
        expect=Expect.ANY,
        content_type=None,
        message_key=message_key,
        poll=poll,
    )


def _after(step: Step) -> Step:
    """Read only if the send before was accepted (a refused send has no status to wait for)."""
    return replace(step, when=When.ACCEPTED)


def _plan_after_send(ctx: PlanContext) -> Sequence[Case]:
    example = example_send(ctx)
    reserved = dict(echo_sends(ctx))["reserved"]
    return [
        Case(
            "STATUS-AFTER-SEND#1",
            "STATUS-AFTER-SEND",
            "the documented example's send, then its status",
            (example, _after(status_step(example.message_key or "", Poll.VISIBLE))),
            phase=Phase.SHARED,
        ),
        Case(
            "STATUS-AFTER-SEND#2",
            "STATUS-AFTER-SEND",
            "a send whose messageKey holds / % ? # + and a space, then its status",
            (reserved, _after(status_step(reserved.message_key or "", Poll.VISIBLE))),
            phase=Phase.SHARED,
        ),
    ]


def judge_status_body(response_body: object, key: str, *, index: int = 1) -> Iterator[Judgement]:
    """A 200 status body: its schema, a documented eventCategoryType, and info.messageKey."""
    for issue in load_spec().validate_response(SEND_STATUS, 200, response_body, "application/json"):
        yield Judgement(
            Verdict.FAIL, f"status body {issue.json_path}: {issue.message}", exchange_index=index
        )
    if not isinstance(response_body, Mapping):
        return
    category = response_body.get("eventCategoryType")
    if category not in EVENT_CATEGORIES:
        yield Judgement(
            Verdict.FAIL,
            f"eventCategoryType {category!r} is not one of {sorted(EVENT_CATEGORIES)}",
            exchange_index=index,
        )
        return
    info = response_body.get("info")
    echoed = info.get("messageKey") if isinstance(info, Mapping) else None
    if echoed is None and category == _QUEUED:
        return  # the documented SMSQueued example carries no info
    if echoed != key:
        yield Judgement(
            Verdict.FAIL,
            f"the status of the message sent with key {key!r} names info.messageKey {echoed!r}",
            exchange_index=index,
        )


def _judge_after_send(case: Case, exchanges: Sequence[Exchange]) -> Iterator[Judgement]:
    sent = read_send(exchanges[0], key_known=case.steps[0].key_known)
    if not sent.accepted:
        yield Judgement(
            Verdict.INCOMPLETE,
            f"not judged: the send was not accepted ({sent.describe()}), so it has no status",
        )
        return
    response = exchanges[1].response
    key = case.steps[1].message_key or ""
    if response is None:  # pragma: no cover - the runner does not judge a lost answer
        yield Judgement(Verdict.INCOMPLETE, "not judged: no response to the status read")
        return
    if response.status == 404:
        yield Judgement(
            Verdict.FAIL,
            "the status route answered 404 for the whole wait (--status-wait) after an "
            "accepted send: the message's status never became available",
            exchange_index=1,
        )
        return
    if response.status != 200:
        yield Judgement(
            Verdict.FAIL,
            f"the status of an accepted send got HTTP {response.status}, documented 200",
            exchange_index=1,
        )
        return
    body = response.json_or_none()
    if body is None:
        yield Judgement(Verdict.FAIL, "the 200 status body is not JSON", exchange_index=1)
        return
    yield from judge_status_body(body, key)


STATUS_AFTER_SEND = Check(
    id="STATUS-AFTER-SEND",
    title="The status of an accepted send is found, names its key, and is documented",
    category=Category.DELIVERY,
    claim=Claim(
        text="GET /messaging/v1/sms/messages/{messageKey} of an accepted send answers 200 (the "
        "send is asynchronous: within the wait) with a body of the documented schema, "
        "info.messageKey the key sent, and eventCategoryType SMSSent, SMSNotSent or SMSQueued "
        "(TransactionalSendEvents.*).",
        source=STATUS_PAGE,
        quote="SMSSent: sent to the SMS provider / SMSNotSent: not sent and includes the reason "
        "/ SMSQueued: not yet been processed for sending",
    ),
    plan=_plan_after_send,
    judge=_judge_after_send,
    operations=frozenset({SEND_STATUS}),
)


def _plan_unknown(ctx: PlanContext) -> Sequence[Case]:
    key = ctx.key("sms-contract-never-sent", "unknown")
    step = status_step(key)
    return [
        Case(
            "STATUS-UNKNOWN-KEY#1", "STATUS-UNKNOWN-KEY", "the status of a key never sent", (step,)
        )
    ]


def _judge_unknown(case: Case, exchanges: Sequence[Exchange]) -> Iterator[Judgement]:
    response = exchanges[0].response
    if response is None:  # pragma: no cover - the runner does not judge a lost answer
        yield Judgement(Verdict.INCOMPLETE, "not judged: no response to the status read")
        return
    body = response.json_or_none()
    if response.status >= 500:
        yield Judgement(Verdict.FAIL, f"HTTP {response.status} for a key that was never sent")
    elif response.status == 200 and isinstance(body, Mapping) and "eventCategoryType" in body:
        yield Judgement(
            Verdict.FAIL,
            f"a key that was never sent has a status ({body.get('eventCategoryType')!r})",
        )
    else:
        code = raw_errorcode(body) if isinstance(body, Mapping) else None
        yield Judgement(
            Verdict.OBSERVED,
            f"a key never sent gets HTTP {response.status}"
            + ("" if code is None else f" with errorcode {code}")
            + " (the documentation does not say which status an unknown key gets)",
        )


STATUS_UNKNOWN_KEY = Check(
    id="STATUS-UNKNOWN-KEY",
    title="What the status of a never-used messageKey gets (undocumented: observed)",
    category=Category.DELIVERY,
    claim=Claim(
        text="The documentation does not say what the status route answers for an unknown or "
        "expired key; the run records it. A status for a key never sent, or a 5xx, is a failure.",
        source=STATUS_PAGE,
        quote="You can use this GET request to retrieve statuses for messages that are up to 3 "
        "days old.",
        documented=False,
    ),
    plan=_plan_unknown,
    judge=_judge_unknown,
    operations=frozenset({SEND_STATUS}),
)

CHECKS = (STATUS_AFTER_SEND, STATUS_UNKNOWN_KEY)
