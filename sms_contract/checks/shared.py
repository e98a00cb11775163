"""The run's shared sends: the accepted sends that every claim reading an answer shares.

A live run has a budget of about ten accepted sends, so the catalogue spends them once: the
documented example, and one send per class of messageKey the echo check needs (each with a
different generated valid payload, which SEND-ACCEPTED judges, and most with content at a
documented segment boundary, which SEND-CONTENT judges). The echo, requestId,
errorcode, schema, content type, status and duplicate-key claims all read these answers.
Each shared send is owned by one case (it is recorded under it, and replayed from it).
"""

from __future__ import annotations

from dataclasses import replace
from functools import lru_cache
from typing import Any

from sms_contract.checks.generated import message_key_classes, valid_sends
from sms_contract.checks.model import Expect, Phase, PlanContext, Step, send_step
from sms_contract.spec.endpoints import SEND_TO_ONE
from sms_contract.spec.loading import load_spec

EXAMPLE_CHECK = "SEND-EXAMPLE"
ECHO_CHECK = "SEND-ECHO-KEY"
PHASE = Phase.SHARED


def documented_example() -> tuple[str, dict[str, Any]]:
    """The reference page's example, as the spec records it: (messageKey, request body)."""
    spec = load_spec()
    response = spec.example(SEND_TO_ONE, "response", 202)
    return response["responses"][0]["messageKey"], spec.example(SEND_TO_ONE, "request")


def example_body(ctx: PlanContext) -> dict[str, Any]:
    """The documented example request with the run's definitionKey and first recipient."""
    _, payload = documented_example()
    payload["definitionKey"] = ctx.definition_key
    payload["recipient"]["to"] = ctx.allow_list[0]
    return payload


@lru_cache(maxsize=16)
def example_send(ctx: PlanContext) -> Step:
    """The documented example, its messageKey made unique to the run; owned by SEND-EXAMPLE#1."""
    example_key, _ = documented_example()
    key = ctx.key(example_key, "example")
    step = send_step(key, example_body(ctx), Expect.ACCEPT)
    return _shared(step, "example", (EXAMPLE_CHECK, f"{EXAMPLE_CHECK}#1"))


# Which content boundary each echo send carries (``content_sends``). The dot-dot key, sent once
# per uniqueness window like the dot key, keeps its generated payload as it is.
CONTENT_CARRIERS = {
    "reserved": "gsm7-one-part",
    "edges-non-ascii": "ucs2-one-part",
    "max-length": "gsm7-two-parts",
    "dot": "ucs2-two-parts",
}


@lru_cache(maxsize=16)
def echo_sends(ctx: PlanContext) -> tuple[tuple[str, Step], ...]:
    """(class, send) for every messageKey class of the echo check, in order; send n is owned by
    SEND-ECHO-KEY#n and carries generated valid payload n, its content (and, for one,
    its attributes) set to a documented boundary (``CONTENT_CARRIERS``)."""
    from sms_contract.strategies.boundaries import CONTENT_VARIANTS
    from sms_contract.strategies.keys import FIXED_KEYS

    variants = {variant.name: variant for variant in CONTENT_VARIANTS}
    classes = message_key_classes(ctx.nonce)
    payloads = valid_sends(ctx, len(classes))
    sends = []
    for n, ((name, key), payload) in enumerate(zip(classes.items(), payloads, strict=False), 1):
        body = payload.json_body
        if name in CONTENT_CARRIERS:
            body = variants[CONTENT_CARRIERS[name]].applied_to(body)
        step = send_step(key, body, Expect.ACCEPT)
        step = _shared(step, f"echo-{name}", (ECHO_CHECK, f"{ECHO_CHECK}#{n}"))
        if key in FIXED_KEYS:
            step = replace(step, key_fixed=True)
        sends.append((name, step))
    return tuple(sends)


def content_sends(ctx: PlanContext) -> tuple[tuple[str, str, Step], ...]:
    """(variant name, its description, the shared send carrying it), in boundary order."""
    from sms_contract.strategies.boundaries import CONTENT_VARIANTS

    carriers = {variant: name for name, variant in CONTENT_CARRIERS.items()}
    sends = dict(echo_sends(ctx))
    return tuple(
        (variant.name, variant.description, sends[carriers[variant.name]])
        for variant in CONTENT_VARIANTS
    )


def reuse_of(sent: Step, payload: Any | None = None) -> Step:
    """The same messageKey sent again (with ``payload``, or the same body): a documented
    rejection (109110 DuplicateMessageKey)."""
    body = sent.json if payload is None else payload
    step = send_step(sent.message_key or "", body, Expect.REJECT, rule_id="message-key-reused")
    return replace(step, key_known=True, key_fixed=sent.key_fixed)


def _shared(step: Step, name: str, owner: tuple[str, str]) -> Step:
    return replace(step, shared=name, owner=owner)
