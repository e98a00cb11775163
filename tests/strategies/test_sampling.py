"""draw(): deterministic example collection outside of a test, without warnings."""

from __future__ import annotations

import warnings

import pytest
from hypothesis import strategies as st

from sms_contract.strategies.sampling import draw
from sms_contract.strategies.valid import valid_send_payloads

ALLOW_LIST = ("15555550100",)


def test_the_same_seed_draws_the_same_list():
    """Two draws with one seed give equal lists of the requested length."""
    first = draw(valid_send_payloads("definition", ALLOW_LIST), 25, seed=7)
    second = draw(valid_send_payloads("definition", ALLOW_LIST), 25, seed=7)
    assert (len(first), first) == (25, second)
    assert [case.json_body for case in first] == [case.json_body for case in second]


def test_another_seed_draws_another_list():
    """Seeds 1 and 2 give different sequences of integers."""
    strategy = st.integers(0, 10**9)
    assert draw(strategy, 20, seed=1) != draw(strategy, 20, seed=2)


def test_draw_emits_no_warning():
    """Unlike ``.example()``, drawing outside a test is silent."""
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        draw(st.text(), 10, seed=0)
    assert [str(warning.message) for warning in caught] == []


def test_draw_stops_early_when_the_strategy_has_fewer_distinct_examples():
    """A two-value strategy yields each value once, not ``count`` values."""
    assert sorted(draw(st.sampled_from(["a", "b"]), 10, seed=0)) == ["a", "b"]


@pytest.mark.parametrize(
    ("arguments", "error", "message"),
    [
        ((st.none(), 0, 1), ValueError, "count must be a positive int, not 0"),
        ((st.none(), True, 1), ValueError, "count must be a positive int, not True"),
        ((st.none(), 3, "1"), TypeError, "seed must be an int, not str"),
        (([1, 2], 3, 1), TypeError, "strategy must be a SearchStrategy, not list"),
    ],
)
def test_draw_checks_its_arguments_up_front(arguments, error, message):
    """A bad count, seed or strategy is refused before anything is generated."""
    with pytest.raises(error, match=message):
        draw(*arguments)
