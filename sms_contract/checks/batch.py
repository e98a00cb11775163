"""Checks on sending to several recipients at once (``POST /messaging/v1/sms/messages/``).

The reference page's own sentence, "Each recipient in a request must have a unique messageKey.
If you use a duplicate messageKey in the same send request, the message is rejected", and the
batch page's partial failure (HTTP 202, top-level errorcode 109001, the failed recipient's
errorcode and message in its ``responses[]`` item, the others queued) are judged here. Every
recipient carries a messageKey made unique to the run, so that each ``responses[]`` item can
be matched to the recipient it answers. A batch counts against the send budget once per
recipient (``Step.accepts``: what a conformant target accepts of it; ``most_sends``: all of
it). A batch is retried only when the platform cannot have acted on it (it was not sent, or
it was answered 429): its path holds no key, so the platform could not tell a retry.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from typing import Any

from sms_contract.checks.model import (
    Case,
    Check,
    Expect,
    Judgement,
    Phase,
    PlanContext,
    Step,
)
from sms_contract.checks.reading import Answer, as_int, off_form, read_send
from sms_contract.exchange import Exchange
from sms_contract.outcomes import Category, Claim, Verdict
from sms_contract.spec.endpoints import MESSAGES_PATH, SEND_BATCH
from sms_contract.spec.loading import load_spec
from sms_contract.spec.rules import RESPONSES_HAS_ERRORS, SEND_PAGE

BATCH_PAGE = (
    "https://developer.salesforce.com/docs/marketing/marketing-cloud/references/"
    "mc_rest_transactional_messaging_sms/sendSMSMessageMultipleRecipients.html"
)


def documented_batch(ctx: PlanContext, tag: str) -> dict[str, Any]:
    """The batch page's example request with the run's definitionKey, its recipients' numbers
    from the allow-list (in turn) and their messageKeys made unique to the run and ``tag``."""
    body: dict[str, Any] = load_spec().example(SEND_BATCH, "request")
    body["definitionKey"] = ctx.definition_key
    for n, recipient in enumerate(body["recipients"]):
        recipient["to"] = ctx.allow_list[n % len(ctx.allow_list)]
        recipient["messageKey"] = ctx.key(recipient["messageKey"], f"{tag}{n + 1}")
    return body


def batch_step(body: Any, expect: Expect, *, accepts: int | None = None) -> Step:
    """A batch send of a JSON body; billable once per recipient."""
    return Step(
        operation_id=SEND_BATCH,
        method="POST",
        path=MESSAGES_PATH,
        expect=expect,
        json=body,
        billable=True,
        accepts=accepts,
    )


def _keys(body: Any) -> list[str]:
    items = body.get("recipients") if isinstance(body, Mapping) else None
    return [str(item.get("messageKey")) for item in items or () if isinstance(item, Mapping)]


def _items(answer_body: Any) -> list[Mapping[str, Any]]:
    items = answer_body.get("responses") if isinstance(answer_body, Mapping) else None
    return [item for item in items if isinstance(item, Mapping)] if isinstance(items, list) else []


def _failed(item: Mapping[str, Any]) -> bool:
    code = item.get("errorcode", item.get("errorCode"))
    return code is not None and as_int(code) != 0


def _case(check_id: str, description: str, step: Step, phase: Phase) -> Case:
    return Case(f"{check_id}#1", check_id, description, (step,), phase=phase)


# --- SEND-BATCH-ACCEPTED ----------------------------------------------------------------------


def _plan_accepted(ctx: PlanContext) -> Sequence[Case]:
    body = documented_batch(ctx, "batch")
    count = len(body["recipients"])
    step = batch_step(body, Expect.ACCEPT, accepts=count)
    description = (
        f"the batch page's example request ({count} recipients, each with its own messageKey, "
        "and request-level attributes)"
    )
    return [_case("SEND-BATCH-ACCEPTED", description, step, Phase.SHARED)]


def _judge_accepted(case: Case, exchanges: Sequence[Exchange]) -> Iterator[Judgement]:
    step, exchange = case.steps[0], exchanges[0]
    off = off_form(step, exchange)
    if off is not None:
        yield off
        return
    read = read_send(exchange)
    if not read.accepted:
        yield Judgement(
            Verdict.FAIL,
            f"a valid batch was not accepted: got {read.describe()}, documented 202 Accepted "
            "with errorcode 0",
        )
        return
    sent = _keys(step.json)
    echoed = [item.get("messageKey") for item in _items(read.body)]
    if len(echoed) != len(sent):
        yield Judgement(
            Verdict.FAIL,
            f"{len(sent)} recipients were sent and responses[] holds {len(echoed)} items: "
            "documented one item per recipient",
        )
    missing = [key for key in sent if echoed.count(key) != 1]
    if missing:
        shown = ", ".join(repr(key) for key in missing)
        yield Judgement(
            Verdict.FAIL,
            f"responses[] does not echo each recipient's messageKey exactly once: {shown} "
            f"(echoed: {', '.join(repr(k) for k in echoed) or 'none'})",
        )


SEND_BATCH_ACCEPTED = Check(
    id="SEND-BATCH-ACCEPTED",
    title="A valid batch is accepted with one responses[] item per recipient, echoing its key",
    category=Category.IDENTITY,
    claim=Claim(
        text="A batch send with recipients[] (each with its own messageKey) is accepted with "
        "202, errorcode 0 and one responses[] item per recipient, each naming that "
        "recipient's messageKey.",
        source=BATCH_PAGE,
        quote='HTTP/1.1 202 Accepted {"requestId": "ccdb94bf-…", "errorcode": 0, "responses": '
        '[{"messageKey": "nFL4ULgheUeaGbPIMzJJSw"}, {"messageKey": "GV1LhQ6NFkqFUAE1IsoQ9Q"}]}',
    ),
    plan=_plan_accepted,
    judge=_judge_accepted,
    operations=frozenset({SEND_BATCH}),
)


# --- SEND-BATCH-DUPLICATE-KEY -----------------------------------------------------------------


def _plan_duplicate(ctx: PlanContext) -> Sequence[Case]:
    body = documented_batch(ctx, "dup")
    key = body["recipients"][0]["messageKey"]
    for recipient in body["recipients"]:
        recipient["messageKey"] = key
    # A conformant target rejects the request, or the second recipient (accepting the first).
    step = batch_step(body, Expect.REJECT, accepts=1)
    description = (
        f"the batch page's example request with the same messageKey on both of its "
        f"{len(body['recipients'])} recipients"
    )
    return [_case("SEND-BATCH-DUPLICATE-KEY", description, step, Phase.SHARED)]


def _judge_duplicate(case: Case, exchanges: Sequence[Exchange]) -> Iterator[Judgement]:
    step, exchange = case.steps[0], exchanges[0]
    off = off_form(step, exchange)
    if off is not None:
        yield off
        return
    read = read_send(exchange)
    if read.answer is Answer.REJECTED_HTTP:
        return  # rejected for the request: one documented reading
    if read.answer is Answer.SERVER_ERROR:
        yield Judgement(
            Verdict.FAIL, f"got {read.describe()} for a batch that repeats a messageKey"
        )
        return
    if read.status != 202:
        yield Judgement(
            Verdict.FAIL,
            f"got {read.describe()} for a batch that repeats a messageKey, documented a "
            "rejection of the request or of the recipient",
        )
        return
    items = _items(read.body)
    if any(_failed(item) for item in items):
        return  # rejected for the recipient: the other documented reading
    accepted = len(items) or len(_keys(step.json))
    yield Judgement(
        Verdict.FAIL,
        f"a batch with the same messageKey on {len(_keys(step.json))} recipients was accepted "
        f"(HTTP 202, errorcode {0 if read.errorcode is None else read.errorcode}, {accepted} "
        "item(s) without an error): documented, the message is rejected",
    )


SEND_BATCH_DUPLICATE_KEY = Check(
    id="SEND-BATCH-DUPLICATE-KEY",
    title="The same messageKey twice in one request is rejected",
    category=Category.IDEMPOTENCY,
    claim=Claim(
        text="Each recipient in a request must have a unique messageKey: a batch that repeats "
        "one is rejected, for the request (4xx) or for the repeated recipient (202 with "
        "errorcode 109001 and the recipient's errorcode); the documentation does not say which.",
        source=SEND_PAGE,
        quote="Each recipient in a request must have a unique messageKey. If you use a "
        "duplicate messageKey in the same send request, the message is rejected.",
    ),
    plan=_plan_duplicate,
    judge=_judge_duplicate,
    operations=frozenset({SEND_BATCH}),
)


# --- SEND-BATCH-PARTIAL -----------------------------------------------------------------------


def _plan_partial(ctx: PlanContext) -> Sequence[Case]:
    body = documented_batch(ctx, "part")
    bad = body["recipients"][1]
    del bad["to"]  # the batch page's partial failure: 109106 MissingRequiredField_to
    del bad["contactKey"]  # and no contactKey either: invalid under every reading
    step = batch_step(body, Expect.REJECT, accepts=len(body["recipients"]) - 1)
    description = (
        "the batch page's example request with the second recipient's to and contactKey "
        "removed (the first stays valid)"
    )
    return [_case("SEND-BATCH-PARTIAL", description, step, Phase.SHARED)]


def _judge_partial(case: Case, exchanges: Sequence[Exchange]) -> Iterator[Judgement]:
    step, exchange = case.steps[0], exchanges[0]
    off = off_form(step, exchange)
    if off is not None:
        yield off
        return
    read = read_send(exchange)
    documented = (
        "documented: 202 with top-level errorcode 109001 and message, the failed "
        "recipient's errorcode and message in its responses[] item, the others queued"
    )
    if read.status != 202:
        whole = " (the valid recipient was refused with it)" if read.rejected else ""
        yield Judgement(Verdict.FAIL, f"got {read.describe()}{whole}; {documented}")
        return
    good_key, bad_key = _keys(step.json)[:2]
    items = {item.get("messageKey"): item for item in _items(read.body)}
    bad, good = items.get(bad_key), items.get(good_key)
    if bad is None or not _failed(bad):
        yield Judgement(
            Verdict.FAIL,
            "a recipient without to (and without contactKey) was "
            + ("not answered by any responses[] item" if bad is None else "accepted")
            + f"; {documented}",
        )
        return
    if not isinstance(bad.get("message"), str) or not bad["message"]:
        yield Judgement(
            Verdict.FAIL, f"the failed recipient's responses[] item has no message; {documented}"
        )
    if as_int(read.errorcode) != RESPONSES_HAS_ERRORS:
        yield Judgement(
            Verdict.FAIL,
            f"top-level errorcode {read.errorcode!r} with a failed recipient; {documented}",
        )
    elif not isinstance(read.body, Mapping) or not isinstance(read.body.get("message"), str):
        yield Judgement(Verdict.FAIL, f"the 109001 answer has no top-level message; {documented}")
    if good is None or _failed(good):
        yield Judgement(
            Verdict.FAIL,
            "the valid recipient was "
            + ("not answered by any responses[] item" if good is None else "rejected too")
            + f"; {documented}",
        )


SEND_BATCH_PARTIAL = Check(
    id="SEND-BATCH-PARTIAL",
    title="A batch with one bad recipient is a partial failure: 202 + 109001, the others queued",
    category=Category.VALIDATION,
    claim=Claim(
        text="A batch where one recipient fails validation is answered 202 with top-level "
        "errorcode 109001 (ResponsesHasErrors) and message; that recipient's responses[] item "
        "carries its errorcode and message, and the other recipients are queued (no error).",
        source=BATCH_PAGE,
        quote='{"errorcode": 109001, "message": "MCMS_UTM_ResponsesHasErrors: 1 subscribers '
        'failed to queue out of 2", "responses": [{"messageKey": "gHQ3VLsfCEOuAC2sl-CV1Q", '
        '"errorcode": 109106, "message": "MCMS_UTM_Validation_MissingRequiredField_to: Invalid '
        'subscriber"}, {"messageKey": "oixAQE_zFUyr8bT8sJncdw"}]}',
    ),
    plan=_plan_partial,
    judge=_judge_partial,
    operations=frozenset({SEND_BATCH}),
)


# --- SEND-BATCH-RECIPIENT-AND-RECIPIENTS, SEND-BATCH-EMPTY ------------------------------------


def _plan_both(ctx: PlanContext) -> Sequence[Case]:
    body = documented_batch(ctx, "both")
    body["recipient"] = dict(body["recipients"][0], messageKey=ctx.key("single", "both"))
    step = batch_step(body, Expect.REJECT)
    description = "the batch page's example request with a recipient object beside recipients"
    return [_case("SEND-BATCH-RECIPIENT-AND-RECIPIENTS", description, step, Phase.PROBE)]


def _plan_empty(ctx: PlanContext) -> Sequence[Case]:
    body = {"definitionKey": ctx.definition_key, "recipients": []}
    step = batch_step(body, Expect.REJECT)
    return [_case("SEND-BATCH-EMPTY", "a batch whose recipients array is empty", step, Phase.PROBE)]


def _judge_rejected(case: Case, exchanges: Sequence[Exchange]) -> Iterator[Judgement]:
    step, exchange = case.steps[0], exchanges[0]
    off = off_form(step, exchange)
    if off is not None:
        yield off
        return
    read = read_send(exchange)
    if read.rejected:
        return
    if read.accepted:
        yield Judgement(
            Verdict.FAIL,
            f"{case.description} was accepted, {read.describe()}: documented, the request is "
            "refused",
        )
        return
    yield Judgement(
        Verdict.FAIL if read.answer is Answer.SERVER_ERROR else Verdict.OBSERVED,
        f"got {read.describe()} where a documented rejection (4xx with the error body, or 202 "
        "with a non-zero errorcode) was expected",
    )


SEND_BATCH_RECIPIENT_AND_RECIPIENTS = Check(
    id="SEND-BATCH-RECIPIENT-AND-RECIPIENTS",
    title="A batch with recipient beside recipients is rejected",
    category=Category.VALIDATION,
    claim=Claim(
        text="A batch send carrying both recipients[] and a recipient object is rejected "
        "(4xx with the error body, or 202 with a non-zero errorcode).",
        source=BATCH_PAGE,
        quote="If this array is present in the request, the recipient object ... can't be "
        "included in the request.",
    ),
    plan=_plan_both,
    judge=_judge_rejected,
    operations=frozenset({SEND_BATCH}),
)
SEND_BATCH_EMPTY = Check(
    id="SEND-BATCH-EMPTY",
    title="A batch with an empty recipients array is rejected",
    category=Category.VALIDATION,
    claim=Claim(
        text="A batch send whose recipients[] is empty names nobody to send to and is rejected "
        "(4xx with the error body, or 202 with a non-zero errorcode; 109102 NoSubscribers is "
        "the code whose name fits, the documentation gives none for this case).",
        source=BATCH_PAGE,
        quote="recipients array Required: Array of recipient objects that contain parameters "
        "and metadata for the recipients.",
    ),
    plan=_plan_empty,
    judge=_judge_rejected,
    operations=frozenset({SEND_BATCH}),
)

CHECKS = (
    SEND_BATCH_ACCEPTED,
    SEND_BATCH_DUPLICATE_KEY,
    SEND_BATCH_PARTIAL,
    SEND_BATCH_RECIPIENT_AND_RECIPIENTS,
    SEND_BATCH_EMPTY,
)
