"""The generated payloads that plans draw, deterministic per seed (:mod:`sms_contract.strategies`
through :func:`~sms_contract.strategies.sampling.draw`).

Hypothesis is imported only when a plan draws, so that listing the catalogue (``sms-contract
checks``, ``--help``) does not load it. Each strategy is built once per process for each set
of arguments (building and validating one costs more than drawing a few values from it).
"""

from __future__ import annotations

from functools import cache
from typing import TYPE_CHECKING

from sms_contract.checks.model import PlanContext

if TYPE_CHECKING:
    from hypothesis.strategies import SearchStrategy

    from sms_contract.strategies.cases import InvalidSend, SendCase


def valid_sends(ctx: PlanContext, count: int, *, offset: int = 0) -> list[SendCase]:
    """``count`` valid single sends to the allow-list, drawn with the run's seed + ``offset``
    (each check its own offset, so that checks do not share payloads)."""
    from sms_contract.strategies.sampling import draw

    strategy = _valid_payloads(ctx.definition_key, ctx.allow_list)
    return draw(strategy, count, ctx.seed + offset)


def valid_send(ctx: PlanContext, *, offset: int = 0) -> SendCase:
    return valid_sends(ctx, 1, offset=offset)[0]


def invalid_sends(ctx: PlanContext, rule_id: str, count: int) -> list[InvalidSend]:
    """Up to ``count`` single sends that each break rule ``rule_id``, labelled with it."""
    from sms_contract.strategies.sampling import draw

    strategy = _invalid_payloads(
        ctx.definition_key, ctx.allow_list, ctx.unknown_definition_key, rule_id
    )
    return draw(strategy, count, ctx.seed)


def message_key_classes(nonce: str) -> dict[str, str]:
    """One messageKey per class of special characters, each carrying ``nonce``."""
    from sms_contract.strategies.keys import message_key_classes as classes

    return classes(token=nonce)


@cache
def _valid_payloads(definition_key: str, allow_list: tuple[str, ...]) -> SearchStrategy[SendCase]:
    from sms_contract.strategies.valid import valid_send_payloads

    return valid_send_payloads(definition_key, allow_list)


@cache
def _invalid_payloads(
    definition_key: str, allow_list: tuple[str, ...], unknown: str, rule_id: str
) -> SearchStrategy[InvalidSend]:
    from sms_contract.strategies.invalid import invalid_send_payloads

    return invalid_send_payloads(
        definition_key, allow_list, unknown_definition_key=unknown, rules=[rule_id]
    )
