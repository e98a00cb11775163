"""The shape of a conformance check: a documented claim, the cases that probe it, and a pure
judge that reads what came back.

A check never does I/O. ``plan`` turns a ``PlanContext`` (seed, allow-list, definition key) into
``Case`` values: the exact requests to send, step by step. The runner sends them through the
reference client and hands the resulting exchanges to ``judge``, which yields ``Judgement``s.
A check that cannot be run on a target (it would change a live tenant's configuration, or it
needs to move the target's clock) declares so up front in ``Check.requires``: the plan skips it
with that reason without calling its ``plan``, so nothing is generated that will not run. Its
cases carry the same needs (``Case.requires``, never more than the check declares).

A live run has a small budget of accepted sends, so cases share what they can: a *shared* step
(``Step.shared``) is sent once, by the first case that reaches it, and every other case that
holds it reads the same exchange (one accepted send serves the echo, requestId, errorcode,
schema, content type, status and duplicate-key claims). Each case runs in a ``Phase``: what a
conformant target answers without spending comes first, so that a probe spends budget only if
the target wrongly accepts it.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from enum import IntEnum, StrEnum
from typing import Any

from sms_contract.exchange import Exchange
from sms_contract.outcomes import Category, Claim, Verdict
from sms_contract.spec.endpoints import SEND_TO_ONE, message_path
from sms_contract.spec.rules import MESSAGE_KEY_MAX_LENGTH


class Capability(StrEnum):
    """What a case needs from the target beyond sending requests."""

    TIME_TRAVEL = "time-travel"  # move the target's clock (tokens, messageKey windows)
    TENANT_CHANGES = "tenant-changes"  # create, update or delete configuration (definitions)
    CREDENTIALS = "credentials"  # request tokens itself (needs client id and secret)
    GENERATED_SENDS = "generated-sends"  # sends with generated recipients (mock or loopback)
    EXTRA_TOKEN = "extra-token"  # request a token of its own beside the run's one


CAPABILITY_REASONS = {
    Capability.TIME_TRAVEL: (
        "needs to move the target's clock (only the simulator can; a real token lives 20 minutes)"
    ),
    Capability.TENANT_CHANGES: (
        "changes the tenant's configuration; runs against mock only unless "
        "--allow-tenant-changes is given"
    ),
    Capability.CREDENTIALS: (
        "needs client credentials (SFMC_CLIENT_ID and SFMC_CLIENT_SECRET); the run was "
        "configured with a static access token"
    ),
    Capability.GENERATED_SENDS: (
        "sends generated payloads to every operation, recipients included; runs against the "
        "mock or a simulator on loopback only, never against a billed tenant"
    ),
    Capability.EXTRA_TOKEN: (
        "requests a second token (with a narrower scope) beside the run's one, and the vendor "
        "throttles token requests; runs against a live tenant only with --allow-extra-token"
    ),
}


class Expect(StrEnum):
    """What the documentation says a step must get."""

    ACCEPT = "accept"  # 202 with errorcode 0 (or the operation's documented success status)
    REJECT = "reject"  # a documented rejection: 4xx with the error body, or 202 with errorcode != 0
    UNAUTHORIZED = "unauthorized"  # 401
    FORBIDDEN = "forbidden"  # 403: the token lacks the operation's scope
    ANY = "any"  # the documentation is silent: observe


class Phase(IntEnum):
    """When a case runs. The runner sends cases phase by phase (catalogue order within one)."""

    PROBE = 0  # requests a conformant target answers without a send: must-reject probes, reads
    SHARED = 1  # the run's shared accepted sends and the claims that read them
    MAY_ACCEPT = 2  # probes a conformant target may accept and reject later, then their status
    EXTRA = 3  # further accepted sends (generated payloads beyond the shared sends)
    TENANT = 4  # changes to the tenant's configuration


class Poll(StrEnum):
    """How a status read waits for the platform (sends are asynchronous)."""

    VISIBLE = "visible"  # until the status route knows the message (any documented status)
    FINAL = "final"  # until SMSSent or SMSNotSent (SMSQueued is not final)
    LISTED = "listed"  # the notSent list, page after page, until it lists the step's messageKey


class When(StrEnum):
    """A condition on the case's previous answer for a step to be sent at all."""

    ACCEPTED = "accepted"  # the previous send was accepted
    ECHO_UNSEEN = "echo unseen"  # accepted, but its response was lost and no answer echoed it
    NOT_SENT = "not sent"  # the previous status read showed SMSNotSent
    SCOPE_NARROWED = "scope narrowed"  # the previous token request got a token without sms_send


class Auth(StrEnum):
    """How a step authenticates."""

    BEARER = "bearer"  # the client's token, refreshed as the client does
    NONE = "none"  # no Authorization header at all
    INVALID = "invalid"  # a well-formed bearer token the target never issued
    EXPIRED = "expired"  # a token the target issued, used after its lifetime (needs TIME_TRAVEL)
    CREDENTIALS = "credentials"  # a token request with the configured client credentials
    BAD_SECRET = "bad-secret"  # a token request with a wrong client secret
    NARROW_SCOPE = "narrow-scope"  # a token request of the case's own, for a narrower scope
    SCOPED = "scoped"  # the token the case's NARROW_SCOPE step got (never the run's token)
    OBSERVED = "observed"  # an application's own request, watched by the proxy: not vouched for


_UNSET: Any = object()


@dataclass(frozen=True)
class Step:
    """One request of a case, described by value so that it can be planned, printed and replayed."""

    operation_id: str
    method: str
    path: str  # already percent-encoded
    expect: Expect
    json: Any = _UNSET  # a JSON value to send; _UNSET: see ``body``
    body: bytes | None = None  # raw bytes, for bodies that are not JSON
    content_type: str | None = "application/json"
    auth: Auth = Auth.BEARER
    billable: bool = False  # an accepted answer sends a real SMS
    message_key: str | None = None  # the key as the caller meant it, before encoding
    rule_id: str | None = None  # the rule an invalid payload breaks
    shared: str | None = None  # sent once per run, read by every case that holds this step
    owner: tuple[str, str] | None = None  # (check, case) a shared step is recorded under
    key_known: bool = False  # the messageKey was sent earlier in this run (a reuse)
    key_fixed: bool = False  # the key cannot carry the run's nonce ("." and "..")
    poll: Poll | None = None  # a status read that waits (up to --status-wait)
    when: When | None = None  # sent only if the case's previous answer was so (None: always)
    accepts: int | None = None  # messages a conformant target accepts (None: see conformant)

    @property
    def has_json(self) -> bool:
        return self.json is not _UNSET

    @property
    def spends_if_conformant(self) -> bool:
        """A conformant target accepts (some of) it, so it spends sends of the budget."""
        return self.conformant_sends > 0

    @property
    def conformant_sends(self) -> int:
        """Messages a conformant target accepts from it: ``accepts`` when set (a batch), else
        one for a billable step that expects acceptance."""
        if self.accepts is not None:
            return self.accepts
        return 1 if self.billable and self.expect is Expect.ACCEPT else 0

    @property
    def most_sends(self) -> int:
        """Messages it could deliver if the target accepted all of it: one per recipient (a
        batch's ``recipients`` items, and ``recipient`` beside them), at least one."""
        if not self.billable:
            return 0
        body = self.json if self.has_json else None
        if not isinstance(body, dict):
            return 1
        items = body.get("recipients")
        count = len(items) if isinstance(items, list) else 0
        return max(count + (1 if "recipient" in body else 0), 1)

    def wire_body(self) -> bytes | None:
        """The exact bytes that go on the wire."""
        if self.has_json:
            return json.dumps(self.json, ensure_ascii=False).encode("utf-8")
        return self.body


@dataclass(frozen=True)
class Case:
    id: str
    check_id: str
    description: str
    steps: tuple[Step, ...]
    requires: frozenset[Capability] = frozenset()
    phase: Phase = Phase.PROBE
    optional: bool = False  # generated on top of the named cases: dropped first to fit a budget

    @property
    def owner(self) -> tuple[str, str]:
        return (self.check_id, self.id)


@dataclass(frozen=True)
class PlanContext:
    seed: int
    examples: int
    definition_key: str
    allow_list: tuple[str, ...]
    unknown_definition_key: str = "sms-contract-unknown-definition"
    # Run-unique text mixed into every messageKey: a key must be unique in the business unit
    # for 2 days (72 hours by another page), so a rerun against a live tenant needs fresh keys.
    nonce: str = "sc0"
    max_sends: int | None = None  # the send budget the plan must fit (None: unbounded)

    def key(self, base: str, tag: str) -> str:
        """``base`` made unique to this run and case (``tag``), at most 100 characters, with
        ``base``'s start kept: generated keys repeat (Hypothesis draws "0" often), and a reused
        key is rejected, so every case needs its own."""
        suffix = f"-{tag}-{self.nonce}"
        return base[: MESSAGE_KEY_MAX_LENGTH - len(suffix)] + suffix


@dataclass(frozen=True)
class Judgement:
    """What a judge concluded about one case (or one exchange, for cross-cutting checks).

    ``Verdict.INCOMPLETE`` says the case could not be judged (its message says why): the
    runner reports it as not judged, never as a pass. ``Verdict.SKIPPED`` (``not_applicable``)
    says nothing the claim covers happened in this case (its message says what did not): the
    case neither holds nor breaks the claim, and a check none of whose cases applied is not
    judged, never a pass. A case that yields nothing held the claim.
    """

    verdict: Verdict
    message: str
    exchange_index: int | None = None  # which exchange of the case is the evidence; None: all


def not_applicable(message: str) -> Judgement:
    """The claim does not apply to this case (``message``, starting ``"not judged: "``, says
    why): nothing it covers happened, so the case is no evidence either way."""
    return Judgement(Verdict.SKIPPED, message)


def send_step(
    message_key: str,
    payload: Any,
    expect: Expect,
    *,
    auth: Auth = Auth.BEARER,
    rule_id: str | None = None,
) -> Step:
    """A single-recipient send of a JSON payload; billable, since an accepted one is a real SMS."""
    return Step(
        operation_id=SEND_TO_ONE,
        method="POST",
        path=message_path(message_key),
        expect=expect,
        json=payload,
        auth=auth,
        billable=True,
        message_key=message_key,
        rule_id=rule_id,
    )


Planner = Callable[[PlanContext], Sequence[Case]]
CaseJudge = Callable[[Case, Sequence[Exchange]], Iterator[Judgement]]
ExchangeJudge = Callable[[Exchange, Step], "list[Judgement] | None"]
"""Judges one exchange of the run; ``None`` when the claim does not apply to it (a claim with
nothing it applies to in the whole run is not judged, never a pass)."""


@dataclass(frozen=True)
class Check:
    """One documented claim and how to test it.

    ``judge`` reads the exchanges of one of its own cases (one per step that was sent: a
    step after an unaccepted one may not be). A cross-cutting check also has
    ``judge_exchange``, which the runner applies to every exchange of the run on
    ``operations`` (so, for example, the content type is checked on every response, not only
    on the check's own cases).

    ``requires``: what the target must be able to do for the check to run, decided before
    ``plan`` is called (a target that lacks any of it skips the check, which then generates
    nothing). It is every capability any of its cases may need, whatever the context: each
    case's ``requires`` is a subset of it, and with every capability present their union is it.
    """

    id: str
    title: str
    category: Category
    claim: Claim
    plan: Planner
    judge: CaseJudge
    judge_exchange: ExchangeJudge | None = None
    operations: frozenset[str] = field(default_factory=lambda: frozenset({SEND_TO_ONE}))
    requires: frozenset[Capability] = frozenset()
