"""The catalogue's passive claims, and how an exchange the proxy watched is judged by them. Pure.

A passive claim is one that can be judged on whatever an application happens to send: it reads
an answer, and needs no request of its own. Each is a catalogue check, judged here by the
catalogue's own judge (never a copy of it):

- every cross-cutting check (``Check.judge_exchange``: SEND-NO-5XX, SEND-STATUS-CODES,
  SEND-CONTENT-TYPE, SEND-RESPONSE-SCHEMA, SEND-REQUEST-ID, SEND-ERRORCODE, TOKEN-CONTRACT), on
  every exchange of its operations, exactly as a run judges every exchange it makes;
- SEND-ECHO-KEY: an accepted single send echoes the messageKey of its path
  (``send.judge_accepted``);
- SEND-DUPLICATE-KEY: a single send reusing the messageKey of a send accepted earlier in the
  session, within the shorter of the documented windows (2 days), is refused with 109110
  (``send.judge_reuse``);
- STATUS-AFTER-SEND: a status read answered 200 names the key of its path and a documented
  eventCategoryType (``status.judge_status_body``); that a status shows up within a wait is not
  judged, since the proxy never waits.

An observed request becomes a ``Step`` (``observed_step``): its operation (the spec's, by method
and path), its messageKey (from the path), what it expects (nothing: ``Expect.ANY``) and how it
authenticated (``Auth.OBSERVED``: the proxy never vouches for a token it did not issue, so a 401
is a documented answer, not the target refusing its own token). A token request is judged by
TOKEN-CONTRACT only when it asked for client credentials and was answered 200: the proxy
cannot tell good credentials refused from wrong ones.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping
from dataclasses import dataclass, replace
from urllib.parse import parse_qsl, unquote

from sms_contract.checks import CATALOGUE
from sms_contract.checks.model import Auth, Case, Check, Expect, Judgement, Step
from sms_contract.checks.reading import read_send
from sms_contract.checks.send import judge_accepted, judge_reuse
from sms_contract.checks.status import judge_status_body
from sms_contract.exchange import Exchange, HttpRequest
from sms_contract.outcomes import Verdict
from sms_contract.recordings.cassettes import OBSERVED_TRAFFIC
from sms_contract.spec.endpoints import (
    REQUEST_TOKEN,
    SEND_OPERATIONS,
    SEND_STATUS,
    SEND_TO_ONE,
    message_key_segment,
)
from sms_contract.spec.loading import load_spec

REUSE_WINDOW = 2 * 24 * 3600.0
"""Seconds a messageKey stays taken by both documented readings (2 days; 72 hours on other
pages): a reuse within it must be refused whichever reading holds."""


@dataclass(frozen=True)
class Observed:
    """One exchange the proxy forwarded, numbered in the order its answer came, with the step
    it reads as."""

    number: int
    step: Step
    exchange: Exchange

    @property
    def case_id(self) -> str:
        """How its line, its findings and its cassette interaction name it: ``PROXY#17``."""
        return f"{OBSERVED_TRAFFIC}#{self.number}"


# (the exchange, the earlier accepted send of the same messageKey if any) -> judgements, or
# None when the claim does not apply to the exchange.
PassiveJudge = Callable[[Observed, Observed | None], "list[Judgement] | None"]


@dataclass(frozen=True)
class Passive:
    """A catalogue check, and how it judges one observed exchange."""

    check: Check
    judge: PassiveJudge
    unseen: str  # why it judged nothing, when nothing it applies to passed

    def covers(self, step: Step) -> bool:
        return step.operation_id in self.check.operations


def observed_step(request: HttpRequest, status: int | None) -> Step | None:
    """The step an observed request reads as (module doc); ``None`` for a request that is no
    operation of the spec."""
    operation = load_spec().find_operation(request.method, request.path)
    if operation is None:
        return None
    operation_id = operation.operation_id
    key: str | None = None
    if operation_id in (SEND_TO_ONE, SEND_STATUS):
        segment = message_key_segment(request.path)
        key = None if segment is None else unquote(segment)
    auth = Auth.OBSERVED
    if operation_id == REQUEST_TOKEN and status == 200 and _grant(request) == "client_credentials":
        auth = Auth.CREDENTIALS  # answered with a token: the credentials were good
    return Step(
        operation_id=operation_id,
        method=request.method.upper(),
        path=request.path,
        expect=Expect.ANY,
        body=request.body,
        content_type=request.header("Content-Type"),
        auth=auth,
        billable=operation_id in SEND_OPERATIONS,
        message_key=key,
    )


def _grant(request: HttpRequest) -> str | None:
    """The ``grant_type`` a token request asks for (JSON or form-encoded body)."""
    raw = (request.body or b"").decode("utf-8", errors="replace")
    try:
        body = json.loads(raw)
    except ValueError:
        body = dict(parse_qsl(raw))
    grant = body.get("grant_type") if isinstance(body, Mapping) else None
    return grant if isinstance(grant, str) else None


def _exchange_judge(check: Check) -> PassiveJudge:
    judge_exchange = check.judge_exchange
    assert judge_exchange is not None

    def judge(observed: Observed, earlier: Observed | None) -> list[Judgement] | None:
        return judge_exchange(observed.exchange, observed.step)

    return judge


def _echo(observed: Observed, earlier: Observed | None) -> list[Judgement] | None:
    exchange, step = observed.exchange, observed.step
    if step.message_key is None or not read_send(exchange).accepted:
        return None  # only an acceptance echoes a key
    return list(judge_accepted(exchange, step))


def _reuse(observed: Observed, earlier: Observed | None) -> list[Judgement] | None:
    if earlier is None:
        return None
    case = Case(
        observed.case_id,
        "SEND-DUPLICATE-KEY",
        f"the messageKey of {earlier.case_id} (accepted) sent again within its window",
        (earlier.step, replace(observed.step, key_known=True)),
    )
    found = judge_reuse(case, (earlier.exchange, observed.exchange))
    return [j for j in found if j.verdict is not Verdict.INCOMPLETE]


def _status_body(observed: Observed, earlier: Observed | None) -> list[Judgement] | None:
    response, key = observed.exchange.response, observed.step.message_key
    if response is None or response.status != 200 or key is None:
        return None
    body = response.json_or_none()
    if not isinstance(body, Mapping):
        return None  # not JSON: SEND-CONTENT-TYPE and SEND-RESPONSE-SCHEMA say so
    return list(judge_status_body(body, key, index=0))


_OWN: dict[str, tuple[PassiveJudge, str]] = {
    "SEND-ECHO-KEY": (_echo, "no single send was accepted through the proxy"),
    "SEND-DUPLICATE-KEY": (
        _reuse,
        "no single send reused the messageKey of a send accepted through the proxy",
    ),
    "STATUS-AFTER-SEND": (_status_body, "no status read was answered 200 through the proxy"),
}


def passive_claims() -> tuple[Passive, ...]:
    """Every passive claim (module doc), in catalogue order."""
    found = []
    for check in CATALOGUE.values():
        if check.judge_exchange is not None:
            unseen = "nothing this claim applies to passed through the proxy"
            if check.id == "TOKEN-CONTRACT":
                unseen = "no client-credentials token request was answered 200 through the proxy"
            found.append(Passive(check, _exchange_judge(check), unseen))
        elif check.id in _OWN:
            judge, unseen = _OWN[check.id]
            found.append(Passive(check, judge, unseen))
    return tuple(found)
