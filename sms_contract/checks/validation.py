"""One check per documented validation rule: an invalid payload is rejected, in either
documented form. The rule table is sms_contract.spec.rules; the payloads are the rule's named
boundary variants (always sent: :mod:`sms_contract.strategies.boundaries`) and generated ones
on top; whether a payload really is invalid is decided by the independent oracle, not by its
label.

A probe whose bytes break the spec (or whose rejection the documentation states) must be
rejected, and a conformant target spends no send on it; it runs first. A probe the spec admits
(an unknown definitionKey, a ``to`` that is not a mobile number, a missing contactKey) may be
accepted and rejected later by the platform ("Message-sending requests return an error only
when there's an authentication or syntax error"): such a probe runs once the shared sends
are made, and an accepted one is followed to its status: SMSNotSent with a statusCode is a
rejection made asynchronously (pass), SMSSent is a failure (observed when the spec records a
[CONFLICT] under which the payload is valid: a missing ``to`` or contactKey), no final status
within the wait is observed.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from dataclasses import replace
from typing import TYPE_CHECKING

from sms_contract.checks.generated import invalid_sends
from sms_contract.checks.model import (
    Case,
    CaseJudge,
    Check,
    Expect,
    Judgement,
    Phase,
    PlanContext,
    Planner,
    Poll,
    Step,
    When,
    send_step,
)
from sms_contract.checks.oracle import spec_violations
from sms_contract.checks.reading import Answer, off_form, read_send
from sms_contract.checks.send import judge_reuse
from sms_contract.checks.shared import echo_sends, example_body, reuse_of
from sms_contract.checks.status import status_step
from sms_contract.exchange import Exchange
from sms_contract.outcomes import Category, Claim, Verdict
from sms_contract.spec.endpoints import SEND_TO_ONE, message_path
from sms_contract.spec.loading import load_spec
from sms_contract.spec.rules import MESSAGE_KEY_MAX_LENGTH, RULES, RULES_BY_ID, Rule

if TYPE_CHECKING:
    from sms_contract.strategies.cases import InvalidSend

CASES_PER_RULE = 3  # generated cases per rule, on top of the named ones


def _probe(key: str, invalid: InvalidSend, rule: Rule) -> Step:
    return Step(
        operation_id=SEND_TO_ONE,
        method="POST",
        path=message_path(key),
        expect=Expect.REJECT,
        body=invalid.body,
        content_type=invalid.content_type,
        billable=True,
        message_key=key,
        rule_id=rule.id,
    )


def _long_key(ctx: PlanContext, n: int) -> str:
    """A messageKey of exactly 101 characters, made unique to the run."""
    head = f"too-long-{n}-{ctx.nonce}-"
    return head + "k" * (MESSAGE_KEY_MAX_LENGTH + 1 - len(head))


def _key(ctx: PlanContext, key: str, tag: str) -> str:
    # A key that is too long on purpose stays too long: the tag and nonce go in front.
    if len(key) > MESSAGE_KEY_MAX_LENGTH:
        return f"{tag}-{ctx.nonce}-{key}"
    return ctx.key(key, tag)


def _must_reject(step: Step, rule: Rule) -> bool:
    return bool(spec_violations(load_spec(), step)) or rule.rejection_documented


SHARED_PROBES = frozenset({"to-invalid"})
"""Rules whose first named probe other checks read as well (NOT-SENT: a message the platform
accepted and then did not send), so it and its status read are shared steps."""


def _case(rule: Rule, n: int, description: str, step: Step, *, generated: bool) -> Case:
    """A probe's case: first (it costs a conformant target nothing) when it must be rejected;
    else after the shared sends, followed to its status, and dropped first to fit the budget
    when it is a generated one."""
    check_id = f"SEND-REJECT-{rule.id.upper()}"
    if _must_reject(step, rule):
        return Case(f"{check_id}#{n}", check_id, description, (step,), phase=Phase.PROBE)
    # A conformant target may accept it: follow an accepted probe to its status.
    follow = replace(status_step(step.message_key or "", Poll.FINAL), when=When.ACCEPTED)
    if rule.id in SHARED_PROBES and n == 1 and not generated:
        owner = (check_id, f"{check_id}#{n}")
        step = replace(step, shared=f"probe-{rule.id}", owner=owner)
        follow = replace(follow, shared=f"probe-{rule.id}-status", owner=owner)
    return Case(
        f"{check_id}#{n}",
        check_id,
        description,
        (step, follow),
        phase=Phase.MAY_ACCEPT,
        optional=generated,
    )


def _planner(rule: Rule) -> Planner:
    check_id = f"SEND-REJECT-{rule.id.upper()}"

    def plan(ctx: PlanContext) -> Sequence[Case]:
        if rule.id == "message-key-reused":
            return _plan_reuse(ctx, check_id)
        from sms_contract.strategies.boundaries import named_variants

        cases: list[Case] = []
        named = named_variants(
            rule.id, example_body(ctx), unknown_definition_key=ctx.unknown_definition_key
        )
        for invalid in named:
            n = len(cases) + 1
            key = ctx.key(f"{rule.id}-{n}", "named")
            step = _probe(key, invalid, rule)
            cases.append(_case(rule, n, invalid.description, step, generated=False))
        if rule.id == "message-key-too-long":
            n = len(cases) + 1
            key = _long_key(ctx, n)
            step = send_step(key, example_body(ctx), Expect.REJECT, rule_id=rule.id)
            description = (
                f"messageKey of exactly {len(key)} characters (documented limit "
                f"{MESSAGE_KEY_MAX_LENGTH})"
            )
            cases.append(_case(rule, n, description, step, generated=False))
        count = max(1, min(CASES_PER_RULE, ctx.examples))
        for invalid in invalid_sends(ctx, rule.id, count):
            n = len(cases) + 1
            key = _key(ctx, invalid.message_key, f"{rule.id}{n}")
            step = _probe(key, invalid, rule)
            cases.append(_case(rule, n, invalid.description, step, generated=True))
        return cases

    return plan


def shared_probe(ctx: PlanContext, rule_id: str) -> tuple[Step, Step]:
    """The first named probe of ``rule_id`` (one of ``SHARED_PROBES``) and the status read
    that follows it when it is accepted, as SEND-REJECT-<rule> sends them."""
    if rule_id not in SHARED_PROBES:
        raise ValueError(f"rule {rule_id!r} has no shared probe")
    first = _planner(RULES_BY_ID[rule_id])(ctx)[0]
    probe, follow = first.steps
    return probe, follow


def _plan_reuse(ctx: PlanContext, check_id: str) -> Sequence[Case]:
    """Keys of the shared sends sent again: the named case with the same body, then with
    other valid bodies (what the generated payloads of the echo sends were)."""
    shared = [step for _, step in echo_sends(ctx) if not step.key_fixed]
    count = 1 + max(1, min(CASES_PER_RULE, ctx.examples))
    cases = []
    for n, first in enumerate(shared[:count], start=1):
        other = shared[n % len(shared)].json if n > 1 else None
        description = (
            "a shared send's messageKey sent again with the same body"
            if other is None
            else "a shared send's messageKey sent again with another valid body"
        )
        cases.append(
            Case(
                f"{check_id}#{n}",
                check_id,
                description,
                (first, reuse_of(first, other)),
                phase=Phase.SHARED,
            )
        )
    return cases


def _judge_rule(rule: Rule) -> CaseJudge:
    def judge(case: Case, exchanges: Sequence[Exchange]) -> Iterator[Judgement]:
        if rule.id == "message-key-reused":
            yield from judge_reuse(case, exchanges)
            return
        step, exchange = case.steps[0], exchanges[0]
        off = off_form(step, exchange)
        if off is not None:
            yield Judgement(off.verdict, off.message, exchange_index=0)
            return
        read = read_send(exchange, key_known=step.key_known)
        breaks = spec_violations(load_spec(), step)
        must_reject = bool(breaks) or rule.rejection_documented
        why = "; ".join(breaks) if breaks else "the documentation says it is rejected"
        if read.rejected:
            if rule.code_documented and not read.has_errorcode(rule.errorcode):
                yield Judgement(
                    Verdict.FAIL,
                    f"rejected (HTTP {read.status}, {read.answer.value}) but not with the "
                    f"documented errorcode {rule.errorcode} (MCMS_UTM_{rule.error_name}); "
                    f"errorcode was {read.errorcode}, "
                    f"per recipient {list(read.recipient_errorcodes)}",
                    exchange_index=0,
                )
            return
        if read.accepted:
            if must_reject:
                earlier = (
                    " on an earlier attempt whose response was lost"
                    if read.answer is Answer.ACCEPTED_EARLIER
                    else ""
                )
                code = 0 if read.errorcode is None else read.errorcode
                yield Judgement(
                    Verdict.FAIL,
                    f"accepted{earlier} (HTTP {read.status}, errorcode {code}) although the "
                    f"request breaks the contract: {why}",
                    exchange_index=0,
                )
                return
            yield from _judge_later(rule, exchanges)
            return
        verdict = Verdict.FAIL if read.answer is Answer.SERVER_ERROR else Verdict.OBSERVED
        yield Judgement(
            verdict,
            f"got {read.answer.value} (HTTP {read.status}) where a documented rejection (4xx "
            "with the error body, or 202 with a non-zero errorcode) was expected",
            exchange_index=0,
        )

    return judge


def _judge_later(rule: Rule, exchanges: Sequence[Exchange]) -> Iterator[Judgement]:
    """An accepted probe the spec admits: what its status says the platform did later."""
    if len(exchanges) < 2 or exchanges[1].response is None:
        yield Judgement(
            Verdict.OBSERVED,
            f"accepted; the spec admits this payload and its status was not read (the "
            f"documentation is silent or self-contradictory on: {rule.title})",
            exchange_index=0,
        )
        return
    response = exchanges[1].response
    body = response.json_or_none()
    category = body.get("eventCategoryType") if isinstance(body, Mapping) else None
    info = body.get("info") if isinstance(body, Mapping) else None
    code = info.get("statusCode") if isinstance(info, Mapping) else None
    if response.status == 200 and isinstance(category, str) and category.endswith("SMSNotSent"):
        if code is None:
            yield Judgement(
                Verdict.FAIL,
                "accepted, then SMSNotSent without info.statusCode: the documented status "
                "of a message not sent 'includes the reason'",
                exchange_index=1,
            )
        # Otherwise rejected asynchronously, with the reason: as documented.
        return
    if response.status == 200 and isinstance(category, str) and category.endswith("SMSSent"):
        if rule.conflict is not None:
            yield Judgement(
                Verdict.OBSERVED,
                f"accepted and then sent to the SMS provider (SMSSent): the target follows the "
                f"reading of the [CONFLICT] {rule.conflict!r} under which this send is valid "
                "(the spec's x-conflicts records both readings)",
                exchange_index=1,
            )
            return
        yield Judgement(
            Verdict.FAIL,
            f"accepted and then sent to the SMS provider (SMSSent) although {rule.title[0].lower()}"
            f"{rule.title[1:]}: the platform did not reject it, now or later",
            exchange_index=1,
        )
        return
    yield Judgement(
        Verdict.OBSERVED,
        f"accepted; within the wait the status showed no final outcome (HTTP "
        f"{response.status}{'' if category is None else ', ' + str(category)}): whether the "
        f"platform rejects it later is not known ({rule.title})",
        exchange_index=1,
    )


def _check(rule: Rule) -> Check:
    documented = rule.rejection_documented or rule.scope.value == "request" or rule.code_documented
    return Check(
        id=f"SEND-REJECT-{rule.id.upper()}",
        title=f"Rejected: {rule.title}",
        category=Category.VALIDATION,
        claim=Claim(
            text=f"A send where {rule.title[0].lower()}{rule.title[1:]} is rejected, as HTTP "
            f"{rule.status} with the error body or as 202 with a non-zero errorcode "
            f"(documented code: {rule.errorcode} MCMS_UTM_{rule.error_name}"
            f"{'' if rule.code_documented else ', the code is not documented for this case'}).",
            source=rule.source,
            quote=rule.quote,
            documented=documented,
        ),
        plan=_planner(rule),
        judge=_judge_rule(rule),
    )


CHECKS = tuple(_check(rule) for rule in RULES)
