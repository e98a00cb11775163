"""Checks on the message status route: a status after a send, and what an unknown key gets."""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence

from sms_contract.checks.generated import valid_send
from sms_contract.checks.model import Case, Check, Expect, Judgement, PlanContext, Step, send_step
from sms_contract.checks.reading import read_send
from sms_contract.exchange import Exchange
from sms_contract.outcomes import Category, Claim, Verdict
from sms_contract.spec.endpoints import SEND_STATUS, message_path

STATUS_PAGE = (
    "https://developer.salesforce.com/docs/marketing/marketing-cloud/references/"
    "mc_rest_transactional_messaging_sms/getSMSSendStatusForRecipient.html"
)
EVENT_CATEGORIES = frozenset(
    f"TransactionalSendEvents.{name}" for name in ("SMSSent", "SMSNotSent", "SMSQueued")
)


def status_step(message_key: str, expect: Expect) -> Step:
    return Step(
        operation_id=SEND_STATUS,
        method="GET",
        path=message_path(message_key),
        expect=expect,
        message_key=message_key,
    )


def _plan_after_send(ctx: PlanContext) -> Sequence[Case]:
    valid = valid_send(ctx, offset=3)
    key = ctx.key(valid.message_key, "status")
    steps = (send_step(key, valid.json_body, Expect.ACCEPT), status_step(key, Expect.ACCEPT))
    return [Case("STATUS-AFTER-SEND#1", "STATUS-AFTER-SEND", "a send, then its status", steps)]


def _judge_after_send(case: Case, exchanges: Sequence[Exchange]) -> Iterator[Judgement]:
    sent = exchanges[0].response
    if sent is None or not read_send(sent).accepted:
        yield Judgement(
            Verdict.OBSERVED, "the send was not accepted, so it has no status", exchange_index=0
        )
        return
    response = exchanges[1].response
    if response is None:
        yield Judgement(Verdict.FAIL, "no response to the status request", exchange_index=1)
        return
    if response.status == 404:
        yield Judgement(
            Verdict.OBSERVED,
            "HTTP 404 right after an accepted send: the status was not yet available",
            exchange_index=1,
        )
        return
    body = response.json_or_none()
    if response.status != 200 or not isinstance(body, Mapping):
        yield Judgement(
            Verdict.FAIL,
            f"the status of an accepted send got HTTP {response.status}, documented 200",
            exchange_index=1,
        )
        return
    category = body.get("eventCategoryType")
    if category not in EVENT_CATEGORIES:
        yield Judgement(
            Verdict.FAIL,
            f"eventCategoryType {category!r} is not one of {sorted(EVENT_CATEGORIES)}",
            exchange_index=1,
        )


STATUS_AFTER_SEND = Check(
    id="STATUS-AFTER-SEND",
    title="The status of an accepted send has a documented eventCategoryType",
    category=Category.DELIVERY,
    claim=Claim(
        text="GET /messaging/v1/sms/messages/{messageKey} answers 200 with eventCategoryType "
        "SMSSent, SMSNotSent or SMSQueued (TransactionalSendEvents.*).",
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
    step = status_step(key, Expect.ANY)
    return [
        Case(
            "STATUS-UNKNOWN-KEY#1", "STATUS-UNKNOWN-KEY", "the status of a key never sent", (step,)
        )
    ]


def _judge_unknown(case: Case, exchanges: Sequence[Exchange]) -> Iterator[Judgement]:
    response = exchanges[0].response
    if response is None:
        yield Judgement(Verdict.FAIL, "no response to the status request")
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
        code = body.get("errorcode") if isinstance(body, Mapping) else None
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
