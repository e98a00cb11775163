"""Cross-cutting checks: every answer of the run, on every route it touches and whichever check
provoked it, is judged for its status code, content type, body schema, requestId and
errorcode, and no input at all may produce a 5xx. Each check also plans a case of its own (a
shared send and one refused probe), so that it has evidence when it is selected alone.

An answer that is neither what its step expects nor a documented rejection (a 200 to a send, a
401 to the run's own token, an undocumented 4xx, ...) gets one verdict (``reading.off_form``):
SEND-STATUS-CODES reports it as the case's own check does, and the other checks here leave it
alone. A retried request is judged once, by its final answer; an earlier 5xx of it is reported
by SEND-NO-5XX (observed when the retry recovered, a failure when the retry failed too).
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping, Sequence

from sms_contract.checks.model import (
    Case,
    Check,
    ExchangeJudge,
    Expect,
    Judgement,
    Phase,
    PlanContext,
    Step,
    send_step,
)
from sms_contract.checks.reading import Answer, as_int, off_form, read_send
from sms_contract.checks.shared import example_body, example_send
from sms_contract.client.results import raw_errorcode
from sms_contract.exchange import JSON_MEDIA_TYPE, Exchange
from sms_contract.outcomes import Category, Claim, Verdict
from sms_contract.spec.endpoints import (
    ALL_OPERATIONS,
    REST_OPERATIONS,
    SEND_OPERATIONS,
    SEND_STATUS,
    SEND_TO_ONE,
    message_path,
)
from sms_contract.spec.loading import load_spec
from sms_contract.spec.rules import ERROR_HANDLING, SEND_PAGE

ARCHITECTURE_PAGE = (
    "https://developer.salesforce.com/docs/marketing/marketing-cloud/guide/"
    "transactional-messaging-architecture.html"
)
NESTING_DEPTH = 200


def _own_cases(check_id: str, ctx: PlanContext) -> Sequence[Case]:
    """A shared send and one send without recipient: evidence for a check run alone."""
    invalid = dict(example_body(ctx))
    del invalid["recipient"]
    probe = send_step(
        ctx.key("invalid", f"{check_id.lower()}-2"),
        invalid,
        Expect.REJECT,
        rule_id="recipient-missing",
    )
    return [
        Case(
            f"{check_id}#1",
            check_id,
            "a valid send (the run's shared example send)",
            (example_send(ctx),),
            phase=Phase.SHARED,
        ),
        Case(f"{check_id}#2", check_id, "a send without recipient", (probe,)),
    ]


def _judge_case_with(
    judge_exchange: ExchangeJudge,
) -> Callable[[Case, Sequence[Exchange]], Iterator[Judgement]]:
    def judge(case: Case, exchanges: Sequence[Exchange]) -> Iterator[Judgement]:
        for index, (step, exchange) in enumerate(zip(case.steps, exchanges, strict=False)):
            for found in judge_exchange(exchange, step) or ():
                yield Judgement(found.verdict, found.message, exchange_index=index)

    return judge


def _cross_cutting(
    check_id: str,
    title: str,
    category: Category,
    claim: Claim,
    judge_exchange: ExchangeJudge,
    operations: frozenset[str] = ALL_OPERATIONS,
) -> Check:
    return Check(
        id=check_id,
        title=title,
        category=category,
        claim=claim,
        plan=lambda ctx: _own_cases(check_id, ctx),
        judge=_judge_case_with(judge_exchange),
        judge_exchange=judge_exchange,
        operations=operations,
    )


def _judged(step: Step, exchange: Exchange) -> bool:
    """Whether the checks here other than SEND-STATUS-CODES judge this answer: not an
    off-form one (its one verdict is given elsewhere), and not a status read still waiting
    (404 while the platform has not shown the message yet; STATUS-AFTER-SEND judges that)."""
    if exchange.response is None or off_form(step, exchange) is not None:
        return False
    return not (step.poll is not None and exchange.response.status == 404)


# --- SEND-NO-5XX ------------------------------------------------------------------------------


def _no_server_error(exchange: Exchange, step: Step) -> list[Judgement] | None:
    response = exchange.response
    if response is None:
        return None
    where = f"{step.method} {step.operation_id}"
    if response.status >= 500:
        again = " (and its retry got a 5xx too)" if exchange.maybe_processed_earlier else ""
        return [
            Judgement(
                Verdict.FAIL,
                f"HTTP {response.status} to {where}{again}: the documentation says a send "
                "returns an error only for an authentication or syntax error, or when the "
                "API is unavailable",
            )
        ]
    earlier = [status for status in exchange.earlier if status is not None and status >= 500]
    if earlier:
        return [
            Judgement(
                Verdict.OBSERVED,
                f"transient server error: HTTP {earlier[0]} to {where}, then HTTP "
                f"{response.status} on the retry (the same request)",
            )
        ]
    return []


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
        "API is unavailable: malformed input gets a 4xx, never a server error. A 5xx that a "
        "retry of the same request recovers from is observed (a failure under --strict).",
        source=ARCHITECTURE_PAGE,
        quote="Message-sending requests return an error only when there's an authentication or "
        "syntax error ... or when the API is unavailable.",
    ),
    plan=_plan_odd_inputs,
    judge=_judge_case_with(_no_server_error),
    judge_exchange=_no_server_error,
    operations=REST_OPERATIONS,
)


# --- SEND-STATUS-CODES ------------------------------------------------------------------------


def _documented_status(exchange: Exchange, step: Step) -> list[Judgement] | None:
    response = exchange.response
    if response is None:
        return None
    off = off_form(step, exchange)
    if off is not None:
        return [off]
    status = response.status
    if step.poll is not None and status == 404:
        return None  # a status still waiting for the platform: STATUS-AFTER-SEND judges it
    documented = load_spec().operation(step.operation_id).statuses
    if str(status) in documented or status == 429:
        return []
    listed = ", ".join(sorted(documented))
    if 400 <= status < 500:
        # A refusal with a status the docs do not list for this route: where the
        # documentation is silent (an unknown key, say), the run records it.
        return [
            Judgement(
                Verdict.OBSERVED,
                f"HTTP {status} is not a documented status of {step.operation_id} "
                f"(documented: {listed}); the documentation is silent on this answer",
            )
        ]
    return [
        Judgement(
            Verdict.FAIL,
            f"HTTP {status} is not a documented status of {step.operation_id} "
            f"(documented: {listed})",
        )
    ]


SEND_STATUS_CODES = _cross_cutting(
    "SEND-STATUS-CODES",
    "Every answer has a documented status code",
    Category.STATUS,
    Claim(
        text="Each route answers with the statuses its reference page documents: a send 202, "
        "400, 401, 403 or 500 (415, 429 and 503 platform-wide), and likewise for the token, "
        "status and definition routes. An undocumented 4xx is observed where the "
        "documentation is silent.",
        source=SEND_PAGE,
        quote="202 Accepted / 400 Bad Request / 401 Unauthorized / 403 Forbidden / "
        "500 Server Error",
    ),
    _documented_status,
)


# --- SEND-CONTENT-TYPE ------------------------------------------------------------------------


def _json_content_type(exchange: Exchange, step: Step) -> list[Judgement] | None:
    response = exchange.response
    if response is None or not response.body or not _judged(step, exchange):
        return None
    if response.media_type != JSON_MEDIA_TYPE:
        return [
            Judgement(
                Verdict.FAIL,
                f"HTTP {response.status} of {step.operation_id} came with Content-Type "
                f"{response.content_type!r}, documented {JSON_MEDIA_TYPE}",
            )
        ]
    return []


SEND_CONTENT_TYPE = _cross_cutting(
    "SEND-CONTENT-TYPE",
    "Every answer with a body is application/json",
    Category.CONTENT_TYPE,
    Claim(
        text="Responses of the REST API and of the token endpoint are JSON "
        "(Content-Type: application/json).",
        source=ERROR_HANDLING,
        quote="Content-Type: application/json; charset=utf-8",
    ),
    _json_content_type,
)


# --- SEND-RESPONSE-SCHEMA ---------------------------------------------------------------------


def _schema(exchange: Exchange, step: Step) -> list[Judgement] | None:
    response = exchange.response
    if response is None or not _judged(step, exchange):
        return None
    status = response.status
    spec = load_spec()
    if str(status) not in spec.operation(step.operation_id).statuses:
        return None  # SEND-STATUS-CODES reports it; an undocumented status has no schema
    body = response.json_or_none()
    if body is None and response.body:
        return [
            Judgement(Verdict.FAIL, f"HTTP {status} of {step.operation_id}: the body is not JSON")
        ]
    return [
        Judgement(
            Verdict.FAIL,
            f"HTTP {status} of {step.operation_id} body {issue.json_path}: {issue.message}",
        )
        for issue in spec.validate_response(step.operation_id, status, body, response.media_type)
    ]


SEND_RESPONSE_SCHEMA = _cross_cutting(
    "SEND-RESPONSE-SCHEMA",
    "Success and error bodies match their documented schemas",
    Category.SCHEMA,
    Claim(
        text="Every body matches the schema its route documents for its status: a send's 202 "
        "carries {requestId, errorcode, responses[{messageKey}]}; an error carries {message, "
        "errorcode, documentation}; the token, status and definition bodies likewise.",
        source=SEND_PAGE,
        quote='{"requestId": "…", "errorcode": 0, "responses": [{"messageKey": "…"}]}',
    ),
    _schema,
)


# --- SEND-REQUEST-ID --------------------------------------------------------------------------


def _request_id(exchange: Exchange, step: Step) -> list[Judgement] | None:
    response = exchange.response
    if response is None or not _judged(step, exchange):
        return None
    sent = step.operation_id in SEND_OPERATIONS and response.status == 202
    status = step.operation_id == SEND_STATUS and response.status == 200
    if not (sent or status):
        return None
    body = response.json_or_none()
    value = body.get("requestId") if isinstance(body, Mapping) else None
    if not isinstance(value, str) or not value.strip():
        what = "a 202 to a send" if sent else "a 200 status"
        return [Judgement(Verdict.FAIL, f"{what} carries no requestId string")]
    return []


SEND_REQUEST_ID = _cross_cutting(
    "SEND-REQUEST-ID",
    "Every accepted send and every status carries a requestId",
    Category.IDENTITY,
    Claim(
        text="The 202 of a send, and the 200 of a status read, carry a requestId.",
        source=SEND_PAGE,
        quote='"requestId": "239a2bc3-bdcb-4f8a-9e08-28aff9f983b7"',
    ),
    _request_id,
    operations=frozenset({*SEND_OPERATIONS, SEND_STATUS}),
)


# --- SEND-ERRORCODE ---------------------------------------------------------------------------


def _errorcode(exchange: Exchange, step: Step) -> list[Judgement] | None:
    response = exchange.response
    if response is None or not _judged(step, exchange):
        return None
    if step.operation_id in SEND_OPERATIONS:
        read = read_send(exchange, key_known=step.key_known)
        if read.answer in (Answer.ACCEPTED, Answer.ACCEPTED_EARLIER, Answer.REJECTED_202):
            if read.status == 202 and as_int(read.errorcode) is None:
                return [
                    Judgement(Verdict.FAIL, "a 202 response has no numeric top-level errorcode")
                ]
            if read.answer is Answer.REJECTED_202 and as_int(read.errorcode) == 0:
                return [
                    Judgement(
                        Verdict.FAIL,
                        "a 202 with a failed recipient has top-level errorcode 0, documented "
                        "109001 (MCMS_UTM_ResponsesHasErrors)",
                    )
                ]
            if read.answer is Answer.REJECTED_202 and not any(
                as_int(code) not in (None, 0) for code in read.recipient_errorcodes
            ):
                return [
                    Judgement(
                        Verdict.FAIL,
                        f"a 202 with errorcode {read.errorcode} names no failed recipient: "
                        "responses[] carries no per-recipient errorcode",
                    )
                ]
            return []
    if response.status in (415, 429) or not 400 <= response.status < 500:
        return None  # 415 has no documented custom code; 429 is never judged
    body = response.json_or_none()
    code = raw_errorcode(body) if isinstance(body, Mapping) else None
    if as_int(code) is None:
        return [
            Judgement(
                Verdict.FAIL,
                f"HTTP {response.status} error body of {step.operation_id} has no numeric "
                "errorcode ({message, errorcode, documentation} documented)",
            )
        ]
    return []


SEND_ERRORCODE = _cross_cutting(
    "SEND-ERRORCODE",
    "errorcode is 0 on acceptance and names the error on every rejection",
    Category.STATUS,
    Claim(
        text="Accepted sends carry errorcode 0; a partly failed request is 202 with errorcode "
        "109001 and the per-recipient errorcode and message; every REST error body carries "
        "errorcode.",
        source=SEND_PAGE,
        quote='"errorcode": 109001, "message": "MCMS_UTM_ResponsesHasErrors: 1 subscribers '
        'failed to queue out of 2"',
    ),
    _errorcode,
    operations=REST_OPERATIONS,
)

CHECKS = (
    SEND_NO_5XX,
    SEND_STATUS_CODES,
    SEND_CONTENT_TYPE,
    SEND_RESPONSE_SCHEMA,
    SEND_REQUEST_ID,
    SEND_ERRORCODE,
)
