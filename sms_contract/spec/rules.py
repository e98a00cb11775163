"""The documented validation rules of a send, each with the error it produces.

One table, read by the simulator (to reject), the generators (to label invalid payloads) and
the checks (to know what a rejection must look like). Every rule names the documentation it
rests on. Where the documentation gives no error code for a rule, the code chosen is the
documented code whose name matches the rule, and ``code_documented`` is ``False``: checks then
accept any rejection, and the report records which code the target used.

Two scopes:

- ``REQUEST`` rules break the request as a whole (syntax, definition, recipient shape). The
  documented answer is HTTP 4xx with ``{message, errorcode, documentation}``.
- ``RECIPIENT`` rules break one recipient. The documentation shows them both as HTTP 400 and
  inside a 202 whose top-level ``errorcode`` is 109001 with the recipient's ``errorcode`` and
  ``message`` in ``responses[]`` (facts §1.2, §2.3); a conformant target may use either form.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from enum import StrEnum
from typing import Any

SEND_PAGE = (
    "https://developer.salesforce.com/docs/marketing/marketing-cloud/references/"
    "mc_rest_transactional_messaging_sms/sendSMSMessageSingleRecipient.html"
)
ERROR_HANDLING = (
    "https://developer.salesforce.com/docs/atlas.en-us.mc-apis.meta/mc-apis/error-handling.htm"
)
RESPONSE_CODES = (
    "https://developer.salesforce.com/docs/marketing/marketing-cloud/guide/"
    "transactional-send-response.html"
)

MESSAGE_KEY_MAX_LENGTH = 100
RESPONSES_HAS_ERRORS = 109001
NOT_AUTHORIZED = 0
RATE_LIMITED = 50100


MOBILE_NUMBER = re.compile(r"\+?[0-9]{8,15}")
"""What every vendor example and the SDK's "E.164-based mobile number" look like: 8 to 15
digits with an optional leading ``+`` (facts §4; ``+``, spaces and dashes are [NOT DOCUMENTED])."""


def looks_deliverable(value: Any) -> bool:
    """Could a carrier deliver to ``value``? 8 to 15 digits with an optional leading ``+``,
    ignoring surrounding white space (a lenient server might trim it); a JSON number (``int``,
    not ``bool``) is judged by its decimal text. The live-safety rails refuse such a value
    unless it is allow-listed, and the generators never make one up."""
    text = str(value) if isinstance(value, int) and not isinstance(value, bool) else value
    return isinstance(text, str) and MOBILE_NUMBER.fullmatch(text.strip()) is not None


HARNESS_CONTACT_KEY_PREFIX = "sms-contract-"
"""How every contactKey the harness makes up for a recipient without a number starts. A send
with no ``to`` may be delivered to the number a subscriber has on file ([CONFLICT]
recipient.to required: the SDKs' integration tests send contactKey only), so the live-safety
rails let a recipient go without a number only when its contactKey is one of these: the
harness's own, naming no subscriber of the tenant."""
NO_SUBSCRIBER = f"{HARNESS_CONTACT_KEY_PREFIX}no-subscriber"
"""The contactKey of the probes that leave ``to`` out: a subscriber no tenant has."""


def has_no_number(recipient: Any) -> bool:
    """A recipient object whose ``to`` is absent, null or blank."""
    if not isinstance(recipient, dict):
        return False
    to = recipient.get("to")
    return to is None or (isinstance(to, str) and not to.strip())


def may_name_a_subscriber(recipient: Any) -> bool:
    """A numberless recipient (:func:`has_no_number`) whose contactKey could be a real
    subscriber's, i.e. one the harness did not make up: the platform might deliver to the number
    on file."""
    if not has_no_number(recipient):
        return False
    key = recipient.get("contactKey")
    return (
        isinstance(key, str)
        and bool(key.strip())
        and not key.startswith(HARNESS_CONTACT_KEY_PREFIX)
    )


class RejectionForm(StrEnum):
    """The two documented forms of a rejected send (architecture.md, "Rejection is not only a
    4xx"); the client reads them, the simulator answers in them."""

    HTTP_ERROR = "http"
    """HTTP 4xx with ``{message, errorcode, documentation}``."""
    ACCEPTED_WITH_ERRORS = "accepted"
    """HTTP 202 with a non-zero top-level ``errorcode`` (109001) and each failed recipient's
    ``errorcode`` and ``message`` in ``responses[]``."""


class Scope(StrEnum):
    REQUEST = "request"
    RECIPIENT = "recipient"


@dataclass(frozen=True)
class Rule:
    """One documented validation rule of the send operation."""

    id: str
    title: str
    scope: Scope
    errorcode: int
    error_name: str
    status: int
    source: str
    quote: str
    code_documented: bool = False
    # True when the documentation says in prose that the request is rejected, so a target that
    # accepts it fails even though the payload is valid against the schema.
    rejection_documented: bool = False
    # The spec's x-conflicts topic under which a payload breaking this rule is admitted by one
    # documented reading: a target that accepts it and sends it follows that reading (observed).
    conflict: str | None = None

    @property
    def wire_message(self) -> str:
        """The message text in the documented ``MCMS_UTM_<name>: <detail>`` pattern."""
        return f"MCMS_UTM_{self.error_name}: {self.title}"


RULES: tuple[Rule, ...] = (
    Rule(
        "malformed-json",
        "The body is not valid JSON",
        Scope.REQUEST,
        10004,
        "Validation_InvalidMessageFormat",
        400,
        ERROR_HANDLING,
        "400 | 10004 | Invalid Message Format: Serialization error, please ensure the body has "
        "balanced braces and brackets.",
        code_documented=True,
    ),
    Rule(
        "body-not-object",
        "The body is JSON but not an object",
        Scope.REQUEST,
        10001,
        "Validation_InvalidDataType",
        400,
        ERROR_HANDLING,
        "400 | 10001 | Invalid Data Type",
    ),
    Rule(
        "unsupported-media-type",
        "The Content-Type is not application/json",
        Scope.REQUEST,
        0,
        "UnsupportedMediaType",
        415,
        ERROR_HANDLING,
        "415 | Unsupported Media Type. All requests: Content-Type: application/json",
    ),
    Rule(
        "definition-key-missing",
        "definitionKey is missing or empty",
        Scope.REQUEST,
        109107,
        "Validation_MissingRequiredField_definitionKey",
        400,
        SEND_PAGE,
        "definitionKey string Required: Unique identifier of the definition.",
    ),
    Rule(
        "definition-key-wrong-type",
        "definitionKey is not a string",
        Scope.REQUEST,
        10001,
        "Validation_InvalidDataType",
        400,
        SEND_PAGE,
        "definitionKey string Required: Unique identifier of the definition.",
    ),
    Rule(
        "definition-key-unknown",
        "definitionKey names no send definition",
        Scope.REQUEST,
        109111,
        "Validation_InvalidValue_definitionKey",
        400,
        RESPONSE_CODES,
        "109111 MCMS_UTM_Validation_InvalidValue_definitionKey",
    ),
    Rule(
        "recipient-missing",
        "recipient is missing",
        Scope.REQUEST,
        109102,
        "Validation_NoSubscribers",
        400,
        SEND_PAGE,
        "recipient object Required: Use this parameter to send to one recipient.",
    ),
    Rule(
        "recipient-not-object",
        "recipient is not an object",
        Scope.REQUEST,
        10001,
        "Validation_InvalidDataType",
        400,
        SEND_PAGE,
        "recipient object Required: Object that contains parameters and metadata for the "
        "recipient.",
    ),
    Rule(
        "recipient-and-recipients",
        "recipient and recipients are both present",
        Scope.REQUEST,
        109122,
        "Validation_UnknownFieldName",
        400,
        SEND_PAGE,
        "Use either the recipient or recipients parameter, but not both.",
    ),
    Rule(
        "wrong-type",
        "A documented field has the wrong JSON type",
        Scope.REQUEST,
        10001,
        "Validation_InvalidDataType",
        400,
        ERROR_HANDLING,
        "400 | 10001 | Invalid Data Type",
    ),
    Rule(
        "to-missing",
        "recipient.to is missing or empty",
        Scope.RECIPIENT,
        109106,
        "Validation_MissingRequiredField_to",
        400,
        SEND_PAGE,
        "recipient.to string Required: Channel address of the recipient.",
        code_documented=True,
        conflict="recipient.to required",
    ),
    Rule(
        "to-invalid",
        "recipient.to is not a mobile number",
        Scope.RECIPIENT,
        109121,
        "Validation_InvalidValue_to",
        400,
        RESPONSE_CODES,
        "109121 MCMS_UTM_Validation_InvalidValue_to",
    ),
    Rule(
        "contact-key-missing",
        "recipient.contactKey is missing or empty",
        Scope.RECIPIENT,
        109105,
        "Validation_MissingRequiredField_subscriberKey",
        400,
        SEND_PAGE,
        "recipient.contactKey: Each request must include a contactKey.",
        conflict="recipient.contactKey required",
    ),
    Rule(
        "message-key-too-long",
        "messageKey is longer than 100 characters",
        Scope.RECIPIENT,
        109108,
        "Validation_InvalidValue_messageKey",
        400,
        SEND_PAGE,
        "messageKey: Can be up to 100 characters, and there are no restricted characters.",
    ),
    Rule(
        "message-key-reused",
        "messageKey was already used within its uniqueness window",
        Scope.RECIPIENT,
        109110,
        "Validation_DuplicateMessageKey",
        400,
        SEND_PAGE,
        "The messageKey must be unique among all of the keys used in your business unit over "
        "the last 2 days (elsewhere: the prior 72 hours).",
        code_documented=True,
        rejection_documented=True,
    ),
)

RULES_BY_ID: dict[str, Rule] = {rule.id: rule for rule in RULES}


def rule(rule_id: str) -> Rule:
    """The rule with that id; ``KeyError`` names the known ids."""
    try:
        return RULES_BY_ID[rule_id]
    except KeyError:
        known = ", ".join(sorted(RULES_BY_ID))
        raise KeyError(f"unknown rule {rule_id!r}; known rules: {known}") from None
