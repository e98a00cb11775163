"""Valid payloads: message keys, contact keys, attributes, allow-listed numbers, whole sends."""

from __future__ import annotations

import json
import re
import unicodedata

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from sms_contract.spec.rules import looks_deliverable
from sms_contract.strategies.cases import SendCase
from sms_contract.strategies.keys import FIXED_KEYS, message_key_classes, message_keys
from sms_contract.strategies.recipients import attributes, contact_keys, phone_numbers
from sms_contract.strategies.sampling import draw
from sms_contract.strategies.valid import valid_send_payloads

DEFINITION_KEY = "sms-contract-definition"
ALLOW_LIST = ("15555550100", "+447700900123")
FAST = settings(max_examples=50, deadline=None, derandomize=True, database=None)


def _utf16_units(text: str) -> int:
    return len(text.encode("utf-16-le")) // 2


def _is_control(char: str) -> bool:
    return unicodedata.category(char) == "Cc"


@FAST
@given(message_keys())
def test_message_keys_are_1_to_100_characters_without_surrogates_or_controls(key):
    """Keys fit the documented limit in code points and UTF-16 units and encode as UTF-8."""
    assert 1 <= len(key) <= 100
    assert _utf16_units(key) <= 100
    assert key.encode("utf-8").decode("utf-8") == key
    assert not any(_is_control(char) for char in key)
    assert key not in {".", ".."}


@FAST
@given(message_keys(include_control=True))
def test_message_keys_with_controls_still_fit_and_have_no_surrogates(key):
    """With ``include_control`` the limits and the UTF-8 round trip still hold."""
    assert 1 <= _utf16_units(key) <= 100
    assert key.encode("utf-8").decode("utf-8") == key


def test_message_keys_include_control_characters_only_when_asked():
    """Some keys drawn with ``include_control=True`` hold a control character."""
    keys = draw(message_keys(include_control=True), 100, seed=5)
    assert any(_is_control(char) for key in keys for char in key)


@pytest.fixture(scope="module")
def drawn_keys():
    """300 default message keys from a fixed seed (the worst of seeds 0-7 needs 136)."""
    return draw(message_keys(), 300, seed=3)


def test_message_keys_deliberately_contain_reserved_characters_space_and_emoji(drawn_keys):
    """Each of / % ? # + space and an emoji appears in some drawn key."""
    keys = drawn_keys
    missing = [special for special in "/%?#+ 🙂" if not any(special in key for key in keys)]
    assert missing == []


def test_message_keys_never_are_a_whole_dot_segment(drawn_keys):
    """``.`` and ``..`` as whole keys would be removed from the URL path; dots inside stay."""
    assert {".", ".."} & set(drawn_keys) == set()
    assert any(".." in key for key in drawn_keys)


def test_message_keys_rejects_a_non_bool_flag():
    """``include_control`` is a bool; anything else is a caller error."""
    with pytest.raises(TypeError, match="include_control must be a bool, not str"):
        message_keys("yes")  # type: ignore[arg-type]


def test_message_key_classes_cover_every_boundary_the_echo_check_needs():
    """/ % + and a space, the whole keys . and .., leading and trailing white space,
    non-ASCII with an astral emoji, and exactly 100 characters: always, on every run."""
    classes = message_key_classes()
    assert classes == {
        "reserved": "a/b%c?d#e+f %2Fg",
        "dot": ".",
        "dot-dot": "..",
        "edges-non-ascii": " clé-消息-🙂 ",
        "max-length": "sms-contract-max-" + "k" * 83,
    }
    keys = "".join(classes.values())
    assert all(char in keys for char in "/%+ ")
    assert any(ord(char) > 0xFFFF for char in keys)
    assert classes["edges-non-ascii"] != classes["edges-non-ascii"].strip()


def test_message_key_classes_embed_the_token_and_keep_the_length_limits():
    """A token makes every key that can hold one run-specific; max-length stays 100 code
    points and 100 UTF-16 units; . and .. stay whole (they are FIXED_KEYS)."""
    classes = message_key_classes("run-42")
    multi = [name for name, key in classes.items() if key not in FIXED_KEYS]
    assert [name for name in multi if "run-42" not in classes[name]] == []
    assert (len(classes["max-length"]), _utf16_units(classes["max-length"])) == (100, 100)
    assert (classes["dot"], classes["dot-dot"]) == (".", "..")
    assert classes["edges-non-ascii"].startswith(" ")
    assert classes["edges-non-ascii"].endswith(" ")


@pytest.mark.parametrize("token", ["has space", "x" * 41, "é"])
def test_message_key_classes_refuse_tokens_that_are_not_plain_ascii(token):
    """The token must be 1-40 of A-Z a-z 0-9 _ -."""
    with pytest.raises(ValueError, match="token must be 1-40 characters"):
        message_key_classes(token)


@FAST
@given(contact_keys())
def test_contact_keys_are_never_empty_or_blank(key):
    """contactKey is required; generated ones are 1-64 chars and not whitespace only."""
    assert 1 <= len(key) <= 64
    assert key.strip() != ""


@FAST
@given(attributes())
def test_attributes_map_non_empty_string_names_to_string_values(values):
    """At most 5 pairs; names are 1-30 characters; values are strings."""
    assert len(values) <= 5
    assert all(isinstance(value, str) for value in values.values())
    assert all(1 <= len(name) <= 30 for name in values)


@FAST
@given(phone_numbers(ALLOW_LIST))
def test_phone_numbers_come_only_from_the_allow_list(number):
    """A recipient number is always one of the allow-list entries."""
    assert number in ALLOW_LIST


def test_phone_numbers_refuse_an_empty_allow_list():
    """No allow-list means no recipient; the error says so."""
    with pytest.raises(ValueError, match="allow_list is empty"):
        phone_numbers([])


def test_phone_numbers_refuse_a_bare_string():
    """A single string would be read digit by digit; it must be a sequence of numbers."""
    with pytest.raises(TypeError, match="not one string"):
        phone_numbers("15555550100")


def test_phone_numbers_refuse_an_undeliverable_entry_without_echoing_it():
    """The error names the index of the bad entry, never its value."""
    with pytest.raises(ValueError, match=re.escape("allow_list[1] is not 8-15 digits")) as raised:
        phone_numbers(["15555550100", "555-0199 ext 7"])
    assert "555-0199" not in str(raised.value)


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("15555551234", True),
        ("+15555551234", True),
        ("12345678", True),
        ("1" * 15, True),
        (15555551234, True),
        ("1234567", False),
        ("1" * 16, False),
        ("+", False),
        ("", False),
        ("not-a-number", False),
        ("1555 555 1234", False),
        ("++15555551234", False),
        ("１５５５５５５１２３４", False),
        ("١٥٥٥٥٥٥١٢٣٤", False),
        (True, False),
        (None, False),
        (1234567, False),
    ],
)
def test_looks_deliverable_accepts_only_8_to_15_ascii_digits_with_optional_plus(value, expected):
    """The strict predicate: ASCII digits only, 8 to 15 of them, one optional leading +."""
    assert looks_deliverable(value) is expected


@FAST
@given(valid_send_payloads(DEFINITION_KEY, ALLOW_LIST))
def test_valid_payloads_have_every_required_member_and_only_documented_ones(case):
    """definitionKey, recipient.contactKey and recipient.to are present; nothing undocumented."""
    body = case.json_body
    assert set(body) - {"content", "subscriptions"} == {"definitionKey", "recipient"}
    assert body["definitionKey"] == DEFINITION_KEY
    assert set(body["recipient"]) - {"attributes"} == {"contactKey", "to"}
    assert body["recipient"]["to"] in ALLOW_LIST
    assert body["recipient"]["contactKey"].strip() != ""
    assert isinstance(body["recipient"].get("attributes", {}), dict)
    assert set(body.get("content", {"message": ""})) == {"message"}
    assert isinstance(body.get("content", {"message": ""})["message"], str)
    assert isinstance(body.get("subscriptions", {"resubscribe": True})["resubscribe"], bool)


@FAST
@given(valid_send_payloads(DEFINITION_KEY, ALLOW_LIST))
def test_valid_payloads_are_utf8_json_of_their_body_and_keep_the_key_in_limits(case):
    """The wire body is the JSON (ensure_ascii=False) of json_body; the key is 1-100 chars."""
    assert case.body == json.dumps(case.json_body, ensure_ascii=False).encode("utf-8")
    assert json.loads(case.body.decode("utf-8")) == case.json_body
    assert case.content_type == "application/json"
    assert 1 <= _utf16_units(case.message_key) <= 100
    assert case.message_key.encode("utf-8").decode("utf-8") == case.message_key


def test_valid_payloads_make_optional_members_really_optional():
    """Over 100 draws each optional member is sometimes present and sometimes absent."""
    bodies = [case.json_body for case in draw(valid_send_payloads("d", ALLOW_LIST), 100, seed=9)]
    presence = {
        "attributes": {"attributes" in body["recipient"] for body in bodies},
        "content": {"content" in body for body in bodies},
        "subscriptions": {"subscriptions" in body for body in bodies},
    }
    assert presence == {name: {True, False} for name in presence}


def test_valid_payload_repr_shows_the_key_but_not_the_body():
    """The repr never carries the phone number or attributes."""
    case = SendCase("key-1", {"recipient": {"to": "15555550100"}}, b'{"to": "15555550100"}')
    assert repr(case) == "SendCase(message_key='key-1', content_type='application/json')"


def test_valid_payloads_use_the_given_key_strategy():
    """A caller that must keep keys unique passes its own key strategy."""
    cases = draw(valid_send_payloads(DEFINITION_KEY, ALLOW_LIST, keys=st.just("mine")), 5, seed=1)
    assert {case.message_key for case in cases} == {"mine"}


@pytest.mark.parametrize(
    ("arguments", "error", "message"),
    [
        (("", ALLOW_LIST), ValueError, "definition_key must be a non-empty str"),
        ((DEFINITION_KEY, ()), ValueError, "allow_list is empty"),
        ((DEFINITION_KEY, ALLOW_LIST, "k"), TypeError, "keys must be a SearchStrategy"),
    ],
)
def test_valid_payloads_check_their_arguments_up_front(arguments, error, message):
    """Bad arguments fail when the strategy is built, not on the first draw."""
    definition_key, allow_list, *keys = arguments
    with pytest.raises(error, match=message):
        valid_send_payloads(definition_key, allow_list, keys=keys[0] if keys else None)
