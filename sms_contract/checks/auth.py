"""Checks on authentication: the token endpoint's contract, and 401 for every request whose
bearer token is missing, unknown or expired.

TOKEN-CONTRACT judges the run's own token responses (every token the client asked for with the
configured credentials): a live run asks for one token in the normal case, and that is the
one judged, not an extra request."""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from dataclasses import replace

from sms_contract.checks.generated import valid_send
from sms_contract.checks.model import (
    Auth,
    Capability,
    Case,
    Check,
    Expect,
    Judgement,
    PlanContext,
    Planner,
    Step,
    When,
    send_step,
)
from sms_contract.checks.reading import Answer, off_form, read_send
from sms_contract.checks.shared import example_body
from sms_contract.exchange import Exchange
from sms_contract.outcomes import Category, Claim, Verdict
from sms_contract.spec.endpoints import REQUEST_TOKEN, TOKEN_PATH
from sms_contract.spec.rules import ERROR_HANDLING

TOKEN_PAGE = (
    "https://developer.salesforce.com/docs/marketing/marketing-cloud/guide/access-token-s2s.html"
)
SCOPES_PAGE = (
    "https://developer.salesforce.com/docs/marketing/marketing-cloud/guide/"
    "rest-permissions-and-scopes.html"
)
NARROW_SCOPE = "sms_read"
"""The scope the 403 check asks a token for: SMS permission to read, not to send."""
SEND_SCOPE = "sms_send"
ACCESS_TOKEN_MAX_LENGTH = 512


# --- AUTH-NO-TOKEN, AUTH-BAD-TOKEN, AUTH-EXPIRED-TOKEN ----------------------------------------


def _auth_needs(auth: Auth) -> frozenset[Capability]:
    """An expired token is one the target issued (credentials) and saw expire (its clock)."""
    if auth is Auth.EXPIRED:
        return frozenset({Capability.TIME_TRAVEL, Capability.CREDENTIALS})
    return frozenset()


def _auth_planner(check_id: str, auth: Auth, description: str) -> Planner:
    def plan(ctx: PlanContext) -> Sequence[Case]:
        valid = valid_send(ctx, offset=7)
        key = ctx.key(valid.message_key, check_id.lower())
        step = send_step(key, valid.json_body, Expect.UNAUTHORIZED, auth=auth)
        needs = _auth_needs(auth)
        return [Case(f"{check_id}#1", check_id, description, (step,), requires=needs)]

    return plan


def _judge_unauthorized(case: Case, exchanges: Sequence[Exchange]) -> Iterator[Judgement]:
    step, exchange = case.steps[0], exchanges[0]
    off = off_form(step, exchange)
    if off is not None:
        yield off
        return
    read = read_send(exchange)
    if read.answer is not Answer.UNAUTHORIZED:
        harm = " and the message was queued for delivery" if read.accepted else ""
        yield Judgement(
            Verdict.FAIL,
            f"{case.description}: got {read.describe()}{harm}, documented 401 Not Authorized",
        )
        return
    body = read.body
    message = body.get("message") if isinstance(body, Mapping) else None
    if message != "Not Authorized":
        # The body shape comes from third-party fixtures, not from Salesforce: observe it.
        yield Judgement(
            Verdict.OBSERVED,
            "401 as documented; the body's message is not 'Not Authorized' "
            f"(body keys: {sorted(body) if isinstance(body, Mapping) else type(body).__name__})",
        )


def _auth_check(check_id: str, title: str, auth: Auth, description: str) -> Check:
    return Check(
        id=check_id,
        title=title,
        category=Category.AUTH,
        claim=Claim(
            text="A request whose token was not found, is invalid or has expired is refused "
            "with 401 and errorcode 0 (Not Authorized).",
            source=ERROR_HANDLING,
            quote="Not Authorized | The token was not found in the request, or it is invalid or "
            "expired. | 401 | 0",
        ),
        plan=_auth_planner(check_id, auth, description),
        judge=_judge_unauthorized,
        requires=_auth_needs(auth),
    )


AUTH_NO_TOKEN = _auth_check(
    "AUTH-NO-TOKEN", "A send without a token gets 401", Auth.NONE, "a send without a token"
)
AUTH_BAD_TOKEN = _auth_check(
    "AUTH-BAD-TOKEN",
    "A send with a token the target never issued gets 401",
    Auth.INVALID,
    "a send with an unknown bearer token",
)
AUTH_EXPIRED_TOKEN = _auth_check(
    "AUTH-EXPIRED-TOKEN",
    "A send with an expired token gets 401",
    Auth.EXPIRED,
    "a send with a token used after its lifetime",
)


# --- TOKEN-CONTRACT, TOKEN-BAD-SECRET ---------------------------------------------------------


_TOKEN_NEEDS = frozenset({Capability.CREDENTIALS})  # a token request with the client's own


def token_step(auth: Auth, expect: Expect) -> Step:
    # The body (client credentials) is filled in by the runner from its configuration, so that
    # no plan, report or recording ever holds the secret.
    return Step(
        operation_id=REQUEST_TOKEN, method="POST", path=TOKEN_PATH, expect=expect, auth=auth
    )


def _judge_token_exchange(exchange: Exchange, step: Step) -> list[Judgement] | None:
    """A token response to the configured client credentials (not to a wrong secret)."""
    if step.auth is not Auth.CREDENTIALS:
        return None
    response = exchange.response
    if response is None:
        return None
    body = response.json_or_none()
    if response.status != 200 or not isinstance(body, Mapping):
        return [
            Judgement(
                Verdict.FAIL,
                f"good client credentials got HTTP {response.status}, documented 200 with a token",
            )
        ]
    problems = []
    token = body.get("access_token")
    if not isinstance(token, str) or not token:
        problems.append("access_token is missing or not a string")
    elif len(token) > ACCESS_TOKEN_MAX_LENGTH:
        problems.append(f"access_token is {len(token)} characters, documented at most 512")
    expires = body.get("expires_in")
    if isinstance(expires, bool) or not isinstance(expires, int) or expires <= 0:
        problems.append(
            "expires_in is missing or not a positive integer (the client then keeps the token "
            "30 seconds and asks for a new one at most that often)"
        )
    if not isinstance(body.get("token_type"), str) or body["token_type"].lower() != "bearer":
        problems.append("token_type is not 'Bearer'")
    for field in ("rest_instance_url", "soap_instance_url"):
        if not isinstance(body.get(field), str) or not body[field]:
            problems.append(f"{field} is missing")
    return [Judgement(Verdict.FAIL, problem) for problem in problems]


def _judge_token(case: Case, exchanges: Sequence[Exchange]) -> Iterator[Judgement]:
    for exchange in exchanges:
        yield from _judge_token_exchange(exchange, case.steps[0]) or ()


TOKEN_CONTRACT = Check(
    id="TOKEN-CONTRACT",
    title="Good client credentials get a token with the documented fields",
    category=Category.TOKEN,
    claim=Claim(
        text="POST /v2/token with client_credentials answers 200 with access_token (at most "
        "512 characters), expires_in, token_type Bearer, rest_instance_url and "
        "soap_instance_url.",
        source=TOKEN_PAGE,
        quote="access_token: Maximum length is 512 characters. Lifetime is 20 minutes. / "
        "expires_in: approximately 1080 seconds",
    ),
    plan=lambda ctx: [
        Case(
            "TOKEN-CONTRACT#1",
            "TOKEN-CONTRACT",
            "a token request with the configured client credentials",
            (token_step(Auth.CREDENTIALS, Expect.ACCEPT),),
            requires=_TOKEN_NEEDS,
        )
    ],
    judge=_judge_token,
    judge_exchange=_judge_token_exchange,
    operations=frozenset({REQUEST_TOKEN}),
    requires=_TOKEN_NEEDS,
)


def _judge_bad_secret(case: Case, exchanges: Sequence[Exchange]) -> Iterator[Judgement]:
    response = exchanges[0].response
    if response is None:
        yield Judgement(Verdict.FAIL, "no response arrived from the token endpoint")
        return
    body = response.json_or_none()
    if response.status != 401:
        issued = " and issued a token" if response.status == 200 else ""
        yield Judgement(
            Verdict.FAIL,
            f"a wrong client secret got HTTP {response.status}{issued}, documented 401",
        )
    elif not isinstance(body, Mapping) or body.get("error") != "invalid_client":
        yield Judgement(Verdict.FAIL, "401 without error 'invalid_client' in the body")


TOKEN_BAD_SECRET = Check(
    id="TOKEN-BAD-SECRET",
    title="A wrong client secret gets 401 invalid_client",
    category=Category.TOKEN,
    claim=Claim(
        text="POST /v2/token with a wrong client secret answers 401 with "
        "{error: invalid_client, error_description, error_uri}.",
        source=TOKEN_PAGE,
        quote='HTTP/1.1 401 Unauthorized {"error": "invalid_client", "error_description": '
        '"Invalid client ID. …", "error_uri": "https://developer.salesforce.com/docs"}',
    ),
    plan=lambda ctx: [
        Case(
            "TOKEN-BAD-SECRET#1",
            "TOKEN-BAD-SECRET",
            "a token request with the configured client id and a wrong secret",
            (token_step(Auth.BAD_SECRET, Expect.UNAUTHORIZED),),
            requires=_TOKEN_NEEDS,
        )
    ],
    judge=_judge_bad_secret,
    operations=frozenset({REQUEST_TOKEN}),
    requires=_TOKEN_NEEDS,
)


# --- AUTH-INSUFFICIENT-SCOPE ------------------------------------------------------------------

_SCOPE_NEEDS = frozenset({Capability.CREDENTIALS, Capability.EXTRA_TOKEN})  # a token of its own


def _plan_scope(ctx: PlanContext) -> Sequence[Case]:
    key = ctx.key("sms-contract-narrow-scope", "scope")
    send = replace(
        send_step(key, example_body(ctx), Expect.FORBIDDEN, auth=Auth.SCOPED),
        when=When.SCOPE_NARROWED,
    )
    return [
        Case(
            "AUTH-INSUFFICIENT-SCOPE#1",
            "AUTH-INSUFFICIENT-SCOPE",
            f"a token requested with scope {NARROW_SCOPE!r} (no {SEND_SCOPE}), then the "
            "documented example sent with it",
            (token_step(Auth.NARROW_SCOPE, Expect.ACCEPT), send),
            requires=_SCOPE_NEEDS,
        )
    ]


def _judge_scope(case: Case, exchanges: Sequence[Exchange]) -> Iterator[Judgement]:
    token = exchanges[0].response
    body = token.json_or_none() if token is not None else None
    if token is None or token.status != 200 or not isinstance(body, Mapping):
        status = "no response" if token is None else f"HTTP {token.status}"
        yield Judgement(
            Verdict.INCOMPLETE,
            f"not judged: a token request with scope {NARROW_SCOPE!r} got {status}, so no "
            "narrower token could be tried",
        )
        return
    granted = body.get("scope")
    if len(exchanges) < 2:
        if not isinstance(body.get("access_token"), str):
            yield Judgement(
                Verdict.INCOMPLETE, "not judged: the narrow-scope token response has no token"
            )
            return
        yield Judgement(
            Verdict.OBSERVED,
            f"a token requested with scope {NARROW_SCOPE!r} was granted {granted!r}, which "
            f"includes {SEND_SCOPE}: the claim cannot be judged, and nothing was sent with it "
            "(the documentation does not say whether a requested scope can be widened)",
            exchange_index=0,
        )
        return
    step, exchange = case.steps[1], exchanges[1]
    off = off_form(step, exchange)
    if off is not None:
        yield Judgement(off.verdict, off.message, exchange_index=1)
        return
    read = read_send(exchange)
    if read.answer is Answer.FORBIDDEN:
        return
    harm = " and the message was queued for delivery" if read.accepted else ""
    yield Judgement(
        Verdict.FAIL,
        f"a send with a token of scope {granted if isinstance(granted, str) else NARROW_SCOPE!r}"
        f" got {read.describe()}{harm}, documented 403 (sending needs {SEND_SCOPE})",
        exchange_index=1,
    )


AUTH_INSUFFICIENT_SCOPE = Check(
    id="AUTH-INSUFFICIENT-SCOPE",
    title="A send with a token that lacks sms_send gets 403",
    category=Category.AUTH,
    claim=Claim(
        text=f"Sending needs the {SEND_SCOPE} scope: a send with a token requested for "
        f"{NARROW_SCOPE!r} only is refused with 403 (20002 Insufficient Privileges).",
        source=SCOPES_PAGE,
        quote="POST /messaging/v1/sms/messages/{messageKey}: sms_send / 403 | 20002 | "
        "Insufficient Privileges (error-handling)",
    ),
    plan=_plan_scope,
    judge=_judge_scope,
    requires=_SCOPE_NEEDS,
)

CHECKS = (
    AUTH_NO_TOKEN,
    AUTH_BAD_TOKEN,
    AUTH_EXPIRED_TOKEN,
    TOKEN_CONTRACT,
    TOKEN_BAD_SECRET,
    AUTH_INSUFFICIENT_SCOPE,
)
