"""Checks on sending to one recipient: the documented example, acceptance of valid payloads,
the echoed messageKey, and the reuse of a messageKey. They read the run's shared sends
(:mod:`sms_contract.checks.shared`): one accepted send serves all of them."""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from dataclasses import replace

from sms_contract.checks.generated import valid_sends
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
    send_step,
)
from sms_contract.checks.reading import DUPLICATE_MESSAGE_KEY, Answer, off_form, read_send
from sms_contract.checks.shared import echo_sends, example_send, reuse_of
from sms_contract.checks.status import status_step
from sms_contract.exchange import Exchange
from sms_contract.outcomes import Category, Claim, Verdict
from sms_contract.spec.rules import SEND_PAGE


def judge_accepted(
    exchange: Exchange, step: Step, *, echo: bool = True, status: Exchange | None = None
) -> Iterator[Judgement]:
    """Fail unless the exchange is a documented acceptance (echoing the step's key when
    ``echo``); the answer to a key of a fixed text reused by an earlier run is not judged.
    When the acceptance's response was lost (the retry was refused as a duplicate, which
    echoes no key), the key's ``status`` read (``echo_fallback``) stands in for the echo."""
    off = off_form(step, exchange)
    if off is not None:
        yield off
        return
    read = read_send(exchange, key_known=step.key_known)
    key = step.message_key
    if not read.accepted:
        if step.key_fixed and read.rejected and read.has_errorcode(DUPLICATE_MESSAGE_KEY):
            yield Judgement(
                Verdict.INCOMPLETE,
                f"not judged: the messageKey {key!r} cannot carry the run's nonce and was "
                "refused as a duplicate (109110): an earlier run used it within its uniqueness "
                "window (2 days; 72 hours on other pages); it can be sent once per window per "
                "business unit",
            )
            return
        yield Judgement(
            Verdict.FAIL,
            f"a valid send was not accepted: got {read.describe()}, documented 202 Accepted "
            "with errorcode 0",
        )
        return
    if not echo or key is None:
        return
    if read.answer is Answer.ACCEPTED_EARLIER and not any(read.echoed_keys):
        yield from _echo_by_status(key, status)
        return
    if key not in read.echoed_keys:
        echoed = ", ".join(repr(k) for k in read.echoed_keys) or "none"
        yield Judgement(
            Verdict.FAIL,
            f"responses[].messageKey does not echo the key sent: sent {key!r} "
            f"({len(key)} characters), echoed {echoed}",
        )


def _echo_by_status(key: str, status: Exchange | None) -> Iterator[Judgement]:
    response = None if status is None else status.response
    body = response.json_or_none() if response is not None else None
    info = body.get("info") if isinstance(body, Mapping) else None
    named = info.get("messageKey") if isinstance(info, Mapping) else None
    if response is None or response.status != 200 or named is None:
        yield Judgement(
            Verdict.INCOMPLETE,
            "not judged: the acceptance's response was lost, the retry's answer (109110, "
            "accepted earlier) echoes no messageKey, and no status named it either",
        )
    elif named != key:
        yield Judgement(
            Verdict.FAIL,
            f"the acceptance's response was lost; the status of the message sent with key "
            f"{key!r} names info.messageKey {named!r}",
            exchange_index=1,
        )


def echo_fallback(sent: Step) -> Step:
    """The status read that stands in for a lost acceptance's echo (sent only then)."""
    return replace(status_step(sent.message_key or "", Poll.VISIBLE), when=When.ECHO_UNSEEN)


def _judge_first_accepted(case: Case, exchanges: Sequence[Exchange]) -> Iterator[Judgement]:
    status = exchanges[1] if len(exchanges) > 1 else None
    yield from judge_accepted(exchanges[0], case.steps[0], status=status)


# --- SEND-EXAMPLE -----------------------------------------------------------------------------


def _plan_example(ctx: PlanContext) -> Sequence[Case]:
    description = (
        "the documented example request (definitionKey and recipient.to taken from the run's "
        "configuration, messageKey made unique to the run)"
    )
    step = example_send(ctx)
    steps = (step, echo_fallback(step))
    return [Case("SEND-EXAMPLE#1", "SEND-EXAMPLE", description, steps, phase=Phase.SHARED)]


SEND_EXAMPLE = Check(
    id="SEND-EXAMPLE",
    title="The documented example request is accepted with the documented response",
    category=Category.EXAMPLES,
    claim=Claim(
        text="The example request on the reference page is accepted: 202 with requestId, "
        "errorcode 0 and responses[].messageKey equal to the key in the URL.",
        source=SEND_PAGE,
        quote='HTTP/1.1 202 Accepted {"requestId": "239a2bc3-…", "errorcode": 0, '
        '"responses": [{"messageKey": "f4fe74b7-c3c0-4e5a-9f49-b63a641109a2"}]}',
    ),
    plan=_plan_example,
    judge=_judge_first_accepted,
)


# --- SEND-ACCEPTED ----------------------------------------------------------------------------


def _plan_accepted(ctx: PlanContext) -> Sequence[Case]:
    cases = []
    shared = echo_sends(ctx)
    for n, (name, step) in enumerate(shared, start=1):
        description = f"generated valid payload {n} (sent with the echo check's {name} key)"
        cases.append(
            Case(f"SEND-ACCEPTED#{n}", "SEND-ACCEPTED", description, (step,), phase=Phase.SHARED)
        )
    # On top: generated payloads with generated keys, as the budget allows (``allocate``).
    for m, valid in enumerate(valid_sends(ctx, ctx.examples, offset=5), start=len(shared) + 1):
        key = ctx.key(valid.message_key, f"ok{m}")
        step = send_step(key, valid.json_body, Expect.ACCEPT)
        description = f"generated valid payload {m} (generated messageKey of {len(key)} characters)"
        cases.append(
            Case(
                f"SEND-ACCEPTED#{m}",
                "SEND-ACCEPTED",
                description,
                (step,),
                phase=Phase.EXTRA,
                optional=True,
            )
        )
    return cases


def _judge_accepted(case: Case, exchanges: Sequence[Exchange]) -> Iterator[Judgement]:
    # The echo is SEND-ECHO-KEY's claim; a fixed key reused by an earlier run is not judged.
    yield from judge_accepted(exchanges[0], case.steps[0], echo=False)


SEND_ACCEPTED = Check(
    id="SEND-ACCEPTED",
    title="Valid payloads over the documented space are accepted",
    category=Category.STATUS,
    claim=Claim(
        text="A request with definitionKey, recipient.contactKey, recipient.to and optional "
        "attributes, content.message and subscriptions.resubscribe is accepted with 202.",
        source=SEND_PAGE,
        quote="202 Accepted: Request is accepted.",
    ),
    plan=_plan_accepted,
    judge=_judge_accepted,
)


# --- SEND-ECHO-KEY ----------------------------------------------------------------------------


def _plan_echo(ctx: PlanContext) -> Sequence[Case]:
    return [
        Case(
            f"SEND-ECHO-KEY#{n}",
            "SEND-ECHO-KEY",
            f"messageKey with {name.replace('-', ' ')} ({len(step.message_key or '')} characters)",
            (step, echo_fallback(step)),
            phase=Phase.SHARED,
        )
        for n, (name, step) in enumerate(echo_sends(ctx), start=1)
    ]


SEND_ECHO_KEY = Check(
    id="SEND-ECHO-KEY",
    title="The accepted response echoes the messageKey exactly, whatever its characters",
    category=Category.IDENTITY,
    claim=Claim(
        text="messageKey can be up to 100 characters with no restricted characters, and the "
        "accepted response returns it in responses[].messageKey.",
        source=SEND_PAGE,
        quote="messageKey string Required: Unique identifier used to track message status. "
        "Can be up to 100 characters, and there are no restricted characters.",
    ),
    plan=_plan_echo,
    judge=_judge_first_accepted,
)


# --- SEND-DUPLICATE-KEY -----------------------------------------------------------------------


def _plan_duplicate(ctx: PlanContext) -> Sequence[Case]:
    first = example_send(ctx)
    description = "the documented example's messageKey sent a second time within its window"
    return [
        Case(
            "SEND-DUPLICATE-KEY#1",
            "SEND-DUPLICATE-KEY",
            description,
            (first, reuse_of(first)),
            phase=Phase.SHARED,
        )
    ]


def judge_reuse(case: Case, exchanges: Sequence[Exchange]) -> Iterator[Judgement]:
    """The second send of an accepted key must be refused with 109110."""
    first = read_send(exchanges[0], key_known=case.steps[0].key_known)
    if not first.accepted:
        yield Judgement(
            Verdict.INCOMPLETE,
            f"not judged: the send whose key is reused was not accepted ({first.describe()})",
        )
        return
    step, second = case.steps[1], exchanges[1]
    off = off_form(step, second)
    if off is not None:
        yield Judgement(off.verdict, off.message, exchange_index=1)
        return
    read = read_send(second, key_known=True)
    if read.accepted:
        yield Judgement(
            Verdict.FAIL,
            f"a reused messageKey was accepted again (HTTP {read.status}, errorcode "
            f"{0 if read.errorcode is None else read.errorcode}): the message would be "
            "delivered twice",
            exchange_index=1,
        )
    elif not read.rejected:
        yield Judgement(
            Verdict.FAIL,
            f"a reused messageKey got {read.describe()}, documented a rejection",
            exchange_index=1,
        )
    elif not read.has_errorcode(DUPLICATE_MESSAGE_KEY):
        yield Judgement(
            Verdict.FAIL,
            f"a reused messageKey was rejected ({read.describe()}) without errorcode "
            f"{DUPLICATE_MESSAGE_KEY} (MCMS_UTM_Validation_DuplicateMessageKey)",
            exchange_index=1,
        )


SEND_DUPLICATE_KEY = Check(
    id="SEND-DUPLICATE-KEY",
    title="A reused messageKey is rejected with 109110 DuplicateMessageKey",
    category=Category.IDEMPOTENCY,
    claim=Claim(
        text="A messageKey reused within its uniqueness window (2 days; 72 hours on other "
        "pages) is rejected with errorcode 109110.",
        source=SEND_PAGE,
        quote="If you use a duplicate messageKey in the same send request, the message is "
        "rejected. / 109110 MCMS_UTM_Validation_DuplicateMessageKey: messageKey reused within "
        "the past 2 days",
    ),
    plan=_plan_duplicate,
    judge=judge_reuse,
)

CHECKS = (SEND_EXAMPLE, SEND_ACCEPTED, SEND_ECHO_KEY, SEND_DUPLICATE_KEY)
