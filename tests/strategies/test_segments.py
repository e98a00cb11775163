"""SMS text: GSM 03.38 tables, segment counting on exact boundaries, boundary-clustered texts."""

from __future__ import annotations

import re

import pytest
from hypothesis import given, settings

from sms_contract.spec.sms_text import (
    GSM7_BASIC,
    GSM7_EXTENSION,
    is_gsm7,
    message_units,
    segment_count,
)
from sms_contract.strategies.messages import sms_messages
from sms_contract.strategies.sampling import draw

FAST = settings(max_examples=15, deadline=None, derandomize=True, database=None)


def test_gsm7_tables_have_127_basic_and_10_extension_characters():
    """The basic table is the 128 GSM 03.38 codes without the escape; the extension has 10."""
    assert (len(GSM7_BASIC), len(set(GSM7_BASIC))) == (127, 127)
    assert "\x1b" not in GSM7_BASIC
    assert sorted(GSM7_EXTENSION) == sorted("^{}\\[~]|€\f")
    assert set(GSM7_BASIC).isdisjoint(GSM7_EXTENSION)


@pytest.mark.parametrize(
    ("message", "expected"),
    [
        ("", 1),
        ("a" * 160, 1),
        ("a" * 161, 2),
        ("a" * 306, 2),
        ("a" * 307, 3),
        ("a" * 459, 3),
        ("a" * 460, 4),
        ("€" * 80, 1),
        ("€" * 80 + "a", 2),
        ("a" * 158 + "^", 1),
        ("a" * 159 + "^", 2),
        ("{" * 153, 2),
        ("{" * 154, 3),
        ("ç" * 70, 1),
        ("ç" * 71, 2),
        ("ç" * 134, 2),
        ("ç" * 135, 3),
        ("ç" * 201, 3),
        ("ç" * 202, 4),
        ("🙂" * 35, 1),
        ("🙂" * 35 + "a", 2),
        ("a" * 68 + "🙂", 1),
        ("a" * 69 + "🙂", 2),
        ("a" * 159 + "’", 3),
    ],
    ids=lambda value: f"{len(value)}chars" if isinstance(value, str) else str(value),
)
def test_segment_count_follows_the_documented_limits_on_exact_boundaries(message, expected):
    """160/153 GSM septets (extension chars count 2), 70/67 UCS-2 units (emoji count 2)."""
    assert segment_count(message) == expected


@pytest.mark.parametrize(
    ("message", "units"),
    [("a€", 3), ("\f", 2), ("Δ@é", 3), ("ç", 1), ("a🙂", 3), ("€ç", 2)],
)
def test_message_units_counts_septets_for_gsm7_and_utf16_units_otherwise(message, units):
    """A GSM extension character is 2 septets; once UCS-2, € is one unit and an emoji two."""
    assert message_units(message) == units


def test_one_non_gsm_character_makes_the_whole_message_ucs2():
    """A single curly apostrophe turns 160 GSM characters into 161 UCS-2 units."""
    assert (is_gsm7("a" * 160), is_gsm7("a" * 159 + "’")) == (True, False)


def test_segment_count_refuses_bytes():
    """Only text has a segment count; bytes are a caller error."""
    with pytest.raises(TypeError, match="message must be a str, not bytes"):
        segment_count(b"abc")  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("encoding", "length", "segments"),
    [
        ("gsm7", 160, 1),
        ("gsm7", 161, 2),
        ("gsm7", 306, 2),
        ("gsm7", 307, 3),
        ("gsm7", 459, 3),
        ("gsm7", 460, 4),
        ("ucs2", 1, 1),
        ("ucs2", 70, 1),
        ("ucs2", 71, 2),
        ("ucs2", 134, 2),
        ("ucs2", 135, 3),
        ("ucs2", 201, 3),
        ("ucs2", 202, 4),
    ],
)
def test_sms_messages_of_a_fixed_length_hit_that_boundary_exactly(encoding, length, segments):
    """A message drawn with ``length`` has exactly that many units and the expected parts."""

    @FAST
    @given(sms_messages(encoding, length=length))
    def check(message):
        assert (is_gsm7(message), message_units(message)) == (encoding == "gsm7", length)
        assert segment_count(message) == segments

    check()


@FAST
@given(sms_messages())
def test_sms_messages_are_valid_text_of_at_least_one_unit(message):
    """No surrogate, UTF-8 encodable, at least one unit, and within the generated range."""
    assert message.encode("utf-8").decode("utf-8") == message
    assert 1 <= message_units(message) <= (480 if is_gsm7(message) else 210)


@pytest.mark.parametrize(
    ("encoding", "boundaries"),
    [
        ("gsm7", {159, 160, 161, 305, 306, 307, 458, 459, 460}),
        ("ucs2", {69, 70, 71, 133, 134, 135, 200, 201, 202}),
    ],
)
def test_sms_message_lengths_cluster_on_the_segment_boundaries(encoding, boundaries):
    """At least a quarter of the drawn texts sit exactly on a boundary or one unit off it."""
    lengths = [message_units(message) for message in draw(sms_messages(encoding), 80, seed=11)]
    assert sum(length in boundaries for length in lengths) >= 20


@pytest.mark.parametrize(
    ("arguments", "error"),
    [
        ({"encoding": "utf8"}, "encoding must be one of gsm7, ucs2 or None, not 'utf8'"),
        ({"length": 0}, "length must be a positive int or None, not 0"),
        ({"length": True}, "length must be a positive int or None, not True"),
    ],
)
def test_sms_messages_rejects_bad_arguments_up_front(arguments, error):
    """A wrong encoding or length fails when the strategy is built, naming the value."""
    with pytest.raises(ValueError, match=re.escape(error)):
        sms_messages(**arguments)
