"""Cross-cutting checks: every response of the send operation, whichever check provoked it, is
judged for its status code, content type, body schema, requestId and errorcode, and no input
at all may produce a 5xx. Each check also plans a few cases of its own, so that it has evidence
when it is selected alone with ``--check``."""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping, Sequence

from sms_contract.checks.generated import valid_sends
from sms_contract.checks.model import (
    Case,
    Check,
    ExchangeJudge,
    Expect,
    Judgement,
    PlanContext,
    Step,
    send_step,
)
from sms_contract.checks.reading import Answer, as_int, read_send
from sms_contract.exchange import JSON_MEDIA_TYPE, Exchange
from sms_contract.outcomes import Category, Claim, Verdict
from sms_contract.spec.endpoints import SEND_TO_ONE, message_path
from sms_contract.spec.loading import load_spec
from sms_contract.spec.rules import ERROR_HANDLING, SEND_PAGE

ARCHITECTURE_PAGE = (
    "https://developer.salesforce.com/docs/marketing/marketing-cloud/guide/"
    "transactional-messaging-architecture.html"
)
NESTING_DEPTH = 200


def _own_cases(check_id: str, ctx: PlanContext) -> Sequence[Case]:
    """One valid and one invalid send: enough evidence for a cross-cutting check run alone."""
    valid = valid_sends(ctx, 1)
    invalid_body = {"definitionKey": ctx.definition_key}  # recipient missing
    key = ctx.key(valid[0].message_key, f"{check_id.lower()}-1")
    return [
        Case(
            f"{check_id}#1",
            check_id,
            "a valid send",
            (send_step(key, valid[0].json_body, Expect.ACCEPT),),
        ),
        Case(
            f"{check_id}#2",
            check_id,
            "a send without recipient",
            (
                send_step(
                    ctx.key("invalid", f"{check_id.lower()}-2"),
                    invalid_body,
                    Expect.REJECT,
                    rule_id="recipient-missing",
                ),
            ),
        ),
    ]


def _judge_case_with(
    judge_exchange: ExchangeJudge,
) -> Callable[[Case, Sequence[Exchange]], Iterator[Judgement]]:
    def judge(case: Case, exchanges: Sequence[Exchange]) -> Iterator[Judgement]:
        for index, (step, exchange) in enumerate(zip(case.steps, exchanges, strict=True)):
            for found in judge_exchange(exchange, step):
                yield Judgement(found.verdict, found.message, exchange_index=index)

    return judge


def _cross_cutting(
    check_id: str, title: str, category: Category, claim: Claim, judge_exchange: ExchangeJudge
) -> Check:
    return Check(
        id=check_id,
        title=title,
        category=category,
        claim=claim,
        plan=lambda ctx: _own_cases(check_id, ctx),
        judge=_judge_case_with(judge_exchange),
        judge_exchange=judge_exchange,
    )


# --- SEND-NO-5XX ------------------------------------------------------------------------------


def _no_server_error(exchange: Exchange, step: Step | None) -> Iterator[Judgement]:
    if exchange.response is not None and exchange.response.status >= 500:
        yield Judgement(
            Verdict.FAIL,
            f"HTTP {exchange.response.status}: a send answered with a server error; the "
            "documentation says a send returns an error only for an authentication or syntax "
            "error, or when the API is unavailable",
        )


def _plan_odd_inputs(ctx: PlanContext) -> Sequence[Case]:
    def raw(n: int, description: str, key: str, body: bytes, content_type: str) -> Case:
        step = Step(
            operation_id=SEND_TO_ONE,
            method="POST",
            path=message_path(key),
            expect=Expect.REJECT,
            body=body,
            content_type=content_type,
            billable=True,
            message_key=key,
        )
        return Case(f"SEND-NO-5XX#{n}", "SEND-NO-5XX", description, (step,))

    # Deeper than the default nesting limits of common JSON parsers (64 in .NET's
    # System.Text.Json and Json.NET, 128 in serde_json), shallow enough that the evidence of a
    # finding on it can still be scrubbed and rendered.
    nested = b'{"definitionKey": ' + b"[" * NESTING_DEPTH + b"]" * NESTING_DEPTH + b"}"
    return [
        raw(
            1,
            "a body that is not UTF-8",
            ctx.key("bad-utf8", "5xx1"),
            b'{"definitionKey": "\xff\xfe"}',
            JSON_MEDIA_TYPE,
        ),
        raw(
            2,
            f"JSON nested {NESTING_DEPTH} levels deep",
            ctx.key("nested", "5xx2"),
            nested,
            JSON_MEDIA_TYPE,
        ),
        raw(
            3,
            "a messageKey with control characters",
            ctx.key("ctl\x00\x1f\x7f", "5xx3"),
            b"{}",
            JSON_MEDIA_TYPE,
        ),
        raw(4, "an empty body", ctx.key("empty", "5xx4"), b"", JSON_MEDIA_TYPE),
    ]


SEND_NO_5XX = Check(
    id="SEND-NO-5XX",
    title="No input, however malformed, produces a 5xx",
    category=Category.ROBUSTNESS,
    claim=Claim(
        text="A send returns an error only for an authentication or syntax error, or when the "
        "API is unavailable: malformed input gets a 4xx, never a server error.",
        source=ARCHITECTURE_PAGE,
        quote="Message-sending requests return an error only when there's an authentication or "
        "syntax error ... or when the API is unavailable.",
    ),
    plan=_plan_odd_inputs,
    judge=_judge_case_with(_no_server_error),
    judge_exchange=_no_server_error,
)


# --- SEND-STATUS-CODES ------------------------------------------------------------------------


def _documented_status(exchange: Exchange, step: Step | None) -> Iterator[Judgement]:
    if exchange.response is None or step is None:
        return
    status = exchange.response.status
    documented = load_spec().operation(step.operation_id).statuses
    if str(status) not in documented and status != 429:
        yield Judgement(
            Verdict.FAIL,
            f"HTTP {status} is not a documented status of {step.operation_id} "
            f"(documented: {', '.join(sorted(documented))})",
        )


SEND_STATUS_CODES = _cross_cutting(
    "SEND-STATUS-CODES",
    "Every send response has a documented status code",
    Category.STATUS,
    Claim(
        text="The single-recipient send answers 202, 400, 401, 403 or 500 (429 platform-wide).",
        source=SEND_PAGE,
        quote="202 Accepted / 400 Bad Request / 401 Unauthorized / 403 Forbidden / "
        "500 Server Error",
    ),
    _documented_status,
)


# --- SEND-CONTENT-TYPE ------------------------------------------------------------------------


def _json_content_type(exchange: Exchange, step: Step | None) -> Iterator[Judgement]:
    response = exchange.response
    if response is None or step is None or not response.body:
        return
    if response.media_type != JSON_MEDIA_TYPE:
        yield Judgement(
            Verdict.FAIL,
            f"HTTP {response.status} came with Content-Type {response.content_type!r}, "
            f"documented {JSON_MEDIA_TYPE}",
        )


SEND_CONTENT_TYPE = _cross_cutting(
    "SEND-CONTENT-TYPE",
    "Every send response with a body is application/json",
    Category.CONTENT_TYPE,
    Claim(
        text="Responses of the REST API are JSON (Content-Type: application/json).",
        source=ERROR_HANDLING,
        quote="Content-Type: application/json; charset=utf-8",
    ),
    _json_content_type,
)


# --- SEND-RESPONSE-SCHEMA ---------------------------------------------------------------------


def _schema(exchange: Exchange, step: Step | None) -> Iterator[Judgement]:
    response = exchange.response
    if response is None or step is None:
        return
    status = response.status
    documented = load_spec().operation(step.operation_id).statuses
    if str(status) not in documented:
        return  # SEND-STATUS-CODES reports it; a schema for an undocumented status does not exist
    body = response.json_or_none()
    if body is None and response.body:
        yield Judgement(Verdict.FAIL, f"HTTP {status}: the body is not JSON")
        return
    for issue in load_spec().validate_response(
        step.operation_id, status, body, response.media_type
    ):
        yield Judgement(Verdict.FAIL, f"HTTP {status} body {issue.json_path}: {issue.message}")


SEND_RESPONSE_SCHEMA = _cross_cutting(
    "SEND-RESPONSE-SCHEMA",
    "Success and error bodies match their documented schemas",
    Category.SCHEMA,
    Claim(
        text="A 202 carries {requestId, errorcode, responses[{messageKey}]}; an error carries "
        "{message, errorcode, documentation}.",
        source=SEND_PAGE,
        quote='{"requestId": "…", "errorcode": 0, "responses": [{"messageKey": "…"}]}',
    ),
    _schema,
)


# --- SEND-REQUEST-ID --------------------------------------------------------------------------


def _request_id(exchange: Exchange, step: Step | None) -> Iterator[Judgement]:
    response = exchange.response
    if response is None or step is None or response.status != 202:
        return
    body = response.json_or_none()
    value = body.get("requestId") if isinstance(body, Mapping) else None
    if not isinstance(value, str) or not value.strip():
        yield Judgement(Verdict.FAIL, "a 202 response carries no requestId string")


SEND_REQUEST_ID = _cross_cutting(
    "SEND-REQUEST-ID",
    "Every accepted send carries a requestId",
    Category.IDENTITY,
    Claim(
        text="The 202 response of a send carries a requestId.",
        source=SEND_PAGE,
        quote='"requestId": "239a2bc3-bdcb-4f8a-9e08-28aff9f983b7"',
    ),
    _request_id,
)


# --- SEND-ERRORCODE ---------------------------------------------------------------------------


def _errorcode(exchange: Exchange, step: Step | None) -> Iterator[Judgement]:
    response = exchange.response
    if response is None or step is None:
        return
    read = read_send(response)
    if read.answer in (Answer.ACCEPTED, Answer.REJECTED_202):
        if as_int(read.errorcode) is None:
            yield Judgement(Verdict.FAIL, "a 202 response has no numeric top-level errorcode")
        elif read.answer is Answer.REJECTED_202 and as_int(read.errorcode) == 0:
            yield Judgement(
                Verdict.FAIL,
                "a 202 with a failed recipient has top-level errorcode 0, documented 109001 "
                "(MCMS_UTM_ResponsesHasErrors)",
            )
        elif read.answer is Answer.REJECTED_202 and not any(
            as_int(code) not in (None, 0) for code in read.recipient_errorcodes
        ):
            yield Judgement(
                Verdict.FAIL,
                f"a 202 with errorcode {read.errorcode} names no failed recipient: responses[] "
                "carries no per-recipient errorcode",
            )
    elif (
        read.answer in (Answer.REJECTED_HTTP, Answer.UNAUTHORIZED)
        and response.status != 415  # the platform documents 415 without a custom code
        and as_int(read.errorcode) is None
    ):
        yield Judgement(
            Verdict.FAIL,
            f"HTTP {read.status} error body has no numeric errorcode "
            "({message, errorcode, documentation} documented)",
        )


SEND_ERRORCODE = _cross_cutting(
    "SEND-ERRORCODE",
    "errorcode is 0 on acceptance and names the error on every rejection",
    Category.STATUS,
    Claim(
        text="Accepted sends carry errorcode 0; a partly failed request is 202 with errorcode "
        "109001 and the per-recipient errorcode and message; error bodies carry errorcode.",
        source=SEND_PAGE,
        quote='"errorcode": 109001, "message": "MCMS_UTM_ResponsesHasErrors: 1 subscribers '
        'failed to queue out of 2"',
    ),
    _errorcode,
)

CHECKS = (
    SEND_NO_5XX,
    SEND_STATUS_CODES,
    SEND_CONTENT_TYPE,
    SEND_RESPONSE_SCHEMA,
    SEND_REQUEST_ID,
    SEND_ERRORCODE,
)
