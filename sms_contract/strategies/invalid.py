"""Invalid send payloads: sends that break exactly one documented rule, labelled with it."""

from __future__ import annotations

from collections.abc import Sequence

from hypothesis import strategies as st
from hypothesis.strategies import SearchStrategy

from sms_contract.spec.rules import RULES, RULES_BY_ID, Rule
from sms_contract.strategies.cases import InvalidSend
from sms_contract.strategies.keys import checked_keys
from sms_contract.strategies.mutations import GENERATORS, MutationContext
from sms_contract.strategies.recipients import checked_allow_list
from sms_contract.strategies.valid import checked_key, valid_bodies

__all__ = ["invalid_send_payloads"]


def _selected_rules(rules: Sequence[Rule | str] | None) -> tuple[Rule, ...]:
    if rules is None:
        selected = RULES
    elif isinstance(rules, str) or not rules:
        raise ValueError("rules must be None or a non-empty sequence of rules or rule ids")
    else:
        wanted = [item.id if isinstance(item, Rule) else item for item in rules]
        unknown = [rule_id for rule_id in wanted if rule_id not in RULES_BY_ID]
        if unknown:
            raise ValueError(f"unknown rule ids {unknown}; known: {', '.join(sorted(RULES_BY_ID))}")
        selected = tuple(RULES_BY_ID[rule_id] for rule_id in dict.fromkeys(wanted))
    missing = [rule.id for rule in selected if rule.id not in GENERATORS]
    if missing:
        raise ValueError(f"no generator for rules {missing}")
    return selected


def invalid_send_payloads(
    definition_key: str,
    allow_list: Sequence[str],
    unknown_definition_key: str = "sms-contract-unknown-definition",
    rules: Sequence[Rule | str] | None = None,
    *,
    keys: SearchStrategy[str] | None = None,
) -> SearchStrategy[InvalidSend]:
    """Sends that break exactly one documented rule each, labelled with it.

    One generator per rule of ``rules`` (default: all of :data:`~sms_contract.rules.RULES`), each
    starting from a valid body and changing one thing: bytes that are not JSON (truncated,
    unbalanced, trailing or missing comma, empty); a body that is an array, string, number,
    boolean or null; another Content-Type; definitionKey absent, empty, of another type or
    ``unknown_definition_key``; recipient absent, not an object, or beside ``recipients``; a
    documented field of the wrong JSON type; ``to`` absent, empty or not a number; contactKey
    absent or empty; a messageKey of 101-300 characters; a valid send marked for reuse.
    ``to`` comes from ``allow_list`` except in the rules about ``to``, where it cannot be a
    deliverable number. Shrinks towards the minimal valid body with its simplest mutation.
    """
    definition_key = checked_key("definition_key", definition_key)
    unknown = checked_key("unknown_definition_key", unknown_definition_key)
    if unknown == definition_key:
        raise ValueError("unknown_definition_key must differ from definition_key")
    numbers = checked_allow_list(allow_list)
    selected = _selected_rules(rules)
    ctx = MutationContext(
        checked_keys(keys), valid_bodies(definition_key, numbers), numbers, unknown
    )
    return st.one_of([GENERATORS[rule.id](ctx) for rule in selected])
