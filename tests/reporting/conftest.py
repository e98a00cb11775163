"""A run with one check of each verdict, its evidence scrubbed the way the runner scrubs it."""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import replace
from typing import Any

import pytest

from sms_contract.exchange import HttpRequest, HttpResponse
from sms_contract.outcomes import (
    Category,
    CheckOutcome,
    Claim,
    Evidence,
    Finding,
    NotJudged,
    RunOutcome,
    Spending,
    Verdict,
)
from sms_contract.redaction import Scrubber

SEND_PAGE = "https://developer.salesforce.com/docs/example/sendSMSMessageSingleRecipient.html"
BASE_URL = "https://mc-test.rest.marketingcloudapis.com"
SEND_URL = f"{BASE_URL}/messaging/v1/sms/messages/key-1"
REPLAY = {
    "mock": "sms-contract run --target mock --seed 42 --check SEND-ECHO-KEY --case c-echo-1",
    "live": "sms-contract run --target live --seed 42 --check SEND-ECHO-KEY --case c-echo-1 "
    "--definition-key KEY --to NUMBER --max-sends 2",
}

# Canaries: if any of these reaches a report, scrubbing failed somewhere on the way.
TOKEN = "canary-token-7c1e0b"
CLIENT_SECRET = "canary-client-secret-9f3a"
PHONE = "15555550199"
ATTRIBUTE = "canary-attribute-Astro-0042"
CANARIES = (TOKEN, CLIENT_SECRET, PHONE, ATTRIBUTE)

# Why the sample's incomplete check could not judge three of its four cases.
BUDGET = "budget: the budget of 5 accepted sends is spent"
THROTTLED = "throttled: 429 after every retry; honoured, not judged"
NOT_JUDGED = (
    NotJudged("c-dup-2", BUDGET),
    NotJudged("c-dup-3", THROTTLED),
    NotJudged("c-dup-4", BUDGET),
)


def send_exchange(scrubber: Scrubber, response_body: dict[str, Any]) -> Evidence:
    """A send carrying every canary, scrubbed into evidence as the runner does it."""
    payload = {
        "definitionKey": "account-reset",
        "recipient": {"to": PHONE, "contactKey": "Astro25", "attributes": {"code": ATTRIBUTE}},
    }
    request = HttpRequest(
        "POST",
        SEND_URL,
        {"Authorization": f"Bearer {TOKEN}", "Content-Type": "application/json"},
        json.dumps(payload).encode(),
    )
    response = HttpResponse(
        202, {"Content-Type": "application/json"}, json.dumps(response_body).encode()
    )
    return Evidence(scrubber.request(request), scrubber.response(response), scrubber.curl(request))


def token_exchange(scrubber: Scrubber) -> Evidence:
    """A token request and answer carrying the client secret and the token."""
    body = {"grant_type": "client_credentials", "client_id": "cid", "client_secret": CLIENT_SECRET}
    request = HttpRequest(
        "POST",
        "https://mc-test.auth.marketingcloudapis.com/v2/token",
        {"Content-Type": "application/json"},
        json.dumps(body).encode(),
    )
    answer = {"access_token": TOKEN, "token_type": "Bearer", "expires_in": 1080}
    response = HttpResponse(200, {"Content-Type": "application/json"}, json.dumps(answer).encode())
    return Evidence(scrubber.request(request), scrubber.response(response), scrubber.curl(request))


def check(
    check_id: str,
    verdict: Verdict,
    *,
    title: str = "a title",
    findings: tuple[Finding, ...] = (),
    skip_reason: str | None = None,
    documented: bool = True,
    category: Category = Category.STATUS,
    cases: int | None = None,
    not_judged: tuple[NotJudged, ...] = (),
    planned: int | None = None,
    example: Evidence | None = None,
) -> CheckOutcome:
    """A check result with a claim sourced from the send page.

    ``cases`` judged defaults to 3 (0 when skipped); ``planned`` to the judged cases plus
    those ``not_judged``, as the runner counts them; ``example`` the exchange of a pass."""
    claim = Claim(
        text=f"claim of {check_id}",
        source=SEND_PAGE,
        quote=f"quote of {check_id}",
        documented=documented,
    )
    if cases is None:
        cases = 0 if verdict is Verdict.SKIPPED else 3
    return CheckOutcome(
        check_id,
        title,
        category,
        claim,
        verdict,
        cases,
        findings,
        skip_reason,
        duration=0.25,
        not_judged=not_judged,
        planned=cases + len(not_judged) if planned is None else planned,
        example=example,
    )


def make_run(
    *,
    strict: bool = False,
    fail_message: str = "messageKey was not echoed: sent 'key-1', got 'other'",
    title: str = "Echoes the messageKey",
    extra: tuple[CheckOutcome, ...] = (),
    allow_incomplete: bool = False,
    stopped: str | None = None,
    possibly_accepted: int = 1,
) -> RunOutcome:
    """A run of five checks: one pass with its example exchange, one fail with evidence, one
    observed, one skipped (the target lacks a capability) and one incomplete (1 of 4 cases
    judged: the budget ran out and the target throttled)."""
    scrubber = Scrubber(known_secrets=[CLIENT_SECRET, TOKEN])
    token = token_exchange(scrubber)
    sent = send_exchange(
        scrubber, {"requestId": "r-1", "errorcode": 0, "responses": [{"messageKey": "other"}]}
    )
    failure = Finding(
        Verdict.FAIL, scrubber.text(fail_message), "c-echo-1", (token, sent), dict(REPLAY)
    )
    observation = Finding(
        Verdict.OBSERVED, "+15555551234 was accepted (202)", "c-plus-1", (sent,), dict(REPLAY)
    )
    example = send_exchange(
        scrubber, {"requestId": "r-2", "errorcode": 0, "responses": [{"messageKey": "key-1"}]}
    )
    checks = (
        check(
            "SEND-ACCEPTED",
            Verdict.PASS,
            title="A valid send is accepted with 202",
            example=example,
        ),
        check("SEND-ECHO-KEY", Verdict.FAIL, title=title, findings=(failure,)),
        check(
            "SEND-PLUS-PREFIX",
            Verdict.OBSERVED,
            title="A leading + on the number",
            findings=(observation,),
            documented=False,
            category=Category.VALIDATION,
        ),
        check(
            "STATUS-UNKNOWN-KEY",
            Verdict.SKIPPED,
            title="Status of an unknown messageKey",
            skip_reason="the mock has no status endpoint",
            category=Category.DELIVERY,
        ),
        check(
            "SEND-DUPLICATE-KEY",
            Verdict.INCOMPLETE,
            title="A repeated messageKey is rejected",
            category=Category.IDEMPOTENCY,
            cases=1,
            not_judged=NOT_JUDGED,
        ),
        *extra,
    )
    return RunOutcome(
        tool_version="0.1.0",
        spec_sha256="ab" * 32,
        target="mock",
        base_url=BASE_URL,
        seed=42,
        started_at="2025-01-02T03:04:05Z",
        duration=1.5,
        strict=strict,
        checks=checks,
        spending=Spending(
            requests=12,
            token_requests=2,
            accepted_sends=3,
            max_sends=5,
            max_requests=100,
            possibly_accepted=possibly_accepted,
        ),
        allow_incomplete=allow_incomplete,
        stopped=stopped,
    )


def without(run: RunOutcome, *verdicts: Verdict) -> RunOutcome:
    """The run with every check of ``verdicts`` left out."""
    return replace(run, checks=tuple(c for c in run.checks if c.verdict not in verdicts))


@pytest.fixture
def run() -> RunOutcome:
    """The sample run, not strict."""
    return make_run()


@pytest.fixture
def make() -> Callable[..., RunOutcome]:
    """The factory, for tests that need a variation of the sample run."""
    return make_run
