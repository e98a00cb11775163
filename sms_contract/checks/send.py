"""Checks on sending to one recipient: the documented example, acceptance of valid payloads,
the echoed messageKey, and the reuse of a messageKey."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from typing import Any

from sms_contract.checks.generated import message_key_classes, valid_send, valid_sends
from sms_contract.checks.model import (
    Case,
    Check,
    Expect,
    Judgement,
    PlanContext,
    send_step,
)
from sms_contract.checks.reading import Answer, read_send
from sms_contract.exchange import Exchange
from sms_contract.outcomes import Category, Claim, Verdict
from sms_contract.spec.endpoints import SEND_TO_ONE
from sms_contract.spec.loading import load_spec
from sms_contract.spec.rules import SEND_PAGE


def documented_example() -> tuple[str, dict[str, Any]]:
    """The reference page's example, as the spec records it: (messageKey, request body)."""
    spec = load_spec()
    response = spec.example(SEND_TO_ONE, "response", 202)
    return response["responses"][0]["messageKey"], spec.example(SEND_TO_ONE, "request")


def _answer_of(exchange: Exchange) -> str:
    if exchange.response is None:
        return "no response (the connection was lost)"
    read = read_send(exchange.response)
    code = "" if read.errorcode is None else f", errorcode {read.errorcode}"
    return f"HTTP {read.status} ({read.answer.value}{code})"


def judge_accepted(exchange: Exchange, message_key: str | None) -> Iterator[Judgement]:
    """Fail unless the exchange is a documented acceptance echoing ``message_key``."""
    if exchange.response is None:
        yield Judgement(Verdict.FAIL, "no response arrived for a valid send")
        return
    read = read_send(exchange.response)
    if not read.accepted:
        yield Judgement(
            Verdict.FAIL,
            f"a valid send was not accepted: got {_answer_of(exchange)}, documented 202 Accepted "
            "with errorcode 0",
        )
        return
    if message_key is not None and message_key not in read.echoed_keys:
        echoed = ", ".join(repr(key) for key in read.echoed_keys) or "none"
        yield Judgement(
            Verdict.FAIL,
            f"responses[].messageKey does not echo the key sent: sent {message_key!r} "
            f"({len(message_key)} characters), echoed {echoed}",
        )


# --- SEND-EXAMPLE -----------------------------------------------------------------------------


def _plan_example(ctx: PlanContext) -> Sequence[Case]:
    example_key, payload = documented_example()
    payload["definitionKey"] = ctx.definition_key
    payload["recipient"]["to"] = ctx.allow_list[0]
    key = ctx.key(example_key, "example")
    description = (
        "the documented example request (definitionKey and recipient.to taken from the run's "
        "configuration, messageKey made unique to the run)"
    )
    step = send_step(key, payload, Expect.ACCEPT)
    return [Case("SEND-EXAMPLE#1", "SEND-EXAMPLE", description, (step,))]


def _judge_example(case: Case, exchanges: Sequence[Exchange]) -> Iterator[Judgement]:
    yield from judge_accepted(exchanges[0], case.steps[0].message_key)


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
    judge=_judge_example,
)


# --- SEND-ACCEPTED ----------------------------------------------------------------------------


def _plan_accepted(ctx: PlanContext) -> Sequence[Case]:
    payloads = valid_sends(ctx, ctx.examples)
    cases = []
    for n, valid in enumerate(payloads, start=1):
        key = ctx.key(valid.message_key, f"ok{n}")
        step = send_step(key, valid.json_body, Expect.ACCEPT)
        description = f"generated valid payload {n} (messageKey of {len(key)} characters)"
        cases.append(Case(f"SEND-ACCEPTED#{n}", "SEND-ACCEPTED", description, (step,)))
    return cases


def _judge_accepted(case: Case, exchanges: Sequence[Exchange]) -> Iterator[Judgement]:
    yield from judge_accepted(exchanges[0], case.steps[0].message_key)


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
    cases = []
    base = valid_send(ctx).json_body
    # The classes carry the run's nonce themselves (the one-character key stays one character).
    classes = message_key_classes(ctx.nonce)
    for n, (name, key) in enumerate(classes.items(), 1):
        step = send_step(key, base, Expect.ACCEPT)
        description = f"messageKey with {name}"
        cases.append(Case(f"SEND-ECHO-KEY#{n}", "SEND-ECHO-KEY", description, (step,)))
    return cases


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
    judge=_judge_accepted,
)


# --- SEND-DUPLICATE-KEY -----------------------------------------------------------------------

DUPLICATE_MESSAGE_KEY = 109110


def _plan_duplicate(ctx: PlanContext) -> Sequence[Case]:
    valid = valid_send(ctx, offset=1)
    key = ctx.key(valid.message_key, "dup")
    first = send_step(key, valid.json_body, Expect.ACCEPT)
    again = send_step(key, valid.json_body, Expect.REJECT, rule_id="message-key-reused")
    description = "the same messageKey sent twice within its uniqueness window"
    return [Case("SEND-DUPLICATE-KEY#1", "SEND-DUPLICATE-KEY", description, (first, again))]


def _judge_duplicate(case: Case, exchanges: Sequence[Exchange]) -> Iterator[Judgement]:
    first = list(judge_accepted(exchanges[0], case.steps[0].message_key))
    if first:
        yield Judgement(
            Verdict.OBSERVED,
            f"the first send was not accepted ({_answer_of(exchanges[0])}), so the reuse of its "
            "key proves nothing",
            exchange_index=0,
        )
        return
    second = exchanges[1]
    if second.response is None:
        yield Judgement(Verdict.FAIL, "no response to the reused key", exchange_index=1)
        return
    read = read_send(second.response)
    if read.answer is Answer.ACCEPTED:
        yield Judgement(
            Verdict.FAIL,
            "a reused messageKey was accepted again (HTTP 202, errorcode 0): the message would "
            "be delivered twice",
            exchange_index=1,
        )
    elif not read.rejected:
        yield Judgement(
            Verdict.FAIL,
            f"a reused messageKey got {_answer_of(second)}, documented a rejection",
            exchange_index=1,
        )
    elif not read.has_errorcode(DUPLICATE_MESSAGE_KEY):
        yield Judgement(
            Verdict.FAIL,
            f"a reused messageKey was rejected ({_answer_of(second)}) without errorcode "
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
    judge=_judge_duplicate,
)

CHECKS = (SEND_EXAMPLE, SEND_ACCEPTED, SEND_ECHO_KEY, SEND_DUPLICATE_KEY)
