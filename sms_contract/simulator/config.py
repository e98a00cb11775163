"""What a simulator is configured with: credentials, seeded definitions, faults, deviations.

Every value is frozen. The defaults follow the documentation (token lifetime 20 minutes,
``expires_in`` two minutes less, a 2-day messageKey window, statuses kept 3 days); where the
documentation is silent the default is named as a choice in the field's comment.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import Enum
from typing import Any

from sms_contract.errors import UsageError
from sms_contract.spec.rules import RULES_BY_ID, RejectionForm

DEFAULT_CLIENT_ID = "sms-contract-client"
DEFAULT_CLIENT_SECRET = "sms-contract-secret"  # a public test value, not a secret
DEFAULT_SCOPE = "sms_read sms_write sms_send tracking_events_read"
DAY = 86_400.0
ASYNC_RULES: frozenset[str] = frozenset(
    {"definition-key-unknown", "to-invalid", "contact-key-missing"}
)
"""The validation rules (``rules.RULES`` ids) ``SimulatorConfig.async_rules`` may defer."""


class Deviation(Enum):
    """A deliberate non-conformance, to prove that a conformance check can fail.

    Each member's ``claim`` (also its ``__doc__``) names the documented claim it breaks;
    ``cli_name`` is the spelling ``sms-contract serve --deviation`` accepts.
    """

    ACCEPT_INVALID = (
        "accept-invalid",
        "A send that breaks a documented validation rule is rejected (it is answered 202).",
    )
    ECHO_ALTERED_KEY = (
        "echo-altered-key",
        "An accepted send echoes the messageKey exactly as sent (it is decoded twice, or "
        "echoed still percent-encoded, when it holds special characters).",
    )
    SERVER_ERROR_ON_NON_ASCII_KEY = (
        "server-error-on-non-ascii-key",
        "messageKey has no restricted characters (a non-ASCII key gets HTTP 500).",
    )
    WRONG_CONTENT_TYPE = (
        "wrong-content-type",
        "Responses are application/json (they are served as text/plain).",
    )
    MISSING_REQUEST_ID = (
        "missing-request-id",
        "Responses carry a requestId (it is left out).",
    )
    ERRORCODE_MISSING = (
        "errorcode-missing",
        "An accepted send answers errorcode 0 (the field is left out).",
    )
    IGNORE_AUTH = (
        "ignore-auth",
        "A missing, unknown or expired bearer token gets 401 Not Authorized (it is accepted).",
    )
    TOKEN_MISSING_FIELDS = (
        "token-missing-fields",
        "The token response carries rest_instance_url and expires_in (both are left out).",
    )
    ACCEPT_BAD_SECRET = (
        "accept-bad-secret",
        "The token endpoint refuses a wrong client_secret with 401 invalid_client "
        "(any secret is accepted).",
    )
    UNKNOWN_EVENT_CATEGORY = (
        "unknown-event-category",
        "Send status is one of SMSSent, SMSQueued, SMSNotSent "
        "(TransactionalSendEvents.SMSDelivered is answered).",
    )
    ACCEPT_DUPLICATE_KEY = (
        "accept-duplicate-key",
        "A messageKey reused within its window is rejected with 109110 (it is accepted).",
    )
    RETRY_AFTER_MISSING = (
        "retry-after-missing",
        "A 429 carries a Retry-After header (it is left out).",
    )
    REJECT_DOCUMENTED_EXAMPLE = (
        "reject-documented-example",
        "The documented example send (with its subscriptions field) is accepted "
        "(it is rejected with 109122).",
    )
    MALFORMED_ERROR_BODY = (
        "malformed-error-body",
        "Error bodies are {message, errorcode, documentation} (errorcode is left out).",
    )
    EXTRA_FIELD = (
        "extra-field",
        "An accepted send answers only documented fields (an undocumented trackingId is added).",
    )
    STATUS_CHANGED = (
        "status-changed",
        "An accepted send answers 202 Accepted (it answers 200).",
    )
    ACCEPT_MISSING_DEFINITION_KEY = (
        "accept-missing-definition-key",
        "A send without definitionKey is rejected with 109107 (a body without the member is "
        "accepted; an empty definitionKey is still rejected).",
    )
    ACCEPT_LONG_MESSAGE_KEY = (
        "accept-long-message-key",
        "A messageKey longer than 100 characters is rejected with 109108 (it is accepted).",
    )
    SERVER_ERROR_ON_MALFORMED_JSON = (
        "server-error-on-malformed-json",
        "A send whose body is not valid JSON is rejected with 400 and 10004 (it gets HTTP 500 "
        "and is not processed).",
    )
    STATUS_NEVER_FOUND = (
        "status-never-found",
        "The status of an accepted send can be read for 3 days (every status request is "
        "answered 404 with 30003).",
    )
    STATUS_WRONG_KEY = (
        "status-wrong-key",
        "A send status names the messageKey asked for in info.messageKey (another key is "
        "named: the key with a suffix).",
    )
    TRIM_MESSAGE_KEY = (
        "trim-message-key",
        "messageKey has no restricted characters and is kept exactly as sent (leading and "
        "trailing white space is stripped before it is stored and echoed).",
    )
    TOKEN_WITHOUT_EXPIRES_IN = (
        "token-without-expires-in",
        "The token response carries expires_in (it is left out; rest_instance_url stays).",
    )

    BATCH_ONE_RESPONSE = (
        "batch-one-response",
        "An accepted batch answers one responses[] item per recipient, each naming its "
        "messageKey (only the first recipient's item is answered).",
    )
    ACCEPT_BATCH_DUPLICATE_KEY = (
        "accept-batch-duplicate-key",
        "A messageKey used twice in one batch is rejected (every recipient is accepted).",
    )
    BATCH_ALL_OR_NOTHING = (
        "batch-all-or-nothing",
        "A batch with one bad recipient is a partial failure: 202 with errorcode 109001, the "
        "others queued (the whole batch is refused with the recipient's HTTP 400).",
    )
    NOT_SENT_UNLISTED = (
        "not-sent-unlisted",
        "A message that was not sent is listed by ?type=notSent (the list is always empty).",
    )
    REJECT_LONG_CONTENT = (
        "reject-long-content",
        "content.message may take more than one part (over 160 GSM-7 septets or 70 UCS-2 units "
        "it is rejected with 10005).",
    )
    IGNORE_SCOPES = (
        "ignore-scopes",
        "A token without a route's scope gets 403 with 20002 (scopes are not checked).",
    )

    def __init__(self, cli_name: str, claim: str) -> None:
        self.cli_name = cli_name
        self.claim = claim
        self.__doc__ = f"Breaks: {claim}"

    @classmethod
    def from_cli_name(cls, name: str) -> Deviation:
        """The deviation spelled ``name`` (``accept-invalid`` or ``ACCEPT_INVALID``)."""
        wanted = name.strip().lower().replace("_", "-")
        for deviation in cls:
            if deviation.cli_name == wanted:
                return deviation
        known = ", ".join(d.cli_name for d in cls)
        raise UsageError(f"unknown deviation {name!r}; choose from: {known}")


@dataclass(frozen=True)
class Faults:
    """Failures injected on purpose. Zero turns a fault off.

    Faults apply to the REST routes only, unless ``include_token_requests`` is set: a
    harness that exercises retries should not also lose its token at random. The schedules
    count requests from the moment the faults are set (``Simulator.set_faults``).
    """

    latency: float = 0.0
    """Seconds slept (real time) before answering."""
    rate_limit_every: int = 0
    """Every Nth request is answered 429 with Retry-After (before it is processed)."""
    retry_after: int = 5
    """The Retry-After seconds of a 429 (header and ``retryAfter``)."""
    error_every: int = 0
    """Every Nth request is answered 500 (before it is processed)."""
    drop_response_every: int = 0
    """Every Nth send is processed, then the connection is dropped before the response.

    "Send" means a send request that reached its handler (past auth and the 429/500 faults)
    and was processed: accepted or rejected. A processed-then-dropped send stays counted as
    what it was (``accepted_sends`` per accepted recipient, or ``rejected_sends``), and in
    ``dropped_responses``: the server's own count of sends it may have delivered includes the
    sends whose answer was lost. A send a deviation refuses unprocessed (a 500 of
    SERVER_ERROR_ON_NON_ASCII_KEY or SERVER_ERROR_ON_MALFORMED_JSON) is neither dropped nor
    counted by this schedule. ``drop_response_every=1`` models a server that answers nothing
    to every send."""
    drop_next_sends: int = 0
    """The next K sends are processed, then dropped (same meaning of "send" as above)."""
    include_token_requests: bool = False
    """Apply latency, 429 and 500 to POST /v2/token as well."""
    send_answer: int = 0
    """When non-zero, every send (POST .../messages/{messageKey} and the batch POST
    .../messages/) is taken as processed and accepted for delivery whatever its body, and is
    answered with this HTTP status: a model of servers that answer 200, 201, 204 or 500 to
    every send, each of which a harness must count as a possibly accepted send.

    - Counted in ``accepted_sends``: one per item of the body's ``recipients`` list on the
      batch route (so an empty list counts 0), else 1. Nothing is validated: no rule, no
      messageKey uniqueness, no decision deviation applies; the keys are stored (a later GET
      status finds them, settled as usual by definition and number).
    - The body: 204, 304 and 1xx have none (a 1xx is not a final answer: HTTP clients wait
      for another, so it reads as a lost response); any other 2xx is the normal acceptance
      body ``{requestId, errorcode: 0, responses: [{messageKey}, ...]}``; 3xx, 4xx and 5xx
      are the generic error body ``{message, errorcode: 0, documentation}``.
    - Still applied first: latency, the 429/500 schedules, the bearer check and the body size
      limit (413). Still applied after: the drop schedules and the reply deviations.

    0 (off) or 100-599."""

    def __post_init__(self) -> None:
        for name in ("latency", "rate_limit_every", "error_every", "drop_response_every"):
            if getattr(self, name) < 0:
                raise UsageError(f"fault {name} must be zero or more, not {getattr(self, name)}")
        if self.drop_next_sends < 0 or self.retry_after < 0:
            raise UsageError("drop_next_sends and retry_after must be zero or more")
        if self.send_answer != 0 and not 100 <= self.send_answer <= 599:
            raise UsageError(
                f"fault send_answer must be 0 (off) or an HTTP status 100-599, "
                f"not {self.send_answer}"
            )


@dataclass(frozen=True, repr=False)
class Credentials:
    """The one integration the token endpoint knows."""

    client_id: str = DEFAULT_CLIENT_ID
    client_secret: str = DEFAULT_CLIENT_SECRET
    account_id: str | None = None
    """When set, a token request naming another ``account_id`` (MID) is refused."""
    scope: str = DEFAULT_SCOPE
    """The integration's scopes (space-separated): granted when the token request names none;
    a request naming some is granted those of them listed here."""

    def __repr__(self) -> str:
        return f"Credentials(client_id={self.client_id!r}, client_secret=<redacted>)"


@dataclass(frozen=True)
class DefinitionSeed:
    """A send definition that exists when the simulator starts."""

    definition_key: str
    name: str
    message: str
    active: bool = True
    short_code: str = "8201221"
    country_code: str = "US"
    keyword: str = "PASSWORD"
    description: str = ""


DEFAULT_DEFINITIONS: tuple[DefinitionSeed, ...] = (
    DefinitionSeed(
        "account-reset",
        "account-reset",
        "%%FirstName%%, your 2FA token is %%password%%",
        description="Using new SMS Transactional API",
    ),
    DefinitionSeed(
        "reminder-inactive",
        "reminder-inactive",
        "Your appointment is tomorrow",
        active=False,
        keyword="REMIND",
        description="Inactive: sends to it stay SMSQueued",
    ),
)


@dataclass(frozen=True)
class SimulatorConfig:
    """Everything a ``Simulator`` is built from."""

    credentials: Credentials = field(default_factory=Credentials)
    definitions: tuple[DefinitionSeed, ...] = DEFAULT_DEFINITIONS
    rejection_form: RejectionForm = RejectionForm.HTTP_ERROR
    token_lifetime: float = 1200.0
    """Seconds a token really lives (docs: "Lifetime is 20 minutes")."""
    expires_in: int | None = None
    """``expires_in`` advertised; ``None`` means the lifetime minus 2 minutes (docs)."""
    message_key_window: float = 2 * DAY
    """How long a messageKey stays taken (docs: 2 days; elsewhere 72 hours)."""
    status_retention: float = 3 * DAY
    """How long a send status can be read (docs: "messages that are up to 3 days old"), and
    how long a not-sent event is listed. A send is forgotten (evicted) once past both this
    and ``message_key_window``."""
    status_visible_after: float = 0.0
    """Seconds (of the simulator's clock) after a send is accepted before GET status finds
    it; until then GET status answers as for a key never sent (404, 30003). 0 = at once (the
    default). The not-sent list is not delayed. [NOT DOCUMENTED]: models a platform whose
    status store lags behind its acceptance of sends."""
    undeliverable_numbers: frozenset[str] = frozenset({"15555550100"})
    """Accepted, then SMSNotSent with statusCode 129 PhoneNumberValidationFailed."""
    unsubscribed_numbers: frozenset[str] = frozenset({"15555550199"})
    """Accepted, then SMSNotSent with statusCode 1 Unsubscribed."""
    max_batch_recipients: int = 2000
    """[NOT DOCUMENTED] for SMS; the email batch page says 2,000 (then 109101)."""
    max_body_bytes: int = 1_048_576
    """[NOT DOCUMENTED]; larger bodies get 413 with an error body."""
    async_rules: frozenset[str] = frozenset()
    """Validation rules (``rules.RULES`` ids, among ``ASYNC_RULES``: "definition-key-unknown",
    "to-invalid", "contact-key-missing") applied after accepting instead of rejecting
    synchronously. A send breaking only such rules is answered 202 as accepted (counted in
    ``accepted_sends``), then reads back as SMSNotSent with the subscriber error code of the
    rule (and is listed by ``?type=notSent``). Rules not listed here still reject at once.
    Models the documented asynchronous validation: "Message-sending requests return an error
    only when there's an authentication or syntax error"."""
    to_optional: bool = False
    """When True, a single or batch send whose recipient has a contactKey and no ``to``
    member is accepted (a ``null`` or ``""`` one is still refused, as the spec refuses it):
    the platform would send to the number stored for that subscriber. Salesforce's generated
    SDKs' integration tests send such recipients and read their status (facts §9, a [CONFLICT]
    with the vendor pages, which mark ``to`` required). False (the default): ``to`` is
    required (109106)."""
    faults: Faults = field(default_factory=Faults)
    deviations: frozenset[Deviation] = frozenset()
    rest_instance_url: str | None = None
    """Advertised in token responses exactly as given; ``None`` means the base URL the
    simulator is served at (``simulate``'s REST base URL, else the origin the request came to)
    with a trailing ``/``, as every real token response has (facts §9)."""
    soap_instance_url: str | None = None

    def __post_init__(self) -> None:
        if self.token_lifetime <= 0:
            raise UsageError(f"token_lifetime must be positive, not {self.token_lifetime}")
        if self.message_key_window < 0 or self.status_retention < 0:
            raise UsageError("message_key_window and status_retention must be zero or more")
        if self.status_visible_after < 0:
            raise UsageError(
                f"status_visible_after must be zero or more, not {self.status_visible_after}"
            )
        for rule_id in sorted(set(self.async_rules) - ASYNC_RULES):
            what = (
                "cannot be applied after accepting" if rule_id in RULES_BY_ID else "is no rule id"
            )
            raise UsageError(
                f"async_rules: {rule_id!r}: {what}; choose from: {', '.join(sorted(ASYNC_RULES))}"
            )

    @classmethod
    def with_definition(cls, definition_key: str, **changes: Any) -> SimulatorConfig:
        """The defaults, plus an active definition ``definition_key`` when none is seeded."""
        seeds = DEFAULT_DEFINITIONS
        if all(seed.definition_key != definition_key for seed in seeds):
            seed = DefinitionSeed(definition_key, definition_key, "Your code is %%code%%")
            seeds = (*seeds, seed)
        return cls(definitions=seeds, **changes)

    @property
    def advertised_expires_in(self) -> int:
        """``expires_in`` as the token endpoint reports it."""
        if self.expires_in is not None:
            return self.expires_in
        return max(0, int(self.token_lifetime) - 120)

    @property
    def window_text(self) -> str:
        """The window as the 109110 message words it: "2 days" (observed), "72 hours"."""
        seconds = self.message_key_window
        if seconds in (DAY, 2 * DAY):
            return "1 day" if seconds == DAY else "2 days"
        if seconds % 3600 == 0:
            return f"{int(seconds // 3600)} hours"
        return f"{seconds:g} seconds"
