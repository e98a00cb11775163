"""SEND-CONTENT: a send's content override at the documented segment boundaries, and
personalisation attributes in any script, are accepted and not refused later for their content.

The boundaries ride on the run's shared echo sends (:mod:`sms_contract.checks.shared`), so
they cost no send of their own: exactly 160 GSM-7 septets and 161 (two parts), exactly 70 UCS-2
units and 71, and recipient.attributes with accented, CJK, Greek and astral keys and values.
Each accepted one's status is read: a message the platform then did not send for a reason of
its content (``MessageBuildError``, ``PayloadExceedsMaximum``, an attribute refused) breaks the
claim as surely as a refusal at once.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from dataclasses import replace

from sms_contract.checks.model import Case, Check, Judgement, Phase, PlanContext, Poll, When
from sms_contract.checks.reading import as_int
from sms_contract.checks.send import judge_accepted
from sms_contract.checks.shared import content_sends
from sms_contract.checks.status import status_step
from sms_contract.exchange import Exchange
from sms_contract.outcomes import Category, Claim, Verdict
from sms_contract.spec.rules import SEND_PAGE

LIMITS_PAGE = "https://help.salesforce.com/s/articleView?id=sf.mc_overview_limits_sms.htm"
CONTENT_STATUS_CODES = {
    16: "InvalidAttributeValue",
    17: "AttributeValueMaxLengthErr",
    18: "InvalidAttributeValueCount",
    103: "MessageBuildError",
    130: "PayloadExceedsMaximum",
}
"""The documented send error codes (transactional-send-subscriber) that blame the content."""


def _plan(ctx: PlanContext) -> Sequence[Case]:
    cases = []
    for n, (_, description, send) in enumerate(content_sends(ctx), start=1):
        status = replace(status_step(send.message_key or "", Poll.VISIBLE), when=When.ACCEPTED)
        cases.append(
            Case(
                f"SEND-CONTENT#{n}",
                "SEND-CONTENT",
                description,
                (send, status),
                phase=Phase.SHARED,
            )
        )
    return cases


def _judge(case: Case, exchanges: Sequence[Exchange]) -> Iterator[Judgement]:
    found = list(judge_accepted(exchanges[0], case.steps[0], echo=False))
    if found:
        for judgement in found:  # say which boundary was refused
            yield Judgement(judgement.verdict, f"{case.description}: {judgement.message}")
        return
    if len(exchanges) < 2 or exchanges[1].response is None:
        return  # accepted; the status adds nothing the acceptance did not show
    response = exchanges[1].response
    body = response.json_or_none()
    if response.status != 200 or not isinstance(body, Mapping):
        return  # STATUS-AFTER-SEND judges the status route itself
    category = body.get("eventCategoryType")
    info = body.get("info")
    code = as_int(info.get("statusCode")) if isinstance(info, Mapping) else None
    if isinstance(category, str) and category.endswith("SMSNotSent") and code is not None:
        name = CONTENT_STATUS_CODES.get(code)
        if name is not None:
            yield Judgement(
                Verdict.FAIL,
                f"accepted, then not sent for its content: SMSNotSent with statusCode {code} "
                f"({name}); {case.description} is within what the documentation allows",
                exchange_index=1,
            )


SEND_CONTENT = Check(
    id="SEND-CONTENT",
    title="Content at the segment boundaries and Unicode attributes are accepted",
    category=Category.VALIDATION,
    claim=Claim(
        text="content.message overrides the definition's content: one of exactly 160 GSM-7 "
        "septets or 70 UCS-2 units (one part) and one of 161 or 71 (two parts) are accepted "
        "with 202 and errorcode 0, as are personalisation attributes with non-ASCII keys and "
        "values; none is then not sent for its content (statusCode 16, 17, 18, 103 or 130).",
        source=f"{SEND_PAGE} ; {LIMITS_PAGE}",
        quote="content.message: Override for message content in the definition that you want "
        "sent with each message. / Single message: 160 GSM 03.38 or 70 UCS-2 characters; "
        "multi-part: 153 / 67 per part",
    ),
    plan=_plan,
    judge=_judge,
)

CHECKS = (SEND_CONTENT,)
