"""Invalid payloads: one generator per documented rule, each example breaking exactly its rule."""

from __future__ import annotations

import json
import re
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from sms_contract.spec.rules import RULES, looks_deliverable, rule
from sms_contract.strategies.cases import InvalidSend
from sms_contract.strategies.invalid import invalid_send_payloads
from sms_contract.strategies.sampling import draw

DEFINITION_KEY = "sms-contract-definition"
UNKNOWN_KEY = "sms-contract-unknown-definition"
ALLOW_LIST = ("15555550100", "+447700900123")
TO_RULES = {"to-missing", "to-invalid", "wrong-type"}
FAST = settings(max_examples=20, deadline=None, derandomize=True, database=None)
_MISSING = object()


def _broken_by_recipient(recipient: Any) -> set[str]:
    if not isinstance(recipient, dict):
        return {"recipient-not-object"}
    broken = set()
    to = recipient.get("to", _MISSING)
    if to is _MISSING or to == "":
        broken.add("to-missing")
    elif not isinstance(to, str):
        broken.add("wrong-type")
    elif to not in ALLOW_LIST:
        broken.add("to-invalid")
    contact_key = recipient.get("contactKey", _MISSING)
    if contact_key is _MISSING or contact_key == "":
        broken.add("contact-key-missing")
    elif not isinstance(contact_key, str):
        broken.add("wrong-type")
    if not isinstance(recipient.get("attributes", {}), dict):
        broken.add("wrong-type")
    if set(recipient) - {"to", "contactKey", "attributes"}:
        broken.add("undocumented recipient member")
    return broken


def _broken_by_options(body: dict[str, Any]) -> set[str]:
    content = body.get("content", {"message": ""})
    subscriptions = body.get("subscriptions", {"resubscribe": True})
    if not isinstance(content, dict) or not isinstance(content.get("message", ""), str):
        return {"wrong-type"}
    if not isinstance(subscriptions, dict):
        return {"wrong-type"}
    if not isinstance(subscriptions.get("resubscribe", True), bool):
        return {"wrong-type"}
    return set()


def broken_rules(case: InvalidSend) -> set[str]:
    """The rules the case breaks, judged from its wire form alone (independent of the code)."""
    broken = set()
    if case.content_type != "application/json":
        broken.add("unsupported-media-type")
    if len(case.message_key) > 100:
        broken.add("message-key-too-long")
    if case.requires_prior_send:
        broken.add("message-key-reused")
    try:
        body = json.loads(case.body.decode("utf-8"))
    except ValueError:
        return broken | {"malformed-json"}
    if not isinstance(body, dict):
        return broken | {"body-not-object"}
    definition_key = body.get("definitionKey", _MISSING)
    if definition_key is _MISSING or definition_key == "":
        broken.add("definition-key-missing")
    elif not isinstance(definition_key, str):
        broken.add("definition-key-wrong-type")
    elif definition_key != DEFINITION_KEY:
        broken.add("definition-key-unknown" if definition_key == UNKNOWN_KEY else "other key")
    if "recipient" not in body:
        broken.add("recipient-missing")
    else:
        broken |= _broken_by_recipient(body["recipient"])
    if "recipients" in body:
        broken.add("recipient-and-recipients")
    documented = {"definitionKey", "recipient", "recipients", "content", "subscriptions"}
    if set(body) - documented:
        broken.add("undocumented member")
    return broken | _broken_by_options(body)


def _to_values(value: Any) -> list[Any]:
    """Every value held under a "to" key anywhere in a JSON value."""
    if isinstance(value, list):
        return [found for item in value for found in _to_values(item)]
    if not isinstance(value, dict):
        return []
    here = [value["to"]] if "to" in value else []
    return here + [found for item in value.values() for found in _to_values(item)]


def _leaves(value: Any) -> list[Any]:
    if isinstance(value, dict):
        return [leaf for item in value.values() for leaf in _leaves(item)]
    if isinstance(value, list):
        return [leaf for item in value for leaf in _leaves(item)]
    return [value]


@pytest.mark.parametrize("documented_rule", RULES, ids=lambda documented: documented.id)
def test_every_documented_rule_has_a_generator(documented_rule):
    """Asking for one rule gives examples labelled with exactly that rule."""
    strategy = invalid_send_payloads(DEFINITION_KEY, ALLOW_LIST, rules=[documented_rule.id])
    assert {case.rule for case in draw(strategy, 5, seed=1)} == {documented_rule}


@pytest.mark.parametrize("documented_rule", RULES, ids=lambda documented: documented.id)
def test_each_invalid_payload_breaks_exactly_the_rule_it_is_labelled_with(documented_rule):
    """An independent reading of the bytes finds the labelled rule broken and no other."""

    @FAST
    @given(st.data())
    def check(data):
        strategy = invalid_send_payloads(DEFINITION_KEY, ALLOW_LIST, rules=[documented_rule])
        case = data.draw(strategy)
        assert case.rule is documented_rule
        assert broken_rules(case) == {documented_rule.id}
        assert case.requires_prior_send is (documented_rule.id == "message-key-reused")
        assert case.is_json is (case.json_body is not None or case.body == b"null")
        if case.is_json:
            assert json.loads(case.body.decode("utf-8")) == case.json_body

    check()


@settings(max_examples=150, deadline=None, derandomize=True, database=None)
@given(invalid_send_payloads(DEFINITION_KEY, ALLOW_LIST))
def test_a_deliverable_looking_to_only_ever_comes_from_the_allow_list(case):
    """A ``to`` is allow-listed, or (only in the ``to`` rules) far from any deliverable number."""
    about_to = case.rule.id in TO_RULES and case.field_path == "recipient.to"
    for to in _to_values(case.json_body):
        if not about_to:
            assert to in ALLOW_LIST
        for leaf in _leaves(to):
            assert leaf in ALLOW_LIST or not looks_deliverable(leaf)
            if leaf not in ALLOW_LIST:
                digits = sum(char.isdigit() for char in str(leaf))
                assert digits <= 2 or digits >= 20


@settings(max_examples=100, deadline=None, derandomize=True, database=None)
@given(invalid_send_payloads(DEFINITION_KEY, ALLOW_LIST))
def test_descriptions_and_reprs_never_show_a_phone_number(case):
    """No allow-list entry in the description or repr; no run of 8 digits in the description."""
    for text in (case.description, repr(case)):
        assert [number for number in ALLOW_LIST if number in text] == []
    assert re.search(r"[0-9]{8}", case.description) is None


@pytest.mark.parametrize(
    ("rule_id", "draws", "expected"),
    [
        (
            "malformed-json",
            150,
            {
                "body truncated",
                "unbalanced '}'",
                "replaced by ']'",
                "trailing comma",
                "comma before top-level member",
                "empty body",
            },
        ),
        (
            "body-not-object",
            100,
            {
                "wrapped",
                "is a JSON array",
                "JSON string",
                "JSON number",
                "JSON null",
                "JSON boolean",
            },
        ),
        ("definition-key-missing", 40, {"removed", "empty string"}),
        ("definition-key-wrong-type", 100, {"number", "boolean", "null", "object", "array"}),
        ("recipient-not-object", 100, {"JSON array", "string", "number", "null", "boolean"}),
        (
            "wrong-type",
            150,
            {
                "recipient.to ",
                "recipient.contactKey ",
                "recipient.attributes ",
                "content ",
                "content.message ",
                "subscriptions ",
                "subscriptions.resubscribe ",
            },
        ),
        ("to-missing", 40, {"removed", "empty string"}),
        ("contact-key-missing", 40, {"removed", "empty string"}),
    ],
)
def test_each_rule_generates_every_documented_mutation(rule_id, draws, expected):
    """Over a fixed-seed sample every mutation kind of the rule appears in some description.

    The draw counts are about twice the worst case measured over seeds 0-7."""
    strategy = invalid_send_payloads(DEFINITION_KEY, ALLOW_LIST, rules=[rule_id], keys=st.just("k"))
    descriptions = [case.description for case in draw(strategy, draws, seed=4)]
    assert {part for part in expected if not any(part in text for text in descriptions)} == set()


def test_unsupported_media_types_carry_a_valid_json_body():
    """Only the Content-Type is wrong: text/plain and form-encoded both appear."""
    strategy = invalid_send_payloads(DEFINITION_KEY, ALLOW_LIST, rules=["unsupported-media-type"])
    cases = draw(strategy, 60, seed=2)
    assert {"text/plain", "application/x-www-form-urlencoded"} <= {c.content_type for c in cases}
    assert all(c.json_body["definitionKey"] == DEFINITION_KEY for c in cases)


def test_too_long_message_keys_span_101_to_300_characters():
    """The boundary 101 appears, and no key is outside 101-300."""
    strategy = invalid_send_payloads(DEFINITION_KEY, ALLOW_LIST, rules=["message-key-too-long"])
    lengths = {len(case.message_key) for case in draw(strategy, 60, seed=6)}
    assert 101 in lengths
    assert (min(lengths), max(lengths) <= 300) == (101, True)


def test_rules_may_be_given_as_rule_objects_or_ids():
    """Both spellings select the same rules."""
    wanted = [rule("to-invalid"), "contact-key-missing"]
    strategy = invalid_send_payloads(DEFINITION_KEY, ALLOW_LIST, rules=wanted)
    assert {case.rule.id for case in draw(strategy, 30, seed=8)} == {
        "to-invalid",
        "contact-key-missing",
    }


@pytest.mark.parametrize(
    ("arguments", "message"),
    [
        ({"rules": ["no-such-rule"]}, "unknown rule ids ['no-such-rule']; known: body-not-object"),
        ({"rules": []}, "rules must be None or a non-empty sequence"),
        ({"rules": "to-invalid"}, "rules must be None or a non-empty sequence"),
        ({"unknown_definition_key": DEFINITION_KEY}, "unknown_definition_key must differ"),
        ({"unknown_definition_key": ""}, "unknown_definition_key must be a non-empty str"),
        ({"allow_list": []}, "allow_list is empty"),
    ],
)
def test_invalid_payloads_check_their_arguments_up_front(arguments, message):
    """Bad arguments fail when the strategy is built, with a message naming the problem."""
    call = {"definition_key": DEFINITION_KEY, "allow_list": ALLOW_LIST, **arguments}
    with pytest.raises(ValueError, match=re.escape(message)):
        invalid_send_payloads(**call)


def test_a_payload_without_to_names_no_real_subscriber() -> None:
    """Every to-missing payload, named or generated, carries the harness's own contactKey: a
    recipient without a number under a real subscriber's key could reach the number on file."""
    from sms_contract.spec.rules import NO_SUBSCRIBER
    from sms_contract.strategies.boundaries import named_variants

    body = {"definitionKey": DEFINITION_KEY, "recipient": {"to": ALLOW_LIST[0], "contactKey": "c"}}
    named = named_variants("to-missing", body, unknown_definition_key=UNKNOWN_KEY)
    strategy = invalid_send_payloads(DEFINITION_KEY, ALLOW_LIST, rules=["to-missing"])
    cases = [*named, *draw(strategy, 20, seed=3)]
    assert {case.json_body["recipient"]["contactKey"] for case in cases} == {NO_SUBSCRIBER}
    assert {"to" in case.json_body["recipient"] for case in cases} == {True, False}


def test_a_truncated_body_never_ends_inside_the_definition_key_or_the_number():
    """A body cut short holds the definitionKey and the recipient's number whole or not at
    all: a replay or drift against another tenant writes its own there, whole, and part of a
    phone number is no number a scrubber recognises."""
    strategy = invalid_send_payloads(DEFINITION_KEY, ALLOW_LIST, rules=["malformed-json"])
    truncated = [
        case.body.decode("utf-8")
        for case in draw(strategy, 400, seed=2)
        if case.description.startswith("body truncated")
    ]
    assert len(truncated) >= 30
    for value in (DEFINITION_KEY, *ALLOW_LIST):
        quoted = json.dumps(value, ensure_ascii=False)
        parts = [quoted[:n] for n in range(2, len(quoted))]
        assert [text for text in truncated if text.endswith(tuple(parts))] == [], value
