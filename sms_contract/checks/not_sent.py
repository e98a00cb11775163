"""NOT-SENT: the list of messages that were not sent (``GET /messaging/v1/sms/messages/?type=
notSent``): its shape and paging fields on every run, and, when a message of the run is known
not to have been sent, that the list holds it.

The message known not sent is SEND-REJECT-TO-INVALID's first probe (a ``to`` that is not a
mobile number; shared, so it costs nothing more): a target that rejects it at once has no such
message, and then only the list's shape is judged. A target that accepts it and whose status
then says SMSNotSent must list it: the list is read page after page (``lastEventId``), waiting
up to ``--status-wait`` for it to appear.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from dataclasses import replace
from typing import Any

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
    not_applicable,
)
from sms_contract.checks.reading import as_int
from sms_contract.checks.validation import shared_probe
from sms_contract.exchange import Exchange
from sms_contract.outcomes import Category, Claim, Verdict
from sms_contract.spec.endpoints import MESSAGES_PATH, NOT_SENT
from sms_contract.spec.loading import load_spec

NOT_SENT_PAGE = (
    "https://developer.salesforce.com/docs/marketing/marketing-cloud/references/"
    "mc_rest_transactional_messaging_sms/getSMSMessagesNotSent.html"
)
PAGE_SIZE = 100
_PATH = f"{MESSAGES_PATH}?type=notSent&$pageSize={PAGE_SIZE}"


def list_step(message_key: str | None = None) -> Step:
    """GET the first page of the notSent list; with ``message_key``, page on (and wait) until
    a page lists it."""
    return Step(
        operation_id=NOT_SENT,
        method="GET",
        path=_PATH,
        expect=Expect.ANY,
        content_type=None,
        message_key=message_key,
        poll=None if message_key is None else Poll.LISTED,
    )


def _plan(ctx: PlanContext) -> Sequence[Case]:
    probe, status = shared_probe(ctx, "to-invalid")
    find = replace(list_step(probe.message_key), when=When.NOT_SENT)
    return [
        Case(
            "NOT-SENT#1",
            "NOT-SENT",
            f"the first page of the notSent list ($pageSize {PAGE_SIZE})",
            (list_step(),),
        ),
        Case(
            "NOT-SENT#2",
            "NOT-SENT",
            "SEND-REJECT-TO-INVALID's first probe: if it is accepted and its status then says "
            "SMSNotSent, the notSent list holds its messageKey",
            (probe, status, find),
            phase=Phase.MAY_ACCEPT,
        ),
    ]


def _messages(body: Any) -> list[Mapping[str, Any]]:
    messages = body.get("messages") if isinstance(body, Mapping) else None
    return [m for m in messages if isinstance(m, Mapping)] if isinstance(messages, list) else []


def judge_page(exchange: Exchange, *, index: int = 0) -> Iterator[Judgement]:
    """One page of the list: 200, the documented schema, at most $pageSize messages, each
    SMSNotSent, oldest first (eventID), and a lastEventID to ask for the next page by."""
    response = exchange.response
    if response is None:  # pragma: no cover - the runner does not judge a lost answer
        yield Judgement(Verdict.INCOMPLETE, "not judged: no response to the list read")
        return
    if response.status == 403:
        yield Judgement(
            Verdict.INCOMPLETE,
            "not judged: HTTP 403 (the credentials may lack the tracking_events_read and "
            "sms_read scopes the list needs)",
        )
        return
    if response.status != 200:
        yield Judgement(
            Verdict.FAIL,
            f"the notSent list answered HTTP {response.status}, documented 200",
            exchange_index=index,
        )
        return
    body = response.json_or_none()
    issues = load_spec().validate_response(NOT_SENT, 200, body, "application/json")
    for issue in issues:
        yield Judgement(
            Verdict.FAIL, f"notSent body {issue.json_path}: {issue.message}", exchange_index=index
        )
    if issues:
        return
    messages = _messages(body)
    if len(messages) > PAGE_SIZE:
        yield Judgement(
            Verdict.FAIL,
            f"a page of $pageSize {PAGE_SIZE} holds {len(messages)} messages",
            exchange_index=index,
        )
    categories = {m.get("eventCategoryType") for m in messages} - {None}
    others = sorted(str(c) for c in categories if not str(c).endswith("SMSNotSent"))
    if others:
        yield Judgement(
            Verdict.FAIL,
            f"the notSent list holds messages of eventCategoryType {', '.join(others)}",
            exchange_index=index,
        )
    ids = [as_int(m.get("eventID")) for m in messages]
    known = [i for i in ids if i is not None]
    if known != sorted(known):
        yield Judgement(
            Verdict.FAIL,
            "the messages are not ordered from oldest to newest (eventID decreases)",
            exchange_index=index,
        )
    if messages and isinstance(body, Mapping) and "lastEventID" not in body:
        yield Judgement(
            Verdict.FAIL,
            "a page with messages has no lastEventID: the next page cannot be asked for",
            exchange_index=index,
        )


def _judge(case: Case, exchanges: Sequence[Exchange]) -> Iterator[Judgement]:
    if case.id == "NOT-SENT#1":
        yield from judge_page(exchanges[0])
        return
    if len(exchanges) < 3:
        yield not_applicable(
            "not judged: no message of this run is known not sent (SEND-REJECT-TO-INVALID's "
            "first probe was rejected at once, or its status did not say SMSNotSent)"
        )
        return
    found = list(judge_page(exchanges[2], index=2))
    if found:
        yield from found
        return
    key = case.steps[2].message_key or ""
    listed = [
        m
        for m in _messages(exchanges[2].response.json_or_none() if exchanges[2].response else None)
        if isinstance(m.get("info"), Mapping) and m["info"].get("messageKey") == key
    ]
    if not listed:
        yield Judgement(
            Verdict.FAIL,
            f"the message sent with key {key!r} has the status SMSNotSent, and the notSent "
            "list did not hold it within the wait (--status-wait), read to its end",
            exchange_index=2,
        )


NOT_SENT_LIST = Check(
    id="NOT-SENT",
    title="The notSent list is paged as documented and holds a message known not sent",
    category=Category.DELIVERY,
    claim=Claim(
        text="GET /messaging/v1/sms/messages/?type=notSent answers 200 with the documented "
        "body (messages[], lastEventID, count), at most $pageSize messages, all SMSNotSent, "
        "oldest first, paged by lastEventId; a message whose status is SMSNotSent is listed.",
        source=NOT_SENT_PAGE,
        quote="Gets a paginated list of messages that were not sent, ordered from oldest to "
        "newest. / lastEventId: Event ID from which you want the response to start.",
    ),
    plan=_plan,
    judge=_judge,
    operations=frozenset({NOT_SENT}),
)

CHECKS = (NOT_SENT_LIST,)
