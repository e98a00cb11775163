"""The send definition lifecycle: create, read, deactivate, queue metrics and purge, delete.

These requests change a tenant's configuration, so the case needs ``TENANT_CHANGES``: it runs
against the mock, and against a live tenant only with ``--allow-tenant-changes``. The
definition it creates has a run-unique key and is deleted at the end.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from typing import Any
from urllib.parse import quote

from sms_contract.checks.model import (
    Capability,
    Case,
    Check,
    Expect,
    Judgement,
    Phase,
    PlanContext,
    Step,
)
from sms_contract.client.results import errorcode_in, raw_errorcode
from sms_contract.exchange import Exchange
from sms_contract.outcomes import Category, Claim, Verdict
from sms_contract.spec.endpoints import DEFINITIONS_PATH

CHECK_ID = "DEFINITIONS-LIFECYCLE"
REFERENCE = (
    "https://developer.salesforce.com/docs/marketing/marketing-cloud/references/"
    "mc_rest_transactional_messaging_sms/"
)
QUEUE_NOT_INACTIVE = 30001
_NEEDS = frozenset({Capability.TENANT_CHANGES})  # it creates and deletes a definition


def _step(
    operation_id: str, method: str, path: str, payload: Any = None, expect: Expect = Expect.ACCEPT
) -> Step:
    if payload is None:
        return Step(operation_id, method, path, expect, content_type=None)
    return Step(operation_id, method, path, expect, json=payload)


def _plan(ctx: PlanContext) -> Sequence[Case]:
    key = f"sms-contract-{ctx.nonce}"
    one = f"{DEFINITIONS_PATH}/{quote(key, safe='')}"
    created = {
        "definitionKey": key,
        "name": key,
        "description": "Created by sms-contract; deleted by the same run",
        "content": {"message": "sms-contract conformance check"},
        "subscriptions": {"shortCode": "8201221", "countryCode": "US", "keyword": "SMSCONTRACT"},
    }
    steps = (
        _step("createSmsDefinition", "POST", DEFINITIONS_PATH, created),
        _step("getSmsDefinition", "GET", one),
        _step(
            "deleteQueuedMessagesForSmsDefinition", "DELETE", f"{one}/queue", None, Expect.REJECT
        ),
        _step("partiallyUpdateSmsDefinition", "PATCH", one, {"status": "Inactive"}),
        _step("getQueueMetricsForSmsDefinition", "GET", f"{one}/queue"),
        _step("deleteQueuedMessagesForSmsDefinition", "DELETE", f"{one}/queue"),
        _step("deleteSmsDefinition", "DELETE", one),
        _step("getSmsDefinition", "GET", one, None, Expect.REJECT),
    )
    description = "create a definition, read it, purge its queue, deactivate it, delete it"
    return [
        Case(
            f"{CHECK_ID}#1",
            CHECK_ID,
            description,
            steps,
            requires=_NEEDS,
            phase=Phase.TENANT,
        )
    ]


def _body(exchange: Exchange) -> Mapping[str, Any]:
    body = exchange.response.json_or_none() if exchange.response is not None else None
    return body if isinstance(body, Mapping) else {}


def _status(exchange: Exchange) -> int | None:
    return None if exchange.response is None else exchange.response.status


# (step index, documented status, what the documentation says about it)
_EXPECTED = (
    (0, 201, "creating a definition answers 201 Created"),
    (1, 200, "reading the new definition answers 200"),
    (2, 400, "purging the queue of an active definition is refused with 400 (errorcode 30001)"),
    (3, 200, "PATCH answers 200 with the whole definition"),
    (4, 200, "queue metrics answer 200 with count and ageSeconds"),
    (5, 200, "purging the queue of an inactive definition answers 200"),
    (6, 200, "deleting the definition answers 200"),
    (7, 404, "reading a deleted definition answers 404"),
)


def _judge(case: Case, exchanges: Sequence[Exchange]) -> Iterator[Judgement]:
    for index, documented, claim in _EXPECTED:
        got = _status(exchanges[index])
        if got != documented:
            yield Judgement(
                Verdict.FAIL, f"{claim}; got {got or 'no response'}", exchange_index=index
            )
    key = case.steps[0].json["definitionKey"]
    for index in (0, 1):
        if (
            _status(exchanges[index]) in (200, 201)
            and _body(exchanges[index]).get("definitionKey") != key
        ):
            yield Judgement(
                Verdict.FAIL,
                "the definition does not carry its definitionKey",
                exchange_index=index,
            )
    refused = _body(exchanges[2])
    if _status(exchanges[2]) == 400 and errorcode_in(refused) != QUEUE_NOT_INACTIVE:
        yield Judgement(
            Verdict.FAIL,
            f"the queue purge of an active definition was refused with errorcode "
            f"{raw_errorcode(refused)!r}, documented {QUEUE_NOT_INACTIVE}",
            exchange_index=2,
        )
    status = _body(exchanges[3]).get("status")
    if _status(exchanges[3]) == 200 and str(status).lower() != "inactive":
        yield Judgement(
            Verdict.FAIL, f"after PATCH status Inactive the definition says {status!r}", 3
        )
    metrics = _body(exchanges[4])
    if _status(exchanges[4]) == 200:
        for field in ("count", "ageSeconds"):
            value = metrics.get(field)
            if isinstance(value, bool) or not isinstance(value, int):
                yield Judgement(Verdict.FAIL, f"queue metrics have no integer {field}", 4)


DEFINITIONS_LIFECYCLE = Check(
    id=CHECK_ID,
    title="A send definition can be created, read, deactivated, purged and deleted",
    category=Category.DEFINITIONS,
    claim=Claim(
        text="POST /sms/definitions answers 201; GET one 200; the queue of an active "
        "definition cannot be purged (400, 30001); PATCH answers 200 with the definition; "
        "queue metrics carry count and ageSeconds; DELETE answers 200; a deleted definition "
        "is 404.",
        source=REFERENCE + "createSMSSendDefinition.html",
        quote="The send definition must be in inactive status. / "
        '{"message": "MCMS_UTM_Runtime_InvalidOperation: Definition status must be inactive '
        'to delete queue", "errorcode": 30001} / 404 "Definition key doesn\'t exist for this '
        'MID"',
    ),
    plan=_plan,
    judge=_judge,
    operations=frozenset(
        {
            "createSmsDefinition",
            "getSmsDefinition",
            "partiallyUpdateSmsDefinition",
            "getQueueMetricsForSmsDefinition",
            "deleteQueuedMessagesForSmsDefinition",
            "deleteSmsDefinition",
        }
    ),
    requires=_NEEDS,
)

CHECKS = (DEFINITIONS_LIFECYCLE,)
