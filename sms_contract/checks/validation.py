"""One check per documented validation rule: an invalid payload is rejected, in either
documented form. The rule table is sms_contract.spec.rules; the payloads come from the generators;
whether a payload really is invalid is decided by the independent oracle, not by its label."""

from __future__ import annotations

from collections.abc import Iterator, Sequence

from sms_contract.checks.generated import invalid_sends
from sms_contract.checks.model import (
    Case,
    CaseJudge,
    Check,
    Expect,
    Judgement,
    PlanContext,
    Planner,
    Step,
    send_step,
)
from sms_contract.checks.oracle import spec_violations
from sms_contract.checks.reading import Answer, read_send
from sms_contract.exchange import Exchange
from sms_contract.outcomes import Category, Claim, Verdict
from sms_contract.spec.endpoints import SEND_TO_ONE, message_path
from sms_contract.spec.loading import load_spec
from sms_contract.spec.rules import MESSAGE_KEY_MAX_LENGTH, RULES, Rule

CASES_PER_RULE = 3


def _key(ctx: PlanContext, key: str, tag: str) -> str:
    # A key that is too long on purpose stays too long: the tag and nonce go in front.
    if len(key) > MESSAGE_KEY_MAX_LENGTH:
        return f"{tag}-{ctx.nonce}-{key}"
    return ctx.key(key, tag)


def _planner(rule: Rule) -> Planner:
    check_id = f"SEND-REJECT-{rule.id.upper()}"

    def plan(ctx: PlanContext) -> Sequence[Case]:
        count = max(1, min(CASES_PER_RULE, ctx.examples))
        generated = invalid_sends(ctx, rule.id, count)
        cases = []
        for n, invalid in enumerate(generated, start=1):
            key = _key(ctx, invalid.message_key, f"{rule.id}{n}")
            steps: list[Step] = []
            if invalid.requires_prior_send:
                prior = invalid.json_body
                steps.append(send_step(key, prior, Expect.ACCEPT))
            steps.append(
                Step(
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
            )
            cases.append(Case(f"{check_id}#{n}", check_id, invalid.description, tuple(steps)))
        return cases

    return plan


def _judge_rule(rule: Rule) -> CaseJudge:
    def judge(case: Case, exchanges: Sequence[Exchange]) -> Iterator[Judgement]:
        last = len(exchanges) - 1
        step, exchange = case.steps[last], exchanges[last]
        if last > 0:
            prior = exchanges[0].response
            if prior is None or not read_send(prior).accepted:
                yield Judgement(
                    Verdict.OBSERVED,
                    "the first send of the key was not accepted, so its reuse proves nothing",
                    exchange_index=0,
                )
                return
        if exchange.response is None:
            yield Judgement(Verdict.FAIL, "no response arrived", exchange_index=last)
            return
        read = read_send(exchange.response)
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
                    exchange_index=last,
                )
            return
        if read.answer is Answer.ACCEPTED:
            if must_reject:
                yield Judgement(
                    Verdict.FAIL,
                    f"accepted (HTTP {read.status}, errorcode 0) although the request breaks "
                    f"the contract: {why}",
                    exchange_index=last,
                )
            else:
                yield Judgement(
                    Verdict.OBSERVED,
                    f"accepted (HTTP {read.status}); the spec admits this payload (the "
                    f"documentation is silent or self-contradictory on: {rule.title})",
                    exchange_index=last,
                )
            return
        verdict = Verdict.FAIL if read.answer is Answer.SERVER_ERROR else Verdict.OBSERVED
        yield Judgement(
            verdict,
            f"got {read.answer.value} (HTTP {read.status}) where a documented rejection "
            "(4xx with the error body, or 202 with a non-zero errorcode) was expected",
            exchange_index=last,
        )

    return judge


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
